"""The cancellable background search of threads' latest states (Database > Search
thread states…): one thread at a time in a worker thread, matches reported as found."""

from __future__ import annotations

import asyncio
import time

from PySide6.QtCore import QObject, Signal

from desktop.core.errors import RewindError
from desktop.core.state_search import match_thread
from desktop.ui.controller import Controller

PROGRESS_SECONDS = 0.1
"""How often progress is reported while searching."""


class StateSearchController(QObject):
    """Searches the open database's threads for text in their head checkpoint's values."""

    started = Signal(int)
    """The number of threads that will be searched."""

    progress = Signal(int, int)
    """Threads searched so far, of how many."""

    match_found = Signal(object)
    """A :class:`~desktop.core.state_search.StateMatch`."""

    finished = Signal(bool, int)
    """Whether the search ran to the end (False: cancelled), and how many matched."""

    failed = Signal(str)

    def __init__(self, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._task: asyncio.Task[None] | None = None
        controller.database_opened.connect(lambda *_: self.cancel())

    @property
    def searching(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, needle: str, id_filter: str = "") -> None:
        """Search every thread matching ``id_filter`` for ``needle`` (replaces a search)."""
        self.cancel()
        if not needle.strip() or self.controller.source is None:
            return
        self._task = asyncio.get_running_loop().create_task(self._search(needle, id_filter))

    def cancel(self) -> None:
        """Stop the running search after the thread it is reading."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _search(self, needle: str, id_filter: str) -> None:
        source = self.controller.source
        matched = done = 0
        total = 0
        try:
            ids = await asyncio.to_thread(source.thread_ids, id_filter)
            total = len(ids)
            self.started.emit(total)
            last = time.monotonic()
            for done, thread_id in enumerate(ids, start=1):
                found = await asyncio.to_thread(match_thread, source, thread_id, needle)
                if found is not None:
                    matched += 1
                    self.match_found.emit(found)
                if time.monotonic() - last >= PROGRESS_SECONDS:
                    last = time.monotonic()
                    self.progress.emit(done, total)
        except asyncio.CancelledError:
            self.progress.emit(done, total)
            self.finished.emit(False, matched)
            raise
        except RewindError as error:
            self.failed.emit(str(error))
            return
        self.progress.emit(total, total)
        self.finished.emit(True, matched)
