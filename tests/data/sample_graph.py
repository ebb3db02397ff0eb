"""A user's graph file, named by ``tests/data/sample_graph.py:<attr>`` in the loading tests.

It exports every form a spec may name: a compiled graph (with its own checkpointer,
which Rewind must replace), an uncompiled ``StateGraph``, sync and async factories,
and things that are not graphs.
"""

import operator
from typing import Annotated

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from pydantic import BaseModel
from typing_extensions import TypedDict


class Note(BaseModel):
    """A pydantic value kept in the state: checkpoints must revive it as a ``Note``."""

    text: str


class State(TypedDict):
    log: Annotated[list[str], operator.add]
    notes: list[Note]


def write(state: State) -> dict:
    return {"log": ["write"], "notes": [*state.get("notes", []), Note(text="drafted")]}


def review(state: State) -> dict:
    kinds = ",".join(type(note).__name__ for note in state["notes"])
    return {"log": [f"review:{kinds}"]}


builder = StateGraph(State)
builder.add_node("write", write)
builder.add_node("review", review)
builder.add_edge(START, "write")
builder.add_edge("write", "review")

graph = builder.compile(checkpointer=InMemorySaver(), name="sample")


def make_graph():
    return builder.compile()


async def make_builder_async():
    return builder


def make_two(first, second):
    return builder.compile()


def make_broken():
    raise RuntimeError("cannot reach the vector store\nsecond line of detail")


answer = 42
