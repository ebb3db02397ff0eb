"""Quitting while a run is active asks first (Ctrl+Q pressed on the window, buttons
clicked with the mouse); the stopped run keeps its finished steps, as LangGraph stored
them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from desktop.ui.controller import GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.run_request import STOPPED
from tests.ui.test_time_travel import TIMEOUT, activate, click_row, toolbar_button


def test_quit_during_a_run_asks_and_keep_running_keeps_it(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    settle(window.controller.open_demo)
    monkeypatch.setenv("REWIND_DEMO_TOKEN_DELAY", "0.05")
    window.controller.graph_options = GraphOptions(graph="demo")
    settle(window.controller.attach_graph)
    settle(lambda: window.controller.select_thread("demo-calculator"))
    activate(qtbot, window)
    first = next(
        m for m in window.controller.timeline.by_key.values() if m.step == 0 and not m.checkpoint_ns
    )
    click_row(qtbot, window, settle, first.key)
    runs = window.controller.runs
    qtbot.mouseClick(toolbar_button(window, window.time_travel.replay), Qt.MouseButton.LeftButton)
    assert runs.is_running

    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    box = window.findChild(QMessageBox, "quitWhileRunning")
    qtbot.waitUntil(lambda: box is not None and box.isVisible(), timeout=TIMEOUT)
    assert window.isVisible() and runs.is_running
    assert "demo-calculator" in box.text()
    assert not box.iconPixmap().isNull(), "the dialog shows its icon"
    keep = box.findChild(QPushButton, "quitKeepRunning")
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    assert window.isVisible() and runs.is_running

    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(box.isVisible, timeout=TIMEOUT)
    with qtbot.waitSignal(window.closed, timeout=TIMEOUT):
        qtbot.mouseClick(box.findChild(QPushButton, "quitStopRun"), Qt.MouseButton.LeftButton)
    assert not window.isVisible()
    with qtbot.waitSignal(runs.run_finished, timeout=TIMEOUT) as finished:
        runs.stop()
    assert finished.args[1] == STOPPED


def test_quit_with_no_run_closes_at_once(qtbot, window: MainWindow, settle) -> None:
    settle(window.controller.open_demo)
    activate(qtbot, window)
    with qtbot.waitSignal(window.closed, timeout=TIMEOUT):
        qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert window.findChild(QMessageBox, "quitWhileRunning") is None
