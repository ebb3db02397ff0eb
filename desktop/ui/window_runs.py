"""What the window shows of runs: a mixin of :class:`~desktop.ui.main_window.MainWindow`
(placed before ``QMainWindow``) bound to the :class:`~desktop.ui.run_controller.RunController`.

The attached graph in the run panel and status bar, the Output/Events pane folded away
without one, a run's start, progress, pauses and end in the stream view and the status
line (with its time and tokens), and the run panel's requests (Run, New thread).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop.core.input_form import MESSAGES_ONLY, input_fields_of
from desktop.core.model import thread_label
from desktop.ui.controllers.run_summary import RunTally
from desktop.ui.graph_label import describe_graph, short_graph_label
from desktop.ui.models.timeline_cells import SHORT_ID_CHARS, short_name
from desktop.ui.run_request import (
    CONTINUE,
    FAILED,
    FINISHED,
    FORK,
    FORKED,
    INTERRUPTED,
    PAUSED,
    REPLAY,
    RESUME,
    STOPPED,
    RunRequest,
)
from desktop.ui.widgets.event_log import summarize
from desktop.ui.widgets.run_panel import NO_GRAPH_HINT

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph
    from desktop.core.run_stream import StreamEvent
    from desktop.ui.main_window import MainWindow

RUN_NOUNS = {
    REPLAY: "Replay",
    RESUME: "Resumed run",
    CONTINUE: "Continued run",
    FORK: "Fork",
}
"""How the end of a run names what ran (a plain run, or one from a past checkpoint: "Run")."""


class RunFeedback:
    """Follows the run controller's signals into the run panel, stream view and status bar."""

    def _graph_loading(self: MainWindow, named: str) -> None:
        self.run_panel.set_graph(None, f"Loading graph {named}…", f"Loading {named}")
        self.graph_status_label.set_full_text("Loading graph…", named)

    def _graph_changed(self: MainWindow, graph: LoadedGraph | None) -> None:
        self.next_run_bar.breakpoints_button.set_nodes(graph.node_names if graph else ())
        self._update_actions()
        self.set_output_folded(graph is None)
        self.run_panel.set_input_fields(input_fields_of(graph.graph) if graph else MESSAGES_ONLY)
        self._fit_run_area()
        if graph is None:
            self.run_panel.set_graph(None)
            self.graph_status_label.set_full_text("No graph · inspection only", NO_GRAPH_HINT)
            return
        description = describe_graph(graph)
        nodes = ", ".join(graph.node_names)
        self.run_panel.set_graph(graph.name, description, f"{description}\nNodes: {nodes}")
        self.graph_status_label.set_full_text(
            short_graph_label(graph), f"{description}\nNodes: {nodes}"
        )

    def _fit_run_area(self: MainWindow, keep: int = 200) -> None:
        """Give the run panel the height its input form asks for, taken from the timeline
        while that keeps ``keep`` pixels (in a short window the form scrolls instead)."""
        sizes = self.run_splitter.sizes()
        wanted = self.run_splitter.widget(2).sizeHint().height() - sizes[2]
        grow = min(wanted, sizes[0] - keep)
        if grow > 0:
            sizes[0], sizes[2] = sizes[0] - grow, sizes[2] + grow
            self.run_splitter.setSizes(sizes)

    def set_output_folded(self: MainWindow, folded: bool) -> None:
        """Fold the Output/Events pane away (its room goes to the timeline) or open it."""
        sizes = self.run_splitter.sizes()
        if folded and sizes[1] > 0:
            self._output_height = sizes[1]
            sizes[0], sizes[1] = sizes[0] + sizes[1], 0
        elif not folded and sizes[1] == 0:
            self._stream_part.get()  # built before it gets room: never an empty frame
            height = min(self._output_height, max(sizes[0] // 2, 1))
            sizes[0], sizes[1] = sizes[0] - height, height
        else:
            return
        self.run_splitter.setSizes(sizes)

    def _graph_failed(self: MainWindow, message: str) -> None:
        self.set_output_folded(True)
        self.run_panel.set_graph(
            None, "Graph failed to load · inspection only", f"{message}\n\n{NO_GRAPH_HINT}"
        )
        self.graph_status_label.set_full_text("Graph failed to load", message)

    def _run_requested(self: MainWindow, thread_id: str, value: Any, values: bool) -> None:
        self.controller.start_run(
            thread_id,
            value,
            values,
            interrupt_before=self.breakpoints.interrupt_before(),
            interrupt_after=self.breakpoints.interrupt_after(),
        )
        if self.controller.runs.is_running:
            self.run_panel.clear_input()

    def _running_changed(self: MainWindow, running: bool) -> None:
        self._thread_status_changed(self.controller.thread_status)
        self.run_panel.set_running(running)
        self.resume_panel.set_busy(running)
        self.next_run_bar.back_button.setEnabled(not running)
        self._update_actions()
        self._update_busy()

    def _new_thread(self: MainWindow) -> None:
        """New thread: the window shows the empty thread the run panel now names."""
        thread_id = self.run_panel.thread_id
        if thread_id and not self.controller.runs.is_running:
            self.controller.show_new_thread(thread_id)

    def _thread_deleted(self: MainWindow, thread_id: str) -> None:
        self.timeline_title.setText(f"{thread_label(thread_id)} · deleted by another process")
        self.checkpoint_label.clear()

    def _thread_emptied(self: MainWindow, thread_id: str) -> None:
        selection = self.thread_pane.list_view.selectionModel()
        selection.clearCurrentIndex()
        selection.clearSelection()
        self.timeline_title.setText(f"{thread_label(thread_id)} · new thread, no checkpoints yet")
        self.stream_view.clear()
        self.show_notice("")
        self._set_run_status("")
        self.resume_panel.show_status(None)
        self.diff_base_label.clear()
        self.reset_base_button.setEnabled(False)
        self.diff_base_row.hide()
        self._update_actions()

    def _tally_event(self: MainWindow, event: StreamEvent) -> None:
        if self._tally is not None:
            self._tally.add(event)

    def _run_started(self: MainWindow, thread_id: str) -> None:
        self._tally = RunTally()
        self.controller.threads_model.set_running_thread(thread_id)
        self._thread_status_changed(self.controller.thread_status)
        self._run_failure = ""
        self._run_pause = ""
        self._fork_text = ""
        title, status = self._describe_start(self.controller.runs.request, thread_id)
        self.stream_view.begin_run(title)
        self.stream_view.tabs.setCurrentWidget(self.stream_view.output)
        self._set_run_status(status)

    def _describe_start(
        self: MainWindow, request: RunRequest | None, thread_id: str
    ) -> tuple[str, str]:
        """The stream view's section title and the status line for a run that starts."""
        kind = request.kind if request is not None else ""
        where = self._checkpoint_name(request)
        if kind == REPLAY:
            return f"Replay of {thread_id} from {where}", f"Replaying {thread_id} from {where}…"
        if kind == RESUME:
            return f"Resume {thread_id}", f"Resuming {thread_id}…"
        if kind == CONTINUE:
            return f"Continue {thread_id}", f"Continuing the stopped run of {thread_id}…"
        if kind == FORK:
            return f"Fork of {thread_id} from {where}", f"Forking {thread_id} from {where}…"
        if where:
            return f"Run on {thread_id} from {where}", f"Running on {thread_id} from {where}…"
        return f"Run on {thread_id}", f"Running on {thread_id}…"

    def _checkpoint_name(self: MainWindow, request: RunRequest | None) -> str:
        if request is None or request.checkpoint_id is None:
            return ""
        timeline = self.controller.timeline
        key = (request.checkpoint_ns, request.checkpoint_id)
        meta = timeline.by_key.get(key) if timeline is not None else None
        if meta is None:
            return f"…{request.checkpoint_id[-SHORT_ID_CHARS:]}"
        return short_name(meta)

    def _node_changed(self: MainWindow, nodes: str) -> None:
        if self.controller.runs.is_running:
            self._set_run_status(f"Running · {nodes}" if nodes else "Running…")

    def _stopping(self: MainWindow, waiting_for: str) -> None:
        """After Stop, while a synchronous node has not returned yet: say so, honestly."""
        self._set_run_status(f"Stopping: waiting for {waiting_for}", "stopped")

    def _run_failed(self: MainWindow, message: str, _node: str) -> None:
        self._run_failure = message

    def _run_refused(self: MainWindow, message: str) -> None:
        """A request the user can fix: said next to the input, and in the status bar."""
        self._run_failure = message
        self.run_panel.show_error(message)
        if not self.controller.runs.is_running:
            self._set_run_status(message, "error")

    def _interrupted(self: MainWindow, _thread_id: str, values: list[Any]) -> None:
        first = values[0] if values else None
        if isinstance(first, dict) and isinstance(first.get("question"), str):
            first = first["question"]
        self._run_pause = summarize(first, 120) if first is not None else ""

    def _run_finished(self: MainWindow, thread_id: str, outcome: str) -> None:
        self.controller.threads_model.set_running_thread(None)
        request = self.controller.runs.request
        what = RUN_NOUNS.get(request.kind, "Run") if request is not None else "Run"
        if request is not None and request.kind == FORK and self._fork_text:
            what = "Run after the fork"
        if outcome == FINISHED:
            text, tone = f"{what} finished on {thread_id}", ""
        elif outcome == INTERRUPTED:
            asked = f": {self._run_pause}" if self._run_pause else ""
            text, tone = f"Paused at an interrupt, waiting for input{asked}", "interrupt"
        elif outcome == PAUSED:
            text = "Paused at a breakpoint; Continue (Ctrl+R) runs on from here"
            tone = "interrupt"
        elif outcome == FORKED:
            text, tone = f"Forked {thread_id}: {self._fork_text}", ""
        elif outcome == STOPPED:
            text, tone = f"{what} stopped; the thread keeps every finished step", "stopped"
        else:
            assert outcome == FAILED
            text, tone = f"{what} failed: {self._run_failure or 'unknown error'}", "error"
        ran = self._tally is not None and (self._tally.steps or self._tally.tokens)
        if self._tally is not None and ran and outcome != FORKED:
            text = f"{text} ({self._tally.summary()})"
        self._tally = None
        self.stream_view.end_run(text, tone)
        self._set_run_status(text, tone)

    def _set_run_status(self: MainWindow, text: str, tone: str = "") -> None:
        self.run_status_label.setText(text)
        self.run_status_label.setProperty("tone", tone)
        self.run_status_label.style().unpolish(self.run_status_label)
        self.run_status_label.style().polish(self.run_status_label)
