"""The thread list as a Qt model: newest first, paged, filled asynchronously.

The model never queries the database itself. When a view scrolls to the end it calls
:meth:`ThreadListModel.fetchMore`, the model emits :attr:`~ThreadListModel.fetch_requested`
and the controller answers with :meth:`~ThreadListModel.append_page` once the page has
been read in a worker thread. A generation number ties each page to the listing it
belongs to, so a page that arrives after the filter changed is dropped. During a run,
:meth:`ThreadListModel.upsert` moves the thread that just changed to the top (or adds a
new one there) without resetting the listing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop.core.model import ThreadSummary
from desktop.ui.models.headers import with_role_names
from desktop.ui.models.paging import PagedListing

PAGE_SIZE = 200
"""Threads read per page."""

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def relative_time(when: datetime | None, now: datetime | None = None) -> str:
    """``just now``, ``5 min ago``, ``3 h ago``, ``2 d ago``, or the date for older times."""
    if when is None:
        return "unknown time"
    now = now or datetime.now(UTC)
    seconds = (now - when).total_seconds()
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h ago"
    if seconds < 86400 * 30:
        return f"{round(seconds / 86400)} d ago"
    return when.astimezone().strftime("%Y-%m-%d")


def absolute_time(when: datetime | None, now: datetime | None = None) -> str:
    """Local time, as short as stays unambiguous: ``14:03:22`` today, ``Mar 02 14:03``
    this year, ``2024-11-30`` before."""
    if when is None:
        return "—"
    local = when.astimezone()
    today = (now or datetime.now(UTC)).astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    if local.year == today.year:
        return local.strftime("%b %d %H:%M")
    return local.strftime("%Y-%m-%d")


def full_time(when: datetime | None) -> str:
    """Local date and time with milliseconds, for tooltips."""
    if when is None:
        return "unknown time"
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


class ThreadListModel(PagedListing, QAbstractListModel):
    """Threads of the open database, one row each, with named roles for their summary."""

    ThreadIdRole = Qt.ItemDataRole.UserRole + 1
    CheckpointCountRole = Qt.ItemDataRole.UserRole + 2
    UpdatedAtRole = Qt.ItemDataRole.UserRole + 3
    HasInterruptRole = Qt.ItemDataRole.UserRole + 4
    HasErrorRole = Qt.ItemDataRole.UserRole + 5
    LatestCheckpointIdRole = Qt.ItemDataRole.UserRole + 6
    RelativeTimeRole = Qt.ItemDataRole.UserRole + 7
    AbsoluteTimeRole = Qt.ItemDataRole.UserRole + 8
    RunStateRole = Qt.ItemDataRole.UserRole + 9

    fetch_requested = Signal(int, int)
    """``(generation, offset)``: the view wants the next page."""

    row_leaving = Signal(int)
    """A row is about to be removed (emitted before Qt's own signals, whose handlers
    would make a neighbour of a removed current row current)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._threads: list[ThreadSummary] = []
        self._rows: dict[str, int] = {}
        self._running: str | None = None

    def set_running_thread(self, thread_id: str | None) -> None:
        """Mark the thread a run is writing to right now: its stored state looks
        unfinished mid-run, but it is ``running``, not stopped."""
        changed = {t for t in (self._running, thread_id) if t is not None}
        self._running = thread_id
        for name in changed:
            row = self._rows.get(name)
            if row is not None:
                index = self.index(row, 0)
                self.dataChanged.emit(index, index, [self.RunStateRole])

    def reset(self, threads: list[ThreadSummary], total: int) -> int:
        """Replace the listing with its first page; returns the new generation."""
        self.beginResetModel()
        self._threads = list(threads)
        self._rows = {t.thread_id: row for row, t in enumerate(self._threads)}
        generation = self._new_listing(total)
        self.endResetModel()
        return generation

    def append_page(self, generation: int, threads: list[ThreadSummary]) -> None:
        """Add a page read for ``generation``; stale pages are dropped."""
        fresh = [t for t in threads if t.thread_id not in self._rows]
        if not self._page_arrived(generation, len(fresh)):
            return
        first = len(self._threads)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for offset, thread in enumerate(fresh):
            self._rows[thread.thread_id] = first + offset
        self._threads.extend(fresh)
        self.endInsertRows()

    def upsert(self, thread: ThreadSummary) -> None:
        """Show ``thread`` as the newest: update its row and move it first, or insert it first.

        For a thread that was just written to; the selection of other rows is kept.
        """
        row = self._rows.get(thread.thread_id)
        if row is None:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._threads.insert(0, thread)
            self._total += 1
            self._renumber()
            self.endInsertRows()
            return
        if row != 0:
            self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), 0)
            del self._threads[row]
            self._threads.insert(0, thread)
            self._renumber()
            self.endMoveRows()
        else:
            self._threads[0] = thread
        top = self.index(0, 0)
        self.dataChanged.emit(top, top)

    def remove(self, thread_id: str) -> bool:
        """Drop a thread that no longer exists; False when it was not loaded."""
        row = self._rows.get(thread_id)
        if row is None:
            return False
        self.row_leaving.emit(row)
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._threads[row]
        self._total = max(self._total - 1, len(self._threads))
        self._renumber()
        self.endRemoveRows()
        return True

    def _renumber(self) -> None:
        self._rows = {t.thread_id: row for row, t in enumerate(self._threads)}

    def thread_at(self, row: int) -> ThreadSummary | None:
        """The summary shown in ``row``, if that row is loaded."""
        return self._threads[row] if 0 <= row < len(self._threads) else None

    def row_of(self, thread_id: str) -> int | None:
        """Row of a loaded thread, or None."""
        return self._rows.get(thread_id)

    # -- Qt model API --------------------------------------------------------------------

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._threads)

    def roleNames(self) -> dict[int, QByteArray]:
        return with_role_names(
            super().roleNames(),
            {
                self.ThreadIdRole: "threadId",
                self.CheckpointCountRole: "checkpointCount",
                self.UpdatedAtRole: "updatedAt",
                self.HasInterruptRole: "hasInterrupt",
                self.HasErrorRole: "hasError",
                self.LatestCheckpointIdRole: "latestCheckpointId",
                self.RelativeTimeRole: "relativeTime",
                self.AbsoluteTimeRole: "absoluteTime",
                self.RunStateRole: "runState",
            },
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() != 0:
            return None
        thread = self.thread_at(index.row())
        if thread is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, self.ThreadIdRole):
            return thread.thread_id
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(thread)
        if role == self.CheckpointCountRole:
            return thread.checkpoints
        if role == self.UpdatedAtRole:
            return thread.updated_at
        if role == self.HasInterruptRole:
            return thread.has_interrupt
        if role == self.HasErrorRole:
            return thread.has_error
        if role == self.LatestCheckpointIdRole:
            return thread.latest_checkpoint_id
        if role == self.RelativeTimeRole:
            return relative_time(thread.updated_at)
        if role == self.AbsoluteTimeRole:
            return absolute_time(thread.updated_at)
        if role == self.RunStateRole:
            return _run_state(thread, self._running)
        return None


def _run_state(thread: ThreadSummary, running: str | None) -> str:
    """The badge: ``running`` while a run writes it; an unfinished thread is ``forked``
    (a fork no run continued) or ``stopped`` (by the user's Stop) when it is one."""
    if thread.thread_id == running:
        return "running"
    state = thread.run_state
    if state == "unfinished" and thread.stopped:
        return "stopped"
    if state == "unfinished" and thread.forked:
        return "forked"
    return state


def _tooltip(thread: ThreadSummary) -> str:
    lines = [
        thread.thread_id,
        f"{thread.checkpoints} checkpoint{'s' * (thread.checkpoints != 1)}",
        f"updated {relative_time(thread.updated_at)} ({full_time(thread.updated_at)})",
    ]
    if thread.has_interrupt:
        lines.append("waiting on an interrupt")
    if thread.has_error:
        lines.append("last step raised an error")
    nodes = ", ".join(thread.next_nodes)
    state = _run_state(thread, None)
    if state == "forked":
        step = "?" if thread.head_step is None else thread.head_step
        lines.append(f"forked at step {step}; the next run continues from here ({nodes})")
    elif state == "stopped":
        lines.append(f"stopped by you; Continue picks up from here (next: {nodes})")
    elif state == "unfinished":
        lines.append(f"stopped before it finished (next: {nodes}); it can be continued")
    return "\n".join(lines)
