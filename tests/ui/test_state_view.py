"""The state view shows a rendered checkpoint the way a user reads it, and finds text in it."""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QLineEdit, QTabWidget, QTextBrowser, QToolButton
from pytestqt.qtbot import QtBot

from desktop.core.model import CheckpointState
from desktop.core.sources.sqlite import SqliteCheckpointSource
from desktop.ui.render.state import render_state
from desktop.ui.widgets.state_header import StateHeaderView
from desktop.ui.widgets.state_view import StateView
from tests.builders import AgentDb, ErrorDb, InterruptDb
from tests.ui.test_time_travel import TIMEOUT


def head_state(path: Path, thread_id: str) -> CheckpointState:
    with SqliteCheckpointSource(path) as source:
        return source.load_state(source.history(thread_id)[0])


@pytest.fixture
def view(qtbot: QtBot) -> StateView:
    widget = StateView()
    qtbot.addWidget(widget)
    widget.resize(800, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def click_tab(qtbot: QtBot, view: StateView, title_start: str) -> QTextBrowser:
    tabs = view.findChild(QTabWidget, "stateTabs")
    bar = tabs.tabBar()
    index = next(i for i in range(tabs.count()) if tabs.tabText(i).startswith(title_start))
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert tabs.currentIndex() == index
    return tabs.currentWidget()


def test_messages_tab_shows_roles_contents_and_tool_calls(
    qtbot: QtBot, view: StateView, agent_db: AgentDb
) -> None:
    view.set_rendered(render_state(head_state(agent_db.path, "agent-weather")))
    browser = click_tab(qtbot, view, "Messages")
    assert browser.objectName() == "messagesText"
    assert view.findChild(QTabWidget, "stateTabs").tabText(1) == "Messages (8)"
    text = browser.toPlainText()
    for expected in (
        "Human",
        "What is the weather in Paris?",
        "AI",
        "Checking the weather in Paris.",
        'get_weather({"city": "Paris"})',
        "Tool",
        "18°C and sunny",
        "And in Oslo?",
        "The get_weather tool says: 4°C with sleet.",
    ):
        assert expected in text
    assert text.index("What is the weather in Paris?") < text.index("And in Oslo?")
    header = view.findChild(StateHeaderView, "stateHeader")
    assert header.isVisible()
    assert "Step 8" in header.text() and "thread agent-weather" in header.text()


def test_state_tab_shows_channel_values(qtbot: QtBot, view: StateView, agent_db: AgentDb) -> None:
    view.set_rendered(render_state(head_state(agent_db.path, "agent-math")))
    browser = click_tab(qtbot, view, "State")
    assert browser.objectName() == "stateText"
    text = browser.toPlainText()
    assert text.startswith('"messages": [  4 messages\n')
    assert '"content": "Please add 2 and 40"' in text
    assert '"name": "add"' in text


def test_pending_writes_tab_flags_an_interrupt(
    qtbot: QtBot, view: StateView, interrupt_db: InterruptDb
) -> None:
    view.set_rendered(render_state(head_state(interrupt_db.path, interrupt_db.thread_id)))
    tabs = view.findChild(QTabWidget, "stateTabs")
    assert tabs.tabText(2) == "Writes (1)"
    assert not tabs.tabIcon(2).isNull()
    assert "interrupted" in tabs.tabToolTip(2)
    browser = click_tab(qtbot, view, "Writes")
    assert browser is view.findChild(QTextBrowser, "pendingWritesView")
    text = browser.toPlainText()
    assert "__interrupt__" in text and "interrupt" in text
    assert "review" in text and "Send this reply?" in text
    assert (
        "Interrupted in review: waiting for input"
        in view.findChild(StateHeaderView, "stateHeader").text()
    )


def test_pending_writes_tab_flags_an_error_and_clears_the_flag(
    view: StateView, error_db: ErrorDb, agent_db: AgentDb
) -> None:
    tabs = view.findChild(QTabWidget, "stateTabs")
    view.set_rendered(render_state(head_state(error_db.path, error_db.thread_id)))
    assert not tabs.tabIcon(2).isNull()
    assert "failed" in tabs.tabToolTip(2)
    assert "cannot split 3 items into 0 batches" in view.writes_text.toPlainText()
    view.set_rendered(render_state(head_state(agent_db.path, "agent-math")))
    assert tabs.tabIcon(2).isNull()
    assert tabs.tabText(2) == "Writes (0)"


def test_clear_shows_the_placeholder(view: StateView, agent_db: AgentDb) -> None:
    view.set_rendered(render_state(head_state(agent_db.path, "agent-math")))
    view.clear("Select a checkpoint")
    assert view.rendered is None
    assert not view.findChild(StateHeaderView, "stateHeader").isVisible()
    for name in ("stateText", "messagesText", "pendingWritesView"):
        browser = view.findChild(QTextBrowser, name)
        assert browser.toPlainText() == ""
        assert browser.placeholderText() == "Select a checkpoint"
    assert view.findChild(QTabWidget, "stateTabs").tabText(1) == "Messages"
    assert not view.findChild(QToolButton, "copyJson").isEnabled()


def test_copy_json_puts_the_checkpoint_on_the_clipboard(
    qtbot: QtBot, view: StateView, agent_db: AgentDb
) -> None:
    state = head_state(agent_db.path, "agent-math")
    view.set_rendered(render_state(state))
    button = view.findChild(QToolButton, "copyJson")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert json.loads(QGuiApplication.clipboard().text()) == state.to_json()
    assert button.text() == "Copied"
    qtbot.waitUntil(lambda: button.text() == "Copy JSON", timeout=3000)


def test_ctrl_f_finds_and_steps_through_matches(
    qtbot: QtBot, view: StateView, agent_db: AgentDb
) -> None:
    view.set_rendered(render_state(head_state(agent_db.path, "agent-weather")))
    browser = click_tab(qtbot, view, "Messages")
    browser.setFocus()
    qtbot.keyClick(browser, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    find = view.findChild(QLineEdit, "stateFind")
    assert find.isVisible()
    qtbot.waitUntil(find.hasFocus, timeout=TIMEOUT)
    qtbot.keyClicks(find, "Weather")
    expected = browser.toPlainText().lower().count("weather")
    assert expected >= 4
    count = view.findChild(QLabel, "stateFindCount")
    assert count.text() == f"1 of {expected}"
    selections = browser.extraSelections()
    assert len(selections) == expected
    assert {s.cursor.selectedText().lower() for s in selections} == {"weather"}
    first = browser.textCursor().position()
    qtbot.keyClick(find, Qt.Key.Key_Return)
    assert count.text() == f"2 of {expected}"
    assert browser.textCursor().position() > first
    qtbot.keyClick(find, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert count.text() == f"1 of {expected}"
    qtbot.keyClick(find, Qt.Key.Key_Escape)
    assert not find.isVisible()
    assert browser.extraSelections() == []


def test_find_follows_the_current_tab_and_reports_no_matches(
    qtbot: QtBot, view: StateView, interrupt_db: InterruptDb
) -> None:
    view.set_rendered(render_state(head_state(interrupt_db.path, interrupt_db.thread_id)))
    view.open_find()
    qtbot.keyClicks(view.findChild(QLineEdit, "stateFind"), "Send this reply")
    count = view.findChild(QLabel, "stateFindCount")
    assert count.text() == "No matches"  # the State tab holds the draft, not the question
    writes = click_tab(qtbot, view, "Writes")
    assert count.text() == "1 of 1"
    assert len(writes.extraSelections()) == 1
    assert view.state_text.extraSelections() == []
