"""Threads named ``user-{id}-session-{id}`` grouped by user in the thread pane, with
counts, filtered like the flat list; driven with the mouse."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtWidgets import QToolButton, QTreeView

from desktop.core.thread_groups import ThreadGroup, group_key, group_threads
from desktop.ui.main_window import MainWindow
from tests.builders import open_saver, steps_graph

TIMEOUT = 20_000


@pytest.fixture(scope="module")
def sessions_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sessions") / "sessions.sqlite"
    with open_saver(path) as saver:
        graph = steps_graph(saver)
        for user, session in ((42, "a"), (7, "a"), (42, "b"), (42, "c")):
            config = {
                "configurable": {"thread_id": f"user-{user}-session-{session}", "user_id": user}
            }
            graph.invoke({"value": 1, "log": []}, config)
        graph.invoke({"value": 2, "log": []}, {"configurable": {"thread_id": "scratch"}})
    return path


def test_group_key_and_order():
    assert group_key("user-42-session-7") == "user-42"
    assert group_key("user-42") is None
    assert group_key("scratch") is None
    assert group_threads(["user-1-s-b", "x", "user-2-s-a", "user-1-s-a"]) == [
        ThreadGroup("user-1", ("user-1-s-b", "user-1-s-a")),
        ThreadGroup(None, ("x",)),
        ThreadGroup("user-2", ("user-2-s-a",)),
    ]


def rows(view: QTreeView, parent: QModelIndex | None = None) -> list[str]:
    model = view.model()
    parent = parent or QModelIndex()
    return [model.index(r, 0, parent).data() for r in range(model.rowCount(parent))]


def test_grouped_view_with_counts_filter_and_choice(qtbot, window: MainWindow, settle, sessions_db):
    settle(lambda: window.controller.open_database(sessions_db))
    pane = window.thread_pane
    button = pane.findChild(QToolButton, "groupThreads")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    view = pane.findChild(QTreeView, "threadGroups")
    qtbot.waitUntil(lambda: view.isVisible() and view.model().rowCount() == 3, timeout=TIMEOUT)
    assert not pane.list_view.isVisible()
    assert rows(view) == ["scratch", "user-42 · 3 threads", "user-7 · 1 thread"]
    user42 = view.model().index(1, 0)
    assert rows(view, user42) == ["user-42-session-c", "user-42-session-b", "user-42-session-a"]
    assert pane.count_label.text() == "5 threads in 3 groups"

    # Expand user-42 with the mouse (its branch arrow) and choose a session.
    rect = view.visualRect(user42)
    arrow = QPoint(rect.left() - view.indentation() // 2, rect.center().y())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=arrow)
    qtbot.waitUntil(lambda: view.isExpanded(user42), timeout=TIMEOUT)
    session = view.model().index(2, 0, user42)
    with qtbot.waitSignal(window.controller.settled, timeout=TIMEOUT):
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(session).center()
        )
    assert window.controller.thread_id == "user-42-session-a"

    qtbot.keyClicks(pane.filter_edit, "user_id=7")
    qtbot.waitUntil(lambda: rows(view) == ["user-7 · 1 thread"], timeout=TIMEOUT)

    pane.filter_edit.clear()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert pane.list_view.isVisible() and not view.isVisible()
