"""A small spinner for the status bar that says "something is loading"."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from desktop.ui import palette

_COLOR = QColor(palette.ACCENT)
_TRACK = QColor(palette.BORDER)


class BusyIndicator(QWidget):
    """An arc that turns while the controller has work in flight; blank when idle.

    It keeps its size when idle so the status bar does not jump.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("busyIndicator")
        self.setFixedSize(QSize(16, 16))
        self._angle = 0
        self._busy = False
        self._timer = QTimer(self)
        self._timer.setInterval(40)
        self._timer.timeout.connect(self._turn)
        self.setToolTip("Idle")
        self.setAccessibleName("Busy indicator")

    @property
    def is_busy(self) -> bool:
        """True while the spinner turns."""
        return self._busy

    def set_busy(self, busy: bool) -> None:
        """Start or stop the spinner."""
        if busy == self._busy:
            return
        self._busy = busy
        self.setToolTip("Loading…" if busy else "Idle")
        if busy:
            self._timer.start()
        else:
            self._timer.stop()
        self.update()

    def _turn(self) -> None:
        self._angle = (self._angle + 30) % 360
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._busy:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        painter.setPen(QPen(_TRACK, 2))
        painter.drawEllipse(rect)
        pen = QPen(_COLOR, 2)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawArc(rect, -self._angle * 16, 100 * 16)
