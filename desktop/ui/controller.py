"""The window's brain: turns user intents into async loads and tells the widgets what to show.

Widgets stay synchronous and only call the intent methods (:meth:`Controller.open_database`,
:meth:`~Controller.select_thread`, ...). Each intent runs as one asyncio task on the qasync
loop; a new intent of the same kind cancels the previous one (choosing another thread
abandons the load of the last one). SQL, blob decoding, diffing and rendering run in
worker threads (``asyncio.to_thread``), so the event loop never blocks. Failures become a
one-line :attr:`~Controller.error_occurred` message; a database that fails to open leaves
the previous one in place.

Runs belong to :attr:`Controller.runs` (a :class:`~desktop.ui.run_controller.RunController`).
While one streams, every checkpoint it saves is read back through the read-only source
(metadata only, in a worker thread, coalesced): new checkpoints are inserted into the
shown timeline without a reload, and the thread list gains the thread or its new count.

Time travel starts here too: :meth:`Controller.replay`, :meth:`~Controller.resume`,
:meth:`~Controller.request_fork` / :meth:`~Controller.fork` and runs continued from a
past checkpoint (:meth:`~Controller.set_continue_point`). After every run and on every
thread change the shown thread's status (``runner.thread_status``, read-only) is read
again and announced, so the resume panel and the actions always match the database.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, SignalInstance

from desktop.core.diff import diff_states
from desktop.core.errors import NotFoundError, RewindError
from desktop.core.graph_config import config_graph_ids
from desktop.core.history import ThreadTimeline, build_timeline
from desktop.core.lookup import find_checkpoint
from desktop.core.model import CheckpointMeta, CheckpointState, ThreadSummary
from desktop.core.pgurl import location_of
from desktop.core.sources import CheckpointSource, open_source
from desktop.core.sources.sqlite import SqliteCheckpointSource
from desktop.core.textmatch import contains
from desktop.core.thread_filter import parse_thread_filter
from desktop.ui.bounded import SHOW_ITEMS
from desktop.ui.controllers.store import StoreController
from desktop.ui.controllers.watch import LiveWatch
from desktop.ui.intents import IntentTasks
from desktop.ui.models.threads import PAGE_SIZE, ThreadListModel
from desktop.ui.models.timeline import TimelineModel
from desktop.ui.models.timeline_cells import SHORT_ID_CHARS
from desktop.ui.render.diff import RenderedDiff, render_diff
from desktop.ui.render.state import RenderedState, render_state
from desktop.ui.run_controller import RunController
from desktop.ui.run_request import CONTINUE_RUN, FORK, RUN

if TYPE_CHECKING:
    from desktop.core.run_status import ThreadStatus

log = logging.getLogger(__name__)

FILTER_DEBOUNCE_SECONDS = 0.15
"""Typing in the filter box re-queries once the user pauses this long."""

STATE_CACHE_SIZE = 64
"""Decoded checkpoints kept per thread, so stepping back and forth costs nothing."""

LIVE_REFRESH_SECONDS = 0.05
"""Checkpoints saved within this window are read back together during a run."""

SNAPSHOT_RETIRE_SECONDS = 10.0
"""How long a replaced private-snapshot source stays open for loads still using it."""

CheckpointKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class GraphOptions:
    """``--graph``/``--config``/``--graph-id`` from the command line, kept for the run panel."""

    graph: str | None = None
    config: str | None = None
    graph_id: str | None = None


def describe_checkpoint(meta: CheckpointMeta) -> str:
    """Short human name of a checkpoint: ``step 3 · loop · …1a2b3c4d``."""
    step = "?" if meta.step is None else str(meta.step)
    return f"step {step} · {meta.source or '?'} · …{meta.checkpoint_id[-SHORT_ID_CHARS:]}"


DELETED_MESSAGE = "Deleted by another process"
"""What the state and diff panes say when the thread on screen was deleted elsewhere."""


class Controller(QObject):
    """Owns the open database, the thread and timeline models, and every async load."""

    database_opened = Signal(str)
    """A database is now open (its path); models were reset."""

    source_note_changed = Signal(str, str)
    """``(short text, full note)`` when the open database is read from a private
    snapshot (a hot journal, an unreachable ``-wal``), ``("", "")`` when it is read in
    place: the window says so in its status bar."""

    thread_count_changed = Signal(int)
    """How many threads match the current filter."""

    thread_deleted = Signal(str)
    """``thread_id``: the thread on screen was deleted by another process (live watch)."""

    thread_selected = Signal(str)
    """The thread whose timeline is shown."""

    checkpoint_selected = Signal(object)
    """The (namespace, id) of the checkpoint shown, or None."""

    state_ready = Signal(object)
    """A :class:`~desktop.ui.render.RenderedState` for the selected checkpoint."""

    state_cleared = Signal(str)
    thread_emptied = Signal(str)
    """``thread_id``: the window now shows this new thread, which has no checkpoints yet."""
    """Nothing to show in the state view; the message says why."""

    diff_ready = Signal(object)
    """A :class:`~desktop.ui.render.diff.RenderedDiff` of the selection against its diff base."""

    diff_cleared = Signal(str)
    """Nothing to show in the diff view; the message says why."""

    diff_base_changed = Signal(str, bool)
    """Text describing what the selection is compared with, and whether it was chosen."""

    graph_choice_needed = Signal(str)
    """A langgraph.json with several graphs was named without a graph id: ask which."""

    error_occurred = Signal(str)
    """A one-line message for the user (never a traceback)."""

    notice = Signal(str)
    """An inline message for the window (e.g. the demo could not be created); "" hides it."""

    busy_changed = Signal(bool)
    """True while any intent is running."""

    settled = Signal()
    """Every intent task has finished: what was asked for is on screen."""

    _first_read = Signal(object, object)
    """(open, FirstRead) from the worker that read the window's first database."""

    timeline_grown = Signal(str)
    """New checkpoints of the shown thread (this id) were added to the timeline."""

    thread_status_changed = Signal(object)
    """The shown thread's :class:`~desktop.core.run_status.ThreadStatus`, or None (no graph,
    no thread, or unreadable)."""

    fork_ready = Signal(object, object, object, object)
    """``(CheckpointState, LoadedGraph, inferred as-node or None, live values or None)``:
    open the fork editor. The live values (as the graph revives them) let the fork keep
    what the user did not touch exactly as stored."""

    continue_point_changed = Signal(object)
    """The :class:`CheckpointMeta` the next run of the shown thread starts from, or None
    (the thread's head)."""

    def __init__(
        self, graph_options: GraphOptions | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.graph_options = graph_options or GraphOptions()
        self.threads_model = ThreadListModel(self)
        self.timeline_model = TimelineModel(self)
        self.threads_model.fetch_requested.connect(self._fetch_thread_page)
        self.runs = RunController(self)
        self.runs.checkpoint_saved.connect(self._checkpoint_saved)
        self.runs.run_started.connect(self._run_started)
        self.runs.run_finished.connect(self._run_finished)
        self._source: CheckpointSource | None = None
        self._path: Path | str | None = None
        self._filter = ""
        self._thread_id: str | None = None
        self._loading_thread: str | None = None
        self._selected: CheckpointKey | None = None
        self._diff_base: CheckpointKey | None = None
        self._tasks = IntentTasks("rewind", self.error_occurred.emit, self._busy_changed)
        self._background: set[asyncio.Task[Any]] = set()
        self._taken: set[asyncio.Future[FirstRead]] = set()
        self._states: OrderedDict[CheckpointKey, asyncio.Task[CheckpointState]] = OrderedDict()
        self._busy = False
        self._live_dirty: set[str] = set()
        self._run_thread: str | None = None
        self._run_path: Path | str | None = None
        self._run_follows_head = False
        self._run_thread_shown = False
        self._status: ThreadStatus | None = None
        self._continue_point: CheckpointMeta | None = None
        self._continue_point_used = False
        self._select_when_listed: CheckpointKey | None = None
        self._first_open: tuple[Path | str] | None = None
        self._applied: weakref.WeakSet[CheckpointSource] = weakref.WeakSet()
        self._first_read.connect(self._open_first)
        self.runs.forked.connect(self._forked)
        self.runs.graph_changed.connect(self._graph_changed)
        self.watch = LiveWatch(self)
        self.store = StoreController(self)

    def _graph_changed(self, _graph: object) -> None:
        # Delta channels are folded by the attached graph's reducers: re-read states.
        self._states.clear()
        self.refresh_status()

    # -- what is open --------------------------------------------------------------------

    @property
    def path(self) -> Path | str | None:
        """The open database: a file path, or the ``postgresql://`` URL it was opened with."""
        return self._path

    @property
    def source(self) -> CheckpointSource | None:
        """The open database, if any."""
        return self._source

    @property
    def thread_id(self) -> str | None:
        """The thread whose timeline is shown."""
        return self._thread_id

    @property
    def timeline(self) -> ThreadTimeline | None:
        """The shown thread's timeline."""
        return self.timeline_model.timeline

    @property
    def selected_key(self) -> CheckpointKey | None:
        """(namespace, id) of the selected checkpoint."""
        return self._selected

    @property
    def diff_base_key(self) -> CheckpointKey | None:
        """The checkpoint chosen to diff against, or None for "the parent"."""
        return self._diff_base

    @property
    def is_busy(self) -> bool:
        """True while any intent task is running."""
        return self._busy

    @property
    def thread_status(self) -> ThreadStatus | None:
        """The shown thread's last read status (None without a graph or thread)."""
        return self._status

    @property
    def continue_point(self) -> CheckpointMeta | None:
        """The past checkpoint the next run of the shown thread starts from, or None."""
        return self._continue_point

    @property
    def selected_meta(self) -> CheckpointMeta | None:
        """The selected checkpoint's metadata, if one is selected."""
        timeline = self.timeline
        if timeline is None or self._selected is None:
            return None
        return timeline.by_key.get(self._selected)

    # -- intents -------------------------------------------------------------------------

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

    def _release(self, reading: asyncio.Future[FirstRead]) -> None:
        """After an open's task ended: a read it never took up (cancelled before it ran:
        another open, shutdown) is closed once it is done."""
        if reading in self._taken:
            self._taken.discard(reading)
        else:
            reading.add_done_callback(self._close_unused)

    def open_demo(self, *, thread_id: str | None = None, checkpoint_id: str | None = None) -> None:
        """Create the built-in demo database if needed, then open it."""
        self._start("open", self._open_demo(thread_id, checkpoint_id))

    def attach_graph(self) -> None:
        """Load the graph named by :attr:`graph_options` (in a worker thread) for runs.

        A failure is reported and leaves the database browsable read-only.
        """
        options = self.graph_options
        if options.config and not options.graph and not options.graph_id:
            try:
                several = len(config_graph_ids(Path(options.config).expanduser())) > 1
            except RewindError:
                several = False
            if several:
                self.graph_choice_needed.emit(options.config)
                return
        if options.graph or options.config:
            self._start(
                "graph", self.runs.load_graph(options.graph, options.config, options.graph_id)
            )

    def start_run(
        self,
        thread_id: str,
        input: object = None,
        values: bool = False,
        *,
        interrupt_before: list[str] | None = None,
        interrupt_after: list[str] | None = None,
    ) -> None:
        """Run the attached graph on ``thread_id`` of the open database (None: continue it).

        On the shown thread with a :attr:`continue_point`, the run starts there (a new
        branch) instead of at the head. ``interrupt_before``/``interrupt_after`` are the
        static breakpoints of this run.
        """
        path = self._writable_path()
        if path is None:
            return
        point = self._continue_point
        if point is not None and point.thread_id != thread_id:
            point = None
        self._continue_point_used = point is not None
        started = self.runs.start(
            path,
            thread_id,
            input,
            values=values,
            checkpoint_id=point.checkpoint_id if point is not None else None,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
        )
        self._continue_point_used = started and point is not None

    def replay(self, meta: CheckpointMeta, *, values: bool = False) -> None:
        """Run ``meta``'s thread again from that checkpoint (``runner.replay``), live."""
        path = self._writable_path()
        if path is not None:
            self.runs.start_replay(path, meta.thread_id, meta.checkpoint_id, values=values)

    def resume(self, thread_id: str, value: object = CONTINUE_RUN, *, values: bool = False) -> None:
        """Answer ``thread_id``'s interrupts with ``value``, or continue its stopped run."""
        path = self._writable_path()
        if path is None:
            return
        status = self._status
        shown = status is not None and status.thread_id == thread_id
        answers = [item.id for item in status.interrupts] if shown and status else None
        self.runs.start_resume(path, thread_id, value, values=values, answers=answers)

    def request_fork(self, meta: CheckpointMeta) -> None:
        """Read ``meta``'s state and the node langgraph would credit an update to, then
        emit :attr:`fork_ready` so the window opens the fork editor on it."""
        self.select_checkpoint(meta.key)
        self._start("fork", self._prepare_fork(meta))

    def fork(
        self,
        thread_id: str,
        checkpoint_id: str,
        update: dict[str, Any],
        as_node: str | None,
        checkpoint_ns: str = "",
        *,
        continue_after: bool = False,
        values: bool = False,
        interrupt_before: list[str] | None = None,
        interrupt_after: list[str] | None = None,
    ) -> None:
        """Write a fork (``runner.fork``); the new checkpoint is selected once listed, and
        with ``continue_after`` the graph runs on from it, live."""
        path = self._writable_path(refusal=self.runs.fork_failed)
        if path is None:
            return
        self.runs.start_fork(
            path,
            thread_id,
            checkpoint_id,
            update,
            as_node,
            checkpoint_ns,
            continue_after=continue_after,
            values=values,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
        )

    def set_continue_point(self, meta: CheckpointMeta | None) -> None:
        """Make the next run of ``meta``'s thread start at ``meta`` (None: at the head).

        Used once: the run it starts puts its checkpoints on that branch, which then
        holds the head, so later runs continue there anyway.
        """
        timeline = self.timeline
        head = timeline.head if timeline is not None else None
        if meta is not None and (head is None or head.key == meta.key):
            meta = None
        if meta == self._continue_point:
            return
        self._continue_point = meta
        self._continue_point_used = False
        self.timeline_model.set_continue_point(meta.key if meta else None)
        self.continue_point_changed.emit(meta)

    def diff_branch_tips(self, meta: CheckpointMeta) -> None:
        """Diff the tip of ``meta``'s branch against the head (reusing the diff base).

        On the head's own line, the head is diffed against the newest other branch tip.
        """
        timeline = self.timeline
        if timeline is None or timeline.head is None:
            return
        tips = timeline.branch_tips()
        tip = _branch_tip(timeline, _root_checkpoint(timeline, meta))
        base = timeline.head
        if tip is None or tip.key == base.key:
            others = [t for t in tips if t.key != base.key]
            if not others:
                self.error_occurred.emit("This thread has a single branch: nothing to diff")
                return
            tip, base = base, others[0]
        self.select_checkpoint(tip.key)
        self.set_diff_base(base.key)

    def refresh_status(self) -> None:
        """Read the shown thread's status again (read-only, in the loop) and announce it."""
        if self._thread_id is None or self._path is None or self.runs.graph is None:
            self._cancel("status")
            self._set_status(None)
            return
        self._start("status", self._read_status(self._path, self._thread_id))

    def set_thread_filter(self, text: str) -> None:
        """List only threads whose id contains ``text`` (debounced; re-queries the database)."""
        self._filter = text
        if self._source is not None:
            self._cancel("page")
            self._start("filter", self._refilter(text))

    def select_thread(self, thread_id: str) -> None:
        """Show ``thread_id``'s timeline and select its head."""
        if thread_id == self._loading_thread:
            return
        if thread_id == self._thread_id:
            if "thread" in self._tasks:
                self._return_to_shown_thread()
            return
        self._load_thread(thread_id, None)

    def show_new_thread(self, thread_id: str) -> None:
        """Show ``thread_id`` as a new, empty thread: no timeline, state, diff or status of
        the thread shown before (the next run writes its first checkpoint)."""
        for kind in ("thread", "state", "diff"):
            self._cancel(kind)
        self._loading_thread = None
        self._thread_id = None
        self._states.clear()
        self._selected = None
        self._diff_base = None
        self.set_continue_point(None)
        self._set_status(None)
        self.timeline_model.set_timeline(None)
        self.checkpoint_selected.emit(None)
        self.state_cleared.emit(f"New thread {thread_id}: nothing saved yet; Run sends its input")
        self.diff_cleared.emit("")
        self.thread_emptied.emit(thread_id)

    def select_checkpoint(self, key: CheckpointKey | None) -> None:
        """Show the state of checkpoint ``key`` (namespace, id) and its diff."""
        timeline = self.timeline
        if key is None or timeline is None or key not in timeline.by_key:
            return
        if key == self._selected:
            return
        if not self.runs.is_running:
            # chosen after the run ended: its last checkpoints, read back later (live
            # watch), no longer move the selection to the new head
            self._run_follows_head = False
        self._selected = key
        self.checkpoint_selected.emit(key)
        meta = timeline.by_key[key]
        self._start("state", self._show_state(meta))
        self._start("diff", self._show_diff(meta))

    def show_more(self, limit: int) -> None:
        """Render the selected checkpoint again, showing up to ``limit`` items a container."""
        timeline = self.timeline
        if self._selected is None or timeline is None:
            return
        self._start("state", self._show_state(timeline.by_key[self._selected], limit))

    def set_diff_base(self, key: CheckpointKey | None) -> None:
        """Diff the selection against ``key`` instead of its parent (None: the parent again)."""
        timeline = self.timeline
        if key is not None and (timeline is None or key not in timeline.by_key):
            return
        self._diff_base = key
        self.timeline_model.set_diff_base(key)
        if self._selected is not None and timeline is not None:
            self._start("diff", self._show_diff(timeline.by_key[self._selected]))
        else:
            self._announce_diff_base(None)

    def _load_thread(self, thread_id: str, checkpoint_id: str | None) -> None:
        self._loading_thread = thread_id
        self._start(
            "thread", self._open_thread(thread_id, checkpoint_id), cancels=("state", "diff")
        )

    def _return_to_shown_thread(self) -> None:
        """The user went back to the thread on screen while another one was loading."""
        self._cancel("thread")
        self._loading_thread = None
        key, self._selected = self._selected, None
        if self._thread_id is not None:
            self.thread_selected.emit(self._thread_id)
        self.select_checkpoint(key)

    async def shutdown(self) -> None:
        """Stop the run, cancel every intent and close the database (the window is going away)."""
        self.watch.stop()
        await self.store.shutdown()
        await self.runs.shutdown()
        self._tasks.cancel_all()
        for task in [*self._background, *self._states.values()]:
            task.cancel()
        self._states.clear()
        source, self._source = self._source, None
        if source is not None:
            await asyncio.to_thread(source.close)

    # -- task plumbing -------------------------------------------------------------------

    def _start(
        self, kind: str, coro: Coroutine[Any, Any, None], cancels: tuple[str, ...] = ()
    ) -> None:
        self._tasks.start(kind, coro, cancels)

    def _cancel(self, kind: str) -> None:
        self._tasks.cancel(kind)

    def _busy_changed(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)
        if not busy:
            self.settled.emit()

    def _close_unused(self, reading: asyncio.Future[FirstRead]) -> None:
        """Close a source read for an open that was cancelled meanwhile (unless the open
        was applied already, :meth:`_open_first`: the next open or shutdown closes it)."""
        if not reading.cancelled() and reading.exception() is None:
            source = reading.result()[0]
            if source not in self._applied:
                self._in_background(asyncio.to_thread(source.close))

    def _in_background(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- opening -------------------------------------------------------------------------

    async def _open_demo(self, thread_id: str | None, checkpoint_id: str | None) -> None:
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

    def _read_first(self, path: Path | str) -> asyncio.Future[FirstRead]:
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

    def _open_first(self, token: tuple[Path | str], read: FirstRead) -> None:
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

    def _apply_open(self, path: Path | str, read: FirstRead) -> None:
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
        self._states.clear()
        self._thread_id = None
        self._loading_thread = None
        self._selected = None
        self._diff_base = None
        self._select_when_listed = None
        self.set_continue_point(None)
        self._cancel("status")
        self._set_status(None)
        self.timeline_model.set_diff_base(None)
        self.timeline_model.set_timeline(None)
        self.threads_model.reset(first, total)
        self.database_opened.emit(source.location)
        self.source_note_changed.emit(*_note_texts(source))
        self.thread_count_changed.emit(total)
        self.checkpoint_selected.emit(None)

    async def _refilter(self, text: str) -> None:
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

    def _fetch_thread_page(self, generation: int, offset: int) -> None:
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

    # -- one thread ----------------------------------------------------------------------

    async def _open_thread(self, thread_id: str, checkpoint_id: str | None) -> None:
        source = self._source
        if source is None:
            return
        try:
            timeline, summary = await asyncio.to_thread(_read_timeline, source, thread_id)
        finally:
            if self._loading_thread == thread_id:
                self._loading_thread = None
        if thread_id != self._thread_id:
            self.set_continue_point(None)
            self._set_status(None)
        self._thread_id = thread_id
        self._states.clear()
        self._selected = None
        self._diff_base = None
        self.timeline_model.set_timeline(timeline)
        self.timeline_model.set_badges(_badges(summary))
        self.timeline_model.set_diff_base(None)
        self.thread_selected.emit(thread_id)
        self.refresh_status()
        if self.runs.is_running and self._run_thread == thread_id and self._run_path == self._path:
            self._run_thread_shown = True
            self._mark_live(thread_id)
        target = timeline.head
        if checkpoint_id:
            try:
                target = find_checkpoint(list(timeline.by_key.values()), checkpoint_id)
            except NotFoundError as error:
                self.error_occurred.emit(str(error))
        if target is None:
            self.checkpoint_selected.emit(None)
            self.state_cleared.emit("This thread has no checkpoints in the main graph")
            self.diff_cleared.emit("")
            return
        self.select_checkpoint(target.key)

    # -- live runs -----------------------------------------------------------------------

    def _run_started(self, thread_id: str) -> None:
        """Decide whether the selection follows the run to the new head when it ends.

        A run from the run panel follows only when the head was selected; a replay, a
        resume, a continued run or a run from a past checkpoint always ends on its new
        head (what the user asked to see); a fork selects the fork itself.
        """
        timeline = self.timeline
        head = timeline.head if timeline is not None else None
        request = self.runs.request
        kind = request.kind if request is not None else RUN
        self._run_thread, self._run_path = thread_id, self._path
        self._run_thread_shown = thread_id == self._thread_id
        at_head = self._selected is None or (head is not None and self._selected == head.key)
        if kind == FORK:
            self._run_follows_head = False
        elif kind == RUN and not self._continue_point_used:
            self._run_follows_head = not self._run_thread_shown or at_head
        else:
            self._run_follows_head = True

    def _forked(self, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> None:
        if thread_id == self._thread_id and self._run_path == self._path:
            self._select_when_listed = (checkpoint_ns, checkpoint_id)
        self._status_stale()

    def _checkpoint_saved(self, thread_id: str, _ns: str, _checkpoint_id: str) -> None:
        if self._run_path == self._path:
            self._mark_live(thread_id)
            point = self._continue_point
            if self._continue_point_used and point is not None and point.thread_id == thread_id:
                self.set_continue_point(None)

    def _run_finished(self, thread_id: str, _outcome: str) -> None:
        if self._run_path == self._path:
            self._mark_live(thread_id)
        self._continue_point_used = False
        self._status_stale()

    def _status_stale(self) -> None:
        """The shown thread may have changed: read its status once LangGraph's late writes
        (the cancellation record after Stop) have landed."""
        if self._thread_id is not None and self._run_path == self._path:
            self._start("status", self._read_status(self._path, self._thread_id, settle=True))

    def _mark_live(self, thread_id: str) -> None:
        """Read ``thread_id`` back soon; checkpoints saved meanwhile are read together."""
        if self._source is None:
            return
        self._live_dirty.add(thread_id)
        task = self._tasks.get("live")
        if task is None or task.done():
            self._start("live", self._refresh_live())

    async def _refresh_live(self) -> None:
        while self._live_dirty:
            await asyncio.sleep(LIVE_REFRESH_SECONDS)
            source = await self._reopen_snapshot()
            if source is None:
                return
            threads, self._live_dirty = sorted(self._live_dirty), set()
            for thread_id in threads:
                shown = thread_id == self._thread_id
                try:
                    summary, metas = await asyncio.to_thread(_read_live, source, thread_id, shown)
                except NotFoundError:
                    continue
                if source is not self._source:
                    return
                self._apply_live(summary, metas)

    async def _reopen_snapshot(self) -> CheckpointSource | None:
        """The open source; one read from a private snapshot (which never sees new
        commits) is replaced by a fresh opening first. A run's writer has rolled back the
        hot journal by now, so the fresh one usually reads the file in place. The old
        source is closed a little later: loads already under way still use it."""
        source = self._source
        if source is None or getattr(source, "short_note", None) is None:
            return source
        fresh = await asyncio.to_thread(SqliteCheckpointSource, source.path)
        if source is not self._source:
            self._in_background(asyncio.to_thread(fresh.close))
            return self._source
        self._source = fresh
        self._states.clear()
        self._in_background(_close_later(source))
        self.source_note_changed.emit(*_note_texts(fresh))
        return fresh

    def _apply_live(self, summary: ThreadSummary, metas: list[CheckpointMeta] | None) -> None:
        thread_id = summary.thread_id
        if _matches_filter(thread_id, self._filter):
            known = self.threads_model.row_of(thread_id) is not None
            self.threads_model.upsert(summary)
            if not known:
                self.thread_count_changed.emit(self.threads_model.total)
        shown = thread_id == self._thread_id and self.timeline is not None
        if shown and metas is not None:
            self.timeline_model.append_checkpoints(metas)
            self.timeline_model.set_badges(_badges(summary))
            self.timeline_grown.emit(thread_id)
        is_run_thread = thread_id == self._run_thread
        if is_run_thread and not self._run_thread_shown and self._loading_thread != thread_id:
            self._run_thread_shown = True
            self._load_thread(thread_id, None)
            return
        wanted = self._select_when_listed
        if shown and wanted is not None and self.timeline and wanted in self.timeline.by_key:
            self._select_when_listed = None
            self.select_checkpoint(wanted)
        if shown and is_run_thread and not self.runs.is_running and self._run_follows_head:
            self._run_thread = None
            head = self.timeline.head if self.timeline is not None else None
            if head is not None:
                self.select_checkpoint(head.key)

    def apply_external(self, summary: ThreadSummary, metas: list[CheckpointMeta] | None) -> None:
        """Show what another process wrote to a thread (live watch): the list gains or
        re-sorts it, the shown timeline gains ``metas``' new checkpoints, and a selection
        sitting on the head follows the new head; other selections stay put."""
        timeline = self.timeline
        head = timeline.head if timeline is not None else None
        at_head = head is not None and self._selected == head.key
        self._apply_live(summary, metas)
        if self._thread_id is None and self._loading_thread is None:
            self._load_thread(summary.thread_id, None)
            return
        timeline = self.timeline
        shown = summary.thread_id == self._thread_id
        if shown and at_head and timeline is not None and timeline.head is not None:
            self.select_checkpoint(timeline.head.key)

    def remove_external(self, thread_id: str) -> None:
        """Another process deleted a thread (live watch): it leaves the list, and when it
        was shown the timeline empties and the state pane says what happened."""
        if self.threads_model.remove(thread_id):
            self.thread_count_changed.emit(self.threads_model.total)
        if thread_id != self._thread_id or thread_id == self._loading_thread:
            return
        self._states.clear()
        self._thread_id = None
        self._selected = None
        self._diff_base = None
        self.set_continue_point(None)
        self._cancel("status")
        self._set_status(None)
        self.timeline_model.set_diff_base(None)
        self.timeline_model.set_timeline(None)
        self.checkpoint_selected.emit(None)
        self.thread_deleted.emit(thread_id)
        self.state_cleared.emit(DELETED_MESSAGE)
        self.diff_cleared.emit(DELETED_MESSAGE)

    # -- time travel ---------------------------------------------------------------------

    def _writable_path(self, refusal: SignalInstance | None = None) -> Path | str | None:
        """The open database for a write, or None after saying why there is none."""
        if self._path is None:
            (refusal or self.runs.run_refused).emit("Open a database before running")
        return self._path

    async def _read_status(self, path: Path | str, thread_id: str, *, settle: bool = False) -> None:
        if settle:
            await asyncio.sleep(LIVE_REFRESH_SECONDS)
        status = await self.runs.read_status(path, thread_id)
        if path == self._path and thread_id == self._thread_id:
            self._set_status(status)

    def _set_status(self, status: ThreadStatus | None) -> None:
        if status != self._status:
            self._status = status
            self.thread_status_changed.emit(status)

    async def _prepare_fork(self, meta: CheckpointMeta) -> None:
        from desktop.core.forking import fork_live, infer_as_node

        graph, path = self.runs.graph, self._path
        if graph is None or path is None:
            raise RewindError("Attach a graph to fork: rewind DB --graph module:attr")
        state = await self._load_state(meta)
        async with self.runs.read_saver(path) as saver:
            inferred = await infer_as_node(
                graph, saver, meta.thread_id, meta.checkpoint_id, meta.checkpoint_ns
            )
            try:
                live = await fork_live(
                    graph, saver, meta.thread_id, meta.checkpoint_id, meta.checkpoint_ns
                )
            except RewindError as error:
                log.info("forking without live values: %s", error)
                live = None
        self.fork_ready.emit(state, graph, inferred, live)

    # -- one checkpoint ------------------------------------------------------------------

    def checkpoint_state(self, meta: CheckpointMeta) -> asyncio.Future[CheckpointState]:
        """The decoded checkpoint, from the cache the state and diff views share."""
        return self._load_state(meta)

    def _load_state(self, meta: CheckpointMeta) -> asyncio.Future[CheckpointState]:
        """The decoded checkpoint, shared by the state and diff tasks and cached per thread.

        The load is shielded: cancelling one intent does not abort a decode another needs.
        """
        task = self._states.get(meta.key)
        if task is None or (task.done() and (task.cancelled() or task.exception())):
            source = self._source
            if source is None:
                raise RewindError("no database is open")
            task = asyncio.get_running_loop().create_task(self._read_state(source, meta))
            task.add_done_callback(_mark_retrieved)
            self._states[meta.key] = task
            while len(self._states) > STATE_CACHE_SIZE:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(meta.key)
        return asyncio.shield(task)

    async def _read_state(self, source: CheckpointSource, meta: CheckpointMeta) -> CheckpointState:
        """Decode in a worker thread; with a graph attached, its own reducers give the
        values Rewind derives (delta channels, a pending update), read through LangGraph
        on a read-only saver."""
        state = await asyncio.to_thread(source.load_state, meta)
        graph, path = self.runs.graph, self._path
        if graph is None or path is None:
            return state
        from desktop.core.delta_graph import fold_with_graph, graph_derived_channels

        if not graph_derived_channels(graph, state):
            return state

        try:
            async with self.runs.read_saver(path) as saver:
                (state,) = await fold_with_graph(graph, saver, [state])
        except Exception as error:
            log.info("delta channels folded without the graph: %s", error)
        return state

    async def _show_state(self, meta: CheckpointMeta, limit: int = SHOW_ITEMS) -> None:
        state = await self._load_state(meta)
        rendered: RenderedState = await asyncio.to_thread(render_state, state, limit)
        self.state_ready.emit(rendered)

    async def _show_diff(self, meta: CheckpointMeta) -> None:
        timeline = self.timeline
        if timeline is None:
            return
        base = timeline.by_key.get(self._diff_base) if self._diff_base else None
        chosen = base is not None
        if base is None:
            base = timeline.parent_of(meta)
        self._announce_diff_base(base, chosen=chosen)
        new = await self._load_state(meta)
        old = await self._load_state(base) if base is not None else None
        if base is None:
            title = f"{_step_name(meta)} vs an empty state"
        elif chosen:
            title = f"{_step_name(meta)} vs {_step_name(base)}"
        else:
            title = f"What {_step_name(meta)} changed"
        rendered: RenderedDiff = await asyncio.to_thread(_render_diff, old, new, title)
        self.diff_ready.emit(rendered)

    def _announce_diff_base(self, base: CheckpointMeta | None, *, chosen: bool = False) -> None:
        if base is None:
            text = "Compared with an empty state (no parent)" if self._selected else ""
        elif chosen:
            text = f"Compared with the chosen checkpoint {describe_checkpoint(base)}"
        else:
            text = f"Compared with its parent {describe_checkpoint(base)}"
        self.diff_base_changed.emit(text, chosen)


def _mark_retrieved(task: asyncio.Task[Any]) -> None:
    """A shared load whose every waiter was cancelled must not log "never retrieved";
    whoever awaits it next gets the error."""
    if not task.cancelled():
        task.exception()


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


def _step_name(meta: CheckpointMeta) -> str:
    return f"step {'?' if meta.step is None else meta.step} · {meta.source or '?'}"


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


def _read_timeline(
    source: CheckpointSource, thread_id: str
) -> tuple[ThreadTimeline, ThreadSummary]:
    """History of a thread arranged as a timeline, and its summary (worker thread)."""
    return build_timeline(thread_id, source.history(thread_id)), source.thread(thread_id)


def _read_live(
    source: CheckpointSource, thread_id: str, with_history: bool
) -> tuple[ThreadSummary, list[CheckpointMeta] | None]:
    """A running thread's summary and, when its timeline is shown, its history (worker)."""
    summary = source.thread(thread_id)
    return summary, source.history(thread_id) if with_history else None


def _badges(summary: ThreadSummary) -> dict[CheckpointKey, str]:
    """Badge of the thread's latest checkpoint: a failed task wins over an interrupt."""
    key = ("", summary.latest_checkpoint_id)
    if summary.has_error:
        return {key: "error"}
    if summary.has_interrupt:
        return {key: "interrupt"}
    return {}


def _note_texts(source: Any) -> tuple[str, str]:
    """``(status-bar text, tooltip)`` of a source's note; ``("", "")`` without one."""
    note = source.note or ""
    return getattr(source, "short_note", None) or note, note


async def _close_later(source: CheckpointSource) -> None:
    """Close a replaced source once the loads that started on it are done with it."""
    try:
        await asyncio.sleep(SNAPSHOT_RETIRE_SECONDS)
    finally:
        source.close()


def _matches_filter(thread_id: str, text: str) -> bool:
    """The thread list filter's id words (caseless in every script), for live additions;
    a filter with ``key=value`` terms is left to the next query."""
    parsed = parse_thread_filter(text)
    return not parsed.metadata and contains(thread_id, parsed.id_text)


def _render_diff(old: CheckpointState | None, new: CheckpointState, title: str) -> RenderedDiff:
    """Diff two states and render the result (worker thread)."""
    return render_diff(diff_states(old.values if old else {}, new.values), title=title)


def _root_checkpoint(timeline: ThreadTimeline, meta: CheckpointMeta) -> CheckpointMeta:
    """``meta`` itself, or for a subgraph checkpoint the parent-graph checkpoint it ran under."""
    if not meta.checkpoint_ns:
        return meta
    parents = meta.metadata.get("parents")
    parent_id = parents.get("") if isinstance(parents, dict) else None
    found = timeline.by_key.get(("", parent_id)) if isinstance(parent_id, str) else None
    return found or meta


def _branch_tip(timeline: ThreadTimeline, meta: CheckpointMeta) -> CheckpointMeta | None:
    """The newest branch tip whose history holds ``meta``: the end of ``meta``'s branch."""
    for tip in timeline.branch_tips():
        if any(step.key == meta.key for step in timeline.lineage(tip)):
            return tip
    return None
