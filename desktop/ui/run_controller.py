"""Runs the attached graph from the window, one run at a time, and reports it as Qt signals.

The controller owns the run task (a strong reference, so it is never collected while it
streams), the graph the runs use and the write connection. The first run opens Rewind's
``AsyncSqliteSaver`` on the database *inside* the qasync loop (the saver binds to the
running loop); it stays open for the next runs on that database and graph, and is
closed by :meth:`RunController.close_saver`. Every write goes through the same core
function as its headless twin: a run (:func:`desktop.core.runner.run`, also from a past
checkpoint and with breakpoints), a replay, a resume and a fork. Each streams its parts
as signals exactly like a run, one at a time, and Stop cancels any of them: LangGraph has
saved the finished steps its durability mode saves (:attr:`RunController.settings`,
LangGraph's default unless the Run settings ask for another), so the thread stays
consistent and the next run continues it. Every run, replay, resume, continue and
fork-continue is given the same :class:`~desktop.core.run_settings.RunSettings`
(configurable, context, recursion limit, durability).

Reading a thread's status and the node a fork is credited to never writes: those go
through a separate read-only connection (:meth:`RunController.read_saver`), so browsing
a database with a graph attached leaves the file untouched.

Keeping the saver open matters for Stop: when a node is cancelled, LangGraph records
the cancellation with a write it schedules *after* the stream has ended. On a saver
closed right away, that write would die half-way and leave its transaction, and the
database's write lock, behind; on the open saver it simply completes.

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
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QObject, Signal, SignalInstance

from desktop.core.errors import RewindError
from desktop.core.pgurl import location_of
from desktop.core.run_settings import RunSettings
from desktop.ui.widgets.event_log import PATH_SEPARATOR, node_path

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from desktop.core.graph_types import TypeKey
    from desktop.core.graphs import LoadedGraph
    from desktop.core.run_status import ThreadStatus
    from desktop.core.run_stream import StreamEvent
    from desktop.core.running import RunningNodes
    from desktop.core.savers import RewindSaver

log = logging.getLogger(__name__)

LIVE_MODES: Final = ("messages", "updates", "custom", "tasks", "checkpoints")
"""What a run from the window streams; ``values`` is added on demand."""

FINISHED: Final = "finished"
INTERRUPTED: Final = "interrupted"
PAUSED: Final = "paused"
STOPPED: Final = "stopped"
FAILED: Final = "failed"
FORKED: Final = "forked"
"""How a run ended (the ``outcome`` of :attr:`RunController.run_finished`): ``paused``
at a static breakpoint, ``forked`` for a fork that ran nothing after it."""

RUN: Final = "run"
REPLAY: Final = "replay"
RESUME: Final = "resume"
CONTINUE: Final = "continue"
FORK: Final = "fork"
"""What a run does (:attr:`RunRequest.kind`): a run (also from a past checkpoint), a replay,
answering interrupts, continuing a stopped run, or a fork (and what runs after it)."""


class _ContinueRun:
    """Type of :data:`CONTINUE_RUN`."""

    def __repr__(self) -> str:
        return "CONTINUE_RUN"


CONTINUE_RUN: Final = _ContinueRun()
"""The default of :meth:`RunController.start_resume`: no value, continue the stopped run.

Stands for ``desktop.core.runner.NO_VALUE`` (which may be passed too) so that this
module does not import the runner, and LangGraph, when the window opens.
"""


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What the current (or last) run was asked to do, for the window to describe it.

    ``checkpoint_id`` is where it starts when that is not the thread's head (a replay, a
    fork, a run continued from a past checkpoint), ``checkpoint_ns`` that checkpoint's
    namespace.
    """

    kind: str
    thread_id: str
    path: Path | str
    checkpoint_id: str | None = None
    checkpoint_ns: str = ""


LATE_WRITE_TURNS: Final = 5
"""Loop turns given to writes LangGraph schedules after a stream ended, before closing."""

DEMO_DESCRIPTION: Final = "built-in scripted demo agent · offline, no API key"


def describe_graph(graph: LoadedGraph) -> str:
    """What the window says is attached: the demo is labelled as the built-in demo."""
    from desktop.core.graphs import DEMO_SPEC

    if graph.spec == DEMO_SPEC:
        return f"Graph: {graph.name} — {DEMO_DESCRIPTION}"
    if graph.config_path is not None:
        return f"Graph: {graph.name} · {graph.graph_id or graph.spec} from {graph.config_path.name}"
    return f"Graph: {graph.name} · {graph.spec}"


def short_graph_label(graph: LoadedGraph) -> str:
    """The graph's name for the status bar, with "(built-in demo)" for the demo."""
    from desktop.core.graphs import DEMO_SPEC

    return f"Graph: {graph.name}" + (" (built-in demo)" if graph.spec == DEMO_SPEC else "")


def _load(spec: str | None, config_path: str | None, graph_id: str | None) -> LoadedGraph:
    """Import the runner and the user's graph (worker thread: imports can be slow)."""
    import desktop.core.runner  # noqa: F401  (warm the import before the first run)
    from desktop.core.graphs import load_graph

    return load_graph(
        spec, config_path=Path(config_path).expanduser() if config_path else None, graph_id=graph_id
    )


def _innermost(paths: Iterable[str]) -> list[str]:
    """The running node paths without their running parents (a subgraph's node, not both)."""
    unique = list(dict.fromkeys(paths))
    return [p for p in unique if not any(o.startswith(p + PATH_SEPARATOR) for o in unique)]


class RunController(QObject):
    """Owns the attached graph and the (single) run task; reports runs as signals."""

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
        self._running_nodes: dict[str, str] = {}
        self._saver: RewindSaver | None = None
        self._saver_stack: contextlib.AsyncExitStack | None = None
        self._saver_key: tuple[Path | str, frozenset[TypeKey]] | None = None
        self._progress: RunningNodes | None = None
        self._quitting = False
        self._stopping = False
        self._settings = RunSettings()

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

    @property
    def settings(self) -> RunSettings:
        """What the next runs, replays, resumes and continues are given: configurable,
        context, recursion limit and durability (LangGraph's defaults when unset)."""
        return self._settings

    def set_settings(self, settings: RunSettings) -> None:
        """Use ``settings`` from the next run on (a run going keeps its own)."""
        self._settings = settings

    @property
    def durability(self) -> str | None:
        """LangGraph's durability for the next runs; None is LangGraph's default (async)."""
        return self._settings.durability

    @property
    def recursion_limit(self) -> int | None:
        """The step limit of the next runs (None: LangGraph's default, 25)."""
        return self._settings.recursion_limit

    def _run_options(self) -> dict[str, Any]:
        """The runner's keyword arguments for the current settings (taken at start)."""
        settings = self._settings
        return {
            "recursion_limit": settings.recursion_limit,
            "durability": settings.durability,
            "configurable": dict(settings.configurable) or None,
            "context": None if settings.context is None else dict(settings.context),
        }

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

    # -- runs ----------------------------------------------------------------------------

    def start(
        self,
        path: str | Path,
        thread_id: str,
        input: Any = None,
        *,
        values: bool = False,
        checkpoint_id: str | None = None,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
    ) -> bool:
        """Start a run of the attached graph on ``thread_id``; False when one cannot start.

        ``input=None`` continues the thread from its latest checkpoint, or from
        ``checkpoint_id`` when given; an input with a ``checkpoint_id`` starts a new
        branch there. ``interrupt_before``/``interrupt_after`` are static breakpoints.
        ``values`` adds the ``values`` stream mode (the full state after every step).
        """
        modes = _modes(values)

        def events(graph: LoadedGraph, saver: RewindSaver) -> AsyncIterator[StreamEvent]:
            from desktop.core.runner import run

            return run(
                graph,
                saver,
                thread_id,
                input,
                checkpoint_id=checkpoint_id,
                stream_modes=modes,
                interrupt_before=interrupt_before or None,
                interrupt_after=interrupt_after or None,
                running=self._progress,
                **options,
            )

        options = self._run_options()
        return self._launch(RunRequest(RUN, thread_id, location_of(path), checkpoint_id), events)

    def start_replay(
        self, path: str | Path, thread_id: str, checkpoint_id: str, *, values: bool = False
    ) -> bool:
        """Replay ``thread_id`` from ``checkpoint_id`` (``runner.replay``), streamed live.

        The nodes before that checkpoint are not run again; LangGraph writes the new
        steps as a branch after it.
        """
        modes = _modes(values)

        def events(graph: LoadedGraph, saver: RewindSaver) -> AsyncIterator[StreamEvent]:
            from desktop.core.runner import replay

            return replay(
                graph,
                saver,
                thread_id,
                checkpoint_id,
                stream_modes=modes,
                running=self._progress,
                **options,
            )

        options = self._run_options()
        return self._launch(RunRequest(REPLAY, thread_id, location_of(path), checkpoint_id), events)

    def start_resume(
        self,
        path: str | Path,
        thread_id: str,
        value: Any = CONTINUE_RUN,
        *,
        values: bool = False,
        answers: Sequence[str] | None = None,
    ) -> bool:
        """Resume ``thread_id`` (``runner.resume``): answer its interrupts with ``value``, or,
        without one, continue its stopped run from the latest checkpoint.

        ``answers`` are the ids of the interrupts the user answered (as shown); the
        resume is refused when another run answered one of them meanwhile.
        """
        continuing = _is_continue(value)
        modes = _modes(values)
        options = self._run_options()

        def events(graph: LoadedGraph, saver: RewindSaver) -> AsyncIterator[StreamEvent]:
            from desktop.core.runner import NO_VALUE, resume

            answer = NO_VALUE if continuing else value
            return resume(
                graph,
                saver,
                thread_id,
                answer,
                stream_modes=modes,
                answers=None if continuing else answers,
                running=self._progress,
                **options,
            )

        kind = CONTINUE if continuing else RESUME
        return self._launch(RunRequest(kind, thread_id, location_of(path)), events)

    def start_fork(
        self,
        path: str | Path,
        thread_id: str,
        checkpoint_id: str,
        update: Mapping[str, Any],
        as_node: str | None = None,
        checkpoint_ns: str = "",
        *,
        continue_after: bool = False,
        values: bool = False,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
    ) -> bool:
        """Write a fork after ``checkpoint_id`` (``runner.fork``), then optionally run on.

        :attr:`forked` names the new checkpoint (or :attr:`fork_failed` says why there is
        none). With ``continue_after``, the graph then runs from the new checkpoint
        (``run(None, checkpoint_id=new)``), streamed like any run.
        """
        modes = _modes(values)
        request = RunRequest(FORK, thread_id, location_of(path), checkpoint_id, checkpoint_ns)

        async def fork_then_run(
            graph: LoadedGraph, saver: RewindSaver
        ) -> AsyncIterator[StreamEvent]:
            from desktop.core.runner import fork, run

            new_id = await fork(
                graph, saver, thread_id, checkpoint_id, update, as_node, checkpoint_ns
            )
            self.checkpoint_saved.emit(thread_id, checkpoint_ns, new_id)
            self.forked.emit(thread_id, checkpoint_ns, new_id)
            if not continue_after:
                return
            async for event in run(
                graph,
                saver,
                thread_id,
                None,
                checkpoint_id=new_id,
                stream_modes=modes,
                interrupt_before=interrupt_before or None,
                interrupt_after=interrupt_after or None,
                running=self._progress,
                **options,
            ):
                yield event

        options = self._run_options()

        return self._launch(
            request,
            fork_then_run,
            refusal=self.fork_failed,
            done=FINISHED if continue_after else FORKED,
        )

    @contextlib.asynccontextmanager
    async def read_saver(self, path: str | Path) -> AsyncIterator[AsyncSqliteSaver]:
        """A read-only saver on ``path`` for the attached graph (never runs ``setup()``).

        For :func:`desktop.core.run_status.thread_status` and the fork editor's look-ups, so
        reading a thread's status leaves the file as it was.
        """
        from desktop.core.savers import open_read_saver

        graph = self._graph
        if graph is None:
            raise RewindError("No graph is attached: attach one to read the thread with it")
        async with open_read_saver(path, allowed_types=graph.msgpack_allowlist) as saver:
            yield saver

    async def read_status(self, path: str | Path, thread_id: str) -> ThreadStatus | None:
        """``run_status.thread_status`` of ``thread_id``, read-only; None without a graph or when
        the status cannot be read (no root checkpoint, unreadable state)."""
        import sqlite3

        from desktop.core.run_status import thread_status

        graph = self._graph
        if graph is None:
            return None
        try:
            async with self.read_saver(path) as saver:
                return await thread_status(graph, saver, thread_id)
        except (RewindError, sqlite3.Error) as error:
            log.info("no status for thread %s: %s", thread_id, error)
            return None

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
        saver, stack = self._saver, self._saver_stack
        if stack is None or saver is None or self.is_running:
            return
        self._saver = self._saver_stack = self._saver_key = None
        for _ in range(LATE_WRITE_TURNS):
            await asyncio.sleep(0)
        async with saver.lock:
            pass
        await stack.aclose()

    async def _open_saver(self, path: Path | str, graph: LoadedGraph) -> RewindSaver:
        """The open saver for ``path`` and ``graph``'s types, reopened when either changed."""
        from desktop.core.savers import open_saver

        key = (path.resolve() if isinstance(path, Path) else path, graph.msgpack_allowlist)
        if self._saver is not None and self._saver_key == key:
            return self._saver
        if self._saver_stack is not None:
            stack, self._saver, self._saver_stack = self._saver_stack, None, None
            await stack.aclose()
        stack = contextlib.AsyncExitStack()
        saver = await stack.enter_async_context(
            open_saver(path, allowed_types=graph.msgpack_allowlist)
        )
        self._saver, self._saver_stack, self._saver_key = saver, stack, key
        return saver

    def _launch(
        self,
        request: RunRequest,
        events: Callable[[LoadedGraph, RewindSaver], AsyncIterator[StreamEvent]],
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
        self._running_nodes.clear()
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
        events: Callable[[LoadedGraph, RewindSaver], AsyncIterator[StreamEvent]],
        refuse: SignalInstance,
        done: str,
    ) -> None:
        from desktop.core.executor import run_scope
        from desktop.core.run_stream import RunError

        thread_id = request.thread_id
        outcome = FAILED
        interrupts: dict[str, Any] = {}
        paused = False
        try:
            with run_scope() as threads:
                saver = await self._open_saver(request.path, graph)
                async for event in events(graph, saver):
                    paused = self._dispatch(thread_id, event, interrupts) or paused
            outcome = INTERRUPTED if interrupts else PAUSED if paused else done
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
            self._running_nodes.clear()
            self.node_changed.emit("")
            if interrupts and outcome == INTERRUPTED:
                self.interrupted.emit(thread_id, list(interrupts.values()))
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

    def _dispatch(self, thread_id: str, event: StreamEvent, interrupts: dict[str, Any]) -> bool:
        """Emit the signals ``event`` stands for; True when the run paused at a breakpoint
        (an empty ``__interrupt__`` update of the root graph)."""
        paused = False
        data = event.data
        if event.type == "tasks" and isinstance(data, dict) and "id" in data:
            task_id = str(data["id"])
            if "input" in data:
                self._running_nodes[task_id] = node_path(event.ns, str(data.get("name", "?")))
            else:
                self._running_nodes.pop(task_id, None)
            self.node_changed.emit(", ".join(_innermost(self._running_nodes.values())))
        elif event.type == "updates" and isinstance(data, dict) and "__interrupt__" in data:
            paused = not data["__interrupt__"] and not event.ns
            for item in data["__interrupt__"] or ():
                if isinstance(item, dict):
                    interrupts.setdefault(str(item.get("id", len(interrupts))), item.get("value"))
        elif event.type == "checkpoints" and isinstance(data, dict):
            configurable = (data.get("config") or {}).get("configurable") or {}
            checkpoint_id = configurable.get("checkpoint_id")
            if checkpoint_id:
                ns = str(configurable.get("checkpoint_ns", ""))
                self.checkpoint_saved.emit(thread_id, ns, str(checkpoint_id))
        self.event_received.emit(event)
        return paused


def _is_continue(value: Any) -> bool:
    """True for :data:`CONTINUE_RUN` and for the runner's own ``NO_VALUE``.

    Whoever holds ``NO_VALUE`` has imported the runner, so it is looked up, not imported.
    """
    if isinstance(value, _ContinueRun):
        return True
    runner = sys.modules.get("desktop.core.runner")
    return runner is not None and value is runner.NO_VALUE


def _modes(values: bool) -> tuple[str, ...]:
    """The stream modes of a run from the window; ``values`` adds the full state per step."""
    return (*LIVE_MODES, "values") if values else LIVE_MODES
