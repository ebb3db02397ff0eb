"""Graphs that read a run's settings, for ``--configurable`` / ``--context`` and the window's
Run settings: one reads ``runtime.context`` (a dataclass ``context_schema``), one reads it
without a schema, one reads ``config["configurable"]``; and one whose input schema has a
key of every editor kind, for the input form. Compiled without a checkpointer (Rewind
attaches its own).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from langchain_core.messages import AnyMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph, add_messages
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from typing_extensions import TypedDict


@dataclass
class Persona:
    user_name: str
    tone: str = "plain"


class LogState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def _greet(state: LogState, runtime: Runtime[Persona]) -> dict[str, Any]:
    return {"log": [f"greet {runtime.context.user_name} ({runtime.context.tone})"]}


def _confirm(state: LogState, runtime: Runtime[Persona]) -> dict[str, Any]:
    answer = interrupt("confirm?")
    return {"log": [f"confirm {answer} for {runtime.context.user_name}"]}


def context_graph(checkpointer: BaseCheckpointSaver | None = None) -> Any:
    builder = StateGraph(LogState, context_schema=Persona)
    builder.add_node("greet", _greet)
    builder.add_node("confirm", _confirm)
    builder.add_edge(START, "greet")
    builder.add_edge("greet", "confirm")
    builder.add_edge("confirm", END)
    return builder.compile(checkpointer=checkpointer)


def _raw_context(state: LogState, runtime: Runtime[Any]) -> dict[str, Any]:
    return {"log": [f"context {runtime.context!r}"]}


def raw_context_graph(checkpointer: BaseCheckpointSaver | None = None) -> Any:
    """Reads ``runtime.context`` but declares no ``context_schema``."""
    builder = StateGraph(LogState)
    builder.add_node("raw", _raw_context)
    builder.add_edge(START, "raw")
    builder.add_edge("raw", END)
    return builder.compile(checkpointer=checkpointer)


def _configured(state: LogState, config: RunnableConfig) -> dict[str, Any]:
    conf = config["configurable"]
    return {"log": [f"user {conf.get('user_id')} model {conf.get('model')} on {conf['thread_id']}"]}


def configurable_graph(checkpointer: BaseCheckpointSaver | None = None) -> Any:
    builder = StateGraph(LogState)
    builder.add_node("configured", _configured)
    builder.add_edge(START, "configured")
    builder.add_edge("configured", END)
    return builder.compile(checkpointer=checkpointer)


class FormState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    topic: str
    count: int
    temperature: float
    strict: bool
    style: Literal["brief", "detailed"]
    tags: list[str]


def _echo(state: FormState) -> dict[str, Any]:
    return {"topic": f"{state.get('topic', '')} (seen)"}


def form_graph(checkpointer: BaseCheckpointSaver | None = None) -> Any:
    builder = StateGraph(FormState)
    builder.add_node("echo", _echo)
    builder.add_edge(START, "echo")
    builder.add_edge("echo", END)
    return builder.compile(checkpointer=checkpointer)


context_app = context_graph()
form_app = form_graph()
configurable_app = configurable_graph()
raw_context_app = raw_context_graph()
