"""A graph factory taking a RunnableConfig, as the LangGraph CLI allows."""

from greeting_helpers import greeting
from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from typing_extensions import TypedDict


class State(TypedDict):
    name: str
    reply: str


def greet(state: State) -> dict:
    return {"reply": greeting(state["name"])}


def make_graph(config: RunnableConfig):
    if "configurable" not in config:
        raise ValueError("expected a RunnableConfig")
    builder = StateGraph(State)
    builder.add_node("greet", greet)
    builder.add_edge(START, "greet")
    return builder.compile()
