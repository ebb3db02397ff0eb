"""New thread shows an empty thread: no timeline, state, output, banner or status of the
thread shown before; the first run then fills it from what LangGraph saved."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTextBrowser

from desktop.ui.main_window import MainWindow
from desktop.ui.run_request import INTERRUPTED
from tests.ui.test_live_run import (
    click_run,
    graph_state,
    open_demo,
    output_text,
    panel,
    selected_thread,
    type_input,
)
from tests.ui.test_time_travel import stored_keys, timeline_keys


def test_new_thread_clears_the_window_then_runs_into_it(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    db = open_demo(qtbot, window, settle, monkeypatch, "0")
    settle(lambda: window.controller.select_thread("demo-calculator"))
    qtbot.waitUntil(lambda: window.controller.thread_status is not None, timeout=10_000)
    window.show_notice("a banner about demo-calculator")
    assert window.controller.timeline_model.rowCount() > 0

    run_panel = panel(window)
    qtbot.mouseClick(run_panel.new_thread_button, Qt.MouseButton.LeftButton)
    new_id = run_panel.thread_id
    assert new_id and new_id != "demo-calculator"
    assert window.controller.timeline_model.rowCount() == 0
    assert window.controller.thread_id is None and window.controller.selected_key is None
    assert not window.resume_panel.isVisible()
    assert not window.banner.isVisible()
    assert window.run_status_label.text() == ""
    assert output_text(window) == ""
    assert selected_thread(window) is None
    assert window.timeline_title.text() == f"{new_id} · new thread, no checkpoints yet"
    state = window.findChild(QTextBrowser, "stateText")
    assert state.toPlainText() == "" and new_id in state.placeholderText()
    assert run_panel.input.hasFocus()

    type_input(qtbot, window, "What is 12 * 49?")
    assert click_run(qtbot, window) == (new_id, INTERRUPTED)
    qtbot.waitUntil(lambda: window.controller.thread_id == new_id, timeout=10_000)
    snapshot = graph_state("demo", db, new_id)
    assert snapshot.next == ("approve",)
    stored = stored_keys(db, new_id)
    assert len(stored) >= 3
    qtbot.waitUntil(lambda: set(timeline_keys(window)) == stored, timeout=10_000)
