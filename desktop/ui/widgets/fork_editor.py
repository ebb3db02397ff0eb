"""The fork editor: edit a past checkpoint's state and write it as a new branch.

The dialog shows the checkpoint's user channels as highlighted JSON (messages are JSON
objects too, editable in place), says live what the fork will change, and lets the user
pick the node the update is credited to, with langgraph's own inference preselected.
Submitting computes the update with :func:`desktop.core.fork_edit.fork_values_from_edit`
and emits :attr:`ForkEditor.fork_requested`; the controller writes it (``aupdate_state``)
and reports back with :meth:`ForkEditor.finish`. The dialog is non-modal and never runs
a nested event loop: open it with ``show()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import RewindError
from desktop.core.model import CheckpointState, user_channels
from desktop.ui.palette import fill_stylesheet
from desktop.ui.widgets.fork_subgraph_note import FinishedSubgraphNote
from desktop.ui.widgets.json_editor import JsonEditor

if TYPE_CHECKING:
    from desktop.core.forking import ChannelKind
    from desktop.core.graphs import LoadedGraph
    from desktop.core.model import CheckpointMeta

INFERRED_SUFFIX: Final = " (inferred)"
INPUT_SUFFIX: Final = " (graph input)"
CHOOSE_NODE: Final = "Choose a node…"
CONTINUE_TIP: Final = "Run the graph on from the new checkpoint once it is written, live"
_PLAN_DELAY_MS = 150
_STYLE = """
#forkTitle { font-size: 15px; font-weight: 600; }
#forkSubtitle { color: @text_muted; }
#forkHint { color: @text_muted; }
#forkChanges {
    background: @accent_bg; border: 1px solid @accent_bg_strong; border-radius: 6px;
    padding: 5px 8px; color: @accent_text;
}
#forkChanges[empty="true"] { background: @canvas; border-color: @border; color: @text_muted; }
#forkError {
    color: @error_text; background: @error_bg; border: 1px solid @error_bg_strong;
    border-radius: 6px; padding: 5px 8px;
}
#asNodeHint { color: @interrupted; }
#forkSubgraphNote {
    background: @interrupted_bg; border: 1px solid @interrupted_border; border-radius: 6px;
    color: @interrupted_title;
}
"""


class ForkEditor(QDialog):
    """Edit one checkpoint's state and ask for a fork from it.

    Call :meth:`edit` with the checkpoint's decoded state, the attached graph and the
    node langgraph would credit the update to (:func:`desktop.core.forking.infer_as_node`),
    then ``show()``. While a fork request is out the dialog is busy; :meth:`finish` closes
    it on success or shows the error and lets the user fix the edit.
    """

    fork_requested = Signal(str, str, object, object)
    """``(thread_id, checkpoint_id, values, as_node)``: write a fork with this update.

    ``values`` is the update for ``runner.fork`` (changed keys only, messages as LangChain
    objects); ``as_node`` is the chosen node name. Read :attr:`checkpoint_ns` and
    :attr:`continue_after_fork` in the slot.
    """

    fork_parent_requested = Signal(object)
    """The user chose to fork the parent checkpoint (a ``CheckpointMeta``) instead of a
    checkpoint of a subgraph that already finished."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("forkEditor")
        self.setWindowTitle("Fork from checkpoint")
        self.setModal(False)
        self.setStyleSheet(fill_stylesheet(_STYLE))
        self.resize(760, 640)
        self._state: CheckpointState | None = None
        self._original: Any = {}
        self._functional = False
        self._kinds: dict[str, ChannelKind] | None = None
        self._live: dict[str, Any] | None = None
        self._update: dict[str, Any] | None = None
        self._blocked: str | None = None
        self._busy = False

        self.title = QLabel(self)
        self.title.setObjectName("forkTitle")
        self.subtitle = QLabel(self)
        self.subtitle.setObjectName("forkSubtitle")
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = QLabel(
            "Edit the state, then Fork. Rewind writes a new checkpoint after this one with "
            "langgraph's update_state; it appears as a new branch. Messages keep their ids, "
            "so an edited message replaces the original in place.",
            self,
        )
        hint.setObjectName("forkHint")
        hint.setWordWrap(True)

        self.subgraph_note = FinishedSubgraphNote(self)
        self.subgraph_note.fork_parent_requested.connect(self._fork_parent)

        self.editor = JsonEditor(self)
        self.changes = QLabel(self)
        self.changes.setObjectName("forkChanges")
        self.changes.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("forkError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()

        self.as_node = QComboBox(self)
        self.as_node.setObjectName("asNodeCombo")
        self.as_node.setMinimumWidth(220)
        self.as_node.setToolTip(
            "The update is applied as if this node had returned it: the graph's reducers "
            "merge it and the nodes after this one run next."
        )
        as_node_label = QLabel("Apply as node", self)
        as_node_label.setBuddy(self.as_node)
        self.as_node_hint = QLabel(self)
        self.as_node_hint.setObjectName("asNodeHint")
        self.as_node_hint.setWordWrap(True)
        self.as_node_hint.hide()

        self.continue_box = QCheckBox("Continue after fork", self)
        self.continue_box.setObjectName("continueAfterFork")
        self.continue_box.setToolTip(CONTINUE_TIP)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("forkCancel")
        self.cancel_button.setAutoDefault(False)
        self.submit_button = QPushButton("Fork", self)
        self.submit_button.setObjectName("forkSubmit")
        self.submit_button.setDefault(True)
        self.submit_button.setMinimumWidth(96)
        self.submit_button.setToolTip("Write the edited state as a new checkpoint (Ctrl+Enter)")

        node_row = QHBoxLayout()
        node_row.addWidget(as_node_label)
        node_row.addWidget(self.as_node)
        node_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.continue_box)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.submit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(hint)
        layout.addWidget(self.subgraph_note)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.changes)
        layout.addWidget(self.error)
        layout.addLayout(node_row)
        layout.addWidget(self.as_node_hint)
        layout.addLayout(buttons)

        self._plan_timer = QTimer(self)
        self._plan_timer.setSingleShot(True)
        self._plan_timer.setInterval(_PLAN_DELAY_MS)
        self._plan_timer.timeout.connect(self._plan)
        self.editor.edit.textChanged.connect(self._plan_timer.start)
        self.editor.valid_changed.connect(self._validity_changed)
        self.as_node.currentIndexChanged.connect(self._refresh)
        self.cancel_button.clicked.connect(self.reject)
        self.submit_button.clicked.connect(self.submit)
        submit_shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        submit_shortcut.activated.connect(self.submit)
        self._refresh()

    # -- what is edited ----------------------------------------------------------------------

    @property
    def thread_id(self) -> str:
        """The thread of the checkpoint being edited ("" before :meth:`edit`)."""
        return self._state.meta.thread_id if self._state else ""

    @property
    def checkpoint_id(self) -> str:
        """The checkpoint the fork starts from ("" before :meth:`edit`)."""
        return self._state.meta.checkpoint_id if self._state else ""

    @property
    def checkpoint_ns(self) -> str:
        """The checkpoint's namespace: ``""`` for the root graph, else a subgraph's."""
        return self._state.meta.checkpoint_ns if self._state else ""

    @property
    def continue_after_fork(self) -> bool:
        """True when the user asked to run on from the new checkpoint."""
        return self.continue_box.isEnabled() and self.continue_box.isChecked()

    @property
    def is_busy(self) -> bool:
        """True from a submit until :meth:`finish`: the controller owes the dialog an answer."""
        return self._busy

    def edit(
        self,
        state: CheckpointState,
        graph: LoadedGraph,
        inferred_as_node: str | None,
        *,
        live: dict[str, Any] | None = None,
        finished_parent: CheckpointMeta | None = None,
    ) -> None:
        """Load a checkpoint into the editor; ``inferred_as_node`` is preselected.

        ``finished_parent``: the checkpoint is in a subgraph run that has finished, and
        this is the parent checkpoint that ran it (``ThreadTimeline.finished_subgraph_parent``):
        the editor says a fork here is never read, and offers to fork that one instead.

        ``live`` (the values as the graph revives them, from
        :func:`desktop.core.forking.fork_live`) lets the fork write back what the
        user did not touch exactly as stored: enums, dataclasses, datetimes.
        """
        from desktop.core.forking import channel_kinds, fork_original, fork_target_nodes
        from desktop.core.graphs import entrypoint_node

        self._state = state
        self._live = live
        self._busy = False
        meta = state.meta
        self._original = user_channels(state.values)
        self._functional = False
        self._blocked = f"This checkpoint cannot be forked: {state.error}" if state.error else None
        try:
            pregel = graph.for_namespace(meta.checkpoint_ns)
            self._functional = entrypoint_node(pregel) is not None
            self._original = fork_original(pregel, state.values)
            self._kinds = channel_kinds(graph, meta.checkpoint_ns)
            nodes = fork_target_nodes(graph, meta.checkpoint_ns)
        except RewindError as error:
            self._kinds, nodes = {}, ()
            self._blocked = str(error)
        step = "?" if meta.step is None else meta.step
        wrote = f" · after {', '.join(meta.writers)}" if meta.writers else ""
        where = f" · subgraph {meta.checkpoint_ns.split(':', 1)[0]}" if meta.checkpoint_ns else ""
        self.title.setText(f"Fork from step {step}{wrote}{where}")
        self.subtitle.setText(f"thread {meta.thread_id} · checkpoint {meta.checkpoint_id}")
        self.setWindowTitle(f"Fork from step {step} — {meta.thread_id}")
        self._fill_nodes(nodes, inferred_as_node)
        in_subgraph = bool(meta.checkpoint_ns)
        self.continue_box.setEnabled(not in_subgraph)
        self.continue_box.setToolTip(
            "A subgraph's fork is continued by running its parent thread"
            if in_subgraph
            else CONTINUE_TIP
        )
        self.subgraph_note.show_for(meta, finished_parent)
        self.error.hide()
        self.editor.set_value(self._original)
        self._plan_timer.stop()
        self._plan()

    def finish(self, error: str | None = None) -> None:
        """The controller's answer to :attr:`fork_requested`: close, or show why it failed."""
        self._busy = False
        if error is None:
            self.accept()
            return
        self._show_error(error)
        self._refresh()

    def submit(self) -> None:
        """Compute the update and emit :attr:`fork_requested` (Fork button, Ctrl+Enter)."""
        if not self.submit_button.isEnabled():
            return
        self._plan_timer.stop()
        self._plan()
        if self._update is None or self._state is None:
            return
        self._busy = True
        self._refresh()
        self.fork_requested.emit(
            self.thread_id, self.checkpoint_id, self._update, self.as_node.currentData()
        )

    # -- internals -------------------------------------------------------------------------

    def _fork_parent(self, parent: CheckpointMeta) -> None:
        if not self._busy:
            self.fork_parent_requested.emit(parent)

    def _fill_nodes(self, nodes: tuple[str, ...], inferred: str | None) -> None:
        self.as_node.blockSignals(True)
        self.as_node.clear()
        if inferred is None:
            self.as_node.addItem(CHOOSE_NODE, None)
        for node in nodes:
            suffix = INFERRED_SUFFIX if node == inferred else ""
            label = node + (INPUT_SUFFIX if node == "__start__" and not suffix else suffix)
            self.as_node.addItem(label, node)
        self.as_node.setCurrentIndex(max(self.as_node.findData(inferred), 0))
        self.as_node.blockSignals(False)
        self.as_node_hint.setText(
            "LangGraph cannot tell which node wrote last here (several ran in the same step): "
            "choose the node the update comes from."
        )
        self.as_node_hint.setVisible(inferred is None)

    def _plan(self) -> None:
        """Recompute the update from the text; show what it changes or why it cannot."""
        from desktop.core.fork_edit import fork_values_from_edit, summarize_fork_values

        self._update = None
        if self._blocked:
            self._show_error(self._blocked)
        if self._state is None or self._blocked or not self.editor.is_valid:
            self.changes.hide()
            self._refresh()
            return
        try:
            update = fork_values_from_edit(
                self._original,
                self.editor.value(),
                self._kinds,
                live=self._live,
                functional=self._functional,
            )
        except RewindError as error:
            self._show_error(str(error))
            self.changes.hide()
        else:
            self._update = update
            self.error.hide()
            summary = summarize_fork_values(self._original, update, functional=self._functional)
            empty = not update
            self.changes.setText(
                "No values changed: the fork only records an update as the chosen node"
                if empty
                else f"Will change: {summary}"
            )
            self.changes.setProperty("empty", empty)
            self.changes.style().unpolish(self.changes)
            self.changes.style().polish(self.changes)
            self.changes.show()
        self._refresh()

    def _validity_changed(self, valid: bool) -> None:
        if not valid:
            self._update = None
            self.changes.hide()
            self.error.hide()
        self._refresh()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _refresh(self) -> None:
        ready = (
            self._state is not None
            and not self._busy
            and self.editor.is_valid
            and self._update is not None
            and self.as_node.currentData() is not None
        )
        self.submit_button.setEnabled(ready)
        idle = "Fork anyway" if self.subgraph_note.parent_meta is not None else "Fork"
        self.submit_button.setText("Forking…" if self._busy else idle)
        self.editor.setEnabled(not self._busy)
        self.as_node.setEnabled(not self._busy and self._state is not None)
