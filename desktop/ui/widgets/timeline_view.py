"""The middle pane: a thread's checkpoints as a tree, oldest at the top, head at the bottom.

Moving the current row (mouse, Up/Down, Home/End) reports the checkpoint as chosen;
Left/Right collapse and expand branch and subgraph groups. The thread's head carries a
``HEAD`` tag and the checkpoint the next run starts from a ``NEXT RUN`` tag. Comparing any
two checkpoints: a right click never moves the selection, so the context menu's
"Compare with selected checkpoint" diffs the selection against the clicked row; a
Ctrl+click on a second row does the same without a menu; "Compare with…" picks the base
from a list. The menu also holds the time-travel actions
(:meth:`TimelineView.add_menu_actions`); while it is open they act on the clicked row
(:attr:`TimelineView.menu_target_changed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from desktop.ui import palette
from desktop.ui.models.timeline import TimelineModel
from desktop.ui.models.timeline_cells import (
    CHECKPOINT_COLUMN,
    ID_COLUMN,
    NODES_COLUMN,
    TIME_COLUMN,
)

CheckpointKey = tuple[str, str]
_Index = QModelIndex | QPersistentModelIndex

HEAD_TAG: Final = "HEAD"
NEXT_RUN_TAG: Final = "NEXT RUN"
_TAGS: Final = {
    HEAD_TAG: (QColor(palette.ACCENT), QColor(palette.ACCENT), QColor(palette.TEXT_ON_EMPHASIS)),
    NEXT_RUN_TAG: (
        QColor(palette.SUCCESS_BG),
        QColor(palette.SUCCESS_BORDER),
        QColor(palette.SUCCESS_TEXT),
    ),
}
_TAG_GAP = 6
_TAG_PAD = 5


def row_tag(index: _Index) -> str | None:
    """The tag painted after a checkpoint's name: ``HEAD``, ``NEXT RUN`` or None."""
    if index.data(TimelineModel.IsHeadRole):
        return HEAD_TAG
    if index.data(TimelineModel.IsContinuePointRole):
        return NEXT_RUN_TAG
    return None


class TimelineItemDelegate(QStyledItemDelegate):
    """Paints rows as usual, plus a small tag after the head's and the next run's name."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        super().paint(painter, option, index)
        tag = row_tag(index) if index.column() == CHECKPOINT_COLUMN else None
        if tag is None:
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        style = opt.widget.style() if opt.widget is not None else None
        if style is None:
            return
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget)
        text_width = QFontMetrics(opt.font).horizontalAdvance(opt.text)
        font = _tag_font(opt.font)
        metrics = QFontMetrics(font)
        width = metrics.horizontalAdvance(tag) + 2 * _TAG_PAD
        height = metrics.height() + 2
        left = text_rect.left() + min(text_width, text_rect.width()) + _TAG_GAP
        if left + width > option.rect.right():
            return
        rect = QRect(left, option.rect.center().y() - height // 2, width, height)
        background, border, color = _TAGS[tag]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(border))
        painter.setBrush(background)
        painter.drawRoundedRect(rect, 4, 4)
        painter.setFont(font)
        painter.setPen(color)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, tag)
        painter.restore()


def _tag_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setBold(True)
    font.setPointSizeF(max(6.5, base.pointSizeF() - 2.5))
    return font


def tag_width(base: QFont) -> int:
    """Room a tag takes after a name, for sizing the checkpoint column."""
    return QFontMetrics(_tag_font(base)).horizontalAdvance(NEXT_RUN_TAG) + 2 * _TAG_PAD + _TAG_GAP


class TimelineView(QTreeView):
    """Tree view over a :class:`TimelineModel` that emits checkpoint intents."""

    checkpoint_chosen = Signal(object)
    """The current row moved to this checkpoint (namespace, id)."""

    compare_requested = Signal(object)
    """Diff the selection against this checkpoint (namespace, id)."""

    compare_picker_requested = Signal()
    """The user asked to pick, from a list, the checkpoint the selection is diffed against."""

    menu_target_changed = Signal(object)
    """The context menu opened on this checkpoint (namespace, id); None once it closed.

    Actions in the menu act on that row while it is open, not on the selection.
    """

    def __init__(self, model: TimelineModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setModel(model)
        self._model = model
        self._restore_key: CheckpointKey | None = None
        # Whether the current row was in sight when last looked at (scrolls, selections):
        # a pane that shrinks then keeps it in sight rather than leaving it below the fold.
        self._current_in_sight = False
        self.setUniformRowHeights(True)
        self.setAllColumnsShowFocus(True)
        self.setAlternatingRowColors(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setIndentation(16)
        self.setExpandsOnDoubleClick(True)
        self.setItemDelegate(TimelineItemDelegate(self))
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(CHECKPOINT_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(NODES_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(TIME_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ID_COLUMN, QHeaderView.ResizeMode.Interactive)
        metrics = self.fontMetrics()
        self._widths = {
            CHECKPOINT_COLUMN: metrics.horizontalAdvance("step 000 · update")
            + tag_width(self.font())
            + 64,
            TIME_COLUMN: metrics.horizontalAdvance("00:00:00.000") + 20,
            ID_COLUMN: metrics.horizontalAdvance("0000000000") + 16,
        }
        for column, width in self._widths.items():
            header.resizeSection(column, width)
        header.setMinimumSectionSize(48)

        self.selectionModel().currentChanged.connect(self._current_changed)
        self.verticalScrollBar().valueChanged.connect(self._look_at_current)
        self.activated.connect(self._activated)
        model.modelAboutToBeReset.connect(self._remember_current)
        model.modelReset.connect(self._after_reset)
        model.rowsInserted.connect(self._rows_inserted)

        self.menu = QMenu(self)
        self.menu.setObjectName("timelineMenu")
        self.menu.setToolTipsVisible(True)
        self.compare_action = self.menu.addAction("Compare with selected checkpoint")
        self.compare_action.setObjectName("compareWithSelected")
        self.compare_action.setToolTip(
            "Diff the selected checkpoint against this one (or Ctrl+click a row)"
        )
        self.compare_pick_action = self.menu.addAction("Compare with…")
        self.compare_pick_action.setObjectName("compareWithPicker")
        self.compare_pick_action.setToolTip("Pick the checkpoint the selection is diffed against")
        self.compare_pick_action.triggered.connect(self.compare_picker_requested)
        self.copy_id_action = self.menu.addAction("Copy checkpoint id")
        self.copy_id_action.setObjectName("copyCheckpointId")
        self._menu_key: CheckpointKey | None = None
        self.compare_action.triggered.connect(self._compare_with_menu_row)
        self.copy_id_action.triggered.connect(self._copy_menu_row_id)
        self.menu.aboutToHide.connect(self._menu_hiding)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()
        if self._current_in_sight and self.currentIndex().isValid():
            # A pane laid out later (the output pane built after the first screen) or a
            # splitter dragged: the current row stays in sight.
            self.scrollTo(self.currentIndex(), QAbstractItemView.ScrollHint.EnsureVisible)

    def _look_at_current(self) -> None:
        current = self.currentIndex()
        self._current_in_sight = current.isValid() and self.viewport().rect().intersects(
            self.visualRect(current)
        )

    def fit_columns(self) -> None:
        """Keep every column inside the view, so no header or row is cut off at its edge:
        when the view is narrow the id column goes first, then the time (the state header
        and the status bar show both), then the checkpoint column narrows (its rows elide)."""
        header = self.header()
        room = self.viewport().width()
        nodes = self.fontMetrics().horizontalAdvance("Nodes") + 40
        checkpoint = self._widths[CHECKPOINT_COLUMN]
        time, ident = self._widths[TIME_COLUMN], self._widths[ID_COLUMN]
        narrowest = min(checkpoint, max(room // 2, 96))
        show_time = narrowest + nodes + time <= room
        show_id = show_time and checkpoint + nodes + time + ident <= room
        header.setSectionHidden(TIME_COLUMN, not show_time)
        header.setSectionHidden(ID_COLUMN, not show_id)
        others = nodes + (time if show_time else 0) + (ident if show_id else 0)
        header.resizeSection(CHECKPOINT_COLUMN, max(min(checkpoint, room - others), 48))

    def add_menu_actions(self, actions: Sequence[QAction | None]) -> None:
        """Put ``actions`` (None: a separator) at the top of the context menu."""
        first = self.menu.actions()[0]
        for action in actions:
            if action is None:
                self.menu.insertSeparator(first)
            else:
                self.menu.insertAction(first, action)
        self.menu.insertSeparator(first)

    def show_key(self, key: CheckpointKey | None) -> None:
        """Make ``key`` the current row and scroll to it (None clears the selection)."""
        if key is None:
            self.selectionModel().clearCurrentIndex()
            self.clearSelection()
            return
        index = self._model.index_for_key(key)
        if not index.isValid():
            return
        if self.currentIndex().siblingAtColumn(0) != index:
            self.setCurrentIndex(index)
        self.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        self._current_in_sight = True

    # -- input ---------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Home and not event.modifiers():
            self._jump(self._model.first_checkpoint_index())
        elif key == Qt.Key.Key_End and not event.modifiers():
            self._jump(self._model.head_index())
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._enter(self.currentIndex().siblingAtColumn(0))
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A right click leaves the selection alone (it is what the menu compares with);
        Ctrl+click on another checkpoint diffs the selection against it."""
        if event.button() == Qt.MouseButton.RightButton:
            event.accept()
            return
        ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if event.button() == Qt.MouseButton.LeftButton and ctrl:
            key = self._model.key_at(self.indexAt(event.position().toPoint()))
            current = self._model.key_at(self.currentIndex())
            if key is not None and current is not None and key != current:
                self.compare_requested.emit(key)
            event.accept()
            return
        super().mousePressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        key = self._model.key_at(index) if index.isValid() else None
        if key is None:
            return
        self._menu_key = key
        current = self._model.key_at(self.currentIndex())
        self.compare_action.setEnabled(current is not None and current != key)
        self.menu_target_changed.emit(key)
        self.menu.popup(event.globalPos())

    # -- helpers -------------------------------------------------------------------------

    def _jump(self, index: QModelIndex) -> None:
        if index.isValid():
            self.setCurrentIndex(index)
            self.scrollTo(index)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        key = self._model.key_at(current)
        if key is not None:
            self.checkpoint_chosen.emit(key)

    def _activated(self, index: QModelIndex) -> None:
        key = self._model.key_at(index)
        if key is not None:
            self.checkpoint_chosen.emit(key)

    def _enter(self, index: QModelIndex) -> None:
        """Enter selects a checkpoint, or opens/closes a group row."""
        if self._model.key_at(index) is None and index.isValid():
            self.setExpanded(index, not self.isExpanded(index))
        else:
            self._activated(index)

    def _compare_with_menu_row(self) -> None:
        if self._menu_key is not None:
            self.compare_requested.emit(self._menu_key)

    def _menu_hiding(self) -> None:
        """Give the actions back to the selection once a chosen action has run: Qt hides
        the menu just before it triggers the action."""
        QTimer.singleShot(0, self, lambda: self.menu_target_changed.emit(None))

    def _copy_menu_row_id(self) -> None:
        if self._menu_key is not None:
            QGuiApplication.clipboard().setText(self._menu_key[1])

    def _remember_current(self) -> None:
        self._restore_key = self._model.key_at(self.currentIndex())

    def _after_reset(self) -> None:
        self._arrange_rows(QModelIndex(), 0, self._model.rowCount() - 1)
        key, self._restore_key = self._restore_key, None
        if key is not None and self._model.timeline and key in self._model.timeline.by_key:
            self.show_key(key)

    def _rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        self._arrange_rows(parent, first, last)

    def _arrange_rows(self, parent: QModelIndex, first: int, last: int) -> None:
        """Group rows span all columns; rows holding branches and branch groups start open,
        subgraph groups start closed."""
        model = self._model
        for row in range(first, last + 1):
            index = model.index(row, 0, parent)
            kind = model.data(index, TimelineModel.KindRole)
            if kind != "checkpoint":
                self.setFirstColumnSpanned(row, parent, True)
            if kind == "subgraph" or not model.hasChildren(index):
                continue
            self.expand(index)
            self._arrange_rows(index, 0, model.rowCount(index) - 1)
