"""The timeline's colours (from :mod:`desktop.ui.palette`) and the small markers it paints
beside its rows.

Head, main-line and off-line checkpoints, the error and interrupt badges, and branch
and subgraph groups each have an icon, painted once (:func:`icon`).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from desktop.ui import palette

HEAD_LINE_COLOR = QColor(palette.ACCENT)
OFF_LINE_COLOR = QColor(palette.FAINT)
BRANCH_COLOR = QColor(palette.BRANCH)
SUBGRAPH_COLOR = QColor(palette.SUBGRAPH)
DIFF_BASE_COLOR = QColor(palette.DIFF_BASE_BG)
ERROR_COLOR = QColor(palette.ERROR)
INTERRUPT_COLOR = QColor(palette.INTERRUPTED_MARK)

_ICONS: dict[str, QIcon] = {}


def icon(kind: str) -> QIcon:
    """Small painted markers: head, main-line and off-line checkpoints, badges, groups."""
    if kind not in _ICONS:
        _ICONS[kind] = _paint_icon(kind)
    return _ICONS[kind]


def _paint_icon(kind: str) -> QIcon:
    size = 32
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    center = QPointF(size / 2, size / 2)
    if kind == "head":
        painter.setPen(QPen(HEAD_LINE_COLOR, 3))
        painter.setBrush(QColor(palette.BACKGROUND))
        painter.drawEllipse(center, 12, 12)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(HEAD_LINE_COLOR)
        painter.drawEllipse(center, 7, 7)
    elif kind == "line":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(HEAD_LINE_COLOR)
        painter.drawEllipse(center, 7, 7)
    elif kind == "off":
        painter.setPen(QPen(OFF_LINE_COLOR, 3))
        painter.setBrush(QColor(palette.BACKGROUND))
        painter.drawEllipse(center, 7, 7)
    elif kind == "error":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ERROR_COLOR)
        painter.drawEllipse(center, 12, 12)
        pen = QPen(QColor(palette.TEXT_ON_EMPHASIS), 3.5)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(QPointF(16, 9), QPointF(16, 18))
        painter.drawPoint(QPointF(16, 23))
    elif kind == "interrupt":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(INTERRUPT_COLOR)
        painter.drawEllipse(center, 12, 12)
        painter.setBrush(QColor(palette.TEXT_ON_EMPHASIS))
        painter.drawRoundedRect(QRectF(11, 10, 3.5, 12), 1, 1)
        painter.drawRoundedRect(QRectF(17.5, 10, 3.5, 12), 1, 1)
    elif kind == "branch":
        pen = QPen(BRANCH_COLOR, 3.5)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(QPointF(10, 4), QPointF(10, 28))
        painter.drawLine(QPointF(10, 20), QPointF(24, 8))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BRANCH_COLOR)
        painter.drawEllipse(QPointF(24, 8), 4, 4)
    else:
        painter.setPen(QPen(SUBGRAPH_COLOR, 3))
        painter.setBrush(QColor(palette.SUBGRAPH_ICON_BG))
        painter.drawRoundedRect(QRectF(6, 6, 20, 20), 4, 4)
        painter.drawLine(QPointF(11, 16), QPointF(21, 16))
    painter.end()
    return QIcon(pixmap)
