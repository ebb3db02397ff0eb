"""The sample package's graph: one node that upper-cases the text."""

from langgraph.graph import START, StateGraph
from typing_extensions import TypedDict

from .nodes import shout


class State(TypedDict):
    text: str


builder = StateGraph(State)
builder.add_node("shout", shout)
builder.add_edge(START, "shout")
graph = builder.compile()
