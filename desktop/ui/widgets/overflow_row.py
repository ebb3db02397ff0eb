"""A row of controls that folds what does not fit into a "⋯" pop-up, last first.

The row asks only for the room of the "⋯" button as its minimum width, so the pane it
sits in can be narrowed without widening the window; widened again, the controls come
back in their order. Folded controls are the same widgets (moved, not copied): their
state and connections stay.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLayout, QToolButton, QVBoxLayout, QWidget

SPACING = 10


class OverflowRow(QWidget):
    """Controls side by side; those past the row's width live in the "⋯" pop-up."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overflowRow")
        self._items: list[QWidget] = []
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(SPACING)
        self._row.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.more = QToolButton(self)
        self.more.setObjectName("overflowButton")
        self.more.setText("⋯")
        self.more.setToolTip("More options")
        self.more.clicked.connect(self.show_folded)
        self.more.hide()
        self._row.addWidget(self.more)
        self._row.addStretch(1)
        self.popup = QFrame(self, Qt.WindowType.Popup)
        self.popup.setObjectName("overflowPopup")
        self.popup.setFrameShape(QFrame.Shape.StyledPanel)
        self._folded = QVBoxLayout(self.popup)
        self._folded.setContentsMargins(10, 8, 10, 8)
        self._folded.setSpacing(8)

    def add(self, widget: QWidget) -> None:
        """Append ``widget`` to the row (the last added fold first)."""
        self._items.append(widget)
        self._row.insertWidget(self._row.indexOf(self.more), widget)
        self._arrange(self.width())

    def folded(self) -> list[QWidget]:
        """The controls in the pop-up now, in row order."""
        return [w for w in self._items if w.parent() is self.popup]

    def show_folded(self) -> None:
        """Open the pop-up with the folded controls under the "⋯" button."""
        self.popup.adjustSize()
        below = self.more.mapToGlobal(QPoint(0, self.more.height()))
        self.popup.move(below.x() + self.more.width() - self.popup.width(), below.y())
        self.popup.show()

    def sizeHint(self) -> QSize:
        widths = [w.sizeHint().width() for w in self._items]
        return QSize(sum(widths) + SPACING * max(len(widths) - 1, 0), self._height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.more.sizeHint().width(), self._height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width())

    def _height(self) -> int:
        hints = [w.sizeHint().height() for w in (*self._items, self.more)]
        return max(hints)

    def _arrange(self, width: int) -> None:
        widths = [w.sizeHint().width() for w in self._items]
        shown = len(widths)
        if sum(widths) + SPACING * max(shown - 1, 0) > width:
            room = width - self.more.sizeHint().width()
            used = 0
            shown = 0
            for item_width in widths:
                if used + item_width + SPACING > room:
                    break
                used += item_width + SPACING
                shown += 1
        for index, widget in enumerate(self._items):
            if index < shown and widget.parent() is not self:
                self._folded.removeWidget(widget)
                widget.setParent(self)
                self._row.insertWidget(index, widget)
                widget.show()
            elif index >= shown and widget.parent() is not self.popup:
                self._row.removeWidget(widget)
                widget.setParent(self.popup)
                self._folded.addWidget(widget)
                widget.show()
        self.more.setVisible(shown < len(self._items))
        if shown == len(self._items):
            self.popup.hide()
