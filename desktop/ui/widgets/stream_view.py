"""The live view of a run: streamed tokens, an event log, and the latest state values.

Everything a run streams arrives through :meth:`StreamView.add_event`, which only
buffers. A ~30 Hz timer flushes the buffer: tokens are appended at the end of the
output document with one ``QTextCursor`` edit block (the text is never re-set), and
new log rows are inserted with one ``beginInsertRows``. So the cost on the UI thread
is bounded by the frame rate, not by the token rate.

Tokens are grouped by who produced them: a header line per (namespace, node, message
id) block, e.g. ``agent`` or ``researcher › write_note``. A task's result row in the event
log starts with how long the task ran and the tokens its chat model reported
(:class:`~desktop.ui.controllers.run_summary.TaskClock`): ``412 ms · 57 tokens · wrote
messages``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui import palette
from desktop.ui.controllers.run_summary import TaskClock
from desktop.ui.widgets.elided_label import ElidedLabel
from desktop.ui.widgets.event_log import (
    KIND_COLUMN,
    TIME_COLUMN,
    WHERE_COLUMN,
    EventLogModel,
    LogEntry,
    log_entry,
    node_path,
)

if TYPE_CHECKING:
    from desktop.core.run_stream import StreamEvent

FLUSH_INTERVAL_MS = 33
"""How often buffered tokens and log rows reach the screen (~30 Hz)."""

MAX_OUTPUT_BLOCKS = 20_000
"""Lines of streamed output kept; older lines are dropped from the top."""


# -- the widget ---------------------------------------------------------------------------


class StreamView(QWidget):
    """Tabs "Output" (tokens by node), "Events" (the log) and "Values" for live runs.

    Feed it with :meth:`begin_run`, :meth:`add_event` for every streamed part and
    :meth:`end_run`. It buffers and draws at most ~30 times a second.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("streamView")
        self._pending_text: list[tuple[str, str]] = []
        self._pending_rows: list[LogEntry] = []
        self._pending_values: Any = None
        self._values_dirty = False
        self._group: tuple[tuple[str, ...], str, str] | None = None
        self._tokens = 0
        self._task_clock = TaskClock()
        self._formats = _text_formats()

        self.output = QPlainTextEdit(self)
        self.output.setObjectName("streamOutput")
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(MAX_OUTPUT_BLOCKS)
        self.output.setPlaceholderText("Tokens stream here, grouped by node, when a run starts.")
        self.output.setUndoRedoEnabled(False)
        self.output.document().setDocumentMargin(10)

        self.event_model = EventLogModel(self)
        self.event_log = QTableView(self)
        self.event_log.setObjectName("eventLog")
        self.event_log.setModel(self.event_model)
        self.event_log.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.event_log.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.event_log.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.event_log.setWordWrap(False)
        self.event_log.setShowGrid(False)
        self.event_log.setAlternatingRowColors(True)
        self.event_log.verticalHeader().hide()
        self.event_log.verticalHeader().setDefaultSectionSize(22)
        header = self.event_log.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(TIME_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(KIND_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(WHERE_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        metrics = self.event_log.fontMetrics()
        header.resizeSection(KIND_COLUMN, metrics.horizontalAdvance("task interrupted") + 16)
        header.resizeSection(WHERE_COLUMN, metrics.horizontalAdvance("researcher › gather") + 16)
        self.event_log.selectionModel().selectionChanged.connect(self._show_selected_event)

        self.event_detail = QPlainTextEdit(self)
        self.event_detail.setObjectName("eventDetail")
        self.event_detail.setReadOnly(True)
        self.event_detail.setPlaceholderText("Select an event to see all of its data.")
        self.event_detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        events = QSplitter(Qt.Orientation.Vertical, self)
        events.setObjectName("eventSplitter")
        events.addWidget(self.event_log)
        events.addWidget(self.event_detail)
        events.setChildrenCollapsible(False)
        events.setStretchFactor(0, 3)
        events.setStretchFactor(1, 1)
        events.setSizes([300, 90])
        # A short window leaves the log and the detail a couple of lines each, not more.
        for view in (self.event_log, self.event_detail):
            view.setMinimumHeight(view.fontMetrics().lineSpacing() * 2 + 12)

        self.values_view = QPlainTextEdit(self)
        self.values_view.setObjectName("valuesView")
        self.values_view.setReadOnly(True)
        self.values_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.values_view.setPlaceholderText(
            "Turn on “Values” in the run panel to stream the full state after every step."
        )

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("streamTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.tabBar().setDrawBase(False)
        self.tabs.addTab(self.output, "Output")
        self.tabs.addTab(events, "Events")
        self.tabs.addTab(self.values_view, "Values")

        self.clear_button = QToolButton(self)
        self.clear_button.setObjectName("clearStream")
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Clear the output, the event log and the values")
        self.clear_button.clicked.connect(self.clear)
        self.counter = ElidedLabel("", self)
        self.counter.setObjectName("streamCounter")
        corner = QWidget(self)
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 4, 0)
        corner_layout.setSpacing(8)
        corner_layout.addWidget(self.counter)
        corner_layout.addWidget(self.clear_button)
        self.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)
        self._update_counter()

    # -- feeding ---------------------------------------------------------------------------

    @property
    def token_count(self) -> int:
        """Tokens received since the view was last cleared."""
        return self._tokens

    def begin_run(self, title: str) -> None:
        """Start a new section (a run on a thread); the previous output stays above it."""
        self._group = None
        self._task_clock = TaskClock()
        self._pending_text.append(("run", f"── {title} · {datetime.now():%H:%M:%S} ──"))
        self._schedule()

    def add_event(self, event: StreamEvent) -> None:
        """Take one streamed part: tokens to the output, values to the tab, the rest logged."""
        cost = self._task_clock.add(event)
        if event.type == "messages":
            self._add_message(event)
        elif event.type == "values":
            if not event.ns:
                self._pending_values = event.data
                self._values_dirty = True
        else:
            entry = log_entry(event, cost=cost)
            if entry is None:
                return
            self._pending_rows.append(entry)
        self._schedule()

    def add_tokens(self, ns: Sequence[str], node: str, message_id: str, text: str) -> None:
        """Append ``text`` to the block of (``ns``, ``node``, ``message_id``)."""
        key = (tuple(ns), node, message_id)
        if key != self._group:
            self._group = key
            self._pending_text.append(("header", node_path(ns, node) or "graph"))
        if text:
            self._tokens += 1
            self._pending_text.append(("text", text))
        self._schedule()

    def end_run(self, message: str, tone: str = "") -> None:
        """Close the section with a line saying how the run ended (tone: error, interrupt)."""
        self._group = None
        self._pending_text.append((f"end-{tone}" if tone else "end", message))
        self.flush()

    def clear(self) -> None:
        """Forget everything shown and buffered."""
        self._pending_text.clear()
        self._pending_rows.clear()
        self._pending_values = None
        self._values_dirty = False
        self._group = None
        self._tokens = 0
        self.output.clear()
        self.event_model.clear()
        self.event_detail.clear()
        self.values_view.clear()
        self._update_counter()

    def output_text(self) -> str:
        """The streamed output as plain text (what the user reads)."""
        return self.output.toPlainText()

    def flush(self) -> None:
        """Draw what was buffered: append tokens, insert log rows, show the latest values."""
        self._timer.stop()
        if self._pending_text:
            self._append_output(self._pending_text)
            self._pending_text = []
        if self._pending_rows:
            rows, self._pending_rows = self._pending_rows, []
            self._append_rows(rows)
        if self._values_dirty:
            self._values_dirty = False
            self.values_view.setPlainText(
                json.dumps(self._pending_values, ensure_ascii=False, indent=2, default=str)
            )
        self._update_counter()

    # -- internals -------------------------------------------------------------------------

    def _add_message(self, event: StreamEvent) -> None:
        message = event.data.get("message") if isinstance(event.data, dict) else None
        message = message if isinstance(message, dict) else {}
        node = event.node or "?"
        message_id = event.message_id or ""
        kind = message.get("type")
        text = event.token or ""
        if kind == "tool":
            name = message.get("name") or "tool"
            self.add_tokens(event.ns, f"{node} · {name} result", message_id, text)
            return
        self.add_tokens(event.ns, node, message_id, text)
        for call in message.get("tool_calls") or ():
            if isinstance(call, dict) and call.get("name"):
                self._pending_text.append(("tool", f"\n→ calls {call['name']}"))

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _append_output(self, pieces: list[tuple[str, str]]) -> None:
        bar = self.output.verticalScrollBar()
        follow = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.output.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.beginEditBlock()
        for kind, text in _merge_text(pieces):
            fmt = self._formats.get(kind, self._formats["text"])
            if kind == "text" or kind == "tool":
                cursor.insertText(text, fmt)
                continue
            if cursor.positionInBlock() > 0:
                cursor.insertBlock()
            if kind in ("header", "run") and cursor.position() > 0:
                cursor.insertBlock()
            cursor.insertText(text, fmt)
            cursor.insertBlock()
        cursor.endEditBlock()
        if follow:
            bar.setValue(bar.maximum())

    def _append_rows(self, rows: list[LogEntry]) -> None:
        bar = self.event_log.verticalScrollBar()
        follow = bar.value() >= bar.maximum() - 2
        self.event_model.append(rows)
        if follow:
            self.event_log.scrollToBottom()

    def _show_selected_event(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        entry = self.event_model.entry_at(rows[0].row()) if rows else None
        if entry is None:
            self.event_detail.clear()
            return
        took = entry.cost.describe() if entry.cost is not None else ""
        self.event_detail.setPlainText(
            f"{entry.kind} · {entry.where or 'graph'} · {entry.time:%H:%M:%S.%f}"
            + (f" · took {took}" if took else "")
            + "\n\n"
            + json.dumps(entry.data, ensure_ascii=False, indent=2, default=str)
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_counter()

    def _fit_counter(self) -> None:
        """The tabs keep their room: the counter beside them gets what is left (elided,
        whole on hover) and hides when that is too little to say anything."""
        bar = self.tabs.tabBar()
        tabs = sum(bar.tabSizeHint(i).width() for i in range(bar.count()))
        room = self.width() - tabs - self.clear_button.sizeHint().width() - 24
        self.counter.setMaximumWidth(max(room, 0))
        self.counter.setVisible(room >= self.counter.fontMetrics().horizontalAdvance("0 tokens…"))

    def _update_counter(self) -> None:
        rows = self.event_model.rowCount()
        self.counter.setText(
            f"{self._tokens:,} token{'s' * (self._tokens != 1)} · {rows:,} event{'s' * (rows != 1)}"
        )


def _merge_text(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Join runs of plain tokens so one ``insertText`` call takes many tokens."""
    merged: list[tuple[str, list[str]]] = []
    for kind, text in pieces:
        if kind == "text" and merged and merged[-1][0] == "text":
            merged[-1][1].append(text)
        else:
            merged.append((kind, [text]))
    return [(kind, "".join(parts)) for kind, parts in merged]


def _text_formats() -> dict[str, QTextCharFormat]:
    def make(color: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(color))
        fmt.setFontWeight(QFont.Weight.DemiBold if bold else QFont.Weight.Normal)
        fmt.setFontItalic(italic)
        return fmt

    return {
        "text": make(palette.TEXT),
        "header": make(palette.ACCENT, bold=True),
        "run": make(palette.TEXT_SUBTLE),
        "tool": make(palette.SUBGRAPH, italic=True),
        "end": make(palette.SUCCESS),
        "end-error": make(palette.ERROR, bold=True),
        "end-interrupt": make(palette.INTERRUPTED, bold=True),
        "end-stopped": make(palette.TEXT_SUBTLE, italic=True),
    }
