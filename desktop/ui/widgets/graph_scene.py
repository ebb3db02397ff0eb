"""The graph picture as a ``QGraphicsScene``: node boxes, edges, subgraph frames.

Shared by the window's Graph pane and ``rewind graph --png`` so both draw the same
picture. Positions come from :func:`desktop.core.graph_layout.layout_picture`; the
scene only paints. Node text is plain text; hover text (states, errors) is escaped.
Clicks on items are reported through the scene's signals: a node click is held back
for the double-click interval so a double-click does not also toggle a breakpoint.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Final

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop.core.graph_layout import Box, Layout, layout_picture
from desktop.core.graph_view import (
    ERROR,
    IDLE,
    INTERRUPTED,
    NEXT,
    WROTE,
    GraphPicture,
    NodeState,
)
from desktop.ui import palette

RUNNING: Final = "running"

STATE_COLORS: Final[dict[str, tuple[str, str]]] = {
    IDLE: (palette.CANVAS, palette.TEXT_DISABLED),
    WROTE: (palette.SUCCESS_BG, palette.SUCCESS),
    NEXT: (palette.ACCENT_BG, palette.ACCENT),
    INTERRUPTED: (palette.INTERRUPTED_BG, palette.INTERRUPTED),
    ERROR: (palette.ERROR_BG, palette.ERROR),
    RUNNING: (palette.SUBGRAPH_BG, palette.SUBGRAPH),
}
"""Fill and border per node state (and for a node running now)."""

STATE_WORDS: Final[dict[str, str]] = {
    IDLE: "idle at this checkpoint",
    WROTE: "wrote this checkpoint",
    NEXT: "runs next",
    INTERRUPTED: "waits for an answer to its interrupt",
    ERROR: "failed",
    RUNNING: "running now",
}
BREAKPOINT_COLOR: Final = palette.ERROR
EDGE_COLOR: Final = palette.TEXT_MUTED
FRAME_COLOR: Final = palette.BORDER
NODE_HEIGHT: Final = 30.0
NODE_PADDING: Final = 16.0
END_NODES: Final = ("__start__", "__end__")


def plain_tooltip(text: str) -> str:
    """Hover text shown literally: database text is escaped, never read as markup."""
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


class NodeItem(QGraphicsObject):
    """A node box: name, state colours, breakpoint marks (before: top, after: bottom)."""

    def __init__(self, node_id: str, label: str, box: Box, font: QFont, *, terminal: bool) -> None:
        super().__init__()
        self.node_id = node_id
        self.label = label
        self.terminal = terminal
        self.state = NodeState()
        self.running = False
        self.before = False
        self.after = False
        self.collapsed_subgraph = False
        self.breakable = False
        self._font = font
        self._rect = QRectF(0, 0, box.w, box.h)
        self.setPos(box.x, box.y)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setData(0, node_id)
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-6, -6, 6, 6)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self._rect)
        return path

    def paint(
        self, painter: QPainter, _option: QStyleOptionGraphicsItem, _widget: QWidget | None = None
    ) -> None:
        key = RUNNING if self.running else self.state.state
        fill, border = STATE_COLORS.get(key, STATE_COLORS[IDLE])
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = 3.0 if self.running or self.state.state != IDLE else 1.2
        pen = QPen(QColor(border), width)
        painter.setPen(pen)
        painter.setBrush(QBrush(QColor(fill)))
        radius = self._rect.height() / 2 if self.terminal else 6.0
        painter.drawRoundedRect(self._rect, radius, radius)
        if self.collapsed_subgraph:
            painter.setPen(QPen(QColor(border), 1.0))
            painter.drawRoundedRect(self._rect.adjusted(3, 3, -3, -3), 4, 4)
        painter.setPen(QColor(palette.TEXT))
        painter.setFont(self._font)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self.label)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(BREAKPOINT_COLOR))
        for on, y in ((self.before, self._rect.top()), (self.after, self._rect.bottom())):
            if on:
                painter.drawEllipse(QPointF(self._rect.left() + 10, y), 5.5, 5.5)

    def refresh_tooltip(self) -> None:
        """Say the state, the error text and the breakpoints on hover."""
        key = RUNNING if self.running else self.state.state
        lines = [f"{self.node_id} — {STATE_WORDS[key]}"]
        if self.state.error:
            lines.append(self.state.error)
        marks = [w for w, on in (("before", self.before), ("after", self.after)) if on]
        if marks:
            lines.append(f"Breakpoint {' and '.join(marks)} this node")
        if self.breakable:
            lines.append("Click: pause before · Shift+click: pause after")
        if not self.terminal:
            lines.append("Double-click: the checkpoints it wrote")
        self.setToolTip(plain_tooltip("\n".join(lines)))
        self.update()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        if isinstance(scene, GraphScene) and event.button() == Qt.MouseButton.LeftButton:
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            scene.node_pressed(self.node_id, shift)
        super().mouseReleaseEvent(event)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        if isinstance(scene, GraphScene):
            scene.node_double_pressed(self.node_id)
        event.accept()

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:
        scene = self.scene()
        if isinstance(scene, GraphScene):
            scene.node_menu_requested.emit(self.node_id, event.screenPos())
        event.accept()


class FrameTitle(QGraphicsSimpleTextItem):
    """A subgraph frame's title; clicking it folds the subgraph into one node."""

    def __init__(self, subgraph: str, parent: QGraphicsItem) -> None:
        super().__init__(f"▾ {subgraph}", parent)
        self.subgraph = subgraph
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(plain_tooltip(f"Subgraph {subgraph}: click to fold it into one node"))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        if isinstance(scene, GraphScene):
            scene.subgraph_toggled.emit(self.subgraph)


class GraphScene(QGraphicsScene):
    """Draws a picture with node states, breakpoints and the nodes running now."""

    node_clicked = Signal(str, bool)
    """``(node id, shift held)``: a single click (after the double-click interval)."""

    node_double_clicked = Signal(str)
    """A node was double-clicked."""

    subgraph_toggled = Signal(str)
    """Fold or unfold this subgraph node."""

    node_menu_requested = Signal(str, object)
    """``(node id, global QPoint)``: the user right-clicked a node."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture: GraphPicture | None = None
        self.layout: Layout | None = None
        self.nodes: dict[str, NodeItem] = {}
        self.font = QFont(QApplication.font())
        self.font.setPointSizeF(max(self.font.pointSizeF(), 10.0))
        self._metrics = QFontMetricsF(self.font)
        self._pending_click: tuple[str, bool] | None = None
        self._click_timer = QTimer(self)
        self._click_timer.setSingleShot(True)
        self._click_timer.timeout.connect(self._emit_click)
        self.setBackgroundBrush(QColor(palette.BACKGROUND))

    def clear_picture(self) -> None:
        """Draw nothing."""
        self.clear()
        self.nodes = {}
        self.picture = None
        self.layout = None

    def node_sizes(self, picture: GraphPicture) -> dict[str, tuple[float, float]]:
        """Each node box's size for this scene's font (measured here, in the GUI thread)."""
        return {node.id: self._node_size(node.name) for node in picture.nodes}

    def show_picture(self, picture: GraphPicture) -> None:
        """Lay out and draw ``picture`` at once (``rewind graph --png``)."""
        sizes = self.node_sizes(picture)
        self.show_layout(picture, layout_picture(picture, sizes.__getitem__))

    def show_layout(self, picture: GraphPicture, layout: Layout) -> None:
        """Draw ``picture`` laid out as ``layout`` (every node idle, nothing running)."""
        self.clear_picture()
        self.picture = picture
        self.layout = layout
        for sub, box in self.layout.frames.items():
            self._add_frame(sub, box)
        for node in picture.nodes:
            box = self.layout.nodes[node.id]
            label = node.name + (" ▸" if node.id in picture.collapsed else "")
            item = NodeItem(node.id, label, box, self.font, terminal=node.id in END_NODES)
            item.collapsed_subgraph = node.id in picture.collapsed
            self.addItem(item)
            self.nodes[node.id] = item
        for edge in picture.edges:
            points = self.layout.edges.get((edge.source, edge.target))
            if points:
                self._add_edge(edge.source, edge.target, points, edge.conditional, edge.label)
        for item in self.nodes.values():
            item.refresh_tooltip()
        drawn = QRectF(0, 0, self.layout.width, self.layout.height)
        self.setSceneRect(drawn.united(self.itemsBoundingRect()).adjusted(-8, -8, 8, 8))

    def set_states(self, states: Mapping[str, NodeState]) -> None:
        """Colour each node by its state at the selected checkpoint."""
        for node_id, item in self.nodes.items():
            item.state = states.get(node_id, NodeState())
            item.refresh_tooltip()

    def set_running(self, node_ids: set[str]) -> None:
        """Highlight the nodes running now (ids of the drawn picture)."""
        for node_id, item in self.nodes.items():
            running = node_id in node_ids
            if running != item.running:
                item.running = running
                item.refresh_tooltip()

    def set_breakpoints(
        self, before: set[str], after: set[str], breakable: set[str] | None = None
    ) -> None:
        """Mark the nodes a run pauses before / after; ``breakable`` nodes take clicks."""
        for node_id, item in self.nodes.items():
            item.before, item.after = node_id in before, node_id in after
            item.breakable = breakable is not None and node_id in breakable
            item.refresh_tooltip()

    def node_pressed(self, node_id: str, shift: bool) -> None:
        """A click on a node; reported once no double-click follows."""
        self._pending_click = (node_id, shift)
        self._click_timer.start(QApplication.doubleClickInterval())

    def node_double_pressed(self, node_id: str) -> None:
        """A double-click: any single click held back is dropped."""
        self._click_timer.stop()
        self._pending_click = None
        self.node_double_clicked.emit(node_id)

    def _emit_click(self) -> None:
        if self._pending_click is not None:
            node_id, shift = self._pending_click
            self._pending_click = None
            self.node_clicked.emit(node_id, shift)

    def _node_size(self, name: str) -> tuple[float, float]:
        text = name + " ▸"
        return (max(self._metrics.horizontalAdvance(text) + 2 * NODE_PADDING, 70.0), NODE_HEIGHT)

    def _add_frame(self, subgraph: str, box: Box) -> None:
        frame = self.addRect(QRectF(box.x, box.y, box.w, box.h))
        frame.setPen(QPen(QColor(FRAME_COLOR), 1.2, Qt.PenStyle.DashLine))
        frame.setBrush(QColor(palette.CANVAS))
        frame.setZValue(0)
        title = FrameTitle(subgraph, frame)
        title.setFont(self.font)
        title.setBrush(QColor(palette.TEXT_MUTED))
        title.setPos(box.x + 8, box.y + 3)

    def _add_edge(
        self,
        source: str,
        target: str,
        points: list[tuple[float, float]],
        conditional: bool,
        label: str | None,
    ) -> None:
        assert self.layout is not None
        pts = [QPointF(x, y) for x, y in points]
        pts[0] = _clip(pts[1], self.layout.nodes[source], towards_center=pts[0])
        pts[-1] = _clip(pts[-2], self.layout.nodes[target], towards_center=pts[-1])
        path = QPainterPath(pts[0])
        for point in pts[1:]:
            path.lineTo(point)
        item = QGraphicsPathItem(path)
        pen = QPen(QColor(EDGE_COLOR), 1.4)
        if conditional:
            pen.setStyle(Qt.PenStyle.DashLine)
        item.setPen(pen)
        item.setZValue(1)
        item.setData(0, f"{source}->{target}")
        self.addItem(item)
        self.addItem(_arrow_head(pts[-2], pts[-1]))
        if label:
            text = QGraphicsSimpleTextItem(label)
            text.setFont(self.font)
            text.setBrush(QColor(palette.TEXT_MUTED))
            middle = pts[len(pts) // 2] if len(pts) > 2 else (pts[0] + pts[1]) / 2
            bounds = text.boundingRect()
            text.setPos(middle.x() + 4, middle.y() - bounds.height() / 2)
            text.setZValue(3)
            text.setData(0, f"label:{source}->{target}")
            self.addItem(text)


def _clip(outside: QPointF, box: Box, towards_center: QPointF) -> QPointF:
    """Where the line from ``outside`` to the box's centre crosses the box's border."""
    cx, cy = box.center
    dx, dy = outside.x() - cx, outside.y() - cy
    if dx == 0 and dy == 0:
        return towards_center
    scale = min(
        (box.w / 2) / abs(dx) if dx else math.inf,
        (box.h / 2) / abs(dy) if dy else math.inf,
    )
    return QPointF(cx + dx * scale, cy + dy * scale)


def _arrow_head(start: QPointF, end: QPointF) -> QGraphicsItem:
    angle = math.atan2(end.y() - start.y(), end.x() - start.x())
    size = 9.0
    left = QPointF(
        end.x() - size * math.cos(angle - math.pi / 7),
        end.y() - size * math.sin(angle - math.pi / 7),
    )
    right = QPointF(
        end.x() - size * math.cos(angle + math.pi / 7),
        end.y() - size * math.sin(angle + math.pi / 7),
    )
    path = QPainterPath()
    path.addPolygon(QPolygonF([end, left, right, end]))
    item = QGraphicsPathItem(path)
    item.setPen(QPen(QColor(EDGE_COLOR), 1.0))
    item.setBrush(QColor(EDGE_COLOR))
    item.setZValue(1)
    return item
