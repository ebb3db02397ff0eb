"""The middle pane: a thread's checkpoints as a tree, oldest at the top, head at the bottom.

Moving the current row (mouse, Up/Down, Home/End) reports the checkpoint as chosen;
Left/Right collapse and expand branch and subgraph groups. The context menu sets the
clicked checkpoint as the one the selection is diffed against.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTreeView, QWidget

from desktop.ui.models.timeline import (
    CHECKPOINT_COLUMN,
    ID_COLUMN,
    NODES_COLUMN,
    TIME_COLUMN,
    TimelineModel,
)

CheckpointKey = tuple[str, str]


class TimelineView(QTreeView):
    """Tree view over a :class:`TimelineModel` that emits checkpoint intents."""

    checkpoint_chosen = Signal(object)
    """The current row moved to this checkpoint (namespace, id)."""

    compare_requested = Signal(object)
    """Diff the selection against this checkpoint (namespace, id)."""

    def __init__(self, model: TimelineModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setModel(model)
        self._model = model
        self._restore_key: CheckpointKey | None = None
        self.setUniformRowHeights(True)
        self.setAllColumnsShowFocus(True)
        self.setAlternatingRowColors(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setIndentation(16)
        self.setExpandsOnDoubleClick(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(CHECKPOINT_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(NODES_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(TIME_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ID_COLUMN, QHeaderView.ResizeMode.Interactive)
        metrics = self.fontMetrics()
        header.resizeSection(CHECKPOINT_COLUMN, metrics.horizontalAdvance("step 000 · update") + 64)
        header.resizeSection(TIME_COLUMN, metrics.horizontalAdvance("00:00:00.000") + 20)
        header.resizeSection(ID_COLUMN, metrics.horizontalAdvance("0000000000") + 16)
        header.setMinimumSectionSize(48)

        self.selectionModel().currentChanged.connect(self._current_changed)
        self.activated.connect(self._activated)
        model.modelAboutToBeReset.connect(self._remember_current)
        model.modelReset.connect(self._after_reset)
        model.rowsInserted.connect(self._rows_inserted)

        self.menu = QMenu(self)
        self.menu.setObjectName("timelineMenu")
        self.compare_action = self.menu.addAction("Compare with selected checkpoint")
        self.compare_action.setObjectName("compareWithSelected")
        self.copy_id_action = self.menu.addAction("Copy checkpoint id")
        self.copy_id_action.setObjectName("copyCheckpointId")
        self._menu_key: CheckpointKey | None = None
        self.compare_action.triggered.connect(self._compare_with_menu_row)
        self.copy_id_action.triggered.connect(self._copy_menu_row_id)

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

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        key = self._model.key_at(index) if index.isValid() else None
        if key is None:
            return
        self._menu_key = key
        current = self._model.key_at(self.currentIndex())
        self.compare_action.setEnabled(current is not None and current != key)
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
