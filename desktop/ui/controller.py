"""The window's brain: turns user intents into async loads and tells the widgets what to show.

Widgets stay synchronous and only call the intent methods (:meth:`Controller.open_database`,
:meth:`~Controller.select_thread`, ...). Each intent runs as one asyncio task on the qasync
loop; a new intent of the same kind cancels the previous one (choosing another thread
abandons the load of the last one). SQL, blob decoding, diffing and rendering run in
worker threads (``asyncio.to_thread``), so the event loop never blocks. Failures become a
one-line :attr:`~Controller.error_occurred` message.

The Controller holds the window's reading state, declares its signals and loads threads;
its other responsibilities are mixins in ``desktop/ui/controllers/``: opening a database
and paging the thread list (:mod:`~desktop.ui.controllers.opening`), the selected
checkpoint's state and diff (:mod:`~desktop.ui.controllers.checkpoint_view`), runs, replays,
resumes and forks (:mod:`~desktop.ui.controllers.time_travel`), and what runs and other
processes change on screen, with the shown thread's status
(:mod:`~desktop.ui.controllers.live_runs`). Runs belong to :attr:`Controller.runs` (a
:class:`~desktop.ui.run_controller.RunController`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop.core.errors import NotFoundError, RewindError
from desktop.core.graph_config import config_graph_ids
from desktop.core.history import ThreadTimeline, build_timeline
from desktop.core.lookup import find_checkpoint
from desktop.core.model import CheckpointMeta, CheckpointState, ThreadSummary
from desktop.core.sources import CheckpointSource
from desktop.ui.controllers.checkpoint_view import CheckpointKey, CheckpointView
from desktop.ui.controllers.live_runs import LiveRuns, thread_badges
from desktop.ui.controllers.opening import DatabaseOpening, FirstRead
from desktop.ui.controllers.store import StoreController
from desktop.ui.controllers.time_travel import TimeTravel
from desktop.ui.controllers.watch import LiveWatch
from desktop.ui.intents import IntentTasks
from desktop.ui.models.threads import ThreadListModel
from desktop.ui.models.timeline import TimelineModel
from desktop.ui.run_controller import RunController

if TYPE_CHECKING:
    from desktop.core.run_status import ThreadStatus


@dataclass(frozen=True, slots=True)
class GraphOptions:
    """``--graph``/``--config``/``--graph-id`` from the command line, kept for the run panel."""

    graph: str | None = None
    config: str | None = None
    graph_id: str | None = None


class Controller(DatabaseOpening, CheckpointView, TimeTravel, LiveRuns, QObject):
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

    def _in_background(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- one thread ----------------------------------------------------------------------

    def _forget_thread(self) -> None:
        """Show no thread: no timeline, selection, diff base, continue point or status."""
        self._states.clear()
        self._thread_id = None
        self._selected = None
        self._diff_base = None
        self.set_continue_point(None)
        self._cancel("status")
        self._set_status(None)
        self.timeline_model.set_diff_base(None)
        self.timeline_model.set_timeline(None)

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
        self.timeline_model.set_badges(thread_badges(summary))
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


def _read_timeline(
    source: CheckpointSource, thread_id: str
) -> tuple[ThreadTimeline, ThreadSummary]:
    """History of a thread arranged as a timeline, and its summary (worker thread)."""
    return build_timeline(thread_id, source.history(thread_id)), source.thread(thread_id)
