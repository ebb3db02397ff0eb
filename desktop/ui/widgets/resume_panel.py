"""The resume panel: answer a thread's pending interrupts, or continue a run that stopped.

Shown above the run panel for the selected thread when its latest checkpoint is not
finished. For interrupts it shows each payload (pretty JSON, with a ``question`` field
pulled out), the node that asked and the interrupt id, and takes one value per
interrupt, as text or JSON; Resume emits the value langgraph expects (the value itself
for one interrupt, a mapping of interrupt id to value for several). For a run that
stopped mid-way (killed, cancelled, failed, static breakpoint) it says which nodes are
next and offers Continue. Hidden when the thread finished.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QEvent, QObject, QSizeF, Qt, Signal
from PySide6.QtGui import QFontDatabase, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import RewindError
from desktop.ui.render.markup import render_json_html
from desktop.ui.widgets.elided_label import ElidedLabel, WrappedLabel
from desktop.ui.widgets.state_view import make_document_browser

if TYPE_CHECKING:
    from desktop.core.progress import WaitingInterrupt
    from desktop.core.run_status import ThreadStatus

PAYLOAD_MAX_HEIGHT: Final = 110
PAYLOAD_MIN_LINES: Final = 2
"""Lines of the payload that stay visible however short the window is."""
VALUE_LINES: Final = 3
BUTTON_MIN_WIDTH: Final = 110
STYLE = """
#resumePanel {
    background: @interrupted_bg; border: 1px solid @interrupted_border; border-radius: 8px;
}
#resumePanel[condition="crashed"], #resumePanel[condition="error"] {
    background: @severe_bg; border-color: @severe_border;
}
#resumePanel[condition="forked"] { background: @subgraph_bg; border-color: @subgraph_border; }
#resumePanel[condition="stopped"] { background: @canvas; border-color: @border; }
#resumeTitle { font-weight: 600; font-size: 13px; color: @interrupted_title; }
#resumeDetail { color: @text_muted; }
#interruptCard { background: @background; border: 1px solid @border; border-radius: 6px; }
#interruptHeader { color: @text_muted; }
#interruptQuestion { font-weight: 600; }
#interruptPayload { border: none; background: @canvas; border-radius: 4px; }
#resumeValue { background: @background; }
#resumeError {
    color: @error_text; background: @error_bg; border: 1px solid @error_bg_strong;
    border-radius: 6px; padding: 5px 8px;
}
"""
"""Rules of this widget, part of the application stylesheet (``app.apply_theme``)."""


class InterruptCard(QFrame):
    """One pending interrupt: who asked, its payload, and the value to answer with."""

    submit = Signal()
    """Ctrl+Enter in the value box."""

    def __init__(self, item: WaitingInterrupt, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("interruptCard")
        self.interrupt_id = item.id
        header = ElidedLabel(
            f"node {item.node} · interrupt id {item.id}", self, mode=Qt.TextElideMode.ElideMiddle
        )
        header.setObjectName("interruptHeader")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(header)
        question, rest = _split_question(item.value)
        if question:
            label = WrappedLabel(question, self, min_lines=2)
            label.setObjectName("interruptQuestion")
            layout.addWidget(label)
        if rest is not None:
            self.payload: QTextBrowser | None = make_document_browser("interruptPayload", self)
            self.payload.setHtml(render_json_html(rest))
            self.payload.document().setDocumentMargin(6)
            lines = json.dumps(rest, indent=2, ensure_ascii=False).count("\n") + 1
            mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
            height = QFontMetrics(mono).lineSpacing() * lines + 16
            self._size_payload(height)
            self.payload.document().documentLayout().documentSizeChanged.connect(self._fit_payload)
            layout.addWidget(self.payload)
        else:
            self.payload = None
        self.value_edit = QPlainTextEdit(self)
        self.value_edit.setObjectName("resumeValue")
        self.value_edit.setTabChangesFocus(True)
        self.value_edit.installEventFilter(self)
        line = self.value_edit.fontMetrics().lineSpacing()
        self.value_edit.setFixedHeight(line * VALUE_LINES + 14)
        self.json_box = QCheckBox("JSON", self)
        self.json_box.setObjectName("resumeJson")
        self.json_box.setToolTip("Send the value as JSON (a number, object, list…) instead of text")
        self.json_box.toggled.connect(self._placeholder)
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.value_edit, 1)
        row.addWidget(self.json_box, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        self._placeholder()

    def _fit_payload(self, size: QSizeF) -> None:
        """Show the whole payload as laid out (long strings wrap), up to a maximum height."""
        if self.payload is not None:
            self._size_payload(math.ceil(size.height()) + 2 * self.payload.frameWidth())

    def _size_payload(self, height: int) -> None:
        """As tall as the payload (up to a maximum), but free to shrink to a few
        scrollable lines when the window is short, so the answer box never covers it."""
        if self.payload is None:
            return
        self.payload.setMaximumHeight(min(height, PAYLOAD_MAX_HEIGHT))
        lines = self.payload.fontMetrics().lineSpacing() * PAYLOAD_MIN_LINES + 16
        self.payload.setMinimumHeight(min(height, lines, PAYLOAD_MAX_HEIGHT))

    def text(self) -> str:
        """What the user typed for this interrupt."""
        return self.value_edit.toPlainText()

    def as_json(self) -> bool:
        """True when the value is to be parsed as JSON."""
        return self.json_box.isChecked()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.value_edit and isinstance(event, QKeyEvent):
            enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
            if event.type() == QEvent.Type.KeyPress and enter and ctrl:
                self.submit.emit()
                return True
        return super().eventFilter(watched, event)

    def _placeholder(self) -> None:
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        if self.json_box.isChecked():
            self.value_edit.setFont(mono)
            self.value_edit.setPlaceholderText('Value as JSON, e.g. {"approved": true}')
        else:
            self.value_edit.setFont(self.font())
            self.value_edit.setPlaceholderText("Your answer, sent as text  (Ctrl+Enter resumes)")


class ResumePanel(QFrame):
    """Resume a thread's interrupts or continue its stopped run; hidden when it finished.

    Feed it with :meth:`show_status` (``run_status.thread_status`` of the selected thread,
    or ``None`` when there is no thread or no graph). Intents only: it never runs.
    """

    resume_requested = Signal(str, object)
    """``(thread_id, value)``: resume with ``Command(resume=value)``."""

    continue_requested = Signal(str)
    """``thread_id``: continue the stopped run from its latest checkpoint (no value)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resumePanel")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._status: ThreadStatus | None = None
        self.cards: list[InterruptCard] = []

        self.title = WrappedLabel("", self)
        self.title.setObjectName("resumeTitle")
        self.detail = WrappedLabel("", self)
        self.detail.setObjectName("resumeDetail")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cards_host = QWidget(self)
        self.cards_host.setObjectName("interruptCards")
        self.cards_layout = QVBoxLayout(self.cards_host)
        self.cards_layout.setContentsMargins(0, 0, 0, 0)
        self.cards_layout.setSpacing(6)
        self.error = QLabel(self)
        self.error.setObjectName("resumeError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.hide()
        self.resume_button = QPushButton("Resume", self)
        self.resume_button.setObjectName("resumeButton")
        self.resume_button.setDefault(True)
        self.resume_button.clicked.connect(self._resume)
        self.continue_button = QPushButton("Continue", self)
        self.continue_button.setObjectName("continueButton")
        self.continue_button.setDefault(True)
        self.continue_button.clicked.connect(self._continue)
        for button in (self.resume_button, self.continue_button):
            button.setMinimumWidth(BUTTON_MIN_WIDTH)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.continue_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addWidget(self.cards_host)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.hide()

    @property
    def status(self) -> ThreadStatus | None:
        """The status shown, or None when hidden."""
        return self._status

    @property
    def condition(self) -> str:
        """``interrupted``, ``forked``, ``stopped`` (by the user), ``crashed``, ``error`` or
        ``finished`` (also when no status)."""
        return str(self.property("condition") or "finished")

    def show_status(self, status: ThreadStatus | None) -> None:
        """Show what the thread waits for; hide the panel when it finished (or is None).

        Showing the status already shown keeps what the user typed.
        """
        if status is not None and status == self._status:
            return
        condition = "finished"
        if status is not None:
            from desktop.core.run_status import detect_unfinished

            condition = detect_unfinished(status)
        self._status = status if condition != "finished" else None
        self.setProperty("condition", condition)
        self.style().unpolish(self)
        self.style().polish(self)
        self._clear_cards()
        self.error.hide()
        if self._status is None:
            self.hide()
            return
        interrupted = condition == "interrupted"
        self.resume_button.setVisible(interrupted)
        self.continue_button.setVisible(not interrupted)
        self.cards_host.setVisible(interrupted)
        if interrupted:
            self._show_interrupts(self._status)
        else:
            self._show_stopped(self._status, condition)
        self.show()

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while a run is going (the run's outcome brings a new status)."""
        self.resume_button.setEnabled(not busy)
        self.continue_button.setEnabled(not busy)

    def resume_value(self) -> Any:
        """The resume value for what was typed; :class:`RewindError` when it is not valid."""
        from desktop.core.inputs import resume_value_from_inputs

        if self._status is None:
            raise RewindError("Nothing to resume: the thread is not waiting for a value")
        texts = {card.interrupt_id: card.text() for card in self.cards}
        as_json = {card.interrupt_id: card.as_json() for card in self.cards}
        return resume_value_from_inputs(self._status.interrupts, texts, as_json)

    def _show_interrupts(self, status: ThreadStatus) -> None:
        count = len(status.interrupts)
        nodes = ", ".join(dict.fromkeys(item.node for item in status.interrupts))
        self.title.setText(
            f"Waiting for input at {nodes}"
            if count == 1
            else f"Waiting for {count} answers ({nodes})"
        )
        self.detail.setText(
            "Answer, then Resume to continue the run"
            + (": one value per interrupt." if count > 1 else ".")
        )
        for item in status.interrupts:
            card = InterruptCard(item, self.cards_host)
            card.submit.connect(self._resume)
            self.cards_layout.addWidget(card)
            self.cards.append(card)
        self.cards[0].value_edit.setFocus()

    def _show_stopped(self, status: ThreadStatus, condition: str) -> None:
        from desktop.ui.controllers.explain import situation

        said = situation(status)
        self.title.setText(said.title)
        self.detail.setText(said.detail)
        if said.kind != condition:
            self.setProperty("condition", said.kind)
            self.style().unpolish(self)
            self.style().polish(self)

    def _resume(self) -> None:
        if self._status is None or not self.resume_button.isEnabled():
            return
        try:
            value = self.resume_value()
        except RewindError as error:
            self.error.setText(str(error))
            self.error.show()
            return
        self.error.hide()
        self.resume_requested.emit(self._status.thread_id, value)

    def _continue(self) -> None:
        if self._status is not None and self.continue_button.isEnabled():
            self.continue_requested.emit(self._status.thread_id)

    def _clear_cards(self) -> None:
        while self.cards_layout.count():
            widget = self.cards_layout.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.cards = []


def _split_question(value: Any) -> tuple[str | None, Any]:
    """A ``question``/``message`` string pulled out of a payload, and what remains to show."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict):
        for key in ("question", "message", "prompt"):
            text = value.get(key)
            if isinstance(text, str):
                rest = {k: v for k, v in value.items() if k != key}
                return text, rest or None
    return None, value
