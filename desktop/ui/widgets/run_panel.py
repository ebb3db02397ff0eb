"""The run panel under the timeline: which thread, what to send, Run and Stop.

The panel validates what the user typed and emits intents; it never runs anything
itself. The input is a form built from the graph's input schema
(:mod:`desktop.core.input_form`): the message box (plain text becomes a user message)
and an editor per other key (:class:`~desktop.ui.widgets.input_form.InputForm`); the
JSON toggle switches to the raw JSON input and back, carrying over what was typed where
the other side can show it. Mistakes are shown inline before anything runs. Without an
attached graph it is disabled and its tooltip says how to attach one.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import RewindError
from desktop.core.input_form import MESSAGES_ONLY, InputField, form_entries, form_input
from desktop.core.run_settings import RunSettings
from desktop.ui.widgets.elided_label import ElidedLabel
from desktop.ui.widgets.input_form import VISIBLE_ROWS, InputForm
from desktop.ui.widgets.json_editor import JsonEditor
from desktop.ui.widgets.overflow_row import OverflowRow

NO_GRAPH_HINT = (
    "Inspection only: no graph is attached. Start Rewind with "
    "`rewind DB --graph module:attr` (or path/to/file.py:attr) or "
    "`rewind DB --config langgraph.json [--graph-id NAME]` to run turns from here."
)
SETTINGS_TIP = (
    "Run settings of this graph: configurable, context, step limit, durability; used by "
    "every Run, Replay, Continue, Resume and fork-continue."
)
TEXT_PLACEHOLDER = "Message to send as the user…  (Ctrl+Enter runs; empty continues the thread)"
JSON_PLACEHOLDER = 'Graph input as JSON, e.g. {"messages": [{"role": "user", "content": "hi"}]}'
KEYS_PLACEHOLDER = "Graph input as JSON: an object of its input keys ({keys})"


def default_thread_id(graph_name: str, now: datetime | None = None) -> str:
    """A new thread id that says what and when: ``<graph-name>-YYYYMMDD-HHMMSS``."""
    stem = "-".join(graph_name.strip().split()) or "thread"
    return f"{stem}-{(now or datetime.now()):%Y%m%d-%H%M%S}"


def parse_input(text: str, *, as_json: bool) -> Any:
    """The graph input for what was typed: a user message, a JSON value, or None (continue).

    Raises :class:`RewindError` with a one-line reason for invalid JSON.
    """
    from desktop.core.inputs import make_input

    if not text.strip():
        return None
    return make_input(json_text=text) if as_json else make_input(text=text)


class RunPanel(QWidget):
    """Thread id, input box, JSON/values toggles, Run/Stop/New thread, graph label."""

    run_requested = Signal(str, object, bool)
    """``(thread_id, graph input or None, stream values)``: the user asked to run."""

    stop_requested = Signal()
    """The user asked to stop the current run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runPanel")
        self._graph_name: str | None = None
        self._running = False
        self._fields: tuple[InputField, ...] = MESSAGES_ONLY

        # Never wider than the pane: elided, the full description in its tooltip.
        self.graph_label = ElidedLabel("", self)
        self.graph_label.setObjectName("runGraphLabel")
        self.thread_edit = QLineEdit(self)
        self.thread_edit.setObjectName("runThread")
        self.thread_edit.setPlaceholderText("thread id")
        self.thread_edit.setToolTip("The thread the next run writes to (editable)")
        self.thread_edit.setClearButtonEnabled(True)
        self.thread_edit.textChanged.connect(self._refresh)
        self.new_thread_button = QPushButton("New thread", self)
        self.new_thread_button.setObjectName("newThreadButton")
        self.new_thread_button.setToolTip("Start a new thread with a fresh id (you can edit it)")
        self.new_thread_button.clicked.connect(self.new_thread)

        self.input = QPlainTextEdit(self)
        self.input.setObjectName("runInput")
        self.input.setPlaceholderText(TEXT_PLACEHOLDER)
        self.input.setTabChangesFocus(True)
        self.input.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.input.setFixedHeight(self.input.fontMetrics().lineSpacing() * 3 + 18)
        self.input.installEventFilter(self)
        self._run_keys: set[QObject] = {self.input}
        self.input.textChanged.connect(self._clear_error)
        self.form = InputForm(self)
        self.form.changed.connect(self._clear_error)

        self.json_toggle = QCheckBox("JSON input", self)
        self.json_toggle.setObjectName("jsonInputToggle")
        self.json_toggle.setToolTip(
            "Edit the input as raw JSON instead of the form (what was typed carries over)"
        )
        self.json_toggle.toggled.connect(self._json_toggled)
        self.values_toggle = QCheckBox("Values", self)
        self.values_toggle.setObjectName("valuesToggle")
        self.values_toggle.setToolTip("Also stream the full state after every step (Values tab)")
        self.settings_button = QPushButton("Settings…", self)
        self.settings_button.setObjectName("runSettingsButton")
        self.settings_button.setToolTip(SETTINGS_TIP)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("runInputError")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Cancel the run; the thread keeps every finished step")
        self.stop_button.clicked.connect(self.stop_requested)
        self.run_button = QPushButton("Run", self)
        self.run_button.setObjectName("runButton")
        self.run_button.setToolTip("Run the graph on the thread (Ctrl+Enter)")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.request_run)

        top = QHBoxLayout()
        top.setSpacing(6)
        thread_label = QLabel("Thread", self)
        thread_label.setObjectName("runThreadLabel")
        top.addWidget(thread_label)
        top.addWidget(self.thread_edit, 1)
        top.addWidget(self.new_thread_button)
        # Options that do not fit a narrow pane fold into a "⋯" pop-up, last first.
        self.options = OverflowRow(self)
        for widget in (self.json_toggle, self.values_toggle, self.settings_button):
            self.options.add(widget)
        bottom = QHBoxLayout()
        bottom.setSpacing(10)
        bottom.addWidget(self.options, 1)
        bottom.addWidget(self.stop_button)
        bottom.addWidget(self.run_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.graph_label)
        layout.addLayout(top)
        layout.addWidget(self.input)
        layout.addWidget(self.form)
        layout.addWidget(self.error_label)
        layout.addLayout(bottom)
        self.set_graph(None)

    # -- state from the controller ---------------------------------------------------------

    @property
    def graph_name(self) -> str | None:
        """Name of the attached graph, or None when running is not possible."""
        return self._graph_name

    @property
    def thread_id(self) -> str:
        """The thread the next run goes to (as typed)."""
        return self.thread_edit.text().strip()

    def set_graph(self, name: str | None, description: str = "", tooltip: str = "") -> None:
        """Attach (or detach, with None) the graph runs use; the label shows ``description``."""
        self._graph_name = name
        if name is None:
            text = description or "No graph attached · inspection only"
            self.setToolTip(tooltip or NO_GRAPH_HINT)
        else:
            text = description or f"Graph: {name}"
            self.setToolTip(tooltip)
        self.graph_label.set_full_text(text, self.toolTip() or text)
        self._refresh()

    @property
    def input_fields(self) -> tuple[InputField, ...]:
        """The fields of the input form (the message box alone when the schema has none)."""
        return self._fields

    def set_input_fields(self, fields: tuple[InputField, ...]) -> None:
        """Build the form for the attached graph's input schema (emptying it)."""
        self._fields = tuple(fields) or MESSAGES_ONLY
        has_box = self._has_message_box()
        self.form.set_fields(self._fields, VISIBLE_ROWS if has_box else VISIBLE_ROWS + 1)
        self._run_keys = {self.input}
        for editor in self.form.editors.values():
            target = editor.edit if isinstance(editor, JsonEditor) else editor
            target.installEventFilter(self)
            self._run_keys.add(target)
        self._show_mode()

    def input_value(self) -> Any:
        """The graph input the form (or the raw JSON) holds; None continues the thread.

        Raises :class:`RewindError` with a one-line reason (bad JSON, a field whose text
        is not a value of its kind)."""
        if self.json_toggle.isChecked():
            return parse_input(self.input.toPlainText(), as_json=True)
        return self._form_value()

    def _form_value(self) -> Any:
        entries = self.form.entries()
        if self._has_message_box():
            entries[self._message_key()] = self.input.toPlainText()
        return form_input(self._fields, entries)

    def set_thread(self, thread_id: str) -> None:
        """Target ``thread_id`` (the thread the user selected), unless a run is going."""
        if not self._running:
            self.thread_edit.setText(thread_id)

    def set_running(self, running: bool) -> None:
        """Between run start and end, Run is disabled and Stop enabled."""
        self._running = running
        self._refresh()

    def show_settings(self, settings: RunSettings) -> None:
        """Say on the Settings… button whether the graph's runs depart from LangGraph's
        defaults (the tooltip lists how)."""
        custom = not settings.is_default
        self.settings_button.setText("Settings ●" if custom else "Settings…")
        self.settings_button.setToolTip(f"{SETTINGS_TIP}\nNow: {settings.describe()}")

    def show_error(self, message: str) -> None:
        """Show ``message`` inline under the input ("" hides it)."""
        self.error_label.setText(message)
        self.error_label.setToolTip(message)
        self.error_label.setVisible(bool(message))

    # -- intents ---------------------------------------------------------------------------

    def new_thread(self) -> None:
        """Fill in a fresh thread id and put the cursor in the input box."""
        if self._graph_name is None:
            return
        self.thread_edit.setText(default_thread_id(self._graph_name))
        self.input.setFocus()

    def request_run(self) -> None:
        """Validate the input and emit :attr:`run_requested` (errors stay inline)."""
        if self._graph_name is None or self._running:
            return
        thread_id = self.thread_id
        if not thread_id:
            self.show_error("Choose a thread, or click New thread")
            return
        try:
            value = self.input_value()
        except RewindError as error:
            self.show_error(str(error))
            return
        self.show_error("")
        self.run_requested.emit(thread_id, value, self.values_toggle.isChecked())

    def clear_input(self) -> None:
        """Empty the input box and the form (after a run was accepted)."""
        self.input.clear()
        self.form.clear_entries()

    # -- internals -------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched in self._run_keys
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.request_run()
            return True
        return super().eventFilter(watched, event)

    def _json_toggled(self, on: bool) -> None:
        """Carry what was typed over to the other side, or stay put and say why not."""
        try:
            if on:
                value = self._form_value()
                text = "" if value is None else json.dumps(value, ensure_ascii=False)
                entries: dict[str, Any] = {}
            else:
                value = parse_input(self.input.toPlainText(), as_json=True)
                entries = form_entries(self._fields, value)
                text = entries.pop(self._message_key(), "") if self._has_message_box() else ""
        except RewindError as error:
            self._set_toggle(not on)
            self.show_error(str(error))
            return
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.input.setFont(fixed if on else self.font())
        self.input.setPlainText(text)
        self.form.set_entries(entries)
        self._show_mode()
        self._clear_error()

    def _set_toggle(self, on: bool) -> None:
        self.json_toggle.blockSignals(True)
        self.json_toggle.setChecked(on)
        self.json_toggle.blockSignals(False)

    def _has_message_box(self) -> bool:
        return any(field.kind == "messages" for field in self._fields)

    def _message_key(self) -> str:
        return next(field.name for field in self._fields if field.kind == "messages")

    def _json_placeholder(self) -> str:
        """The message example for a graph that takes messages, else its keys named."""
        if self._has_message_box() or not self.form.fields:
            return JSON_PLACEHOLDER
        return KEYS_PLACEHOLDER.format(keys=", ".join(f.name for f in self.form.fields))

    def _show_mode(self) -> None:
        raw = self.json_toggle.isChecked()
        self.input.setPlaceholderText(self._json_placeholder() if raw else TEXT_PLACEHOLDER)
        self.input.setVisible(raw or self._has_message_box())
        self.form.setVisible(not raw and bool(self.form.fields))

    def _clear_error(self) -> None:
        if self.error_label.isVisible():
            self.show_error("")

    def _refresh(self) -> None:
        attached = self._graph_name is not None
        for widget in (
            self.input,
            self.form,
            self.json_toggle,
            self.values_toggle,
            self.settings_button,
        ):
            widget.setEnabled(attached)
        for widget in (self.thread_edit, self.new_thread_button):
            widget.setEnabled(attached and not self._running)
        self.run_button.setEnabled(attached and not self._running and bool(self.thread_id))
        self.stop_button.setEnabled(attached and self._running)
