"""The input form's fields other than the message box: one editor per input key.

Text keys get a line edit, numbers a line edit that accepts only numbers, booleans a
three-state check box ("not sent", true, false), enums a drop-down, anything else a small
JSON box. An empty field is not sent. The run panel owns the message box and the raw
JSON mode; this widget only holds the other fields (:mod:`desktop.core.input_form`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDoubleValidator, QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QWidget,
)

from desktop.core.errors import RewindError
from desktop.core.input_form import InputField
from desktop.ui.widgets.json_editor import JsonEditor

NOT_SENT = "not sent"
VISIBLE_ROWS = 3
"""Rows shown before the form scrolls (it never grows the run panel more than this)."""


class InputForm(QScrollArea):
    """Editors for the input fields other than ``messages``; scrolls past a few rows."""

    changed = Signal()
    """Something was typed or chosen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inputForm")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self._fields: tuple[InputField, ...] = ()
        self.editors: dict[str, QWidget] = {}
        self._body = QWidget(self)
        self._form = QFormLayout(self._body)
        self._form.setContentsMargins(0, 0, 0, 0)
        self._form.setVerticalSpacing(4)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.setWidget(self._body)
        self.hide()

    @property
    def fields(self) -> tuple[InputField, ...]:
        """The fields shown (messages excluded)."""
        return self._fields

    def set_fields(self, fields: Sequence[InputField], rows: int = VISIBLE_ROWS) -> None:
        """Show an editor per field (``messages`` fields are the run panel's); at most
        ``rows`` rows are visible at once, the rest scroll."""
        while self._form.rowCount():
            self._form.removeRow(0)
        self.editors = {}
        self._fields = tuple(f for f in fields if f.kind != "messages")
        for field in self._fields:
            editor = self._editor(field)
            editor.setObjectName(f"inputField-{field.name}")
            tip = field.description or f"{field.name} ({field.kind}); empty: not sent"
            editor.setToolTip(tip)
            label = QLabel(field.name, self._body)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setToolTip(tip)
            label.setBuddy(editor)
            self._form.addRow(label, editor)
            self.editors[field.name] = editor
        self._body.adjustSize()
        row = max((e.sizeHint().height() for e in self.editors.values()), default=0) + 4
        shown = min(len(self._fields), rows)
        self.setMaximumHeight(row * shown + 2)
        self.setMinimumHeight(min(row, self.maximumHeight()) if self._fields else 0)

    def sizeHint(self) -> QSize:
        """Room for every row up to the visible limit; the layout may give it less (down to
        one row) in a short window, and it scrolls."""
        return QSize(super().sizeHint().width(), self.maximumHeight() if self._fields else 0)

    def entries(self) -> dict[str, Any]:
        """Each field's value (None when empty); :class:`RewindError` for a field whose text
        is not a value of its kind (one line naming the field)."""
        return {field.name: self._read(field) for field in self._fields}

    def set_entries(self, entries: Mapping[str, Any]) -> None:
        """Fill every field from ``entries`` (a field not named is emptied)."""
        for field in self._fields:
            self._write(field, entries.get(field.name))

    def clear_entries(self) -> None:
        self.set_entries({})

    # -- internals -------------------------------------------------------------------------

    def _editor(self, field: InputField) -> QWidget:
        body = self._body
        if field.kind == "boolean":
            box = QCheckBox(NOT_SENT, body)
            box.setTristate(True)
            box.setCheckState(Qt.CheckState.PartiallyChecked)
            # as wide as its box and text: a wide check box would ignore clicks past them
            box.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
            box.checkStateChanged.connect(lambda state: self._bool_changed(box, state))
            return box
        if field.kind == "choice":
            combo = QComboBox(body)
            combo.addItem(NOT_SENT, None)
            for choice in field.choices:
                combo.addItem(str(choice), choice)
            combo.currentIndexChanged.connect(self.changed)
            return combo
        if field.kind == "json":
            editor = JsonEditor(body, optional=True)
            editor.edit.setFixedHeight(editor.edit.fontMetrics().lineSpacing() + 14)
            editor.edit.setTabChangesFocus(True)
            editor.edit.setPlaceholderText("JSON")
            editor.edit.textChanged.connect(self.changed)
            return editor
        line = QLineEdit(body)
        if field.kind == "integer":
            line.setValidator(QIntValidator(line))
            line.setPlaceholderText("whole number")
        elif field.kind == "number":
            validator = QDoubleValidator(line)
            validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
            line.setValidator(validator)
            line.setPlaceholderText("number")
        line.textChanged.connect(self.changed)
        return line

    def _bool_changed(self, box: QCheckBox, state: Qt.CheckState) -> None:
        texts = {Qt.CheckState.Checked: "true", Qt.CheckState.Unchecked: "false"}
        box.setText(texts.get(state, NOT_SENT))
        self.changed.emit()

    def _read(self, field: InputField) -> Any:
        editor = self.editors[field.name]
        if isinstance(editor, QCheckBox):
            state = editor.checkState()
            return (
                None if state == Qt.CheckState.PartiallyChecked else state == Qt.CheckState.Checked
            )
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, JsonEditor):
            if not editor.is_valid:
                raise RewindError(f"{field.name}: {editor.error}{_quote_hint(editor.text())}")
            return editor.value()
        assert isinstance(editor, QLineEdit)
        text = editor.text()
        if field.kind == "text" or not text.strip():
            return text or None
        try:
            return int(text) if field.kind == "integer" else float(text.replace(",", "."))
        except ValueError:
            kind = "a whole number" if field.kind == "integer" else "a number"
            raise RewindError(f"{field.name}: {text!r} is not {kind}") from None

    def _write(self, field: InputField, value: Any) -> None:
        editor = self.editors[field.name]
        if isinstance(editor, QCheckBox):
            states = {True: Qt.CheckState.Checked, False: Qt.CheckState.Unchecked}
            editor.setCheckState(states.get(value, Qt.CheckState.PartiallyChecked))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(value)) if value is not None else 0)
        elif isinstance(editor, JsonEditor):
            editor.set_text("" if value is None else json.dumps(value, ensure_ascii=False))
        else:
            assert isinstance(editor, QLineEdit)
            editor.setText("" if value is None else str(value))


def _quote_hint(text: str) -> str:
    """For words typed in a JSON field (a key whose type is unknown takes JSON): how to
    give them as a JSON string; nothing for text that starts like JSON."""
    words = text.strip()
    if not words or words[0] in '{["-.0123456789' or "\n" in words:
        return ""
    quoted = json.dumps(words, ensure_ascii=False)
    if len(quoted) > 32:
        return '; text goes in "double quotes"'
    return f"; text goes in double quotes: {quoted}"
