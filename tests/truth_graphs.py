"""Real graphs whose checkpoints Rewind must read exactly as LangGraph does (issue 7).

Each factory takes a checkpointer (or ``None``) so a test can run the graph under
langgraph's own ``SqliteSaver`` and ask LangGraph for the truth on the same file. The
module-level graphs (``*_app``) are compiled without a checkpointer for the CLI
(``--graph tests/truth_graphs.py:NAME``), which attaches its own.
"""

from __future__ import annotations

import dataclasses
import enum
import operator
import os
import signal
import time
import warnings
from datetime import datetime
from typing import Annotated, Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.func import entrypoint, task
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore
from langgraph.types import interrupt
from pydantic import BaseModel
from typing_extensions import TypedDict

from desktop.core.demo.scripted_model import ScriptedChatModel

# --- interrupt_before a waiting-edge join ---------------------------------------------


class JoinState(TypedDict, total=False):
    items: Annotated[list[str], operator.add]
    total: int


def _left(state: JoinState) -> dict[str, Any]:
    return {"items": ["left"]}


def _right(state: JoinState) -> dict[str, Any]:
    return {"items": ["right"]}


def _join(state: JoinState) -> dict[str, Any]:
    return {"total": len(state["items"])}


def join_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    """``left`` and ``right`` run in parallel; ``join`` waits for both (a waiting edge)."""
    builder = StateGraph(JoinState)
    builder.add_node("right", _right)
    builder.add_node("left", _left)
    builder.add_node("join", _join)
    builder.add_edge(START, "right")
    builder.add_edge(START, "left")
    builder.add_edge(["left", "right"], "join")
    builder.add_edge("join", END)
    return builder.compile(checkpointer=checkpointer, interrupt_before=["join"], name="join")


join_app = join_graph()


# --- nested subgraphs that keep their own checkpoints across turns ---------------------


class InnerState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


class OuterState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    turns: Annotated[int, operator.add]


def nested_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    """``outer`` → subgraph ``middle`` (``checkpointer=True``) → subgraph ``inner``
    (``checkpointer=True``): both keep one namespace, and their history, across turns."""
    inner = StateGraph(InnerState)
    inner.add_node("deep", lambda s: {"log": [f"deep {len(s.get('log', []))}"]})
    inner.add_edge(START, "deep")
    middle = StateGraph(InnerState)
    middle.add_node("pre", lambda s: {"log": ["pre"]})
    middle.add_node("inner", inner.compile(checkpointer=True))
    middle.add_edge(START, "pre")
    middle.add_edge("pre", "inner")
    outer = StateGraph(OuterState)
    outer.add_node("start", lambda s: {"turns": 1})
    outer.add_node("middle", middle.compile(checkpointer=True))
    outer.add_edge(START, "start")
    outer.add_edge("start", "middle")
    return outer.compile(checkpointer=checkpointer, name="nested")


nested_app = nested_graph()


# --- functional API: an entrypoint with tasks and an interrupt ------------------------


def functional_graph(checkpointer: BaseCheckpointSaver | None = None) -> Any:
    """``main`` doubles its input in a task, asks a human in another, returns both."""

    @task
    def double(n: int) -> int:
        return n * 2

    @task
    def ask(n: int) -> str:
        return interrupt({"question": f"approve {n}?"})

    @task
    def slow(n: int) -> int:
        if os.environ.get("REWIND_TEST_KILL_IN_TASK"):
            time.sleep(0.5)  # the finished ``double`` task's write lands first
            os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(5)
        return n + 1

    @entrypoint(checkpointer=checkpointer)
    def main(inputs: dict[str, Any]) -> dict[str, Any]:
        runs = double(inputs["n"]).result()
        if inputs.get("slow"):
            runs = slow(runs).result()
        answer = ask(runs).result() if inputs.get("ask", True) else None
        return {"runs": runs, "answer": answer}

    return main


functional_app = functional_graph()


# --- tool-calling agents with human-in-the-loop ---------------------------------------


@tool
def lookup(city: str) -> str:
    """Canned facts about a city."""
    return f"{city} has a river."


def _tool_responder(messages: list[BaseMessage]) -> AIMessage:
    if isinstance(messages[-1], ToolMessage):
        return AIMessage(f"Done: {messages[-1].text}")
    return AIMessage(
        "Looking it up.", tool_calls=[{"name": "lookup", "args": {"city": "Lyon"}, "id": "c1"}]
    )


def react_agent(checkpointer: BaseCheckpointSaver | None = None) -> Any:
    """langgraph's prebuilt ``create_react_agent`` paused before its tools run."""
    from langgraph.prebuilt import create_react_agent
    from langgraph.warnings import LangGraphDeprecatedSinceV10

    model = ScriptedChatModel(responder=_tool_responder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LangGraphDeprecatedSinceV10)
        return create_react_agent(
            model, [lookup], checkpointer=checkpointer, interrupt_before=["tools"]
        )


def hitl_agent(checkpointer: BaseCheckpointSaver | None = None) -> Any:
    """langchain's ``create_agent`` with ``HumanInTheLoopMiddleware`` on the tool."""
    from langchain.agents import create_agent
    from langchain.agents.middleware import HumanInTheLoopMiddleware

    model = ScriptedChatModel(responder=_tool_responder)
    return create_agent(
        model,
        [lookup],
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"lookup": True})],
        checkpointer=checkpointer,
    )


# --- a node that calls an inner graph compiled without a checkpointer -----------------


class CountState(TypedDict, total=False):
    count: int
    notes: Annotated[list[str], operator.add]


def _inner_counter() -> CompiledStateGraph:
    inner = StateGraph(CountState)
    inner.add_node("bump", lambda s: {"count": s.get("count", 0) + 1})
    inner.add_edge(START, "bump")
    return inner.compile(checkpointer=False)


def inner_call_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    """``outer`` invokes a graph compiled with ``checkpointer=False`` (as trustcall's
    extractor does): it must run as a plain call, under any durability."""
    inner = _inner_counter()

    def outer(state: CountState) -> dict[str, Any]:
        result = inner.invoke({"count": state.get("count", 0)})
        return {"count": result["count"], "notes": ["inner ran"]}

    builder = StateGraph(CountState)
    builder.add_node("outer", outer)
    builder.add_node("finish", lambda s: {"notes": ["finished"]})
    builder.add_edge(START, "outer")
    builder.add_edge("outer", "finish")
    return builder.compile(checkpointer=checkpointer, name="inner-call")


inner_call_app = inner_call_graph()


# --- a graph compiled with its own store ----------------------------------------------

OWN_STORE = InMemoryStore()


def _remember(state: CountState, *, store: BaseStore) -> dict[str, Any]:
    store.put(("memories",), "last", {"count": state.get("count", 0)})
    found = store.search(("memories",))
    return {"notes": [f"store {type(store).__name__} holds {len(found)}"]}


def _store_graph() -> CompiledStateGraph:
    builder = StateGraph(CountState)
    builder.add_node("remember", _remember)
    builder.add_edge(START, "remember")
    return builder.compile(store=OWN_STORE, name="own-store")


own_store_app = _store_graph()


def _count_only() -> CompiledStateGraph:
    builder = StateGraph(CountState)
    builder.add_node("remember", _remember)
    builder.add_edge(START, "remember")
    return builder.compile(name="no-store")


no_store_app = _count_only()


# --- typed state: enum, dataclass, pydantic, datetime ---------------------------------


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Owner(BaseModel):
    name: str
    level: int = 1


class TypedState(TypedDict, total=False):
    color: Color
    point: Point
    owner: Owner
    when: datetime
    note: str


def _touch(state: TypedState) -> dict[str, Any]:
    return {"note": f"{state['color'].value} at {state['point'].x},{state['point'].y}"}


def typed_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    """State holding an enum, a dataclass, a pydantic model and a datetime."""
    builder = StateGraph(TypedState)
    builder.add_node("touch", _touch)
    builder.add_edge(START, "touch")
    return builder.compile(checkpointer=checkpointer, name="typed")


typed_app = typed_graph()


# --- durability="exit": one checkpoint per run ----------------------------------------


def steps_app_factory() -> CompiledStateGraph:
    """Three chained nodes: under ``exit`` durability a run saves one checkpoint."""
    builder = StateGraph(CountState)
    for name in ("one", "two", "three"):
        builder.add_node(name, lambda s, n=name: {"notes": [n]})
    builder.add_edge(START, "one")
    builder.add_edge("one", "two")
    builder.add_edge("two", "three")
    return builder.compile(name="steps")


steps_app = steps_app_factory()


# --- trustcall's extractor inside a node (an inner graph without a checkpointer) ------


class Person(BaseModel):
    """What the extractor pulls out of a sentence."""

    name: str
    age: int


def _extraction_reply(messages: list[BaseMessage]) -> AIMessage:
    return AIMessage(
        "",
        tool_calls=[
            {"name": "Person", "args": {"name": "Ada", "age": 36}, "id": "x1", "type": "tool_call"}
        ],
    )


def _extractor_graph() -> CompiledStateGraph:
    from langgraph.warnings import LangGraphDeprecatedSinceV10

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LangGraphDeprecatedSinceV10)
        from trustcall import create_extractor

    extractor = create_extractor(
        ScriptedChatModel(responder=_extraction_reply), tools=[Person], tool_choice="Person"
    )

    def extract(state: CountState) -> dict[str, Any]:
        (person,) = extractor.invoke("Ada is 36")["responses"]
        return {"notes": [f"{person.name} is {person.age}"]}

    builder = StateGraph(CountState)
    builder.add_node("extract", extract)
    builder.add_edge(START, "extract")
    return builder.compile(name="extractor")


extractor_app = _extractor_graph()
