"""The window's time-travel actions: fork, replay, continue, resume and diff branches.

:class:`TimeTravelActions` owns one ``QAction`` per intent, for the toolbar, the
timeline's context menu and the keyboard. :meth:`TimeTravelActions.update_for` enables
each one for the selected checkpoint, the attached graph and the thread's status, and
puts the reason in the tooltip when an action is disabled. Triggering an action emits
an intent signal; the controller does the work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

if TYPE_CHECKING:
    from desktop.core.model import CheckpointMeta
    from desktop.core.run_status import ThreadStatus

NO_GRAPH_TIP: Final = (
    "Attach a graph to act on the past: rewind DB --graph module:attr (or --config langgraph.json)"
)
NO_SELECTION_TIP: Final = "Select a checkpoint in the timeline first"
NO_THREAD_TIP: Final = "Select a thread first"
RUNNING_TIP: Final = "A run is in progress: wait for it to end or stop it"

FORK_TIP: Final = "Edit this checkpoint's state and write it as a new branch (F)"
REPLAY_TIP: Final = (
    "Run again from this checkpoint: earlier nodes are not re-executed and the new "
    "checkpoints form a branch under it (R)"
)
CONTINUE_TIP: Final = (
    "Switch to this checkpoint's branch: the next run starts from here, with the run "
    "panel's input or none (C)"
)
HEAD_CONTINUE_TIP: Final = "This is the thread's head: the next run already continues from it"
FINISHED_HEAD_TIP: Final = (
    "Nothing runs after the thread's last checkpoint: fork it or send a new message"
)
RESUME_TIP: Final = "Answer the pending interrupt(s) in the resume panel (Ctrl+R)"
CONTINUE_RUN_TIP: Final = (
    "The last run stopped before it finished: continue it from its latest checkpoint (Ctrl+R)"
)
FINISHED_TIP: Final = "The thread's last run finished: nothing to resume"
DIFF_TIP: Final = "Compare the thread's branch tips side by side (D)"
ONE_BRANCH_TIP: Final = "This thread has a single branch: fork or replay to make another"


class TimeTravelActions(QObject):
    """One ``QAction`` per time-travel intent, enabled for what is selected.

    Add :meth:`actions` to the window (toolbar, menu) so the shortcuts work, and use
    :meth:`context_menu` for the timeline. Call :meth:`update_for` whenever the
    selection, the attached graph or the thread's status changes, and
    :meth:`set_running` around runs.
    """

    fork_requested = Signal(object)
    """The selected :class:`~desktop.core.model.CheckpointMeta`: open the fork editor on it."""

    replay_requested = Signal(object)
    """The selected checkpoint: ``runner.replay`` from it."""

    continue_requested = Signal(object)
    """The selected checkpoint: make its branch current; the next run starts there."""

    resume_requested = Signal(str)
    """A thread id: answer its interrupts (focus the resume panel) or continue its run."""

    diff_branches_requested = Signal(str)
    """A thread id: diff its branch tips."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fork = self._action("Fork…", "F", "actionFork", self._fork)
        self.replay = self._action("Replay from here", "R", "actionReplay", self._replay)
        self.continue_from = self._action(
            "Continue from this checkpoint", "C", "actionContinueFrom", self._continue_from
        )
        self.resume = self._action("Resume", "Ctrl+R", "actionResume", self._resume)
        self.diff_branches = self._action(
            "Diff branch tips", "D", "actionDiffBranches", self._diff_branches
        )
        self._selection: CheckpointMeta | None = None
        self._status: ThreadStatus | None = None
        self._graph_attached = False
        self._branch_count: int | None = None
        self._replay_note: str | None = None
        self._running = False
        self._apply()

    @property
    def selection(self) -> CheckpointMeta | None:
        """The checkpoint the actions act on (see :meth:`update_for`)."""
        return self._selection

    @property
    def status(self) -> ThreadStatus | None:
        """The thread status the actions were enabled for."""
        return self._status

    def actions(self) -> list[QAction]:
        """Every action, in menu order."""
        return [self.fork, self.replay, self.continue_from, self.resume, self.diff_branches]

    def context_menu(self, parent: QWidget | None = None) -> QMenu:
        """A menu of the actions for a right-click on the timeline."""
        menu = QMenu(parent)
        menu.setObjectName("timeTravelMenu")
        menu.setToolTipsVisible(True)
        menu.addActions([self.fork, self.replay, self.continue_from])
        menu.addSeparator()
        menu.addActions([self.resume, self.diff_branches])
        return menu

    def update_for(
        self,
        selection: CheckpointMeta | None,
        graph_attached: bool,
        status: ThreadStatus | None,
        *,
        branch_count: int | None = None,
        replay_note: str | None = None,
    ) -> None:
        """Enable what can act on ``selection`` and on its thread's ``status``.

        ``status`` is ``run_status.thread_status`` of the selected thread (None when unknown,
        e.g. without a graph); ``branch_count`` is the number of branch tips of the
        thread when known; ``replay_note`` says which nodes a replay from ``selection``
        runs again. Diffing branches reads only, so it needs no graph.
        """
        self._replay_note = replay_note
        self._selection = selection
        self._graph_attached = graph_attached
        self._status = status
        self._branch_count = branch_count
        self._apply()

    def set_running(self, running: bool) -> None:
        """Disable the actions that write while a run is going."""
        self._running = running
        self._apply()

    def _action(self, text: str, shortcut: str, name: str, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        return action

    def _apply(self) -> None:
        self._set(self.fork, *self._fork_state())
        note = self._replay_note
        self._set(self.replay, *self._replay_state(f"{note} (R)" if note else REPLAY_TIP))
        self._set(self.continue_from, *self._replay_state(CONTINUE_TIP, continuing=True))
        self._set(self.resume, *self._resume_state())
        self._set(self.diff_branches, *self._diff_state())

    @staticmethod
    def _set(action: QAction, enabled: bool, tip: str, text: str | None = None) -> None:
        action.setEnabled(enabled)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if text is not None:
            action.setText(text)

    def _write_block(self) -> str | None:
        """Why no write action can run now, or None."""
        if not self._graph_attached:
            return NO_GRAPH_TIP
        if self._running:
            return RUNNING_TIP
        return None

    def _fork_state(self) -> tuple[bool, str]:
        blocked = self._write_block() or (None if self._selection else NO_SELECTION_TIP)
        return (blocked is None, blocked or FORK_TIP)

    def _replay_state(self, tip: str, *, continuing: bool = False) -> tuple[bool, str]:
        blocked = self._write_block()
        selection = self._selection
        if blocked is None and selection is None:
            blocked = NO_SELECTION_TIP
        if blocked is None and selection is not None and selection.checkpoint_ns:
            subgraph = selection.checkpoint_ns.split(":", 1)[0]
            blocked = (
                f"This checkpoint belongs to the subgraph {subgraph}: replay or continue from "
                "a checkpoint of the parent graph"
            )
        if blocked is None and selection is not None and self._is_head(selection):
            if continuing:
                blocked = HEAD_CONTINUE_TIP
            elif self._status is not None and not self._status.next_nodes:
                blocked = FINISHED_HEAD_TIP
        return (blocked is None, blocked or tip)

    def _resume_state(self) -> tuple[bool, str, str]:
        blocked = self._write_block()
        status = self._status
        if blocked is None and status is None:
            blocked = NO_THREAD_TIP
        if blocked is not None or status is None:
            return (False, blocked or NO_THREAD_TIP, "Resume")
        from desktop.core.run_status import detect_unfinished

        condition = detect_unfinished(status)
        if condition == "interrupted":
            count = len(status.interrupts)
            return (True, RESUME_TIP, "Resume…" if count == 1 else f"Resume {count} interrupts…")
        if condition == "finished":
            return (False, FINISHED_TIP, "Resume")
        reruns = ", ".join(status.next_nodes) or "none (what the finished tasks wrote is applied)"
        if condition == "forked" and not status.stopped:
            return (
                True,
                f"The head is a fork no run has continued: run on from it (Ctrl+R); runs: {reruns}",
                "Run from fork",
            )
        return (True, f"{CONTINUE_RUN_TIP}; re-runs: {reruns}", "Continue stopped run")

    def _diff_state(self) -> tuple[bool, str]:
        if self._selection is None:
            return (False, NO_THREAD_TIP)
        if self._branch_count is not None and self._branch_count < 2:
            return (False, ONE_BRANCH_TIP)
        return (True, DIFF_TIP)

    def _is_head(self, selection: CheckpointMeta) -> bool:
        status = self._status
        return (
            status is not None
            and status.thread_id == selection.thread_id
            and status.checkpoint_id == selection.checkpoint_id
        )

    def _fork(self) -> None:
        if self._selection is not None and self.fork.isEnabled():
            self.fork_requested.emit(self._selection)

    def _replay(self) -> None:
        if self._selection is not None and self.replay.isEnabled():
            self.replay_requested.emit(self._selection)

    def _continue_from(self) -> None:
        if self._selection is not None and self.continue_from.isEnabled():
            self.continue_requested.emit(self._selection)

    def _resume(self) -> None:
        if self._status is not None and self.resume.isEnabled():
            self.resume_requested.emit(self._status.thread_id)

    def _diff_branches(self) -> None:
        if self._selection is not None and self.diff_branches.isEnabled():
            self.diff_branches_requested.emit(self._selection.thread_id)
