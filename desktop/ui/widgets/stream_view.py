"""The live view of a run: streamed tokens, an event log, and the latest state values.

Everything a run streams arrives through :meth:`StreamView.add_event`, which only
buffers. A ~30 Hz timer flushes the buffer: tokens are appended at the end of the
output document with one ``QTextCursor`` edit block (the text is never re-set), and
new log rows are inserted with one ``beginInsertRows``. So the cost on the UI thread
is bounded by the frame rate, not by the token rate.

Tokens are grouped by who produced them: a header line per (namespace, node, message
id) block, e.g. ``agent`` or ``researcher › write_note``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QItemSelection,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor
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

from desktop.ui.widgets.elided_label import ElidedLabel

if TYPE_CHECKING:
    from desktop.core.runner import StreamEvent

FLUSH_INTERVAL_MS = 33
"""How often buffered tokens and log rows reach the screen (~30 Hz)."""

MAX_OUTPUT_BLOCKS = 20_000
"""Lines of streamed output kept; older lines are dropped from the top."""

MAX_LOG_ROWS = 20_000
"""Event log rows kept; the oldest are dropped first."""

SUMMARY_CHARS = 160
"""Characters of an event's one-line summary in the log."""

PATH_SEPARATOR = " › "

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

_TEXT = QColor("#1f2328")
_MUTED = QColor("#656d76")
_ACCENT = QColor("#0969da")
_SUBGRAPH = QColor("#8250df")
_ERROR = QColor("#cf222e")
_WARNING = QColor("#9a6700")
_SUCCESS = QColor("#1a7f37")


def node_path(ns: Sequence[str], node: str | None = None) -> str:
    """Human path of a node: ``agent``, ``researcher › write_note`` (task ids dropped)."""
    parts = [part.split(":", 1)[0] for part in ns if part]
    if node:
        parts.append(node)
    return PATH_SEPARATOR.join(parts)


def summarize(value: Any, limit: int = SUMMARY_CHARS) -> str:
    """One line of compact JSON, cut to ``limit`` characters."""
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- event log ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One row of the event log: when, what kind, where, a summary and the full data."""

    time: datetime
    kind: str
    where: str
    summary: str
    data: Any
    tone: str = ""
    """``""``, ``"error"``, ``"interrupt"`` or ``"done"``: how the row is coloured."""


LOG_COLUMNS = ("Time", "Event", "Where", "Details")
TIME_COLUMN, KIND_COLUMN, WHERE_COLUMN, DETAILS_COLUMN = range(len(LOG_COLUMNS))


class EventLogModel(QAbstractTableModel):
    """Rows of the event log with named roles; appended in batches, trimmed at the top."""

    KindRole = Qt.ItemDataRole.UserRole + 1
    WhereRole = Qt.ItemDataRole.UserRole + 2
    TimeRole = Qt.ItemDataRole.UserRole + 3
    DataRole = Qt.ItemDataRole.UserRole + 4
    ToneRole = Qt.ItemDataRole.UserRole + 5
    SummaryRole = Qt.ItemDataRole.UserRole + 6

    def __init__(self, parent: QObject | None = None, max_rows: int = MAX_LOG_ROWS) -> None:
        super().__init__(parent)
        self._entries: list[LogEntry] = []
        self._max_rows = max_rows
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

    @property
    def entries(self) -> list[LogEntry]:
        """The rows, oldest first (read-only use)."""
        return self._entries

    def append(self, entries: Sequence[LogEntry]) -> None:
        """Add rows at the end (one insert), dropping the oldest beyond the limit."""
        if not entries:
            return
        first = len(self._entries)
        self.beginInsertRows(_ROOT, first, first + len(entries) - 1)
        self._entries.extend(entries)
        self.endInsertRows()
        excess = len(self._entries) - self._max_rows
        if excess > 0:
            self.beginRemoveRows(_ROOT, 0, excess - 1)
            del self._entries[:excess]
            self.endRemoveRows()

    def clear(self) -> None:
        """Remove every row."""
        self.beginResetModel()
        self._entries.clear()
        self.endResetModel()

    def entry_at(self, row: int) -> LogEntry | None:
        """The entry shown in ``row``, if any."""
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(LOG_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(LOG_COLUMNS)
        ):
            return LOG_COLUMNS[section]
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        names = super().roleNames()
        names.update(
            {
                self.KindRole: QByteArray(b"kind"),
                self.WhereRole: QByteArray(b"where"),
                self.TimeRole: QByteArray(b"time"),
                self.DataRole: QByteArray(b"data"),
                self.ToneRole: QByteArray(b"tone"),
                self.SummaryRole: QByteArray(b"summary"),
            }
        )
        return names

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        entry = self.entry_at(index.row())
        if entry is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == TIME_COLUMN:
                return entry.time.strftime("%H:%M:%S.%f")[:-3]
            if column == KIND_COLUMN:
                return entry.kind
            if column == WHERE_COLUMN:
                return entry.where or "graph"
            if column == DETAILS_COLUMN:
                return entry.summary
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{entry.kind} · {entry.where or 'graph'}\n{summarize(entry.data, 600)}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if entry.tone == "error":
                return QBrush(_ERROR)
            if entry.tone == "interrupt":
                return QBrush(_WARNING)
            if column == TIME_COLUMN:
                return QBrush(_MUTED)
            return None
        if role == Qt.ItemDataRole.FontRole and column == TIME_COLUMN:
            return self._mono
        if role == self.KindRole:
            return entry.kind
        if role == self.WhereRole:
            return entry.where
        if role == self.TimeRole:
            return entry.time
        if role == self.DataRole:
            return entry.data
        if role == self.ToneRole:
            return entry.tone
        if role == self.SummaryRole:
            return entry.summary
        return None


def log_entry(event: StreamEvent, when: datetime | None = None) -> LogEntry | None:
    """The log row for a streamed part; None for parts the log does not show.

    ``messages`` go to the output and ``values`` to the values tab, not to the log.
    """
    when = when or datetime.now()
    data = event.data
    if event.type == "tasks" and isinstance(data, dict):
        return _task_entry(event.ns, data, when)
    if event.type == "updates" and isinstance(data, dict):
        return _update_entry(event.ns, data, when)
    if event.type == "custom":
        where = node_path(event.ns)
        return LogEntry(when, "custom", where, summarize(data), data)
    if event.type == "checkpoints" and isinstance(data, dict):
        return _checkpoint_entry(event.ns, data, when)
    if event.type == "debug":
        return LogEntry(when, "debug", node_path(event.ns), summarize(data), data)
    return None


def _task_entry(ns: Sequence[str], data: dict[str, Any], when: datetime) -> LogEntry:
    where = node_path(ns, str(data.get("name", "?")))
    if "input" in data:
        triggers = ", ".join(str(t) for t in data.get("triggers") or ())
        return LogEntry(when, "task started", where, f"triggered by {triggers or '—'}", data)
    if data.get("error"):
        return LogEntry(when, "task failed", where, summarize(data["error"]), data, "error")
    interrupts = data.get("interrupts") or []
    if interrupts:
        values = [i.get("value") if isinstance(i, dict) else i for i in interrupts]
        summary = "interrupted: " + summarize(values[0] if len(values) == 1 else values)
        return LogEntry(when, "task interrupted", where, summary, data, "interrupt")
    result = data.get("result")
    keys = ", ".join(result) if isinstance(result, dict) and result else "no state change"
    return LogEntry(when, "task finished", where, f"wrote {keys}", data, "done")


def _update_entry(ns: Sequence[str], data: dict[str, Any], when: datetime) -> LogEntry:
    if "__interrupt__" in data:
        interrupts = data["__interrupt__"] or []
        values = [i.get("value") if isinstance(i, dict) else i for i in interrupts]
        summary = summarize(values[0] if len(values) == 1 else values)
        return LogEntry(when, "interrupt", node_path(ns), summary, data, "interrupt")
    nodes = list(data)
    parts = []
    for node, update in data.items():
        if isinstance(update, dict):
            parts.append(f"{node}: " + ", ".join(_describe_update(k, v) for k, v in update.items()))
        else:
            parts.append(f"{node}: {summarize(update, 60)}")
    where = node_path(ns, nodes[0] if len(nodes) == 1 else None)
    return LogEntry(when, "update", where, summarize("; ".join(parts)), data)


def _describe_update(key: str, value: Any) -> str:
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        kinds = [str(v.get("type", "item")) for v in value]
        first = value[-1].get("content")
        excerpt = f" “{summarize(first, 60)}”" if isinstance(first, str) and first else ""
        return f"{key} +{len(value)} ({', '.join(kinds)}){excerpt}"
    return f"{key} = {summarize(json.dumps(value, ensure_ascii=False, default=str), 60)}"


def _checkpoint_entry(ns: Sequence[str], data: dict[str, Any], when: datetime) -> LogEntry:
    configurable = (data.get("config") or {}).get("configurable") or {}
    checkpoint_id = str(configurable.get("checkpoint_id", ""))
    metadata = data.get("metadata") or {}
    step = metadata.get("step", "?")
    source = metadata.get("source", "?")
    following = ", ".join(str(n) for n in data.get("next") or ()) or "end"
    summary = f"step {step} · {source} · …{checkpoint_id[-8:]} → next: {following}"
    return LogEntry(when, "checkpoint", node_path(ns), summary, data)


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
        self._pending_text.append(("run", f"── {title} · {datetime.now():%H:%M:%S} ──"))
        self._schedule()

    def add_event(self, event: StreamEvent) -> None:
        """Take one streamed part: tokens to the output, values to the tab, the rest logged."""
        if event.type == "messages":
            self._add_message(event)
        elif event.type == "values":
            if not event.ns:
                self._pending_values = event.data
                self._values_dirty = True
        else:
            entry = log_entry(event)
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
        self.event_detail.setPlainText(
            f"{entry.kind} · {entry.where or 'graph'} · {entry.time:%H:%M:%S.%f}\n\n"
            + json.dumps(entry.data, ensure_ascii=False, indent=2, default=str)
        )

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
    def make(color: QColor, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setForeground(color)
        fmt.setFontWeight(QFont.Weight.DemiBold if bold else QFont.Weight.Normal)
        fmt.setFontItalic(italic)
        return fmt

    return {
        "text": make(_TEXT),
        "header": make(_ACCENT, bold=True),
        "run": make(_MUTED),
        "tool": make(_SUBGRAPH, italic=True),
        "end": make(_SUCCESS),
        "end-error": make(_ERROR, bold=True),
        "end-interrupt": make(_WARNING, bold=True),
        "end-stopped": make(_MUTED, italic=True),
    }
