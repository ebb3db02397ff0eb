"""Input the graph would reject is refused before the first checkpoint is written."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from desktop.core.errors import RewindError
from desktop.core.graphs import LoadedGraph
from desktop.core.runner import run
from tests.builders import PydanticDb, order_graph, read_saver, thread_config


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
