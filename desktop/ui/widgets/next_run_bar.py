"""The bar above the run panel: where the next run starts (the thread's head, or a
pinned past checkpoint with a way back to the head), and the Breakpoints drop-down."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from desktop.ui.models.timeline_cells import short_name
from desktop.ui.widgets.breakpoints import BreakpointsButton
from desktop.ui.widgets.elided_label import ElidedLabel

if TYPE_CHECKING:
    from desktop.core.model import CheckpointMeta

HEAD_RUN_TEXT = "Next run continues from the thread's head"


class NextRunBar(QWidget):
    """Says where the next run starts (the head, or a pinned past checkpoint with a way back
    to the head) and holds the Breakpoints drop-down."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nextRunBar")
        self.label = ElidedLabel(HEAD_RUN_TEXT, self)
        self.label.setObjectName("nextRunLabel")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.back_button = QPushButton("Back to head", self)
        self.back_button.setObjectName("backToHead")
        self.back_button.setToolTip("Forget the chosen checkpoint: the next run continues the head")
        self.back_button.hide()
        self.breakpoints_button = BreakpointsButton(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 0)
        layout.setSpacing(8)
        layout.addWidget(self.label)
        layout.addStretch(1)
        layout.addWidget(self.back_button)
        layout.addWidget(self.breakpoints_button)
        self.show_point(None)

    def show_point(self, meta: CheckpointMeta | None) -> None:
        """Show ``meta`` as where the next run starts (None: the head)."""
        pinned = meta is not None
        if meta is None:
            self.label.set_full_text(
                HEAD_RUN_TEXT, "Runs from the run panel continue the thread where it is"
            )
        else:
            self.label.set_full_text(
                f"Next run from {short_name(meta)}",
                f"The next run starts a new branch at checkpoint {meta.checkpoint_id}: "
                "Run with an input sends it from there, an empty input runs on from there",
            )
        self.label.setProperty("pinned", pinned)
        self.label.style().unpolish(self.label)
        self.label.style().polish(self.label)
        self.back_button.setVisible(pinned)
