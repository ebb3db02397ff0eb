"""The window's time-travel actions: a mixin of :class:`~desktop.ui.main_window.MainWindow`
(placed before ``QMainWindow``).

The actions (toolbar, timeline menu, keyboard) are enabled for the selection (or the row
whose menu is open), the graph, the thread's status and the run; fork, replay, continue
from a checkpoint, resume and diff branch tips go to the controller; the fork editor and
the compare picker are non-modal dialogs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop.ui.controllers.explain import replay_explanation, reruns_after
from desktop.ui.models.timeline_cells import SHORT_ID_CHARS
from desktop.ui.widgets.compare_picker import ComparePicker
from desktop.ui.widgets.fork_editor import ForkEditor

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph
    from desktop.core.history import ThreadTimeline
    from desktop.core.model import CheckpointMeta, CheckpointState
    from desktop.core.run_status import ThreadStatus
    from desktop.ui.main_window import MainWindow


class TimeTravelUi:
    """Enables the time-travel actions and carries them and the fork editor to the controller."""

    def _update_actions(self: MainWindow, _changed: object = None) -> None:
        """Enable the time-travel actions for the selection, graph, status and run."""
        self._retarget_actions(self.controller.selected_meta)

    def _retarget_actions(self: MainWindow, meta: CheckpointMeta | None) -> None:
        controller = self.controller
        timeline = controller.timeline
        self.time_travel.update_for(
            meta,
            controller.runs.graph is not None,
            controller.thread_status,
            branch_count=len(timeline.branch_tips()) if timeline is not None else None,
            replay_note=_replay_note(timeline, meta),
        )
        self.time_travel.set_running(controller.runs.is_running)

    def _menu_target_changed(self: MainWindow, key: tuple[str, str] | None) -> None:
        """While the timeline's menu is open, its actions act on the row clicked."""
        timeline = self.controller.timeline
        meta = timeline.by_key.get(key) if key is not None and timeline is not None else None
        self._retarget_actions(meta or self.controller.selected_meta)

    def _thread_status_changed(self: MainWindow, status: ThreadStatus | None) -> None:
        runs = self.controller.runs
        if runs.is_running and runs.thread_id == self.controller.thread_id:
            status = None  # mid-run the stored state looks stopped; it is not
        self.resume_panel.show_status(status)
        self.resume_panel.set_busy(self.controller.runs.is_running)
        self._update_actions()

    def _stream_values(self: MainWindow) -> bool:
        return self.run_panel.values_toggle.isChecked()

    def _replay_requested(self: MainWindow, meta: CheckpointMeta) -> None:
        self.controller.select_checkpoint(meta.key)
        self.controller.replay(meta, values=self._stream_values())

    def _continue_requested(self: MainWindow, meta: CheckpointMeta) -> None:
        self.controller.select_checkpoint(meta.key)
        self.controller.set_continue_point(meta)
        self.run_panel.set_thread(meta.thread_id)
        self.run_panel.input.setFocus()

    def _resume_requested(self: MainWindow, thread_id: str) -> None:
        """Ctrl+R: answer the interrupts in the resume panel, or continue a stopped run."""
        status = self.controller.thread_status
        if status is not None and status.interrupts:
            self.resume_panel.show()
            if self.resume_panel.cards:
                self.resume_panel.cards[0].value_edit.setFocus()
            return
        self._continue_stopped_run(thread_id)

    def _resume_with_value(self: MainWindow, thread_id: str, value: Any) -> None:
        self.controller.resume(thread_id, value, values=self._stream_values())

    def _continue_stopped_run(self: MainWindow, thread_id: str) -> None:
        self.controller.resume(thread_id, values=self._stream_values())

    def _diff_branches_requested(self: MainWindow, _thread_id: str) -> None:
        meta = self.time_travel.selection or self.controller.selected_meta
        if meta is not None:
            self.controller.diff_branch_tips(meta)

    def _open_fork_editor(
        self,
        state: CheckpointState,
        graph: LoadedGraph,
        inferred: str | None,
        live: dict[str, Any] | None,
    ) -> None:
        if self.fork_editor is None:
            self.fork_editor = ForkEditor(self)
            self.fork_editor.fork_requested.connect(self._fork_submitted)
            self.fork_editor.fork_parent_requested.connect(self.controller.request_fork)
        timeline = self.controller.timeline
        finished = timeline.finished_subgraph_parent(state.meta) if timeline else None
        self.fork_editor.edit(state, graph, inferred, live=live, finished_parent=finished)
        self.fork_editor.show()
        self.fork_editor.raise_()
        self.fork_editor.activateWindow()

    def _fork_submitted(
        self, thread_id: str, checkpoint_id: str, update: dict[str, Any], as_node: str | None
    ) -> None:
        editor = self.fork_editor
        assert editor is not None
        self.controller.fork(
            thread_id,
            checkpoint_id,
            update,
            as_node,
            editor.checkpoint_ns,
            continue_after=editor.continue_after_fork,
            values=self._stream_values(),
            interrupt_before=self.breakpoints.interrupt_before(),
            interrupt_after=self.breakpoints.interrupt_after(),
        )

    def _forked(self: MainWindow, _thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> None:
        request = self.controller.runs.request
        parent = self._checkpoint_name(request)
        self._fork_text = f"new checkpoint …{checkpoint_id[-SHORT_ID_CHARS:]}" + (
            f" after {parent}" if parent else ""
        )
        if self.fork_editor is not None and self.fork_editor.is_busy:
            self.fork_editor.finish()

    def _fork_failed(self: MainWindow, message: str) -> None:
        if self.fork_editor is not None and self.fork_editor.is_busy:
            self.fork_editor.finish(message)
        else:
            self._run_refused(message)
        self._run_failure = message

    def show_compare_picker(self: MainWindow) -> None:
        """ "Compare with…": pick the checkpoint the selection is diffed against."""
        selected, timeline = self.controller.selected_meta, self.controller.timeline
        if selected is None or timeline is None:
            return
        if self.compare_picker is None:
            self.compare_picker = ComparePicker(self)
            self.compare_picker.chosen.connect(self.controller.set_diff_base)
        self.compare_picker.offer(selected, timeline.by_key.values())
        self.compare_picker.show()
        self.compare_picker.raise_()
        self.compare_picker.activateWindow()


def _replay_note(timeline: ThreadTimeline | None, meta: CheckpointMeta | None) -> str | None:
    """``Replay from step 3 re-runs: tools, agent`` for the checkpoint ``meta``."""
    if timeline is None or meta is None:
        return None
    return replay_explanation(meta.step, reruns_after(timeline, meta))
