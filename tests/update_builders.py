"""Real threads resumed with ``Command(update=...)``: pending updates on checkpoints.

``Command(update=...)`` given as input saves its writes on the checkpoint the run
continues from, under ``NULL_TASK_ID``; ``get_state`` of that checkpoint applies them
to every channel with the channel's own reducer. Each thread here leaves such writes on
an interrupted checkpoint, on plain channels: an ``add_messages`` list, a ``LastValue``
and an ``operator.add`` reducer Rewind cannot know without the graph. A second
``add_messages`` list (``later``) and a ``LastValue`` message list (``last_draft``) are
written only after the first steps, where LangGraph shows ``[]`` and nothing.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, interrupt
from typing_extensions import TypedDict

from tests.builders import open_saver, thread_config
from tests.delta_builders import DeltaDb
from tests.truth_graphs import hitl_agent

REVIEW_THREADS = ("review-resume", "review-breakpoint")
"""An ``interrupt()`` answered with resume + update, and an ``interrupt_before``
continued with an update only."""


class ReviewState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    note: str
    tally: Annotated[int, operator.add]
    later: Annotated[list[AnyMessage], add_messages]
    last_draft: list[AnyMessage]  # no reducer: a LastValue, absent until written


def _draft(state: ReviewState) -> dict[str, Any]:
    turn = sum(isinstance(m, HumanMessage) for m in state["messages"])
    draft = AIMessage(f"draft {turn}", id=f"draft-{turn}")
    return {"messages": [draft], "tally": 1, "last_draft": [draft]}


def _review(state: ReviewState) -> dict[str, Any]:
    verdict = interrupt("approve the draft?")
    return {"note": f"reviewed: {verdict}", "tally": 10}


def _publish(state: ReviewState) -> dict[str, Any]:
    return {"later": [AIMessage("published", id=f"pub-{state.get('tally', 0)}")]}


def review_graph(checkpointer: Any, *, breakpoint: bool = False) -> CompiledStateGraph:
    """``draft`` -> ``review`` (asks with ``interrupt()``) -> ``publish``."""
    builder = StateGraph(ReviewState)
    builder.add_node("draft", _draft)
    builder.add_node("review", _review)
    builder.add_node("publish", _publish)
    builder.add_edge(START, "draft")
    builder.add_edge("draft", "review")
    builder.add_edge("review", "publish")
    builder.add_edge("publish", END)
    before = ["publish"] if breakpoint else None
    return builder.compile(checkpointer=checkpointer, interrupt_before=before, name="review")


def review_app() -> CompiledStateGraph:
    """The review graph without a checkpointer (``--graph tests/update_builders.py:...``)."""
    return review_graph(None)


def build_review_db(path: Path | str) -> DeltaDb:
    """Two threads whose interrupted checkpoints carry pending updates.

    ``review-resume``: the interrupt answered with ``Command(resume=..., update=...)``
    (messages, note, tally), then a second turn. ``review-breakpoint``: stopped before
    ``publish`` and continued with ``Command(update=...)`` alone.
    """
    with open_saver(path) as saver:
        graph = review_graph(saver)
        config = thread_config(REVIEW_THREADS[0])
        graph.invoke({"messages": [HumanMessage("write it", id="ask-1")]}, config)
        update = {
            "messages": [HumanMessage("shorter please", id="extra-1")],
            "note": "edited by hand",
            "tally": 5,
        }
        graph.invoke(Command(resume="yes", update=update), config)
        graph.invoke({"messages": [HumanMessage("again", id="ask-2")]}, config)
        graph.invoke(Command(resume="no", update={"note": "second look", "tally": 7}), config)

        stopping = review_graph(saver, breakpoint=True)
        config = thread_config(REVIEW_THREADS[1])
        stopping.invoke({"messages": [HumanMessage("write it", id="ask-b")]}, config)
        stopping.invoke(Command(resume="ok"), config)
        extra = {"later": [HumanMessage("before publishing", id="pre")], "note": "checked"}
        stopping.invoke(Command(update=extra), config)
    return DeltaDb(path, REVIEW_THREADS)  # type: ignore[arg-type]


def build_hitl_update_db(path: Path | str) -> DeltaDb:
    """``create_agent`` with human-in-the-loop: the tool call approved with
    ``Command(resume=..., update=...)`` adding a message to its ``add_messages`` list."""
    thread_id = "hitl-update"
    config = thread_config(thread_id)
    with open_saver(path) as saver:
        agent = hitl_agent(saver)
        agent.invoke({"messages": [HumanMessage("Lyon?", id="q")]}, config)
        note = HumanMessage("use metric units", id="units")
        decision = {"decisions": [{"type": "approve"}]}
        agent.invoke(Command(resume=decision, update={"messages": [note]}), config)
    return DeltaDb(path, (thread_id,))  # type: ignore[arg-type]
