"""Live watch in the window: what other processes write shows up while Rewind is open.

For the open database, one asyncio task polls a :mod:`desktop.core.watch` probe
(``PRAGMA data_version`` for SQLite, the server snapshot for Postgres) in a worker
thread every 100-200 ms; when nothing was committed that is all it does. When something
was, it reads back only what changed and hands each changed thread to
:meth:`Controller.apply_external`: the thread list gains or re-sorts the thread, the
open timeline gains its new checkpoints, and a selection that sat on the head follows
the new head. Nothing here writes.

What this window's own runs commit is left to the run's own live path, which knows
where the selection belongs (a fork stays selected after the run that continued it): a
thread is skipped for every poll whose interval a run of it overlapped, including the
first poll after the run ended and any read-back coalesced with it, not only while the
run is still going (a commit polled during the run and read back after it was once
taken for another process's, and moved a selection the run had left on purpose).

What changed: the threads the probe names (SQLite's new rows), or, when it cannot tell
(Postgres, where any commit on the server changes the snapshot; rows deleted), a
*check*: the thread ids in list order (an index scan, no values) and a cheap mark of
each watched thread (the newest page and the shown thread: checkpoint count, newest id,
write count); only threads whose mark moved are read again, and threads that are gone
leave the list (the shown one says so in place). Reads are coalesced: one at a time, at
least :data:`MIN_READ_INTERVAL` apart however often commits land.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop.core.errors import NotFoundError, RewindError
from desktop.core.model import CheckpointMeta, ThreadSummary
from desktop.core.watch import Changes, open_probe
from desktop.ui.models.threads import PAGE_SIZE

if TYPE_CHECKING:
    from desktop.core.sources.common import CheckpointSource, ThreadMark
    from desktop.ui.controller import Controller

log = logging.getLogger(__name__)

MAX_NAMED_THREADS = 50
"""More changed threads than this in one poll: check the newest page instead."""

MIN_READ_INTERVAL = 0.25
"""Seconds between two read-backs at least: commits landing faster are coalesced."""


class LiveWatch(QObject):
    """Polls the open database for other processes' commits and shows what they wrote."""

    watching_changed = Signal(bool)
    """True while the open database is being watched."""

    committed = Signal()
    """Something was committed to the open database (checkpoints, writes, the Store...)."""

    applied = Signal()
    """Changes from another process were read back and shown (threads read again or
    dropped); a commit that changed nothing shown emits only :attr:`committed`."""

    def __init__(self, controller: Controller) -> None:
        super().__init__(controller)
        self._controller = controller
        self._task: asyncio.Task[None] | None = None
        self._watching = False
        self._marks: dict[str, ThreadMark] = {}
        self._own: set[str] = set()
        controller.database_opened.connect(self._database_opened)
        controller.runs.run_started.connect(self._run_started)

    @property
    def is_watching(self) -> bool:
        """True while a probe is polling the open database."""
        return self._watching

    def stop(self) -> None:
        """Stop watching (the database closes, or the window goes away)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._set_watching(False)

    def _database_opened(self, _shown: str) -> None:
        self.stop()
        location = self._controller.path
        if location is None:
            return
        self._task = asyncio.get_running_loop().create_task(
            self._watch(str(location)), name="rewind-watch"
        )

    def _set_watching(self, watching: bool) -> None:
        if watching != self._watching:
            self._watching = watching
            self.watching_changed.emit(watching)

    async def _watch(self, location: str) -> None:
        try:
            probe = await asyncio.to_thread(open_probe, location)
        except RewindError as error:
            log.info("live watch is off for %s: %s", location, error)
            return
        self._marks = {}
        self._set_watching(True)
        loop = asyncio.get_running_loop()
        pending: Changes | None = None
        pending_own: set[str] = set()
        last_read = -MIN_READ_INTERVAL
        delay = probe.interval
        try:
            await self._check_marks()
            while True:
                await asyncio.sleep(delay)
                delay = probe.interval
                own = self._take_own()
                changes = await asyncio.to_thread(probe.poll)
                own |= self._own  # a run started while polling may have committed too
                if changes is not None:
                    self.committed.emit()
                    pending = changes.merged(pending)
                    pending_own |= own
                if pending is None:
                    continue
                wait = last_read + MIN_READ_INTERVAL - loop.time()
                if wait > 0:  # too soon after the last read: poll again just in time
                    delay = min(wait, probe.interval)
                    continue
                last_read = loop.time()
                changes, pending = pending, None
                own, pending_own = pending_own, set()
                await self._apply(changes, own)
        except RewindError as error:
            log.info("live watch stopped for %s: %s", location, error)
        finally:
            self._set_watching(False)
            probe.close()

    def _run_started(self, thread_id: str) -> None:
        # Into the set of now: _take_own replaces it at every poll.
        self._own.add(thread_id)

    def _take_own(self) -> set[str]:
        """The threads this window ran since the last take, just before a poll (the
        commits that poll sees may be theirs); one still running counts for the next too."""
        own, self._own = self._own, set()
        runs = self._controller.runs
        if runs.is_running and runs.thread_id is not None:
            own.add(runs.thread_id)
            self._own.add(runs.thread_id)
        return own

    async def _check_marks(self) -> tuple[set[str], bool]:
        """Drop threads that are gone (True when some were); the watched threads whose
        mark moved."""
        controller = self._controller
        source = controller.source
        if source is None:
            return set(), False
        loaded = [
            thread.thread_id
            for row in range(controller.threads_model.loaded)
            if (thread := controller.threads_model.thread_at(row)) is not None
        ]
        shown = controller.thread_id
        check = await asyncio.to_thread(_check, source, self._marks, loaded, shown)
        if source is not controller.source:
            return set(), False
        self._marks = check.marks
        for thread_id in check.gone:
            controller.remove_external(thread_id)
        return check.changed, bool(check.gone)

    async def _apply(self, changes: Changes, own: set[str]) -> None:
        """Show ``changes``, except on ``own`` threads (this window's runs wrote them)."""
        controller = self._controller
        source = controller.source
        if source is None:
            return
        runs = controller.runs
        if runs.is_running and runs.thread_id is not None:
            own = own | {runs.thread_id}
        threads, shown = changes.threads, False
        if threads is None or len(threads) > MAX_NAMED_THREADS:
            threads, shown = await self._check_marks()
        for thread_id in sorted(threads - own):
            shown = True
            with_history = thread_id == controller.thread_id
            try:
                summary, metas = await asyncio.to_thread(_read, source, thread_id, with_history)
            except NotFoundError:
                if source is controller.source:
                    controller.remove_external(thread_id)
                continue
            if source is not controller.source:
                return
            controller.apply_external(summary, metas)
        if shown:
            self.applied.emit()


@dataclass(frozen=True)
class _Check:
    """What a check found: threads gone, watched threads whose mark moved, new marks."""

    gone: list[str]
    changed: set[str]
    marks: dict[str, ThreadMark]


def _check(
    source: CheckpointSource,
    marks: dict[str, ThreadMark],
    loaded: list[str],
    shown: str | None,
) -> _Check:
    """Compare the listed threads and the watched threads' marks with the database
    (worker thread): ids in list order, then one mark per watched thread."""
    ids = source.thread_ids()
    present = set(ids)
    gone = [t for t in dict.fromkeys([*loaded, *([shown] if shown else [])]) if t not in present]
    watched = ids[:PAGE_SIZE] + ([shown] if shown in present else [])
    now = source.thread_marks(watched)
    changed = {t for t in now if marks.get(t) != now[t]}
    return _Check(gone, changed, now)


def _read(
    source: CheckpointSource, thread_id: str, with_history: bool
) -> tuple[ThreadSummary, list[CheckpointMeta] | None]:
    """A changed thread's summary and, when it is shown, its history (worker thread)."""
    summary = source.thread(thread_id)
    return summary, source.history(thread_id) if with_history else None
