"""The window shows delta channels as LangGraph reports them: State, Messages and Diff.

A real deepagents thread (``messages`` and ``files`` in ``DeltaChannel``s) is opened
without a graph; a graph with custom delta reducers is opened with its graph attached.
Every check compares with ``get_state`` of the same graph on the same file.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QTabWidget

from desktop.core.live_json import to_jsonable
from desktop.core.sources.sqlite import SqliteCheckpointSource
from desktop.ui.controller import GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.widgets.state_header import StateHeaderView
from tests.builders import read_saver
from tests.delta_builders import (
    DeltaDb,
    build_deep_agent_db,
    build_tally_db,
    deep_agent_graph,
    tally_graph,
)
from tests.ui.test_window import (
    checkpoint_row,
    click_row,
    diff_text,
    messages_text,
    open_db,
    open_thread,
    state_text,
    timeline,
)

DELTA_GRAPHS = Path(__file__).parent.parent / "data" / "delta_graphs.py"


@pytest.fixture(scope="module")
def deep_db(tmp_path_factory: pytest.TempPathFactory) -> DeltaDb:
    return build_deep_agent_db(tmp_path_factory.mktemp("deep-ui") / "deep.db", notes=3)


@pytest.fixture(scope="module")
def tally_db(tmp_path_factory: pytest.TempPathFactory) -> DeltaDb:
    return build_tally_db(tmp_path_factory.mktemp("tally-ui") / "tally.db")


def header_text(window: MainWindow) -> str:
    return window.findChild(StateHeaderView, "stateHeader").text()


def _truth(path: Path, factory: Any, thread_id: str, checkpoint_id: str) -> dict[str, Any]:
    with read_saver(path) as saver:
        config = {"configurable": {"thread_id": thread_id, "checkpoint_id": checkpoint_id}}
        return to_jsonable(dict(factory(saver).get_state(config).values))


def test_deepagents_state_messages_and_diff_show_rebuilt_values(
    qtbot, window: MainWindow, settle, deep_db: DeltaDb
) -> None:
    with SqliteCheckpointSource(deep_db.path) as source:
        oldest_first = source.history("deep-notes")[::-1]
        checkpoint_id = next(
            m.checkpoint_id
            for m in oldest_first
            if m.source == "loop" and source.load_state(m).values["files"]
        )
    open_db(qtbot, window, settle, deep_db.path)
    open_thread(qtbot, window, settle, "deep-notes")
    view = timeline(window)
    settle(lambda: click_row(qtbot, view, checkpoint_row(view, checkpoint_id)))

    truth = _truth(deep_db.path, deep_agent_graph, "deep-notes", checkpoint_id)
    assert list(truth["files"]) == ["/notes.txt"]
    text = state_text(window)
    assert "/notes.txt" in text and "hello\\nworld" in text
    assert "Rebuilt from delta writes: messages, files" in header_text(window)
    tabs = window.findChild(QTabWidget, "stateTabs")
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    assert f"Messages ({len(truth['messages'])})" in titles
    shown = messages_text(qtbot, window)
    assert "make notes" in shown and "Writing notes." in shown
    tool_answer = truth["messages"][-1]["content"]
    assert tool_answer in shown
    diff = diff_text(window)
    assert "/notes.txt" in diff and tool_answer in diff


def test_attached_graph_folds_unknown_reducers(
    qtbot, window: MainWindow, settle, tally_db: DeltaDb
) -> None:
    with SqliteCheckpointSource(tally_db.path) as source:
        states = [source.load_state(m) for m in source.history("tally")]
    target = next(s.meta for s in states if set(s.unfolded) == {"tally", "recent"})
    other = next(s.meta for s in states if s.meta.checkpoint_id != target.checkpoint_id)
    open_db(qtbot, window, settle, tally_db.path)
    open_thread(qtbot, window, settle, "tally")
    view = timeline(window)
    settle(lambda: click_row(qtbot, view, checkpoint_row(view, target.checkpoint_id)))
    assert '"__delta__"' in state_text(window)
    assert "reducer unknown, shown as seed + ordered writes: tally, recent" in header_text(window)

    window.controller.graph_options = GraphOptions(graph=f"{DELTA_GRAPHS}:tally")
    settle(window.controller.attach_graph)
    settle(lambda: click_row(qtbot, view, checkpoint_row(view, other.checkpoint_id)))
    settle(lambda: click_row(qtbot, view, checkpoint_row(view, target.checkpoint_id)))
    truth = _truth(tally_db.path, tally_graph, "tally", target.checkpoint_id)
    text = state_text(window)
    assert '"__delta__"' not in text
    assert f'"tally": {truth["tally"]}' in text
    assert "reducer unknown" not in header_text(window)
