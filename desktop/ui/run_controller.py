"""Runs the attached graph from the window, one run at a time, and reports it as Qt signals.

The controller owns the run task (a strong reference, so it is never collected while it
streams), the graph the runs use and the write connection. The first run opens Rewind's
``AsyncSqliteSaver`` on the database *inside* the qasync loop (the saver binds to the
running loop); it stays open for the next runs on that database and graph, and is
closed by :meth:`RunController.close_saver`. A run consumes
:func:`desktop.core.runner.run` and emits one signal per streamed part. Stop cancels
the task: LangGraph has saved every finished step (``durability="sync"``), so the
thread stays consistent and the next run continues it.

Keeping the saver open matters for Stop: when a node is cancelled, LangGraph records
the cancellation with a write it schedules *after* the stream has ended. On a saver
closed right away, that write would die half-way and leave its transaction, and the
database's write lock, behind; on the open saver it simply completes.

The core runner is imported lazily (it pulls in LangGraph), so opening the window for
inspection stays fast; loading a graph imports it in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QObject, Signal

from desktop.core.errors import RewindError
from desktop.ui.widgets.stream_view import PATH_SEPARATOR, node_path

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph, TypeKey
    from desktop.core.runner import RewindSaver, StreamEvent

log = logging.getLogger(__name__)

LIVE_MODES: Final = ("messages", "updates", "custom", "tasks", "checkpoints")
"""What a run from the window streams; ``values`` is added on demand."""

FINISHED: Final = "finished"
INTERRUPTED: Final = "interrupted"
STOPPED: Final = "stopped"
FAILED: Final = "failed"
"""How a run ended (the ``outcome`` of :attr:`RunController.run_finished`)."""

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
    """Each streamed :class:`~desktop.core.runner.StreamEvent`, as it arrives."""

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

    run_finished = Signal(str, str)
    """``(thread_id, outcome)`` with outcome finished, interrupted, stopped or failed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._graph: LoadedGraph | None = None
        self._task: asyncio.Task[None] | None = None
        self._active = False
        self._thread_id: str | None = None
        self._path: Path | None = None
        self._running_nodes: dict[str, str] = {}
        self._saver: RewindSaver | None = None
        self._saver_stack: contextlib.AsyncExitStack | None = None
        self._saver_key: tuple[Path, frozenset[TypeKey]] | None = None

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
        return self._thread_id if self.is_running else None

    @property
    def path(self) -> Path | None:
        """The database the current run writes to."""
        return self._path if self.is_running else None

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
        self, path: str | Path, thread_id: str, input: Any = None, *, values: bool = False
    ) -> bool:
        """Start a run of the attached graph on ``thread_id``; False when one cannot start.

        ``input=None`` continues the thread from its latest checkpoint. ``values`` adds
        the ``values`` stream mode (the full state after every step).
        """
        if self._graph is None:
            self.run_refused.emit("No graph is attached, so nothing can run")
            return False
        if self.is_running:
            self.run_refused.emit("A run is already going; stop it first")
            return False
        modes = (*LIVE_MODES, "values") if values else LIVE_MODES
        self._thread_id, self._path = thread_id, Path(path)
        self._running_nodes.clear()
        self._active = True
        self._task = asyncio.get_running_loop().create_task(
            self._run(self._graph, Path(path), thread_id, input, modes),
            name=f"rewind-run-{thread_id}",
        )
        self.running_changed.emit(True)
        self.run_started.emit(thread_id)
        return True

    def stop(self) -> None:
        """Cancel the current run; :attr:`run_finished` reports ``stopped`` when it ends."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def shutdown(self) -> None:
        """Stop the run, if any, and close the write connection."""
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

    async def _open_saver(self, path: Path, graph: LoadedGraph) -> RewindSaver:
        """The open saver for ``path`` and ``graph``'s types, reopened when either changed."""
        from desktop.core.runner import open_saver

        key = (path.resolve(), graph.msgpack_allowlist)
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

    async def _run(
        self,
        graph: LoadedGraph,
        path: Path,
        thread_id: str,
        input: Any,
        modes: Sequence[str],
    ) -> None:
        from desktop.core.runner import RunError, run

        outcome = FAILED
        interrupts: dict[str, Any] = {}
        try:
            saver = await self._open_saver(path, graph)
            async for event in run(graph, saver, thread_id, input, stream_modes=modes):
                self._dispatch(thread_id, event, interrupts)
            outcome = INTERRUPTED if interrupts else FINISHED
        except asyncio.CancelledError:
            outcome = STOPPED
            raise
        except RunError as error:
            self.run_failed.emit(str(error), error.node or "")
        except RewindError as error:
            self.run_refused.emit(str(error))
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

    def _dispatch(self, thread_id: str, event: StreamEvent, interrupts: dict[str, Any]) -> None:
        data = event.data
        if event.type == "tasks" and isinstance(data, dict) and "id" in data:
            task_id = str(data["id"])
            if "input" in data:
                self._running_nodes[task_id] = node_path(event.ns, str(data.get("name", "?")))
            else:
                self._running_nodes.pop(task_id, None)
            self.node_changed.emit(", ".join(_innermost(self._running_nodes.values())))
        elif event.type == "updates" and isinstance(data, dict) and "__interrupt__" in data:
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
