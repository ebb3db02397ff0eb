"""Databases that try to freeze or blow up the window, written by real graphs.

``build_huge_db`` runs a two-node graph whose first node returns a list of ``items``
strings (1,000,000 in the stall benchmark), then threads whose ids are hostile: an
``<img width=20000 height=20000>`` tag and a 2,000-character id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from tests.builders import open_saver, thread_config

IMG_THREAD = "<img src=x width=20000 height=20000><b>bold</b>"
LONG_THREAD = "long-" + "x" * 1995


class HugeState(TypedDict, total=False):
    """A big list and a note about it."""

    size: int
    items: list[str]
    note: str


@dataclass(frozen=True)
class HugeDb:
    """``huge`` holds ``items`` strings; the hostile-id threads hold a short note."""

    path: Path
    items: int
    thread_id: str = "huge"


def _load(state: HugeState) -> dict[str, Any]:
    return {"items": [f"item-{i:07d}" for i in range(state["size"])]}


def _note(state: HugeState) -> dict[str, Any]:
    return {"note": f"{len(state.get('items') or ())} items loaded"}


def huge_graph(checkpointer: Any) -> Any:
    """``load`` -> ``note``: the first node writes the big list."""
    builder = StateGraph(HugeState)
    builder.add_node("load", _load)
    builder.add_node("note", _note)
    builder.add_edge(START, "load")
    builder.add_edge("load", "note")
    builder.add_edge("note", END)
    return builder.compile(checkpointer=checkpointer, name="huge")


def build_huge_db(path: Path, items: int) -> HugeDb:
    """Run ``huge_graph`` on thread ``huge`` with ``items`` items, and tiny runs on the
    hostile-id threads."""
    with open_saver(path) as saver:
        graph = huge_graph(saver)
        graph.invoke({"size": items}, thread_config("huge"))
        for thread_id in (IMG_THREAD, LONG_THREAD):
            graph.invoke({"size": 3}, thread_config(thread_id))
    return HugeDb(path=path, items=items)
