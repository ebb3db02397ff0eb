"""Live watch in the window: what other processes write shows up while Rewind is open.

For the open database, one asyncio task polls a :mod:`desktop.core.watch` probe
(``PRAGMA data_version`` for SQLite, the server snapshot for Postgres) in a worker
thread every 100-200 ms; when nothing was committed that is all it does. When something
was, it reads back only what changed (the threads the probe names, or for Postgres the
newest page of threads compared with what the list shows, and the shown thread) and
hands each thread to :meth:`Controller.apply_external`: the thread list gains or
re-sorts the thread, the open timeline gains its new checkpoints, and a selection that
sat on the head follows the new head. Threads Rewind itself is running are left to the
run's own live path. Nothing here writes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop.core.errors import NotFoundError, RewindError
from desktop.core.model import CheckpointMeta, ThreadSummary
from desktop.core.watch import Changes, open_probe
from desktop.ui.models.threads import PAGE_SIZE

if TYPE_CHECKING:
    from desktop.core.sources.common import CheckpointSource
    from desktop.ui.controller import Controller

log = logging.getLogger(__name__)

MAX_NAMED_THREADS = 50
"""More changed threads than this in one poll: re-read the newest page instead."""


class LiveWatch(QObject):
    """Polls the open database for other processes' commits and shows what they wrote."""

    watching_changed = Signal(bool)
    """True while the open database is being watched."""

    committed = Signal()
    """Something was committed to the open database (checkpoints, writes, the Store...)."""

    applied = Signal()
    """Changes from another process were read back and shown."""

    def __init__(self, controller: Controller) -> None:
        super().__init__(controller)
        self._controller = controller
        self._task: asyncio.Task[None] | None = None
        self._watching = False
        controller.database_opened.connect(self._database_opened)

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
        self._set_watching(True)
        try:
            while True:
                await asyncio.sleep(probe.interval)
                changes = await asyncio.to_thread(probe.poll)
                if changes is not None:
                    self.committed.emit()
                    await self._apply(changes)
        except RewindError as error:
            log.info("live watch stopped for %s: %s", location, error)
        finally:
            self._set_watching(False)
            probe.close()

    async def _apply(self, changes: Changes) -> None:
        controller = self._controller
        source = controller.source
        if source is None:
            return
        running = controller.runs.thread_id if controller.runs.is_running else None
        shown = controller.thread_id
        threads = changes.threads
        if threads is not None and not threads:
            return
        if threads is None or len(threads) > MAX_NAMED_THREADS:
            known = {
                thread.thread_id: thread
                for row in range(controller.threads_model.loaded)
                if (thread := controller.threads_model.thread_at(row)) is not None
            }
            threads = await asyncio.to_thread(_changed_on_first_page, source, known)
            if shown is not None:
                threads |= {shown}
        for thread_id in sorted(threads - {running}):
            with_history = thread_id == controller.thread_id
            try:
                summary, metas = await asyncio.to_thread(_read, source, thread_id, with_history)
            except NotFoundError:
                continue
            if source is not controller.source:
                return
            controller.apply_external(summary, metas)
        self.applied.emit()


def _changed_on_first_page(source: CheckpointSource, known: dict[str, ThreadSummary]) -> set[str]:
    """Threads of the newest page that are new or changed since the list read them."""
    changed = set()
    for thread in source.list_threads("", offset=0, limit=PAGE_SIZE):
        old = known.get(thread.thread_id)
        if old is None or (old.checkpoints, old.latest_checkpoint_id) != (
            thread.checkpoints,
            thread.latest_checkpoint_id,
        ):
            changed.add(thread.thread_id)
    return changed


def _read(
    source: CheckpointSource, thread_id: str, with_history: bool
) -> tuple[ThreadSummary, list[CheckpointMeta] | None]:
    """A changed thread's summary and, when it is shown, its history (worker thread)."""
    summary = source.thread(thread_id)
    return summary, source.history(thread_id) if with_history else None
