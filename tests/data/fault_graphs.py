"""Graphs that misbehave the way real agents do, for the fault tests (run in subprocesses).

``tests/data/fault_graphs.py:<attr>``. Each node appends its name to the file named by
``$REWIND_TEST_TRACE`` (when set), so a test can count how often a node really ran.
``$REWIND_TEST_SLEEP`` is how long the slow nodes block (seconds).
"""

import operator
import os
import subprocess
import sys
import time
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

print("fault_graphs imported (stdout noise)")


class Log(TypedDict):
    log: Annotated[list[str], operator.add]


def _trace(name: str) -> None:
    path = os.environ.get("REWIND_TEST_TRACE")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(name + "\n")


def _sleep() -> None:
    time.sleep(float(os.environ.get("REWIND_TEST_SLEEP", "30")))


def first(state: Log) -> dict:
    _trace("first")
    return {"log": ["first"]}


def slow(state: Log) -> dict:
    """A synchronous node blocked in a call Python cannot interrupt."""
    _trace("slow-start")
    _sleep()
    _trace("slow-end")
    return {"log": ["slow"]}


def ask(state: Log) -> dict:
    answer = interrupt({"question": "approve?"})
    _trace(f"approve:{answer}")
    _sleep()
    return {"log": [f"approved:{answer}"]}


def chatty_node(state: Log) -> dict:
    print("a node printing to stdout")
    sys.stdout.flush()
    subprocess.run(["echo", "a child process writing to stdout"], check=False)
    os.write(1, b"raw bytes on file descriptor 1\n")
    return {"log": ["chatty"]}


def again(state: Log) -> dict:
    return {"log": ["again"]}


def _graph(*nodes):
    builder = StateGraph(Log)
    previous = START
    for node in nodes:
        builder.add_node(node.__name__, node)
        builder.add_edge(previous, node.__name__)
        previous = node.__name__
    builder.add_edge(previous, END)
    return builder


sleepy = _graph(first, slow).compile()
approval = _graph(first, ask).compile()
chatty = _graph(chatty_node).compile()

_loop = StateGraph(Log)
_loop.add_node("again", again)
_loop.add_edge(START, "again")
_loop.add_edge("again", "again")
endless = _loop.compile()
