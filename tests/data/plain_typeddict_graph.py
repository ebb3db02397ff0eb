"""Graphs whose state is a plain ``typing.TypedDict``, not ``typing_extensions``'s: on
Python < 3.12 pydantic refuses it, so LangGraph's ``get_input_jsonschema()`` raises and
the input form has only the graph's input keys to go on. ``notes_app`` takes
``question`` and ``notes`` (its own input schema; ``answer`` is written by its node);
``chat_app`` takes ``add_messages`` messages and a ``topic``. Compiled without a
checkpointer (Rewind attaches its own).
"""

from __future__ import annotations

import operator
import sys
import typing
from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph, add_messages

SCHEMA_FAILS = sys.version_info < (3, 12)
"""Whether LangGraph cannot build these graphs' input schemas on this Python."""


class Question(typing.TypedDict, total=False):
    question: str
    notes: Annotated[list[str], operator.add]


class Answered(Question, total=False):
    answer: str


def _answer(state: Answered) -> dict[str, Any]:
    return {"answer": f"re: {state['question']}", "notes": ["answered"]}


def notes_graph(checkpointer: BaseCheckpointSaver | None = None) -> Any:
    builder = StateGraph(Answered, input_schema=Question)
    builder.add_node("answer", _answer)
    builder.add_edge(START, "answer")
    builder.add_edge("answer", END)
    return builder.compile(checkpointer=checkpointer)


class Chat(typing.TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    topic: str


def _chat_graph() -> Any:
    builder = StateGraph(Chat)
    builder.add_node("noop", lambda state: {})
    builder.add_edge(START, "noop")
    builder.add_edge("noop", END)
    return builder.compile()


notes_app = notes_graph()
chat_app = _chat_graph()
