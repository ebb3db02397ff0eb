"""Input the graph would reject is refused before the first checkpoint is written."""

from __future__ import annotations

import asyncio
import shutil
from typing import Annotated, TypedDict

import pytest
from langchain_core.messages import AnyMessage, HumanMessage
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.managed import RemainingSteps

from desktop.core.errors import RewindError
from desktop.core.graphs import LoadedGraph
from desktop.core.runner import run
from tests.builders import PydanticDb, open_saver, order_graph, read_saver, thread_config


def orders() -> LoadedGraph:
    return LoadedGraph.from_object(order_graph(None), spec="orders")


async def drain(graph: LoadedGraph, db, thread_id: str, value) -> None:
    async for _ in run(graph, db, thread_id, value):
        pass


def history_ids(graph: LoadedGraph, db, thread_id: str) -> list[str]:
    with read_saver(db) as saver:
        return [
            s.config["configurable"]["checkpoint_id"]
            for s in graph.bind(saver).get_state_history(thread_config(thread_id))
        ]


def test_a_new_thread_with_input_that_does_not_fit_a_pydantic_state(tmp_path):
    db = tmp_path / "orders.sqlite"
    with pytest.raises(RewindError) as refused:
        asyncio.run(drain(orders(), db, "t", {"customer": {"name": 5}}))
    assert str(refused.value).startswith(
        "Input refused, nothing was written: it does not fit OrderState (3 error(s); "
        "customer.name: Input should be a valid string"
    )
    assert not db.exists()


def test_an_existing_thread_keeps_its_history_and_valid_input_still_runs(
    pydantic_db: PydanticDb, tmp_path
):
    db = tmp_path / "orders.sqlite"
    shutil.copy(pydantic_db.path, db)
    graph = orders()
    before = history_ids(graph, db, pydantic_db.thread_id)
    with pytest.raises(RewindError, match="items: Input should be a valid list"):
        asyncio.run(drain(graph, db, pydantic_db.thread_id, {"items": 5}))
    assert history_ids(graph, db, pydantic_db.thread_id) == before

    asyncio.run(drain(graph, db, pydantic_db.thread_id, {"items": ["mouse"]}))
    with read_saver(db) as saver:
        state = graph.bind(saver).get_state(thread_config(pydantic_db.thread_id))
    assert state.values["items"][-3:] == ["mouse", "keyboard", "mouse"]


class _NoteState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    note: str
    remaining_steps: RemainingSteps


class _NoteInput(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def notes_graph(checkpointer) -> object:
    """A graph whose input schema takes ``messages`` but not ``note``; its state also
    holds the managed ``remaining_steps``."""
    builder = StateGraph(_NoteState, input_schema=_NoteInput)
    builder.add_node("echo", lambda state: {"note": f"{len(state['messages'])} message(s)"})
    builder.add_edge(START, "echo")
    return builder.compile(checkpointer=checkpointer)


def test_input_keys_langgraph_would_drop_are_refused_before_anything_is_written(tmp_path):
    # LangGraph itself takes ``messages`` and drops ``note`` silently
    with open_saver(tmp_path / "truth.sqlite") as saver:
        given = {"messages": [HumanMessage("hi")], "note": "typed"}
        notes_graph(saver).invoke(given, thread_config("t"))
        history = list(notes_graph(saver).get_state_history(thread_config("t")))
    applied = next(s for s in history if s.metadata["step"] == 0)
    assert applied.values == {"messages": given["messages"]}, "what __start__ wrote"

    db = tmp_path / "notes.sqlite"
    graph = LoadedGraph.from_object(notes_graph(None), spec="notes")
    with pytest.raises(RewindError) as refused:
        asyncio.run(
            drain(graph, db, "t", {"messages": [{"role": "user", "content": "hi"}], "note": "x"})
        )
    assert str(refused.value) == (
        "Input refused, nothing was written: unknown input key(s) note; "
        "the graph's input keys are messages"
    )
    assert not db.exists()
    asyncio.run(drain(graph, db, "t", {"messages": [{"role": "user", "content": "hi"}]}))
    with read_saver(db) as saver:
        assert graph.bind(saver).get_state(thread_config("t")).values["note"] == "1 message(s)"
