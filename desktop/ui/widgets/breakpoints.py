"""Static breakpoints: the nodes the next run pauses before or after.

Two checkable lists of the attached graph's nodes feed ``interrupt_before`` and
``interrupt_after`` of ``runner.run``. A run paused this way stops with its next nodes
still to run; the resume panel then offers Continue. :class:`BreakpointsButton` holds the
lists in a drop-down next to the run panel and says on its face how many are set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

NO_GRAPH_TEXT: Final = "Attach a graph to set breakpoints on its nodes."
NONE_SET_TEXT: Final = "No breakpoints: runs go to the end (or to an interrupt())."
STYLE = """
#breakpointsTitle { font-weight: 600; }
#breakpointsSummary { color: @text_muted; }
#breakpointsBefore, #breakpointsAfter { padding: 2px; }
QLabel[role="column"] { color: @text_muted; font-weight: 600; }
"""
"""Rules of this widget, part of the application stylesheet (``app.apply_theme``)."""


class BreakpointsWidget(QWidget):
    """Choose nodes to pause before / after in the next run; Clear all removes them."""

    changed = Signal()
    """The selection changed; read :meth:`interrupt_before` and :meth:`interrupt_after`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breakpoints")
        title = QLabel("Breakpoints", self)
        title.setObjectName("breakpointsTitle")
        self.clear_button = QPushButton("Clear all", self)
        self.clear_button.setObjectName("breakpointsClear")
        self.clear_button.setToolTip("Remove every breakpoint")
        self.clear_button.clicked.connect(self.clear)
        self.before_list = self._make_list("breakpointsBefore")
        self.after_list = self._make_list("breakpointsAfter")
        self.summary = QLabel(self)
        self.summary.setObjectName("breakpointsSummary")
        self.summary.setWordWrap(True)

        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.clear_button)
        columns = QHBoxLayout()
        columns.setSpacing(10)
        for caption, tip, view in (
            ("Pause before", "The run stops before these nodes start", self.before_list),
            ("Pause after", "The run stops once these nodes have finished", self.after_list),
        ):
            column = QVBoxLayout()
            column.setSpacing(4)
            label = QLabel(caption, self)
            label.setProperty("role", "column")
            label.setToolTip(tip)
            view.setToolTip(tip)
            column.addWidget(label)
            column.addWidget(view, 1)
            columns.addLayout(column, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addLayout(columns, 1)
        layout.addWidget(self.summary)
        self.set_nodes(())

    def set_nodes(self, nodes: Sequence[str]) -> None:
        """Show the attached graph's nodes (none: no graph); breakpoints on kept nodes stay."""
        before, after = set(self.interrupt_before()), set(self.interrupt_after())
        for view, chosen in ((self.before_list, before), (self.after_list, after)):
            view.blockSignals(True)
            view.clear()
            for node in nodes:
                item = QListWidgetItem(node, view)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                checked = node in chosen
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            view.blockSignals(False)
        self.setEnabled(bool(nodes))
        self.setToolTip("" if nodes else NO_GRAPH_TEXT)
        self._refresh()
        if before != set(self.interrupt_before()) or after != set(self.interrupt_after()):
            self.changed.emit()

    def nodes(self) -> list[str]:
        """The nodes listed, in the graph's order."""
        return [self.before_list.item(row).text() for row in range(self.before_list.count())]

    def interrupt_before(self) -> list[str]:
        """Nodes to pause before, in graph order: ``interrupt_before`` of the next run."""
        return _checked(self.before_list)

    def interrupt_after(self) -> list[str]:
        """Nodes to pause after, in graph order: ``interrupt_after`` of the next run."""
        return _checked(self.after_list)

    def set_breakpoints(self, before: Sequence[str] = (), after: Sequence[str] = ()) -> None:
        """Check exactly these nodes (unknown names are ignored)."""
        for view, chosen in ((self.before_list, set(before)), (self.after_list, set(after))):
            view.blockSignals(True)
            for row in range(view.count()):
                item = view.item(row)
                checked = item.text() in chosen
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            view.blockSignals(False)
        self._refresh()
        self.changed.emit()

    def clear(self) -> None:
        """Remove every breakpoint."""
        self.set_breakpoints()

    def _make_list(self, name: str) -> QListWidget:
        view = QListWidget(self)
        view.setObjectName(name)
        view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        view.setMinimumHeight(90)
        view.itemChanged.connect(self._item_changed)
        return view

    def _item_changed(self) -> None:
        self._refresh()
        self.changed.emit()

    def _refresh(self) -> None:
        before, after = self.interrupt_before(), self.interrupt_after()
        parts = []
        if before:
            parts.append(f"before {', '.join(before)}")
        if after:
            parts.append(f"after {', '.join(after)}")
        if not self.nodes():
            text = NO_GRAPH_TEXT
        elif parts:
            text = f"The next run pauses {' and '.join(parts)}."
        else:
            text = NONE_SET_TEXT
        self.summary.setText(text)
        self.clear_button.setEnabled(bool(before or after))


class BreakpointsButton(QToolButton):
    """A "Breakpoints" drop-down holding a :class:`BreakpointsWidget`; shows how many are set."""

    POPUP_WIDTH: Final = 380

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breakpointsButton")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.popup = QMenu(self)
        self.popup.setObjectName("breakpointsPopup")
        self.breakpoints = BreakpointsWidget(self.popup)
        self.breakpoints.setMinimumWidth(self.POPUP_WIDTH)
        holder = QWidgetAction(self.popup)
        holder.setDefaultWidget(self.breakpoints)
        self.popup.addAction(holder)
        self.setMenu(self.popup)
        self.breakpoints.changed.connect(self._refresh)
        self._refresh()

    def set_nodes(self, nodes: Sequence[str]) -> None:
        """The attached graph's nodes (none: no graph, the button is disabled)."""
        self.breakpoints.set_nodes(nodes)
        self._refresh()

    def _refresh(self) -> None:
        widget = self.breakpoints
        count = len(widget.interrupt_before()) + len(widget.interrupt_after())
        self.setText(f"Breakpoints · {count}" if count else "Breakpoints")
        self.setProperty("active", bool(count))
        self.style().unpolish(self)
        self.style().polish(self)
        self.updateGeometry()
        self.setEnabled(bool(widget.nodes()))
        self.setToolTip(widget.summary.text())


def _checked(view: QListWidget) -> list[str]:
    return [
        view.item(row).text()
        for row in range(view.count())
        if view.item(row).checkState() == Qt.CheckState.Checked
    ]
