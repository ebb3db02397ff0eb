"""The Graph pane's brain: which picture to draw, node states, live runs, breakpoints, filter.

:class:`GraphController` binds a :class:`~desktop.ui.widgets.graph_view.GraphPane` to
the window's :class:`~desktop.ui.controller.Controller`:

- the attached graph is drawn as LangGraph draws it (``get_graph(xray=True)``); without
  one, the selected thread's history is drawn, labelled "inferred from history";
- the selected checkpoint colours the nodes (:func:`~desktop.core.graph_view.node_states`);
- during a run, the nodes of the tasks streaming now are highlighted, inside subgraphs too;
- clicking a node of the graph toggles a breakpoint before it (Shift: after it) in the
  same :class:`~desktop.ui.widgets.breakpoints.BreakpointsWidget` the run panel uses;
- double-clicking a node filters the timeline to the checkpoints it wrote
  (:class:`~desktop.ui.controllers.graph_filter.NodeFilter`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Signal
from PySide6.QtWidgets import QMenu
from shiboken6 import isValid

from desktop.core.errors import RewindError
from desktop.core.graph_infer import infer_picture
from desktop.core.graph_layout import layout_picture
from desktop.core.graph_view import (
    SEPARATOR,
    CheckpointActivity,
    GraphPicture,
    checkpoint_activity,
    collapse,
    node_states,
    picture_of,
    running_node_id,
)
from desktop.ui.controllers.graph_filter import NodeFilter

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph
    from desktop.core.model import CheckpointMeta
    from desktop.core.run_stream import StreamEvent
    from desktop.ui.controller import Controller
    from desktop.ui.widgets.breakpoints import BreakpointsWidget
    from desktop.ui.widgets.graph_view import GraphPane
    from desktop.ui.widgets.timeline_view import TimelineView

log = logging.getLogger(__name__)
INFERRED_SUFFIX = "inferred from history"


class GraphController(QObject):
    """Keeps the Graph pane in step with the graph, the selection, runs and breakpoints."""

    picture_drawn = Signal()
    """A new picture is on screen (laid out off the event loop, so it comes a bit later)."""

    def __init__(
        self,
        controller: Controller,
        pane: GraphPane,
        breakpoints: BreakpointsWidget,
        timeline_view: TimelineView,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.pane = pane
        self.breakpoints = breakpoints
        self.timeline_view = timeline_view
        self.full_picture: GraphPicture | None = None
        self.picture: GraphPicture | None = None
        self.collapsed: set[str] = set()
        self.activity: CheckpointActivity | None = None
        self.running_tasks: dict[str, str] = {}
        self.node_filter = NodeFilter(controller, pane, timeline_view, self)
        self._inferred_for: tuple[str, int] | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        scene = pane.scene
        scene.node_clicked.connect(self.toggle_breakpoint)
        scene.node_double_clicked.connect(self.filter_timeline)
        scene.subgraph_toggled.connect(self.toggle_subgraph)
        scene.node_menu_requested.connect(self._node_menu)
        self.menu = QMenu(pane)
        self.menu.setObjectName("graphNodeMenu")
        breakpoints.changed.connect(self._show_breakpoints)
        runs = controller.runs
        runs.graph_changed.connect(self._graph_changed)
        runs.event_received.connect(self._event)
        runs.running_changed.connect(self._running_changed)
        controller.checkpoint_selected.connect(self._checkpoint_selected)
        controller.thread_selected.connect(self._thread_selected)
        controller.timeline_grown.connect(self._timeline_grown)
        controller.thread_deleted.connect(self._thread_deleted)
        controller.database_opened.connect(lambda _path: self._reset_for_database())

    # -- the picture ---------------------------------------------------------------------

    @property
    def is_drawing(self) -> bool:
        """True while a picture is being read or laid out."""
        task = self._tasks.get("draw")
        return task is not None and not task.done()

    @property
    def graph(self) -> LoadedGraph | None:
        """The attached graph, if any."""
        return self.controller.runs.graph

    def _graph_changed(self, graph: LoadedGraph | None) -> None:
        self.collapsed.clear()
        self._inferred_for = None
        self.full_picture = None
        if graph is None:
            self._show_inferred()
            return
        self.pane.set_title(f"Graph: {graph.name}", f"{graph.name} · {graph.spec}")
        self._run("draw", self._draw_graph, graph)

    async def _draw_graph(self, graph: LoadedGraph) -> None:
        """LangGraph's drawing of the graph, read in a worker thread (big graphs are slow)."""
        try:
            picture = await asyncio.to_thread(picture_of, graph.graph)
        except RewindError as error:
            self.picture = None
            self.pane.set_title(f"Graph: {graph.name} · cannot be drawn", str(error))
            self.pane.scene.clear_picture()
            return
        self.full_picture = picture
        await self._lay_out(fit=True)

    def filter_timeline(self, node_id: str) -> None:
        """Filter the timeline to the checkpoints a drawn node wrote (not ``__end__``)."""
        node = self.picture.node(node_id) if self.picture is not None else None
        if node is not None and node.kind != "end":
            self.node_filter.start(node_id)

    def _reset_for_database(self) -> None:
        self.node_filter.clear()
        self.activity = None
        self._inferred_for = None
        if self.graph is None:
            self.full_picture = None
            self.picture = None
            self.pane.scene.clear_picture()
            self.pane.set_title("No graph: select a thread to see the graph inferred from it")
        else:
            self._apply_states()

    def _draw(self, *, fit: bool = False) -> None:
        if self.full_picture is not None:
            self._run("draw", self._lay_out, fit)

    async def _lay_out(self, fit: bool = False) -> None:
        """Lay the picture out in a worker thread, then draw it with states and marks."""
        if self.full_picture is None:
            return
        picture = collapse(self.full_picture, self.collapsed)
        sizes = self.pane.scene.node_sizes(picture)
        layout = await asyncio.to_thread(layout_picture, picture, sizes.__getitem__)
        self.picture = picture
        self.pane.scene.show_layout(picture, layout)
        self._show_breakpoints()
        self._apply_states()
        self._show_running()
        if fit or self.pane.view.auto_fit:
            self.pane.view.fit()
        self.picture_drawn.emit()

    def toggle_subgraph(self, subgraph: str) -> None:
        """Fold an expanded subgraph into one node, or unfold a folded one."""
        if subgraph in self.collapsed:
            self.collapsed.discard(subgraph)
        else:
            self.collapsed.add(subgraph)
        self._draw()

    def node_menu_actions(self, node_id: str) -> list[tuple[str, Any]]:
        """What the right-click menu of a node offers: (text, callable) pairs."""
        actions: list[tuple[str, Any]] = []
        if node_id in self.breakpoints.nodes():
            before = node_id in self.breakpoints.interrupt_before()
            after = node_id in self.breakpoints.interrupt_after()
            actions.append(
                (
                    ("Remove pause before" if before else "Pause before this node"),
                    lambda: self.toggle_breakpoint(node_id),
                ),
            )
            actions.append(
                (
                    ("Remove pause after" if after else "Pause after this node"),
                    lambda: self.toggle_breakpoint(node_id, after=True),
                ),
            )
        if self.picture is not None and node_id in self.picture.collapsed:
            actions.append(("Unfold subgraph", lambda: self.toggle_subgraph(node_id)))
        parts = node_id.split(SEPARATOR)
        for depth in range(len(parts) - 1, 0, -1):
            sub = SEPARATOR.join(parts[:depth])
            actions.append((f"Fold subgraph {sub}", lambda sub=sub: self.toggle_subgraph(sub)))
        actions.append(("Show the checkpoints it wrote", lambda: self.filter_timeline(node_id)))
        return actions

    def _node_menu(self, node_id: str, where: QPoint) -> None:
        self.menu.clear()
        for text, callback in self.node_menu_actions(node_id):
            self.menu.addAction(text).triggered.connect(callback)
        self.menu.popup(where)

    def _thread_selected(self, _thread_id: str) -> None:
        if self.graph is None:
            self._show_inferred()

    def _thread_deleted(self, _thread_id: str) -> None:
        """The thread on screen was deleted elsewhere: its inferred picture goes with it."""
        self.node_filter.clear()
        self.activity = None
        if self.graph is None:
            self._inferred_for = None
            self._show_inferred()
        else:
            self._apply_states()

    def _timeline_grown(self, _thread_id: str) -> None:
        if self.graph is None:
            self._show_inferred()

    def _show_inferred(self) -> None:
        """Draw the shown thread's history (no graph attached)."""
        timeline = self.controller.timeline
        thread_id = self.controller.thread_id
        if timeline is None or thread_id is None or timeline.head is None:
            self.full_picture = None
            self.picture = None
            self.pane.scene.clear_picture()
            self.pane.set_title("No graph: select a thread to see the graph inferred from it")
            return
        marker = (thread_id, timeline.checkpoint_count)
        if marker == self._inferred_for:
            return
        self._inferred_for = marker
        self._run("infer", self._infer, timeline.head, list(timeline.by_key.values()), thread_id)

    async def _infer(
        self, head: CheckpointMeta, history: list[CheckpointMeta], thread: str
    ) -> None:
        state = await self.controller.checkpoint_state(head)
        activity = checkpoint_activity(state)
        ended = not (activity.next or activity.interrupted or activity.errors)
        picture = infer_picture(history, [head.checkpoint_id] if ended else [], activity, head)
        if self.graph is not None or self.controller.thread_id != thread:
            return  # a graph was attached, or the thread left the screen, meanwhile
        self.full_picture = picture
        self.pane.set_title(
            f"{thread} · {INFERRED_SUFFIX}",
            "No graph is attached: nodes seen in this thread and the steps between them. "
            "Attach the graph (Graph > Attach graph…) to see every node and edge.",
            ident=thread,
        )
        self._draw(fit=True)

    # -- node states ---------------------------------------------------------------------

    def _checkpoint_selected(self, key: tuple[str, str] | None) -> None:
        timeline = self.controller.timeline
        meta = timeline.by_key.get(key) if key is not None and timeline is not None else None
        if meta is None:
            self.activity = None
            self._apply_states()
            return
        self._run("states", self._load_activity, meta)

    async def _load_activity(self, meta: CheckpointMeta) -> None:
        state = await self.controller.checkpoint_state(meta)
        self.activity = checkpoint_activity(state)
        self._apply_states()

    def _apply_states(self) -> None:
        if self.picture is not None:
            self.pane.scene.set_states(node_states(self.picture, self.activity))

    # -- live runs -----------------------------------------------------------------------

    def _event(self, event: StreamEvent) -> None:
        data = event.data
        if event.type != "tasks" or not isinstance(data, dict) or "id" not in data:
            return
        task_id = str(data["id"])
        if "input" in data:
            self.running_tasks[task_id] = running_node_id(event.ns, str(data.get("name", "")))
        else:
            self.running_tasks.pop(task_id, None)
        self._show_running()

    def _running_changed(self, running: bool) -> None:
        if not running:
            self.running_tasks.clear()
            self._show_running()

    def running_nodes(self) -> set[str]:
        """Ids of the drawn nodes running now (a folded subgraph stands for its nodes)."""
        if self.picture is None:
            return set()
        shown: set[str] = set()
        for node_id in self.running_tasks.values():
            parts = node_id.split(SEPARATOR)
            for depth in range(len(parts), 0, -1):
                candidate = SEPARATOR.join(parts[:depth])
                if self.picture.node(candidate) is not None:
                    shown.add(candidate)
                    break
        return shown

    def _show_running(self) -> None:
        self.pane.scene.set_running(self.running_nodes())

    # -- breakpoints ---------------------------------------------------------------------

    def toggle_breakpoint(self, node_id: str, after: bool = False) -> None:
        """Toggle pausing before (``after``: after) a node of the attached graph."""
        if node_id not in self.breakpoints.nodes():
            return
        before, later = (
            set(self.breakpoints.interrupt_before()),
            set(self.breakpoints.interrupt_after()),
        )
        chosen = later if after else before
        chosen.symmetric_difference_update({node_id})
        self.breakpoints.set_breakpoints(sorted(before), sorted(later))

    def _show_breakpoints(self) -> None:
        self.pane.scene.set_breakpoints(
            set(self.breakpoints.interrupt_before()),
            set(self.breakpoints.interrupt_after()),
            set(self.breakpoints.nodes()),
        )

    # -- tasks ---------------------------------------------------------------------------

    def _run(self, kind: str, work: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run ``work(*args)`` as the one task of ``kind`` (the previous one is cancelled)."""
        previous = self._tasks.get(kind)
        if previous is not None and not previous.done():
            previous.cancel()
        self._tasks[kind] = asyncio.get_running_loop().create_task(self._guard(work, *args))

    async def _guard(self, work: Callable[..., Awaitable[None]], *args: Any) -> None:
        try:
            await work(*args)
        except asyncio.CancelledError:
            raise
        except RewindError as error:
            log.info("graph pane: %s", error)
        except Exception:
            if isValid(self.pane.scene):
                log.exception("graph pane update failed")
            else:
                log.debug("the graph pane closed while it was being updated")
