"""The run panel on its own: what it enables, validates and emits."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt

from desktop.ui.widgets.run_panel import NO_GRAPH_HINT, RunPanel, default_thread_id


@pytest.fixture
def run_panel(qtbot) -> RunPanel:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


@pytest.fixture
def attached(run_panel: RunPanel) -> RunPanel:
    run_panel.set_graph("sample", "Graph: sample · tests/data/sample_graph.py:graph")
    run_panel.set_thread("thread-1")
    return run_panel


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_default_thread_id_names_the_graph_and_the_time() -> None:
    when = datetime(2025, 3, 4, 5, 6, 7)
    assert default_thread_id("demo", when) == "demo-20250304-050607"
    assert default_thread_id("my agent", when) == "my-agent-20250304-050607"
    assert default_thread_id("  ", when) == "thread-20250304-050607"


def test_without_a_graph_everything_is_disabled_with_a_hint(qtbot, run_panel: RunPanel) -> None:
    assert run_panel.objectName() == "runPanel"
    for widget in (
        run_panel.run_button,
        run_panel.stop_button,
        run_panel.new_thread_button,
        run_panel.input,
        run_panel.json_toggle,
        run_panel.thread_edit,
    ):
        assert not widget.isEnabled(), widget.objectName()
    assert run_panel.toolTip() == NO_GRAPH_HINT
    assert "--graph module:attr" in NO_GRAPH_HINT and "--config langgraph.json" in NO_GRAPH_HINT
    assert run_panel.graph_label.text() == "No graph attached · inspection only"
    with qtbot.assertNotEmitted(run_panel.run_requested):
        run_panel.request_run()


def test_text_becomes_a_user_message(qtbot, attached: RunPanel) -> None:
    assert attached.run_button.isEnabled() and not attached.stop_button.isEnabled()
    qtbot.keyClicks(attached.input, "What is 12 * 49?")
    with qtbot.waitSignal(attached.run_requested) as emitted:
        click(qtbot, attached.run_button)
    assert emitted.args == [
        "thread-1",
        {"messages": [{"role": "user", "content": "What is 12 * 49?"}]},
        False,
    ]


def test_ctrl_enter_runs_and_values_toggle_is_passed(qtbot, attached: RunPanel) -> None:
    click(qtbot, attached.values_toggle)
    qtbot.keyClicks(attached.input, "hello")
    with qtbot.waitSignal(attached.run_requested) as emitted:
        qtbot.keyClick(attached.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert emitted.args[2] is True
    assert attached.input.toPlainText() == "hello", "Ctrl+Enter must not insert a newline"
    qtbot.keyClick(attached.input, Qt.Key.Key_Return)
    assert attached.input.toPlainText() == "hello\n", "plain Enter still types a newline"


def test_empty_input_continues_the_thread(qtbot, attached: RunPanel) -> None:
    with qtbot.waitSignal(attached.run_requested) as emitted:
        click(qtbot, attached.run_button)
    assert emitted.args == ["thread-1", None, False]


def test_json_input_is_validated_before_running(qtbot, attached: RunPanel) -> None:
    click(qtbot, attached.json_toggle)
    assert "JSON" in attached.input.placeholderText()
    qtbot.keyClicks(attached.input, '{"name": "Ada",}')
    with qtbot.assertNotEmitted(attached.run_requested):
        click(qtbot, attached.run_button)
    assert attached.error_label.isVisible()
    assert attached.error_label.text().startswith("Input is not valid JSON:")
    assert "line 1, column 16" in attached.error_label.text()

    qtbot.keyClick(attached.input, Qt.Key.Key_Backspace)
    qtbot.keyClick(attached.input, Qt.Key.Key_Backspace)
    qtbot.keyClicks(attached.input, "}")
    assert not attached.error_label.isVisible()
    with qtbot.waitSignal(attached.run_requested) as emitted:
        click(qtbot, attached.run_button)
    assert emitted.args[1] == {"name": "Ada"}


def test_new_thread_fills_an_editable_id(qtbot, attached: RunPanel) -> None:
    click(qtbot, attached.new_thread_button)
    fresh = attached.thread_id
    assert fresh.startswith("sample-") and fresh != "thread-1"
    attached.thread_edit.clear()
    qtbot.keyClicks(attached.thread_edit, "my-thread")
    assert attached.thread_id == "my-thread"
    attached.thread_edit.clear()
    assert not attached.run_button.isEnabled(), "no thread, no run"


def test_running_swaps_run_and_stop(qtbot, attached: RunPanel) -> None:
    attached.set_running(True)
    assert not attached.run_button.isEnabled()
    assert attached.stop_button.isEnabled()
    assert not attached.thread_edit.isEnabled() and not attached.new_thread_button.isEnabled()
    assert attached.input.isEnabled(), "the next message can be typed during a run"
    attached.set_thread("another")
    assert attached.thread_id == "thread-1", "selecting a thread does not retarget a run"
    with qtbot.waitSignal(attached.stop_requested):
        click(qtbot, attached.stop_button)
    with qtbot.assertNotEmitted(attached.run_requested):
        attached.request_run()
    attached.set_running(False)
    assert attached.run_button.isEnabled() and not attached.stop_button.isEnabled()
