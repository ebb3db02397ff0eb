"""The Graph pane beside the timeline: the picture, zoom/pan/fit, a legend, a node filter.

:class:`GraphView` is a ``QGraphicsView`` over a
:class:`~desktop.ui.widgets.graph_scene.GraphScene`: the wheel zooms, dragging pans,
Fit shows everything (and the picture fits itself on open and on resize until the user
zooms). :class:`GraphPane` adds the title (which graph, or "inferred from history"), the
buttons, the legend of node states and the bar shown while the timeline is filtered to
one node's checkpoints (previous/next occurrence: Shift+F3 / F3, Esc clears).
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QPainter, QResizeEvent, QShortcut, QWheelEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.graph_view import ERROR, INTERRUPTED, NEXT, WROTE
from desktop.ui.widgets.elided_label import ElidedLabel
from desktop.ui.widgets.graph_scene import RUNNING, STATE_COLORS, GraphScene

ZOOM_STEP: Final = 1.2
MIN_SCALE: Final = 0.1
MAX_SCALE: Final = 4.0
LEGEND: Final = ((WROTE, "wrote"), (NEXT, "next"), (INTERRUPTED, "interrupt"), (ERROR, "error"))
NO_GRAPH_TEXT: Final = "No graph: select a thread to see the graph inferred from its history"


class GraphView(QGraphicsView):
    """Zoomable, pannable view of the graph scene."""

    def __init__(self, scene: GraphScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setObjectName("graphView")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(160)
        self.auto_fit = True

    def fit(self) -> None:
        """Show the whole picture (never enlarged beyond 100 %); resizing keeps it fitted."""
        self.auto_fit = True
        rect = self.scene().sceneRect()
        if rect.isEmpty():
            return
        self.resetTransform()
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.0:
            self.resetTransform()
        self.centerOn(rect.center())

    def zoom(self, factor: float) -> None:
        """Zoom by ``factor`` within sane bounds; the picture stops following resizes."""
        current = self.transform().m11()
        factor = max(MIN_SCALE / current, min(MAX_SCALE / current, factor))
        self.auto_fit = False
        self.scale(factor, factor)

    @property
    def zoom_level(self) -> float:
        """The current scale (1.0 = 100 %)."""
        return self.transform().m11()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom(ZOOM_STEP if delta > 0 else 1 / ZOOM_STEP)
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.auto_fit:
            self.fit()


class GraphPane(QWidget):
    """The picture with its title, zoom buttons, legend and node-filter bar."""

    filter_step = Signal(int)
    """Go to the next (+1) or previous (-1) checkpoint of the filtered node."""

    filter_cleared = Signal()
    """The user closed the node filter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("graphPane")
        self.scene = GraphScene(self)
        self.view = GraphView(self.scene, self)
        # One line: a long thread id elides in the middle, whole on hover (wrapped, it
        # broke at its hyphens over four lines and pushed the picture down).
        self.title = ElidedLabel(NO_GRAPH_TEXT, self)
        self.title.setObjectName("graphTitle")
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.fit_button = self._button("Fit", "graphFit", "Show the whole graph")
        self.zoom_in_button = self._button("+", "graphZoomIn", "Zoom in (mouse wheel)")
        self.zoom_out_button = self._button("−", "graphZoomOut", "Zoom out (mouse wheel)")
        self.fit_button.clicked.connect(self.view.fit)
        self.zoom_in_button.clicked.connect(lambda: self.view.zoom(ZOOM_STEP))
        self.zoom_out_button.clicked.connect(lambda: self.view.zoom(1 / ZOOM_STEP))

        self.legend = QLabel(_legend_html(), self)
        self.legend.setObjectName("graphLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.legend.setContentsMargins(6, 0, 6, 0)
        self.legend.setToolTip(
            "Node colours: what each node did at the selected checkpoint; purple while it runs."
        )

        self.legend.setWordWrap(True)
        self.window_button = self._button(
            "Window", "graphWindowButton", "Open the graph in its own window"
        )
        self.window_button.clicked.connect(self.open_window)
        self.graph_window: QDialog | None = None
        header = QHBoxLayout()
        header.setContentsMargins(6, 8, 6, 0)
        header.addWidget(self.title, 1)
        controls = QHBoxLayout()
        controls.setContentsMargins(6, 0, 6, 0)
        controls.setSpacing(2)
        for button in (
            self.zoom_out_button,
            self.zoom_in_button,
            self.fit_button,
            self.window_button,
        ):
            controls.addWidget(button)
        controls.addStretch(1)

        self.filter_bar = QWidget(self)
        self.filter_bar.setObjectName("nodeFilterBar")
        self.filter_label = QLabel(self.filter_bar)
        self.filter_label.setObjectName("nodeFilterLabel")
        self.filter_label.setTextFormat(Qt.TextFormat.PlainText)
        self.filter_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.previous_button = self._button("◀", "filterPrevious", "Previous checkpoint (Shift+F3)")
        self.next_button = self._button("▶", "filterNext", "Next checkpoint (F3)")
        self.clear_button = self._button("✕", "filterClear", "Show every checkpoint (Esc)")
        self.previous_button.clicked.connect(lambda: self.filter_step.emit(-1))
        self.next_button.clicked.connect(lambda: self.filter_step.emit(1))
        self.clear_button.clicked.connect(self.filter_cleared.emit)
        bar = QHBoxLayout(self.filter_bar)
        bar.setContentsMargins(6, 2, 6, 2)
        bar.setSpacing(4)
        bar.addWidget(self.filter_label, 1)
        for button in (self.previous_button, self.next_button, self.clear_button):
            bar.addWidget(button)
        self.filter_bar.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addLayout(controls)
        layout.addWidget(self.legend)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.view, 1)

    def open_window(self) -> None:
        """Show the same picture in a separate, resizable window (a second view of the
        scene: states, clicks and live highlighting work there too)."""
        if self.graph_window is None:
            window = QDialog(self, Qt.WindowType.Window)
            window.setObjectName("graphWindow")
            window.resize(720, 820)
            view = GraphView(self.scene, window)
            fit = QToolButton(window)
            fit.setText("Fit")
            fit.clicked.connect(view.fit)
            layout = QVBoxLayout(window)
            layout.setContentsMargins(4, 4, 4, 4)
            layout.addWidget(fit, 0, Qt.AlignmentFlag.AlignRight)
            layout.addWidget(view, 1)
            window.view = view  # type: ignore[attr-defined]
            self.graph_window = window
        self.graph_window.setWindowTitle(self.title.text())
        self.graph_window.show()
        self.graph_window.raise_()
        self.graph_window.view.fit()  # type: ignore[attr-defined]

    def set_title(self, text: str, tooltip: str = "", *, ident: str = "") -> None:
        """Say what is drawn (plain text); ``ident``, a thread id in ``text``, elides first."""
        self.title.set_full_text(text, tooltip or None, ident=ident)

    def show_filter(self, text: str) -> None:
        """Show the node-filter bar with ``text`` (which node, where in its checkpoints)."""
        self.filter_label.setText(text)
        self.filter_label.setToolTip(text)
        self.filter_bar.show()

    def hide_filter(self) -> None:
        """Hide the node-filter bar."""
        self.filter_bar.hide()

    def install_filter_keys(self, window: QWidget) -> None:
        """F3 / Shift+F3 step through the filtered node's checkpoints anywhere in ``window``;
        Esc in the graph clears the filter."""
        for keys, step in (("F3", 1), ("Shift+F3", -1)):
            shortcut = QShortcut(QKeySequence(keys), window)
            shortcut.activated.connect(lambda step=step: self._step_if_filtering(step))
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self._clear_if_filtering)

    def _step_if_filtering(self, step: int) -> None:
        if not self.filter_bar.isHidden():
            self.filter_step.emit(step)

    def _clear_if_filtering(self) -> None:
        if not self.filter_bar.isHidden():
            self.filter_cleared.emit()

    def _button(self, text: str, name: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button


def _legend_html() -> str:
    """Coloured squares naming the node states (fixed text, never from a database)."""
    parts = [
        f"<span style='color:{STATE_COLORS[state][1]}'>■</span>&nbsp;{word}"
        for state, word in (*LEGEND, (RUNNING, "running"))
    ]
    return "<small>" + " &nbsp;".join(parts) + "</small>"
