"""The JSON editor validates as the user types and round-trips values."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit
from pytestqt.qtbot import QtBot

from desktop.ui.render.markup import JSON_COLORS
from desktop.ui.widgets.json_editor import JsonEditor

VALUE = {
    "messages": [{"type": "human", "content": "Grüße, «world»", "id": None}],
    "count": 3,
    "ratio": 0.5,
    "done": False,
}


@pytest.fixture
def editor(qtbot: QtBot) -> JsonEditor:
    widget = JsonEditor()
    qtbot.addWidget(widget)
    widget.resize(500, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def type_at_end(qtbot: QtBot, edit: QPlainTextEdit, text: str) -> None:
    edit.setFocus()
    edit.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(edit, text)


def test_set_value_round_trips_as_pretty_json(editor: JsonEditor) -> None:
    editor.set_value(VALUE)
    assert editor.is_valid and editor.error is None
    assert editor.value() == VALUE
    lines = editor.findChild(QPlainTextEdit, "jsonText").toPlainText().splitlines()
    assert lines[0] == "{"
    assert lines[1] == '  "messages": ['
    assert '"content": "Grüße, «world»"' in lines[4]
    assert not editor.findChild(QLabel, "jsonError").isVisible()


def test_typing_invalid_json_shows_line_and_column(qtbot: QtBot, editor: JsonEditor) -> None:
    editor.set_value({"a": 1})
    edit = editor.findChild(QPlainTextEdit, "jsonText")
    error = editor.findChild(QLabel, "jsonError")
    with qtbot.waitSignal(editor.valid_changed) as blocker:
        type_at_end(qtbot, edit, "x")
    assert blocker.args == [False]
    assert not editor.is_valid
    assert error.isVisible()
    assert error.text() == "Line 3, column 2: Extra data"
    with pytest.raises(ValueError, match="Line 3, column 2"):
        editor.value()
    marked = edit.extraSelections()
    assert len(marked) == 1 and marked[0].cursor.blockNumber() == 2


def test_fixing_the_text_emits_valid_again(qtbot: QtBot, editor: JsonEditor) -> None:
    editor.set_text('{\n  "a": 1\n  "b": 2\n}')
    error = editor.findChild(QLabel, "jsonError")
    assert error.text() == "Line 3, column 3: Expecting ',' delimiter"
    edit = editor.findChild(QPlainTextEdit, "jsonText")
    cursor = edit.textCursor()
    cursor.setPosition(edit.document().findBlockByNumber(1).position() + len('  "a": 1'))
    edit.setTextCursor(cursor)
    with qtbot.waitSignal(editor.valid_changed) as blocker:
        qtbot.keyClicks(edit, ",")
    assert blocker.args == [True]
    assert not error.isVisible()
    assert edit.extraSelections() == []
    assert editor.value() == {"a": 1, "b": 2}


def test_empty_text_is_invalid_with_a_hint(editor: JsonEditor) -> None:
    assert not editor.is_valid
    assert editor.findChild(QLabel, "jsonError").text() == "Enter a JSON value"
    with pytest.raises(ValueError, match="Enter a JSON value"):
        editor.value()


def test_tab_indents_two_spaces_and_enter_keeps_indentation(
    qtbot: QtBot, editor: JsonEditor
) -> None:
    edit = editor.findChild(QPlainTextEdit, "jsonText")
    edit.setFocus()
    qtbot.keyClicks(edit, "{")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, '"a": [')
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, "1")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClick(edit, Qt.Key.Key_Backtab)
    qtbot.keyClicks(edit, "]")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClick(edit, Qt.Key.Key_Backtab)
    qtbot.keyClicks(edit, "}")
    assert edit.toPlainText() == '{\n  "a": [\n    1\n  ]\n}'
    assert editor.value() == {"a": [1]}
    edit.moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.keyClick(edit, Qt.Key.Key_Tab)
    assert edit.toPlainText().startswith("  {\n")
    assert edit.hasFocus()


def test_keys_strings_and_literals_are_coloured(editor: JsonEditor) -> None:
    editor.set_text('{"key": "text", "n": 12, "ok": true}')
    block = editor.findChild(QPlainTextEdit, "jsonText").document().firstBlock()
    text = block.text()
    colours = {
        text[r.start : r.start + r.length]: r.format.foreground().color().name()
        for r in block.layout().formats()
    }
    assert colours['"key"'] == JSON_COLORS["key"]
    assert colours['"text"'] == JSON_COLORS["string"]
    assert colours["12"] == JSON_COLORS["number"]
    assert colours["true"] == JSON_COLORS["keyword"]
    assert colours["{"] == JSON_COLORS["punctuation"]
