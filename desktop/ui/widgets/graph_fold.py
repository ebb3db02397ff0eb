"""Folds the Graph pane away beside a narrow timeline, behind a "Graph" toggle.

When the column holding the timeline and the Graph pane is too narrow for both (a
1024-pixel screen), the pane starts folded so the timeline keeps its columns; the
"Graph" button in the timeline's title row shows it again (and hides it), and once the
user has chosen, the choice stands whatever the width.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QSplitter, QToolButton, QWidget

FOLD_BELOW = 560
"""Width of the timeline + graph column under which the pane starts folded."""


class GraphFold(QObject):
    """Shows or hides ``pane`` (the second widget of ``splitter``) with ``button``."""

    def __init__(self, splitter: QSplitter, pane: QWidget, button: QToolButton) -> None:
        super().__init__(splitter)
        self.splitter = splitter
        self.pane = pane
        self.button = button
        self.chosen = False
        button.setCheckable(True)
        button.setChecked(True)
        button.setToolTip("Show or hide the Graph pane beside the timeline")
        button.clicked.connect(self._clicked)
        splitter.installEventFilter(self)

    @property
    def folded(self) -> bool:
        """Whether the pane is folded away."""
        return not self.button.isChecked()

    def set_folded(self, folded: bool) -> None:
        """Fold the pane away (its room goes to the timeline) or show it."""
        self.button.setChecked(not folded)
        self.pane.setHidden(folded)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.splitter and event.type() == QEvent.Type.Resize and not self.chosen:
            self.set_folded(self.splitter.width() < FOLD_BELOW)
        return super().eventFilter(watched, event)

    def _clicked(self, checked: bool) -> None:
        self.chosen = True
        self.set_folded(not checked)
