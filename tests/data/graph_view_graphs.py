"""Graphs named by spec in the graph-picture tests: a subgraph, an interrupt, a failure.

``pipeline`` runs ``plan`` -> ``research`` (a subgraph: ``search`` -> ``summarize``) ->
``review`` (asks with ``interrupt()``) and routes to ``publish`` or back to ``plan``
(a conditional edge with a path map, so LangGraph labels it). ``failing`` has a node
that raises.
"""

from __future__ import annotations

import operator
from typing import Annotated, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from typing_extensions import TypedDict


class State(TypedDict, total=False):
    topic: str
    log: Annotated[list[str], operator.add]
    verdict: str


def plan(state: State) -> dict:
    return {"log": ["plan"]}


def search(state: State) -> dict:
    return {"log": ["search"]}


def summarize(state: State) -> dict:
    return {"log": ["summarize"]}


def review(state: State) -> dict:
    return {"verdict": interrupt({"question": f"Publish {state.get('topic', '')}?"})}


def publish(state: State) -> dict:
    return {"log": ["publish"]}


def route(state: State) -> Literal["ok", "again"]:
    return "ok" if state.get("verdict") == "yes" else "again"


def explode(state: State) -> dict:
    raise ValueError("the price list is empty")


research_builder = StateGraph(State)
research_builder.add_node("search", search)
research_builder.add_node("summarize", summarize)
research_builder.add_edge(START, "search")
research_builder.add_edge("search", "summarize")
research = research_builder.compile()

builder = StateGraph(State)
builder.add_node("plan", plan)
builder.add_node("research", research)
builder.add_node("review", review)
builder.add_node("publish", publish)
builder.add_edge(START, "plan")
builder.add_edge("plan", "research")
builder.add_edge("research", "review")
builder.add_conditional_edges("review", route, {"ok": "publish", "again": "plan"})
builder.add_edge("publish", END)
pipeline = builder.compile(name="pipeline")

failing_builder = StateGraph(State)
failing_builder.add_node("plan", plan)
failing_builder.add_node("explode", explode)
failing_builder.add_edge(START, "plan")
failing_builder.add_edge("plan", "explode")
failing = failing_builder.compile(name="failing")
