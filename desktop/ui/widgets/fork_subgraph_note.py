"""The fork editor's note on a checkpoint of a subgraph run that has finished.

The parent graph moved on past the step that ran the subgraph, so a checkpoint written
there is never read: the note says so and offers to fork the parent checkpoint instead
(:attr:`FinishedSubgraphNote.fork_parent_requested`). Styled by the editor
(``#forkSubgraphNote``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

if TYPE_CHECKING:
    from desktop.core.model import CheckpointMeta


class FinishedSubgraphNote(QFrame):
    """Shown while the edited checkpoint's subgraph run has finished (:meth:`show_for`)."""

    fork_parent_requested = Signal(object)
    """The user chose to fork :attr:`parent_meta` (a ``CheckpointMeta``) instead."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("forkSubgraphNote")
        self.parent_meta: CheckpointMeta | None = None
        self.text = QLabel(self)
        self.text.setObjectName("forkSubgraphText")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.fork_parent_button = QPushButton("Fork the parent checkpoint instead", self)
        self.fork_parent_button.setObjectName("forkParentInstead")
        self.fork_parent_button.setAutoDefault(False)
        self.fork_parent_button.clicked.connect(self._fork_parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.fork_parent_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_for(self, meta: CheckpointMeta, parent: CheckpointMeta | None) -> None:
        """Show the note for checkpoint ``meta`` when ``parent`` is the parent checkpoint
        that ran its finished subgraph run; hide it when ``parent`` is ``None``."""
        self.parent_meta = parent
        self.setVisible(parent is not None)
        if parent is None:
            return
        node = meta.checkpoint_ns.rpartition("|")[2].split(":", 1)[0]
        step = "?" if parent.step is None else parent.step
        self.text.setText(
            f"This subgraph run ({node}) has finished: the parent graph moved on past the "
            f"step that ran it, so a checkpoint written here is never read. To change what "
            f"{node} starts from, fork the parent checkpoint (step {step}) and run on from it."
        )

    def _fork_parent(self) -> None:
        if self.parent_meta is not None:
            self.fork_parent_requested.emit(self.parent_meta)
