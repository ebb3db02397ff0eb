"""The event log of a run: one row per streamed part (tasks, updates, custom events,
checkpoints), with named roles for QML-style access and colours by tone.

:func:`log_entry` turns a :class:`~desktop.core.run_stream.StreamEvent` into a
:class:`LogEntry`; a task's result row starts with its cost (time and tokens,
:class:`~desktop.ui.controllers.run_summary.TaskCost`). :class:`EventLogModel` holds the
rows, appended in batches and trimmed at the top. The widget around it is
:class:`~desktop.ui.widgets.stream_view.StreamView`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFontDatabase

from desktop.ui import palette
from desktop.ui.controllers.run_summary import TaskCost
from desktop.ui.models.headers import column_title, with_role_names

if TYPE_CHECKING:
    from desktop.core.run_stream import StreamEvent

MAX_LOG_ROWS = 20_000
"""Event log rows kept; the oldest are dropped first."""

SUMMARY_CHARS = 160
"""Characters of an event's one-line summary in the log."""

PATH_SEPARATOR = " › "

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

_TONE_BRUSHES = {
    "error": QBrush(QColor(palette.ERROR)),
    "interrupt": QBrush(QColor(palette.INTERRUPTED)),
}
_TIME_BRUSH = QBrush(QColor(palette.TEXT_SUBTLE))


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
    cost: TaskCost | None = None
    """For a task's result: how long it ran and the tokens reported in it."""


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
        return column_title(LOG_COLUMNS, section, orientation, role)

    def roleNames(self) -> dict[int, QByteArray]:
        return with_role_names(
            super().roleNames(),
            {
                self.KindRole: "kind",
                self.WhereRole: "where",
                self.TimeRole: "time",
                self.DataRole: "data",
                self.ToneRole: "tone",
                self.SummaryRole: "summary",
            },
        )

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
            if entry.tone in _TONE_BRUSHES:
                return _TONE_BRUSHES[entry.tone]
            if column == TIME_COLUMN:
                return _TIME_BRUSH
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


def log_entry(
    event: StreamEvent, when: datetime | None = None, cost: TaskCost | None = None
) -> LogEntry | None:
    """The log row for a streamed part; None for parts the log does not show.

    ``messages`` go to the output and ``values`` to the values tab, not to the log.
    ``cost`` is a task result's time and tokens, shown first in its summary.
    """
    when = when or datetime.now()
    data = event.data
    if event.type == "tasks" and isinstance(data, dict):
        entry = _task_entry(event.ns, data, when)
        described = cost.describe() if cost is not None else ""
        if described and "input" not in data:
            summary = f"{described} · {entry.summary}"
            return dataclasses.replace(entry, summary=summary, cost=cost)
        return entry
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
