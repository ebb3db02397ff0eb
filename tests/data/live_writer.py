"""A second process writing checkpoints, driven line by line from stdin (live watch tests).

``python -m tests.data.live_writer LOCATION`` opens LangGraph's own saver on LOCATION
(a SQLite path or a Postgres URL), prints ``ready``, then for every line ``THREAD`` on
stdin runs one turn of a small graph on that thread and prints ``done THREAD``; for
``delete THREAD`` it deletes the thread through the saver (``delete_thread``) and prints
``deleted THREAD``.
"""

from __future__ import annotations

import operator
import sys
from contextlib import contextmanager
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph


class CounterState(TypedDict, total=False):
    turns: Annotated[list[int], operator.add]


def bump(state: CounterState) -> dict[str, Any]:
    return {"turns": [len(state.get("turns", [])) + 1]}


def counter_graph(checkpointer: Any) -> Any:
    builder = StateGraph(CounterState)
    builder.add_node("bump", bump)
    builder.add_edge(START, "bump")
    builder.add_edge("bump", END)
    return builder.compile(checkpointer=checkpointer)


@contextmanager
def open_saver(location: str):
    if location.startswith(("postgresql://", "postgres://")):
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(location) as saver:
            saver.setup()
            yield saver
    else:
        from langgraph.checkpoint.sqlite import SqliteSaver

        with SqliteSaver.from_conn_string(location) as saver:
            saver.setup()
            yield saver


def main() -> None:
    with open_saver(sys.argv[1]) as saver:
        graph = counter_graph(saver)
        print("ready", flush=True)
        for line in sys.stdin:
            thread = line.strip()
            if not thread:
                continue
            if thread.startswith("delete "):
                thread = thread.removeprefix("delete ")
                saver.delete_thread(thread)
                print(f"deleted {thread}", flush=True)
                continue
            graph.invoke({"turns": []}, {"configurable": {"thread_id": thread}})
            print(f"done {thread}", flush=True)


if __name__ == "__main__":
    main()
