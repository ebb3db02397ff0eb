"""Runs the attached graph from the window, one run at a time, and reports it as Qt signals.

The controller owns the run task (a strong reference, so it is never collected while it
streams), the graph the runs use and the write connection
(:class:`~desktop.ui.run_savers.WriteSaver`): the first run opens it inside the qasync
loop; it stays open for the next runs on that database and graph, and is closed by
:meth:`RunController.close_saver`. Every write goes through the same core function as
its headless twin (:mod:`desktop.ui.run_streams`): a run (also from a past checkpoint and
with breakpoints), a replay, a resume and a fork. Each streams its parts as signals
exactly like a run (:class:`~desktop.ui.run_events.RunEvents`), one at a time, and Stop
cancels any of them: LangGraph has saved the finished steps its durability mode saves
(:attr:`RunController.settings`, LangGraph's default unless the Run settings ask for
another), so the thread stays consistent and the next run continues it. Every run,
replay, resume, continue and fork-continue is given the same
:class:`~desktop.core.run_settings.RunSettings` (configurable, context, recursion
limit, durability). Reading a thread's status never writes
(:meth:`RunController.read_saver`).

Stop is honest about synchronous nodes: LangGraph runs a plain ``def`` node in a worker
thread, which no cancel can interrupt. After Stop, while such a node is still running,
:attr:`RunController.stopping` says so ("Stopping: waiting for node X (synchronous)")
and the run ends (``stopped``) only once the thread has returned. Quitting
(:meth:`RunController.shutdown`) does not wait for it: on the window's loop the default
executor (:class:`desktop.core.executor.DaemonExecutor`) runs such nodes on daemon
threads, which never keep the process alive.

Every run holds its thread's write lock (:mod:`desktop.core.locks`), so a thread that
another Rewind process is writing is refused with one line, like a headless run.

The core runner is imported lazily (it pulls in LangGraph), so opening the window for
inspection stays fast; loading a graph imports it in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, SignalInstance

from desktop.core.errors import RewindError
from desktop.ui import run_savers
from desktop.ui.run_events import RunEvents
from desktop.ui.run_request import FAILED, FINISHED, INTERRUPTED, PAUSED, STOPPED, RunRequest
from desktop.ui.run_requests import RunRequests

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from desktop.core.graphs import LoadedGraph
    from desktop.core.run_status import ThreadStatus
    from desktop.core.running import RunningNodes
    from desktop.ui.run_streams import EventStream

log = logging.getLogger(__name__)


def _load(spec: str | None, config_path: str | None, graph_id: str | None) -> LoadedGraph:
    """Import the runner and the user's graph (worker thread: imports can be slow)."""
    import desktop.core.runner  # noqa: F401  (warm the import before the first run)
    from desktop.core.graphs import load_graph

    return load_graph(
        spec, config_path=Path(config_path).expanduser() if config_path else None, graph_id=graph_id
    )


class RunController(RunRequests, QObject):
    """Owns the attached graph and the (single) run task; reports runs as signals.

    The requests (``start``, ``start_replay``, ``start_resume``, ``start_fork``) and the
    Run settings come from :class:`~desktop.ui.run_requests.RunRequests`.
    """

    graph_loading = Signal(str)
    """A graph is being loaded (what the user named: spec or langgraph.json)."""

    graph_changed = Signal(object)
    """The attached :class:`~desktop.core.graphs.LoadedGraph`, or None."""

    graph_failed = Signal(str)
    """The graph could not be loaded (one line); the database stays read-only."""

    running_changed = Signal(bool)
    """A run started (True) or ended (False)."""

    run_started = Signal(str)
    """A run started on this thread id."""

    event_received = Signal(object)
    """Each streamed :class:`~desktop.core.run_stream.StreamEvent`, as it arrives."""

    node_changed = Signal(str)
    """The node(s) running now, e.g. ``researcher › gather``; "" when none."""

    checkpoint_saved = Signal(str, str, str)
    """``(thread_id, checkpoint_ns, checkpoint_id)``: LangGraph saved a checkpoint."""

    interrupted = Signal(str, object)
    """``(thread_id, [interrupt values])``: the run paused at ``interrupt()``."""

    run_failed = Signal(str, str)
    """``(message, node)``: the graph failed while running; node "" when unknown."""

    run_refused = Signal(str)
    """The request itself was wrong (no graph, no such thread, unusable database...)."""

    forked = Signal(str, str, str)
    """``(thread_id, checkpoint_ns, checkpoint_id)``: a fork wrote this new checkpoint."""

    fork_failed = Signal(str)
    """A fork could not be written (one line); nothing changed in the database."""

    run_finished = Signal(str, str)
    """``(thread_id, outcome)``: finished, interrupted, paused, stopped, failed or forked."""

    stopping = Signal(str)
    """After Stop, what the run still waits for, e.g. ``node slow (synchronous)``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._graph: LoadedGraph | None = None
        self._task: asyncio.Task[None] | None = None
        self._active = False
        self._request: RunRequest | None = None
        self._writer = run_savers.WriteSaver()
        self._progress: RunningNodes | None = None
        self._quitting = False
        self._stopping = False

    @property
    def graph(self) -> LoadedGraph | None:
        """The graph runs use, or None (inspection only)."""
        return self._graph

    @property
    def is_running(self) -> bool:
        """True from :meth:`start` until just before :attr:`run_finished` is emitted."""
        return self._active

    @property
    def thread_id(self) -> str | None:
        """The thread of the current run."""
        return self._request.thread_id if self.is_running and self._request else None

    @property
    def path(self) -> Path | None:
        """The database the current run writes to."""
        return self._request.path if self.is_running and self._request else None

    @property
    def request(self) -> RunRequest | None:
        """What the current run, or else the last one, was asked to do."""
        return self._request

    # -- the graph -----------------------------------------------------------------------

    async def load_graph(
        self, spec: str | None, config_path: str | None = None, graph_id: str | None = None
    ) -> None:
        """Load and attach a graph in a worker thread; a failure detaches and re-raises."""
        named = spec or str(config_path)
        self.graph_loading.emit(f"{named} ({graph_id})" if graph_id else named)
        try:
            graph = await asyncio.to_thread(_load, spec, config_path, graph_id)
        except RewindError as error:
            self.set_graph(None)
            self.graph_failed.emit(str(error))
            raise
        self.set_graph(graph)

    def set_graph(self, graph: LoadedGraph | None) -> None:
        """Attach ``graph`` (None detaches it)."""
        self._graph = graph
        self.graph_changed.emit(graph)

    # -- the run -------------------------------------------------------------------------

    def read_saver(
        self, path: str | Path
    ) -> contextlib.AbstractAsyncContextManager[AsyncSqliteSaver]:
        """A read-only saver on ``path`` for the attached graph (never runs ``setup()``).

        For :func:`desktop.core.run_status.thread_status` and the fork editor's look-ups, so
        reading a thread's status leaves the file as it was.
        """
        return run_savers.read_saver(self._graph, path)

    async def read_status(self, path: str | Path, thread_id: str) -> ThreadStatus | None:
        """``run_status.thread_status`` of ``thread_id``, read-only; None without a graph or when
        the status cannot be read (no root checkpoint, unreadable state)."""
        return await run_savers.read_status(self._graph, path, thread_id)

    def stop(self) -> None:
        """Cancel the current run; :attr:`run_finished` reports ``stopped`` when it ends.

        While a stopped run waits for a synchronous node (:attr:`stopping`), asking again
        changes nothing: the run has not stopped until the node returned.
        """
        if self._task is not None and not self._task.done() and not self._stopping:
            self._task.cancel()

    async def shutdown(self) -> None:
        """Stop the run, if any, and close the write connection.

        Does not wait for a synchronous node still running in its thread: quitting
        abandons it (it runs again when the thread is resumed).
        """
        self._quitting = True
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
        await self.close_saver()

    async def close_saver(self) -> None:
        """Close the write connection, once the writes LangGraph still has in flight are done.

        Does nothing while a run is going (the run needs it).
        """
        if not self.is_running:
            await self._writer.close()

    def _launch(
        self,
        request: RunRequest,
        events: EventStream,
        *,
        refusal: SignalInstance | None = None,
        done: str = FINISHED,
    ) -> bool:
        """Start the one run task; refuse (with a reason) without a graph or during a run.

        ``refusal`` is the signal that says why the request was wrong (default
        :attr:`run_refused`); ``done`` the outcome of a run that neither paused nor failed.
        """
        refuse = refusal or self.run_refused
        if self._graph is None:
            refuse.emit("No graph is attached, so nothing can run")
            return False
        if self.is_running:
            refuse.emit("A run is already going; stop it first")
            return False
        from desktop.core.running import RunningNodes

        self._request = request
        self._progress = RunningNodes(self._graph.graph)
        self._active = True
        self._task = asyncio.get_running_loop().create_task(
            self._run(self._graph, request, events, refuse, done),
            name=f"rewind-{request.kind}-{request.thread_id}",
        )
        self.running_changed.emit(True)
        self.run_started.emit(request.thread_id)
        return True

    async def _run(
        self,
        graph: LoadedGraph,
        request: RunRequest,
        events: EventStream,
        refuse: SignalInstance,
        done: str,
    ) -> None:
        from desktop.core.executor import run_scope
        from desktop.core.run_stream import RunError

        thread_id = request.thread_id
        outcome = FAILED
        stream = RunEvents(thread_id, self.node_changed, self.checkpoint_saved, self.event_received)
        try:
            with run_scope() as threads:
                saver = await self._writer.open(request.path, graph)
                async for event in events(graph, saver, self._progress):
                    stream.read(event)
            outcome = INTERRUPTED if stream.interrupts else PAUSED if stream.paused else done
        except asyncio.CancelledError:
            outcome = STOPPED
            await self._wait_for_threads(threads.pending())
            raise
        except RunError as error:
            self.run_failed.emit(str(error), error.node or "")
        except RewindError as error:
            refuse.emit(str(error))
        except Exception as error:
            log.exception("unexpected error in a run")
            detail = " ".join(str(error).split()) or type(error).__name__
            self.run_failed.emit(f"Unexpected error: {detail}", "")
        finally:
            self._active = False
            stream.stop()
            if stream.interrupts and outcome == INTERRUPTED:
                self.interrupted.emit(thread_id, list(stream.interrupts.values()))
            self.running_changed.emit(False)
            self.run_finished.emit(thread_id, outcome)

    async def _wait_for_threads(self, pending: list[Any]) -> None:
        """After Stop, wait until the synchronous nodes left running have returned,
        saying so (:attr:`stopping`); not when quitting, nor after a second cancel."""
        if not pending or self._quitting:
            return
        progress = self._progress
        waiting = (progress.describe() if progress is not None else "") or "a synchronous node"
        self._stopping = True
        self.stopping.emit(waiting)
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([asyncio.wrap_future(future) for future in pending])
        finally:
            self._stopping = False
