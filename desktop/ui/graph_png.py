"""``rewind graph --png``: render the Graph pane's picture to a file, no display needed.

Uses the same :class:`~desktop.ui.widgets.graph_scene.GraphScene` as the window. When
no display is available the offscreen platform is used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from desktop.core.errors import RewindError
from desktop.core.graph_view import GraphPicture, NodeState
from desktop.ui import palette

MARGIN = 24
TITLE_HEIGHT = 34
SCALE = 2.0


def render_png(
    picture: GraphPicture, states: Mapping[str, NodeState], title: str, target: Path
) -> None:
    """Draw ``picture`` with ``states`` under ``title`` and save it as a PNG at ``target``."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter
    from PySide6.QtWidgets import QApplication

    from desktop.ui.widgets.graph_scene import GraphScene

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "rewind"])
    scene = GraphScene()
    scene.show_picture(picture)
    scene.set_states(states)
    source = scene.sceneRect()
    title_width = QFontMetricsF(scene.font).horizontalAdvance(title)
    width = int((max(source.width(), title_width) + 2 * MARGIN) * SCALE)
    height = int((source.height() + 2 * MARGIN + TITLE_HEIGHT) * SCALE)
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor(palette.BACKGROUND))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(SCALE, SCALE)
    painter.setFont(scene.font)
    painter.setPen(QColor(palette.TEXT))
    painter.drawText(
        QRectF(MARGIN, 8, max(source.width(), title_width), TITLE_HEIGHT - 8),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        title,
    )
    scene.render(
        painter,
        QRectF(MARGIN, MARGIN + TITLE_HEIGHT - 8, source.width(), source.height()),
        source,
    )
    painter.end()
    saved = image.save(str(target), "PNG")
    scene.deleteLater()
    del app
    if not saved:
        raise RewindError(f"Cannot write the PNG to {target}")
