"""A graph for the crash test, run by a separate process that the test SIGKILLs.

``a`` fans out to ``fast`` and ``slow``; ``slow`` sleeps ``CRASH_SLEEP`` seconds so the
process can be killed inside it. Every node execution is appended to ``CRASH_LOG``.
Run as a script, it plays the user's own agent: ``SqliteSaver`` on the given file, or
``PostgresSaver`` on a ``postgresql://`` URL. With ``CRASH_HOLD_CHECKPOINT`` set, that
saver never gets to save the checkpoint after ``a`` (as when LangGraph's background
thread saving it is starved): ``a``'s write is saved, the step after it is not.
"""

import operator
import os
import sys
import time
from pathlib import Path
from typing import Annotated

from langgraph.graph import START, StateGraph
from typing_extensions import TypedDict


class State(TypedDict):
    log: Annotated[list[str], operator.add]


def _ran(node: str) -> dict:
    with Path(os.environ["CRASH_LOG"]).open("a", encoding="utf-8") as log:
        log.write(node + "\n")
    return {"log": [node]}


def a(state: State) -> dict:
    return _ran("a")


def fast(state: State) -> dict:
    return _ran("fast")


def slow(state: State) -> dict:
    update = _ran("slow")
    time.sleep(float(os.environ.get("CRASH_SLEEP", "0")))
    return update


def end(state: State) -> dict:
    return _ran("end")


builder = StateGraph(State)
for name, node in (("a", a), ("fast", fast), ("slow", slow), ("end", end)):
    builder.add_node(name, node)
builder.add_edge(START, "a")
builder.add_edge("a", "fast")
builder.add_edge("a", "slow")
builder.add_edge(["fast", "slow"], "end")
graph = builder.compile()

if __name__ == "__main__":
    if sys.argv[1].startswith("postgresql://"):
        from langgraph.checkpoint.postgres import PostgresSaver as Saver
    else:
        from langgraph.checkpoint.sqlite import SqliteSaver as Saver

    class HoldingSaver(Saver):
        def put(self, config, checkpoint, metadata, new_versions):  # type: ignore[no-untyped-def]
            if metadata.get("step", -1) >= 1 and os.environ.get("CRASH_HOLD_CHECKPOINT"):
                time.sleep(3600)  # killed meanwhile
            return super().put(config, checkpoint, metadata, new_versions)

    with HoldingSaver.from_conn_string(sys.argv[1]) as saver:
        saver.setup()
        user_graph = builder.compile(checkpointer=saver)
        user_graph.invoke({"log": []}, {"configurable": {"thread_id": sys.argv[2]}})
