"""Opening a database and listing its threads: a mixin of the window's
:class:`~desktop.ui.controller.Controller` (placed before ``QObject``).

The first read (open, count, first page of threads) runs in a worker thread as soon as
it is asked for; the window's first database is applied from a queued signal ahead of
pending paints. Filtering re-queries after a pause in typing; pages are read as the
list scrolls. A database that fails to open leaves the previous one in place.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.core.errors import RewindError
from desktop.core.model import ThreadSummary
from desktop.core.pgurl import location_of
from desktop.core.sources import CheckpointSource, open_source
from desktop.ui.models.threads import PAGE_SIZE

if TYPE_CHECKING:
    from desktop.ui.controller import Controller

log = logging.getLogger(__name__)

FILTER_DEBOUNCE_SECONDS = 0.15
"""Typing in the filter box re-queries once the user pauses this long."""


class DatabaseOpening:
    """Opening databases (files, ``postgresql://`` URLs, the demo) and paging the
    thread list; the state it sets (source, path, filter) lives on the Controller."""

    def open_database(
        self,
        path: str | Path,
        *,
        thread_id: str | None = None,
        checkpoint_id: str | None = None,
    ) -> None:
        """Open ``path`` (a file, or a ``postgresql://`` URL); then select ``thread_id``
        (default: newest) and ``checkpoint_id`` (default: the head). On failure the
        previous database stays open.

        Reading (opening, counting, the first page of threads) starts at once in a
        worker thread, not when the event loop next runs: a window built meanwhile and
        the read go side by side."""
        location = location_of(path)
        reading = self._read_first(location)
        self._start("open", self._open(location, thread_id, checkpoint_id, reading))
        task = self._tasks.get("open")
        if task is not None:
            task.add_done_callback(lambda _task: self._release(reading))

    def _release(self: Controller, reading: asyncio.Future[FirstRead]) -> None:
        """After an open's task ended: a read it never took up (cancelled before it ran:
        another open, shutdown) is closed once it is done."""
        if reading in self._taken:
            self._taken.discard(reading)
        else:
            reading.add_done_callback(self._close_unused)

    def open_demo(
        self: Controller, *, thread_id: str | None = None, checkpoint_id: str | None = None
    ) -> None:
        """Create the built-in demo database if needed, then open it."""
        self._start("open", self._open_demo(thread_id, checkpoint_id))

    def set_thread_filter(self: Controller, text: str) -> None:
        """List only threads whose id contains ``text`` (debounced; re-queries the database)."""
        self._filter = text
        if self._source is not None:
            self._cancel("page")
            self._start("filter", self._refilter(text))

    def _close_unused(self: Controller, reading: asyncio.Future[FirstRead]) -> None:
        """Close a source read for an open that was cancelled meanwhile (unless the open
        was applied already, :meth:`_open_first`: the next open or shutdown closes it)."""
        if not reading.cancelled() and reading.exception() is None:
            source = reading.result()[0]
            if source not in self._applied:
                self._in_background(asyncio.to_thread(source.close))

    async def _open_demo(
        self: Controller, thread_id: str | None, checkpoint_id: str | None
    ) -> None:
        from desktop.core.demo.seed import default_demo_path

        path = default_demo_path()
        try:
            await asyncio.to_thread(_seed_demo, path)
        except RewindError as error:
            self.notice.emit(f"The demo database could not be created: {error}")
            return
        except Exception as error:
            log.exception("seeding the demo database failed")
            detail = " ".join(str(error).split()) or type(error).__name__
            self.notice.emit(f"The demo database could not be created: {detail}")
            return
        self.notice.emit("")
        await self._open(path, thread_id, checkpoint_id)

    def _read_first(self: Controller, path: Path | str) -> asyncio.Future[FirstRead]:
        """Start opening ``path`` and reading its first page of threads (worker thread).

        The window's first database is opened as soon as the worker has read it: a
        queued signal runs :meth:`_open_first` ahead of the paints already pending,
        while the open's task resumes only a few turns of the event loop later (qasync
        runs each ``call_soon`` on a zero timer, after pending paints: each turn painted
        the window once more, still empty)."""
        loop = asyncio.get_running_loop()
        text = self._filter
        token = None
        if self._source is None:
            token = self._first_open = (path,)

        def read() -> FirstRead:
            result = _read_first(str(path), text)
            if token is not None:  # a queued signal: delivered before pending paints
                self._first_read.emit(token, result)
            return result

        return loop.run_in_executor(None, read)

    def _open_first(self: Controller, token: tuple[Path | str], read: FirstRead) -> None:
        """Apply the window's first open as soon as its read is done (only while that
        open is still the one to apply: no source yet, its task still running); the
        open's task, when it resumes, finds its source applied and goes on from there
        (the newest thread is loaded then, after the first screen is painted)."""
        if token is self._first_open and self._source is None and "open" in self._tasks:
            self._first_open = None
            self._apply_open(token[0], read)

    async def _open(
        self,
        path: Path | str,
        thread_id: str | None,
        checkpoint_id: str | None,
        reading: asyncio.Future[FirstRead] | None = None,
    ) -> None:
        text = self._filter
        if reading is None:
            reading = self._read_first(path)
        else:
            self._taken.add(reading)  # from here on, this open closes it if cancelled
        try:
            read = await asyncio.shield(reading)
        except asyncio.CancelledError:
            reading.add_done_callback(self._close_unused)
            raise
        if read[0] not in self._applied:
            self._apply_open(path, read)
        elif self._thread_id is not None or self._loading_thread is not None:
            return  # applied already (_open_first), and a thread was chosen since
        first = read[2]
        if thread_id is None and not first:
            message = "No threads match the filter" if text.strip() else "No threads yet"
            self.state_cleared.emit(message)
            self.diff_cleared.emit(message)
            return
        self._load_thread(first[0].thread_id if thread_id is None else thread_id, checkpoint_id)

    def _apply_open(self: Controller, path: Path | str, read: FirstRead) -> None:
        """Make ``read``'s source the open one: its first page listed, its name said."""
        source, total, first = read
        self._applied.add(source)
        for kind in ("filter", "page", "thread", "state", "diff", "live", "fork"):
            self._cancel(kind)
        self._live_dirty.clear()
        old, self._source, self._path = self._source, source, path
        if old is not None:
            self._in_background(asyncio.to_thread(old.close))
            self._in_background(self.runs.close_saver())
        self._loading_thread = None
        self._select_when_listed = None
        self._forget_thread()
        self.threads_model.reset(first, total)
        self.database_opened.emit(source.location)
        self.source_note_changed.emit(*note_texts(source))
        self.thread_count_changed.emit(total)
        self.checkpoint_selected.emit(None)

    async def _refilter(self: Controller, text: str) -> None:
        await asyncio.sleep(FILTER_DEBOUNCE_SECONDS)
        source = self._source
        if source is None:
            return
        total, first = await asyncio.to_thread(_first_page, source, text)
        if source is not self._source:
            return
        self.threads_model.reset(first, total)
        self.thread_count_changed.emit(total)
        if self._thread_id is not None:
            self.thread_selected.emit(self._thread_id)

    def _fetch_thread_page(self: Controller, generation: int, offset: int) -> None:
        if self._source is not None:
            self._start("page", self._read_page(self._source, self._filter, generation, offset))

    async def _read_page(
        self, source: CheckpointSource, text: str, generation: int, offset: int
    ) -> None:
        try:
            page = await asyncio.to_thread(
                source.list_threads, text, offset=offset, limit=PAGE_SIZE
            )
        except BaseException:
            self.threads_model.page_failed(generation)
            raise
        self.threads_model.append_page(generation, page)


def _seed_demo(path: Path) -> None:
    """Create the demo database on a private, plain asyncio loop (worker thread).

    Seeding runs the demo agent with an ``AsyncSqliteStore``, whose batching task
    LangGraph never stops; on its own loop, the runner ends that task with the seeding
    instead of leaving it behind on the window's loop. The loop is created explicitly:
    under ``qasync.run`` the default policy would make it another Qt loop.
    """
    from desktop.core.demo.seed import seed_demo_database

    with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
        runner.run(seed_demo_database(path))


FIRST_PAGE_SIZE = 60
"""Threads read with the count when a listing starts: more rows than a screen shows (two
lines each), and a third of a page's heads to judge before the first screen; the list
then pages on by ``PAGE_SIZE`` as it scrolls."""


def _first_page(source: CheckpointSource, text: str) -> tuple[int, list[ThreadSummary]]:
    """Count and first page of the thread list (worker thread)."""
    return source.count_threads(text), source.list_threads(text, offset=0, limit=FIRST_PAGE_SIZE)


FirstRead = tuple[CheckpointSource, int, list[ThreadSummary]]
"""An opened source, its thread count and its first page of threads."""


def _read_first(location: str, text: str) -> FirstRead:
    """Open ``location`` and read its count and first page (worker thread); the source
    is closed again when the read fails."""
    source = open_source(location)
    try:
        return (source, *_first_page(source, text))
    except BaseException:
        source.close()
        raise


def note_texts(source: Any) -> tuple[str, str]:
    """``(status-bar text, tooltip)`` of a source's note; ``("", "")`` without one."""
    note = source.note or ""
    return getattr(source, "short_note", None) or note, note
