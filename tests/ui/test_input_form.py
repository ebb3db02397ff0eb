"""The run panel's input form (issue 11): a field per key of the graph's input schema, typed
with real keys and clicks, the raw JSON toggle carrying what was typed both ways, and
the run's input read back with LangGraph on the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit

from desktop.ui.main_window import MainWindow
from desktop.ui.run_request import FINISHED
from desktop.ui.widgets.json_editor import JsonEditor
from tests.builders import (
    langgraph_state_after,
    read_saver,
    steps_graph,
    thread_config,
)
from tests.data.plain_typeddict_graph import SCHEMA_FAILS, notes_graph
from tests.data.settings_graphs import form_graph
from tests.ui.test_faults_window import set_thread
from tests.ui.test_live_run import (
    click_run,
    isolated_imports,  # noqa: F401  (fixture)
    open_empty,
    panel,
)

DATA = Path(__file__).resolve().parents[1] / "data"
FORM_SPEC = f"{DATA / 'settings_graphs.py'}:form_app"
STEPS_SPEC = f"{DATA / 'builder_graphs.py'}:steps"
PLAIN_SPEC = f"{DATA / 'plain_typeddict_graph.py'}:notes_app"

TYPED = {
    "messages": [{"role": "user", "content": "hello there"}],
    "topic": "cats",
    "count": 3,
    "temperature": 0.5,
    "strict": True,
    "style": "detailed",
    "tags": ["a", "b"],
}


def editor(window: MainWindow, name: str):
    return panel(window).form.editors[name]


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def fill_form(qtbot, window: MainWindow) -> None:
    run_panel = panel(window)
    qtbot.keyClicks(run_panel.input, "hello there")
    qtbot.keyClicks(editor(window, "topic"), "cats")
    qtbot.keyClicks(editor(window, "count"), "3x")  # the x is refused as it is typed
    qtbot.keyClicks(editor(window, "temperature"), "0.5")
    strict = editor(window, "strict")
    assert isinstance(strict, QCheckBox) and strict.text() == "not sent"
    run_panel.form.ensureWidgetVisible(strict)  # the form shows three rows; scroll to it
    click(qtbot, strict)
    assert strict.text() == "true"
    style = editor(window, "style")
    assert isinstance(style, QComboBox) and style.currentText() == "not sent"
    style.setFocus()
    qtbot.keyClick(style, Qt.Key.Key_End)
    assert style.currentText() == "detailed"
    tags = editor(window, "tags")
    assert isinstance(tags, JsonEditor)
    qtbot.keyClicks(tags.edit, '["a", "b"]')


def test_a_field_per_key_json_toggle_both_ways_and_the_run_gets_it(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path: Path,
    isolated_imports,  # noqa: F811
) -> None:
    db = open_empty(window, settle, tmp_path / "form.sqlite", FORM_SPEC)
    run_panel = panel(window)
    assert run_panel.input.isVisible() and run_panel.form.isVisible()
    assert list(run_panel.form.editors) == [
        "topic", "count", "temperature", "strict", "style", "tags",
    ]  # fmt: skip
    assert isinstance(editor(window, "count"), QLineEdit)
    fill_form(qtbot, window)
    assert editor(window, "count").text() == "3"

    # form -> JSON: the box shows exactly what the form would send
    click(qtbot, run_panel.json_toggle)
    assert run_panel.json_toggle.isChecked() and not run_panel.form.isVisible()
    assert json.loads(run_panel.input.toPlainText()) == TYPED

    # edit as JSON, back to the form: every field shows the edited value
    edited = {**TYPED, "count": 7, "strict": False, "messages": "just text"}
    run_panel.input.selectAll()
    qtbot.keyClicks(run_panel.input, json.dumps(edited))
    click(qtbot, run_panel.json_toggle)
    assert not run_panel.json_toggle.isChecked() and run_panel.form.isVisible()
    assert run_panel.input.toPlainText() == "just text"
    assert editor(window, "count").text() == "7"
    assert editor(window, "strict").text() == "false"
    assert editor(window, "tags").value() == ["a", "b"]

    # JSON the form cannot show: the toggle stays on JSON and says why
    click(qtbot, run_panel.json_toggle)
    run_panel.input.selectAll()
    qtbot.keyClicks(run_panel.input, '{"topic": "x", "extra": 1}')
    click(qtbot, run_panel.json_toggle)
    assert run_panel.json_toggle.isChecked()
    assert run_panel.error_label.text() == "The form has no field for extra; edit it as JSON"
    run_panel.input.selectAll()
    qtbot.keyClicks(run_panel.input, json.dumps(TYPED))
    click(qtbot, run_panel.json_toggle)
    assert not run_panel.json_toggle.isChecked()

    # a field that is not a value of its kind is named inline and nothing runs
    tags = editor(window, "tags")
    tags.edit.selectAll()
    qtbot.keyClicks(tags.edit, "[1,")
    set_thread(qtbot, window, "f1")
    with qtbot.assertNotEmitted(window.controller.runs.run_started):
        click(qtbot, run_panel.run_button)
    assert run_panel.error_label.text().startswith("tags: Line 1, column 4")
    tags.edit.selectAll()
    qtbot.keyClicks(tags.edit, '["a", "b"]')
    assert not run_panel.error_label.isVisible()

    assert click_run(qtbot, window) == ("f1", FINISHED)
    with read_saver(db) as saver:
        values = form_graph(saver).get_state(thread_config("f1")).values
    assert [(m.type, m.content) for m in values["messages"]] == [("human", "hello there")]
    expected = {k: v for k, v in TYPED.items() if k != "messages"}
    assert {k: values[k] for k in expected} == {**expected, "topic": "cats (seen)"}
    assert type(values["count"]) is int and type(values["temperature"]) is float
    assert not run_panel.input.toPlainText() and editor(window, "topic").text() == ""


def test_a_graph_without_messages_shows_only_its_fields(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path: Path,
    isolated_imports,  # noqa: F811
) -> None:
    db = open_empty(window, settle, tmp_path / "steps.sqlite", STEPS_SPEC)
    run_panel = panel(window)
    assert not run_panel.input.isVisible() and list(run_panel.form.editors) == ["value", "log"]
    qtbot.keyClicks(editor(window, "value"), "4")
    qtbot.keyClicks(editor(window, "log").edit, "[]")
    set_thread(qtbot, window, "s1")
    value = editor(window, "value")
    with qtbot.waitSignal(window.controller.runs.run_finished, timeout=20_000) as done:
        qtbot.keyClick(value, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert done.args == ["s1", FINISHED]
    with read_saver(db) as saver:
        state = steps_graph(saver).get_state(thread_config("s1"))
    assert state.values["value"] == ((4 * 2) + 1) ** 2


@pytest.mark.skipif(not SCHEMA_FAILS, reason="pydantic builds a typing.TypedDict schema there")
def test_a_graph_langgraph_has_no_schema_for_gets_a_json_field_per_input_key(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path: Path,
    isolated_imports,  # noqa: F811
) -> None:
    """A plain ``typing.TypedDict`` state: ``get_input_jsonschema()`` raises, and the form
    still has the graph's keys (as JSON values), never the message box it cannot take."""
    db = open_empty(window, settle, tmp_path / "plain.sqlite", PLAIN_SPEC)
    run_panel = panel(window)
    assert not run_panel.input.isVisible() and run_panel.form.isVisible()
    assert list(run_panel.form.editors) == ["question", "notes"]
    question, notes = editor(window, "question"), editor(window, "notes")
    assert isinstance(question, JsonEditor) and isinstance(notes, JsonEditor)
    assert question.isVisible() and notes.isVisible()
    assert "type is unknown" in question.toolTip()

    qtbot.keyClicks(question.edit, "why is the sky blue?")  # text, not a JSON string
    qtbot.keyClicks(notes.edit, '["asked twice"]')
    set_thread(qtbot, window, "p1")
    with qtbot.assertNotEmitted(window.controller.runs.run_started):
        click(qtbot, run_panel.run_button)
    assert run_panel.error_label.text() == (
        "question: Line 1, column 1: Expecting value; "
        'text goes in double quotes: "why is the sky blue?"'
    )
    question.edit.selectAll()
    qtbot.keyClicks(question.edit, '"why is the sky blue?"')

    click(qtbot, run_panel.json_toggle)
    given = {"question": "why is the sky blue?", "notes": ["asked twice"]}
    assert json.loads(run_panel.input.toPlainText()) == given
    assert "question, notes" in run_panel.input.placeholderText()
    assert "messages" not in run_panel.input.placeholderText()
    click(qtbot, run_panel.json_toggle)
    assert question.value() == given["question"] and notes.value() == given["notes"]

    assert click_run(qtbot, window) == ("p1", FINISHED)
    truth = langgraph_state_after(notes_graph, tmp_path / "truth.sqlite", given, "p1")
    with read_saver(db) as saver:
        state = notes_graph(saver).get_state(thread_config("p1"))
    assert state.values == truth.values
    assert state.values["notes"] == ["asked twice", "answered"]
