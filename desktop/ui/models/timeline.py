"""A thread's timeline as a Qt tree model: main line, branch rows, subgraph groups.

The tree comes from :func:`desktop.core.history.build_timeline`; its rows, paging and
growth in place are :class:`~desktop.ui.models.timeline_tree.TimelineTree`'s. This
model says what they show, as named roles: :meth:`TimelineModel.set_badges` marks the
checkpoint where a task failed or an ``interrupt()`` waits,
:meth:`TimelineModel.set_continue_point` the past checkpoint the next run starts from,
and :meth:`TimelineModel.set_diff_base` the checkpoint the selection is diffed against.
Branch rows name their tip, so the branches of a thread read as "where they start, how
long, where they end". Their text is :mod:`~desktop.ui.models.timeline_cells`', their
colours and markers :mod:`~desktop.ui.models.timeline_paint`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QFont, QFontDatabase

from desktop.core.history import TimelineItem
from desktop.core.model import CheckpointMeta
from desktop.ui.models.headers import column_title, with_role_names
from desktop.ui.models.timeline_cells import (
    BADGE_TOOLTIPS,
    BADGES,
    CHECKPOINT_COLUMN,
    COLUMNS,
    ID_COLUMN,
    branch_tip,
    checkpoint_cell,
    checkpoint_tooltip,
    group_tooltip,
    short_name,
)
from desktop.ui.models.timeline_paint import (
    BRANCH_COLOR,
    DIFF_BASE_COLOR,
    OFF_LINE_COLOR,
    SUBGRAPH_COLOR,
    icon,
)
from desktop.ui.models.timeline_tree import TimelineTree

_Index = QModelIndex | QPersistentModelIndex


class TimelineModel(TimelineTree):
    """Checkpoints of one thread as a tree with named roles, for the timeline view."""

    CheckpointIdRole = Qt.ItemDataRole.UserRole + 1
    NamespaceRole = Qt.ItemDataRole.UserRole + 2
    StepRole = Qt.ItemDataRole.UserRole + 3
    SourceRole = Qt.ItemDataRole.UserRole + 4
    CreatedAtRole = Qt.ItemDataRole.UserRole + 5
    WritersRole = Qt.ItemDataRole.UserRole + 6
    KindRole = Qt.ItemDataRole.UserRole + 7
    OnHeadLineRole = Qt.ItemDataRole.UserRole + 8
    IsHeadRole = Qt.ItemDataRole.UserRole + 9
    KeyRole = Qt.ItemDataRole.UserRole + 10
    IsDiffBaseRole = Qt.ItemDataRole.UserRole + 11
    BadgeRole = Qt.ItemDataRole.UserRole + 12
    IsContinuePointRole = Qt.ItemDataRole.UserRole + 13
    BranchTipRole = Qt.ItemDataRole.UserRole + 14

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._diff_base: tuple[str, str] | None = None
        self._badges: dict[tuple[str, str], str] = {}
        self._continue_point: tuple[str, str] | None = None
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)

    def _forget_marks(self) -> None:
        """Another thread's rows have no badges yet."""
        self._badges = {}

    def set_badges(self, badges: Mapping[tuple[str, str], str]) -> None:
        """Mark checkpoints (namespace, id) with a badge from :data:`BADGES`; others lose theirs."""
        unknown = set(badges.values()) - set(BADGES)
        if unknown:
            raise ValueError(f"unknown badge(s) {', '.join(sorted(unknown))}")
        previous, self._badges = self._badges, dict(badges)
        keys = set(previous) | set(self._badges)
        self._refresh_rows(*(key for key in keys if previous.get(key) != self._badges.get(key)))

    @property
    def badges(self) -> dict[tuple[str, str], str]:
        """The badges shown, by checkpoint (namespace, id)."""
        return dict(self._badges)

    def set_diff_base(self, key: tuple[str, str] | None) -> None:
        """Mark the checkpoint the selection is diffed against (None: its parent)."""
        previous, self._diff_base = self._diff_base, key
        if previous == key:
            return
        self._refresh_rows(previous, key)

    def _refresh_rows(self, *keys: tuple[str, str] | None) -> None:
        """Repaint the shown rows of these checkpoints (a marker moved between them)."""
        for marked in keys:
            node = self._nodes.get(("checkpoint", *marked)) if marked else None
            if node is not None and self._is_shown(node):
                self._row_changed(node)

    @property
    def diff_base(self) -> tuple[str, str] | None:
        """The checkpoint marked as diff base, if any."""
        return self._diff_base

    def set_continue_point(self, key: tuple[str, str] | None) -> None:
        """Mark the checkpoint the next run starts from (None: the head, nothing marked)."""
        previous, self._continue_point = self._continue_point, key
        if previous == key:
            return
        self._refresh_rows(previous, key)

    @property
    def continue_point(self) -> tuple[str, str] | None:
        """The checkpoint marked as where the next run starts, if any."""
        return self._continue_point

    # -- Qt model API --------------------------------------------------------------------

    def flags(self, index: _Index) -> Qt.ItemFlag:
        node = self._node(index)
        if node is None:
            return Qt.ItemFlag.NoItemFlags
        if node.item is not None and node.item.meta is not None:
            return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return Qt.ItemFlag.ItemIsEnabled

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return column_title(COLUMNS, section, orientation, role)

    def roleNames(self) -> dict[int, QByteArray]:
        return with_role_names(
            super().roleNames(),
            {
                self.CheckpointIdRole: "checkpointId",
                self.NamespaceRole: "namespace",
                self.StepRole: "step",
                self.SourceRole: "source",
                self.CreatedAtRole: "createdAt",
                self.WritersRole: "writers",
                self.KindRole: "kind",
                self.OnHeadLineRole: "onHeadLine",
                self.IsHeadRole: "isHead",
                self.KeyRole: "key",
                self.IsDiffBaseRole: "isDiffBase",
                self.BadgeRole: "badge",
                self.IsContinuePointRole: "isContinuePoint",
                self.BranchTipRole: "branchTip",
            },
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self._node(index)
        if node is None or node.item is None:
            return None
        item = node.item
        meta = item.meta
        if role == self.KindRole:
            return item.kind
        if role == self.OnHeadLineRole:
            return item.on_head_line
        if role == self.IsHeadRole:
            return self._is_head(meta)
        if meta is None:
            return self._group_data(item, index.column(), role)
        return self._checkpoint_data(item, meta, index.column(), role)

    # -- helpers -------------------------------------------------------------------------

    def _checkpoint_data(
        self, item: TimelineItem, meta: CheckpointMeta, column: int, role: int
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return checkpoint_cell(meta, column)
        if role == self.CheckpointIdRole:
            return meta.checkpoint_id
        if role == self.NamespaceRole:
            return meta.checkpoint_ns
        if role == self.StepRole:
            return meta.step
        if role == self.SourceRole:
            return meta.source
        if role == self.CreatedAtRole:
            return meta.created_at
        if role == self.WritersRole:
            return list(meta.writers)
        if role == self.KeyRole:
            return meta.key
        badge = self._badges.get(meta.key)
        if role == self.BadgeRole:
            return badge
        if role == self.IsContinuePointRole:
            return meta.key == self._continue_point
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [checkpoint_tooltip(meta, self._is_head(meta))]
            if badge:
                lines.append(BADGE_TOOLTIPS[badge])
            if meta.key == self._continue_point:
                lines.append("the next run continues from here (a new branch)")
            return "\n".join(lines)
        if role == Qt.ItemDataRole.DecorationRole and column == CHECKPOINT_COLUMN:
            if badge:
                return icon(badge)
            if self._is_head(meta):
                return icon("head")
            return icon("line" if item.on_head_line else "off")
        if role == Qt.ItemDataRole.FontRole:
            if column == ID_COLUMN:
                return self._mono
            if self._is_head(meta) and column == CHECKPOINT_COLUMN:
                return self._bold
        if role == Qt.ItemDataRole.ForegroundRole and not item.on_head_line:
            return QBrush(OFF_LINE_COLOR)
        if role == Qt.ItemDataRole.BackgroundRole and meta.key == self._diff_base:
            return QBrush(DIFF_BASE_COLOR)
        if role == self.IsDiffBaseRole:
            return meta.key == self._diff_base
        return None

    def _group_data(self, item: TimelineItem, column: int, role: int) -> Any:
        tip = branch_tip(item) if item.kind == "branch" else None
        if role == Qt.ItemDataRole.DisplayRole:
            if column != CHECKPOINT_COLUMN:
                return None
            count = sum(1 for i in item.walk() if i.meta is not None)
            text = f"{item.label} · {count} checkpoint{'s' * (count != 1)}"
            return f"{text} · tip {short_name(tip)}" if tip is not None else text
        if role == self.BranchTipRole:
            return tip.key if tip is not None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return group_tooltip(item, tip)
        if role == Qt.ItemDataRole.DecorationRole and column == CHECKPOINT_COLUMN:
            return icon(item.kind)
        if role == Qt.ItemDataRole.FontRole:
            return self._italic
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(BRANCH_COLOR if item.kind == "branch" else SUBGRAPH_COLOR)
        return None
