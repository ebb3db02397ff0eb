"""Database > Search thread states…: text in each thread's latest state, caseless,
found in the background, cancellable; checked against LangGraph's ``get_state``."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QMenu, QPushButton, QWidget

from desktop.core.sources import open_source
from desktop.core.state_search import match_thread
from desktop.ui.main_window import MainWindow
from tests.builders import open_saver, thread_config, tool_agent_graph

TIMEOUT = 30_000


def open_search(qtbot, window: MainWindow) -> QWidget:
    bar = window.menuBar()
    menu = window.findChild(QMenu, "databaseMenu")
    qtbot.mouseClick(
        bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(menu.menuAction()).center()
    )
    qtbot.waitUntil(menu.isVisible, timeout=TIMEOUT)
    action = window.housekeeping.search_action
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    dialog = window.findChild(QWidget, "stateSearchDialog")
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=TIMEOUT)
    return dialog


def langgraph_threads_containing(path, thread_ids, needle: str) -> set[str]:
    found = set()
    with open_saver(path) as saver:
        graph = tool_agent_graph(saver)
        for thread_id in thread_ids:
            values = graph.get_state(thread_config(thread_id)).values
            text = json.dumps(
                {
                    k: [m.model_dump() for m in v] if k == "messages" else v
                    for k, v in values.items()
                },
                ensure_ascii=False,
                default=str,
            )
            if needle.casefold() in text.casefold():
                found.add(thread_id)
    return found


def test_search_finds_text_in_the_latest_state(qtbot, window: MainWindow, settle, agent_db):
    settle(lambda: window.controller.open_database(agent_db.path))
    dialog = open_search(qtbot, window)
    search = window.housekeeping.search
    field = dialog.findChild(QWidget, "stateSearchText")
    qtbot.keyClicks(field, "SLEET")
    with qtbot.waitSignal(search.finished, timeout=TIMEOUT) as done:
        qtbot.keyClick(field, Qt.Key.Key_Return)
    assert done.args == [True, 1]
    results = dialog.findChild(QListWidget, "stateSearchResults")
    found = {results.item(i).data(Qt.ItemDataRole.UserRole + 1) for i in range(results.count())}
    assert found == langgraph_threads_containing(agent_db.path, agent_db.thread_ids, "sleet")
    assert "sleet" in results.item(0).text()

    if window.controller.thread_id != "agent-math":
        settle(lambda: window.controller.select_thread("agent-math"))
    item = results.item(0)
    results.scrollToItem(item)
    qtbot.mouseClick(
        results.viewport(), Qt.MouseButton.LeftButton, pos=results.visualItemRect(item).center()
    )
    assert results.currentItem() is item
    with qtbot.waitSignal(window.controller.settled, timeout=TIMEOUT):
        qtbot.keyClick(results, Qt.Key.Key_Return)
    assert window.controller.thread_id == "agent-weather"


def test_search_can_be_cancelled(qtbot, window: MainWindow, settle, many_threads_db):
    settle(lambda: window.controller.open_database(many_threads_db.path))
    dialog = open_search(qtbot, window)
    search = window.housekeeping.search
    qtbot.keyClicks(dialog.findChild(QWidget, "stateSearchText"), "no such text")
    with qtbot.waitSignal(search.progress, timeout=TIMEOUT):
        qtbot.mouseClick(
            dialog.findChild(QPushButton, "stateSearchStart"), Qt.MouseButton.LeftButton
        )
    cancel = dialog.findChild(QPushButton, "stateSearchCancel")
    assert cancel.isEnabled()
    with qtbot.waitSignal(search.finished, timeout=TIMEOUT) as done:
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert done.args[0] is False
    bar = dialog.findChild(QWidget, "stateSearchProgress")
    assert 0 < bar.value() < len(many_threads_db.thread_ids)
    assert dialog.findChild(QWidget, "stateSearchStatus").text().startswith("Cancelled")


def test_match_thread_agrees_with_get_state(agent_db):
    for needle in ("Paris", "oslo", "42", "not in any state"):
        with open_source(str(agent_db.path)) as source:
            found = {t for t in agent_db.thread_ids if match_thread(source, t, needle)}
        assert found == langgraph_threads_containing(agent_db.path, agent_db.thread_ids, needle)
