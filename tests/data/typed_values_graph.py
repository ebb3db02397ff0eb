"""A user's graph that keeps an enum, a dataclass and a time inside an untyped ``dict``.

The state schema names none of these classes (``extras`` is ``dict[str, Any]``), so
only the project's own modules tell Rewind they may be revived. ``make`` stores them,
``ask`` stops at an ``interrupt()``, and ``check`` (run on resume, from the checkpoint)
records what it was given.
"""

import datetime
import enum
from typing import Any

from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from typed_models import Point, Spot
from typing_extensions import TypedDict


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class State(TypedDict, total=False):
    extras: dict[str, Any]
    answer: str
    seen: list[str]


def make(state: State) -> dict[str, Any]:
    spot = Spot("home", Point(1, 2))
    return {"extras": {"color": Color.BLUE, "at": datetime.time(9, 30), "spot": spot, "k": 1}}


def ask(state: State) -> dict[str, Any]:
    return {"answer": interrupt("go on?")}


def check(state: State) -> dict[str, Any]:
    extras = state["extras"]
    return {"seen": [repr(extras[key]) for key in ("color", "at", "spot", "k")]}


builder = StateGraph(State)
builder.add_node("make", make)
builder.add_node("ask", ask)
builder.add_node("check", check)
builder.add_edge(START, "make")
builder.add_edge("make", "ask")
builder.add_edge("ask", "check")
graph = builder.compile()
