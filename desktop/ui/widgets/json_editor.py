"""A JSON text editor that highlights and validates as you type.

Used where the user edits state by hand (the fork editor): a mistake is shown inline
with its line and column the moment it is typed, and :attr:`JsonEditor.valid_changed`
lets the surrounding dialog enable its action only for valid JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QKeyEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from desktop.core.errors import RewindError
from desktop.ui import palette
from desktop.ui.render.markup import JSON_COLORS

INDENT = "  "
"""What Tab inserts, and one level of indentation."""

_TOKENS = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*"?)(?P<colon>\s*:)?'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<keyword>\b(?:true|false|null)\b)"
    r"|(?P<punctuation>[{}\[\],:])"
)
_ERROR_LINE = QColor(palette.ERROR_BG)


class JsonHighlighter(QSyntaxHighlighter):
    """Colours keys, strings, numbers, literals and punctuation like the rendered JSON."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._formats = {}
        for kind in ("key", "string", "number", "keyword", "punctuation"):
            text_format = QTextCharFormat()
            text_format.setForeground(QColor(JSON_COLORS[kind]))
            self._formats[kind] = text_format

    def highlightBlock(self, text: str) -> None:
        for match in _TOKENS.finditer(text):
            kind = match.lastgroup
            if kind == "colon":
                kind = "key"
                start, end = match.span("string")
                self.setFormat(start, end - start, self._formats[kind])
                continue
            start, end = match.span()
            self.setFormat(start, end - start, self._formats[kind])


class _CodeEdit(QPlainTextEdit):
    """Plain text editing with code habits: Tab indents by two spaces, Enter keeps indent."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Tab and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._indent()
            return
        if key == Qt.Key.Key_Backtab:
            self._dedent()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            self._newline()
            return
        super().keyPressEvent(event)

    def _selected_blocks(self) -> list[int]:
        cursor = self.textCursor()
        document = self.document()
        first = document.findBlock(cursor.selectionStart()).blockNumber()
        last = document.findBlock(cursor.selectionEnd()).blockNumber()
        return list(range(first, last + 1))

    def _indent(self) -> None:
        cursor = self.textCursor()
        blocks = self._selected_blocks()
        if len(blocks) == 1:
            cursor.insertText(INDENT)
            return
        cursor.beginEditBlock()
        for number in blocks:
            line = QTextCursor(self.document().findBlockByNumber(number))
            line.insertText(INDENT)
        cursor.endEditBlock()

    def _dedent(self) -> None:
        cursor = self.textCursor()
        cursor.beginEditBlock()
        for number in self._selected_blocks():
            block = self.document().findBlockByNumber(number)
            remove = len(block.text()) - len(block.text().lstrip(" "))
            line = QTextCursor(block)
            line.movePosition(
                QTextCursor.MoveOperation.Right,
                QTextCursor.MoveMode.KeepAnchor,
                min(remove, len(INDENT)),
            )
            line.removeSelectedText()
        cursor.endEditBlock()

    def _newline(self) -> None:
        cursor = self.textCursor()
        before = cursor.block().text()[: cursor.positionInBlock()]
        indent = before[: len(before) - len(before.lstrip(" "))]
        if before.rstrip().endswith(("{", "[")):
            indent += INDENT
        cursor.insertText("\n" + indent)


class JsonEditor(QWidget):
    """Edit a JSON value: monospace, highlighted, validated on every change.

    An invalid text shows "Line L, column C: message" under the editor and marks the
    line; :attr:`valid_changed` fires whenever validity flips. With ``optional`` an
    empty text is valid (its value is None); ``check`` is called with each parsed value
    and raises :class:`RewindError` (or ``ValueError``) with the line to show when the
    JSON is well formed but not acceptable.
    """

    valid_changed = Signal(bool)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        optional: bool = False,
        check: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jsonEditor")
        self.edit = _CodeEdit(self)
        self.edit.setObjectName("jsonText")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.edit.setFont(font)
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.edit.setTabStopDistance(self.edit.fontMetrics().horizontalAdvance(INDENT))
        self.highlighter = JsonHighlighter(self.edit.document())
        self.error_label = QLabel(self)
        self.error_label.setObjectName("jsonError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.error_label)
        self._valid = False
        self._error = "Enter a JSON value"
        self._optional = optional
        self._check = check
        self.edit.textChanged.connect(self._validate)
        self._validate()

    @property
    def is_valid(self) -> bool:
        """True when the text parses as JSON."""
        return self._valid

    @property
    def error(self) -> str | None:
        """Why the text is not valid JSON ("Line 2, column 5: …"), ``None`` when it is."""
        return None if self._valid else self._error

    def set_value(self, value: Any) -> None:
        """Replace the text with ``value`` as pretty JSON (two-space indent)."""
        self.edit.setPlainText(json.dumps(value, indent=len(INDENT), ensure_ascii=False))

    def value(self) -> Any:
        """The parsed value; :class:`ValueError` with the inline message when invalid."""
        if not self._valid:
            raise ValueError(self._error)
        text = self.edit.toPlainText()
        return json.loads(text) if text.strip() else None

    def text(self) -> str:
        """The raw text being edited."""
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        """Replace the raw text (validated like typed text)."""
        self.edit.setPlainText(text)

    def set_check(self, check: Callable[[Any], None] | None) -> None:
        """Replace the acceptance check of parsed values, and validate again."""
        self._check = check
        self._validate()

    def _validate(self) -> None:
        text = self.edit.toPlainText()
        line = None
        if not text.strip():
            valid, message = self._optional, "" if self._optional else "Enter a JSON value"
        else:
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                valid, line = False, exc.lineno
                message = f"Line {exc.lineno}, column {exc.colno}: {exc.msg}"
            else:
                valid, message = True, ""
                try:
                    if self._check is not None:
                        self._check(value)
                except (RewindError, ValueError) as exc:
                    valid, message = False, str(exc)
        self._error = message
        self.error_label.setText(message)
        self.error_label.setVisible(not valid)
        self._mark_line(line)
        if valid != self._valid:
            self._valid = valid
            self.valid_changed.emit(valid)

    def _mark_line(self, line: int | None) -> None:
        if line is None:
            self.edit.setExtraSelections([])
            return
        block = self.edit.document().findBlockByNumber(line - 1)
        selection = QTextEdit.ExtraSelection()
        mark = QTextCharFormat()
        mark.setBackground(_ERROR_LINE)
        mark.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection.format = mark
        selection.cursor = QTextCursor(block)
        self.edit.setExtraSelections([selection])
