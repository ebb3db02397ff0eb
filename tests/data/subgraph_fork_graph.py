"""A graph with a subgraph, for the fork editor's subgraph tests: ``plan`` ->
``research`` (a subgraph: ``search`` -> ``check``) -> ``write``. ``check`` asks with
``interrupt()`` when the topic is "ask", so that thread stops inside the subgraph."""

from __future__ import annotations

import operator
from typing import Annotated

from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from typing_extensions import TypedDict


class State(TypedDict, total=False):
    topic: str
    log: Annotated[list[str], operator.add]


def plan(state: State) -> dict:
    return {"log": ["plan"]}


def search(state: State) -> dict:
    return {"log": [f"search {state.get('topic', '')}"]}


def check(state: State) -> dict:
    if state.get("topic") == "ask":
        return {"log": [f"checked: {interrupt('Is the search good?')}"]}
    return {"log": ["checked"]}


def write(state: State) -> dict:
    return {"log": ["write"]}


research_builder = StateGraph(State)
research_builder.add_node("search", search)
research_builder.add_node("check", check)
research_builder.add_edge(START, "search")
research_builder.add_edge("search", "check")

builder = StateGraph(State)
builder.add_node("plan", plan)
builder.add_node("research", research_builder.compile())
builder.add_node("write", write)
builder.add_edge(START, "plan")
builder.add_edge("plan", "research")
builder.add_edge("research", "write")
report = builder.compile(name="report")
