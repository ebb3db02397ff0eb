"""A thread's timeline as a Qt tree model: main line, branch rows, subgraph groups.

The tree comes from :func:`desktop.core.history.build_timeline`; this model only
exposes it to a ``QTreeView``. Rows of one parent are revealed in pages
(``canFetchMore``/``fetchMore``) so a thread with thousands of checkpoints opens at
once, and :meth:`TimelineModel.append_checkpoints` grows the tree in place with
``beginInsertRows`` when new checkpoints arrive, keeping existing rows (and therefore
the selection) untouched. :meth:`TimelineModel.set_badges` marks the checkpoint where a
task failed or an ``interrupt()`` waits, and :meth:`TimelineModel.set_continue_point` the
past checkpoint the next run starts from. Branch rows name their tip, so the branches
of a thread read as "where they start, how long, where they end".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase, QIcon, QPainter, QPen, QPixmap

from desktop.core.history import ThreadTimeline, TimelineItem, build_timeline
from desktop.core.model import CheckpointMeta, written_by
from desktop.ui.models.headers import column_title, with_role_names
from desktop.ui.models.threads import full_time

PAGE_SIZE = 200
"""Rows of one parent revealed per ``fetchMore``."""

COLUMNS = ("Checkpoint", "Nodes", "Time", "Id")
CHECKPOINT_COLUMN, NODES_COLUMN, TIME_COLUMN, ID_COLUMN = range(len(COLUMNS))
SHORT_ID_CHARS = 8

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
_NodeKey = tuple[str, ...]

_HEAD_LINE_COLOR = QColor("#0969da")
_OFF_LINE_COLOR = QColor("#6e7781")
_BRANCH_COLOR = QColor("#bc4c00")
_SUBGRAPH_COLOR = QColor("#8250df")
_DIFF_BASE_COLOR = QColor("#fff1c2")
_ERROR_COLOR = QColor("#cf222e")
_INTERRUPT_COLOR = QColor("#bf8700")

BADGES = ("error", "interrupt")
"""Badge kinds: a task failed (or was stopped) here; an ``interrupt()`` waits here."""
_BADGE_TOOLTIPS = {
    "error": "a task failed or was stopped at this step (see Pending writes)",
    "interrupt": "waiting on an interrupt() for a human answer",
}


class _Node:
    """One row: a stable handle (``key``) around the current :class:`TimelineItem`."""

    __slots__ = ("children", "fetched", "item", "key", "parent", "row")

    def __init__(self, item: TimelineItem | None, parent: _Node | None, row: int) -> None:
        self.item = item
        self.key: _NodeKey = _item_key(item) if item is not None else ()
        self.parent = parent
        self.row = row
        self.children: list[_Node] = []
        self.fetched = 0

    def set_children(self, items: list[TimelineItem]) -> None:
        self.children = [_Node(item, self, row) for row, item in enumerate(items)]
        self.fetched = min(PAGE_SIZE, len(self.children))
        for child in self.children:
            child.set_children(child.item.children if child.item else [])

    def renumber(self, start: int = 0) -> None:
        for row in range(start, len(self.children)):
            self.children[row].row = row


class TimelineModel(QAbstractItemModel):
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
        self._timeline: ThreadTimeline | None = None
        self._root = _Node(None, None, 0)
        self._nodes: dict[_NodeKey, _Node] = {}
        self._diff_base: tuple[str, str] | None = None
        self._badges: dict[tuple[str, str], str] = {}
        self._continue_point: tuple[str, str] | None = None
        self._inserting = False
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)

    @property
    def timeline(self) -> ThreadTimeline | None:
        """The timeline on display, or None when no thread is open."""
        return self._timeline

    def set_timeline(self, timeline: ThreadTimeline | None) -> None:
        """Show another thread (or nothing): a model reset."""
        self.beginResetModel()
        self._timeline = timeline
        self._badges = {}
        self._root = _Node(None, None, 0)
        self._root.set_children(timeline.roots if timeline else [])
        self._index_nodes()
        self.endResetModel()

    def set_badges(self, badges: Mapping[tuple[str, str], str]) -> None:
        """Mark checkpoints (namespace, id) with a badge from :data:`BADGES`; others lose theirs."""
        unknown = set(badges.values()) - set(BADGES)
        if unknown:
            raise ValueError(f"unknown badge(s) {', '.join(sorted(unknown))}")
        previous, self._badges = self._badges, dict(badges)
        for key in set(previous) | set(self._badges):
            if previous.get(key) == self._badges.get(key):
                continue
            node = self._nodes.get(("checkpoint", *key))
            if node is not None and self._is_shown(node):
                self.dataChanged.emit(
                    self.createIndex(node.row, 0, node),
                    self.createIndex(node.row, len(COLUMNS) - 1, node),
                )

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
                self.dataChanged.emit(
                    self.createIndex(node.row, 0, node),
                    self.createIndex(node.row, len(COLUMNS) - 1, node),
                )

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

    def append_checkpoints(self, metas: Iterable[CheckpointMeta]) -> None:
        """Add checkpoints that were written since the timeline was built.

        The timeline is rebuilt and only the difference is inserted with
        ``beginInsertRows``. When the new checkpoints reshape the tree (a branch becomes
        the main line), the model is reset instead.
        """
        if self._timeline is None:
            raise ValueError("append_checkpoints needs a timeline; call set_timeline first")
        known = self._timeline.by_key
        fresh = [m for m in metas if m.key not in known]
        if not fresh:
            return
        old_head = self._timeline.head
        timeline = build_timeline(self._timeline.thread_id, [*known.values(), *fresh])
        if not _is_insert_only(self._root, timeline.roots):
            self.set_timeline(timeline)
            return
        self._timeline = timeline
        self._merge(self._root, timeline.roots, QModelIndex(), visible=True, old_head=old_head)
        self._index_nodes()

    def index_for_key(self, key: tuple[str, str]) -> QModelIndex:
        """Index of a checkpoint (namespace, id), revealing pages on the way; or invalid."""
        node = self._nodes.get(("checkpoint", *key))
        if node is None:
            return QModelIndex()
        chain = []
        current: _Node | None = node
        while current is not None and current is not self._root:
            chain.append(current)
            current = current.parent
        for step in reversed(chain):
            parent = step.parent
            while parent is not None and parent.fetched <= step.row:
                self.fetchMore(self._index_of(parent))
        return self.createIndex(node.row, 0, node)

    def head_index(self) -> QModelIndex:
        """Index of the thread's head checkpoint (where langgraph would continue)."""
        if self._timeline is None or self._timeline.head is None:
            return QModelIndex()
        return self.index_for_key(self._timeline.head.key)

    def first_checkpoint_index(self) -> QModelIndex:
        """Index of the first checkpoint row (the oldest on the main line)."""
        for row in range(self._root.fetched):
            node = self._root.children[row]
            if node.item is not None and node.item.meta is not None:
                return self.createIndex(row, 0, node)
        return QModelIndex()

    def meta_at(self, index: _Index) -> CheckpointMeta | None:
        """The checkpoint shown at ``index``; None for group rows."""
        node = self._node(index)
        return node.item.meta if node is not None and node.item is not None else None

    def key_at(self, index: _Index) -> tuple[str, str] | None:
        """(namespace, id) of the checkpoint at ``index``; None for group rows."""
        meta = self.meta_at(index)
        return meta.key if meta else None

    # -- Qt model API --------------------------------------------------------------------

    def index(self, row: int, column: int, parent: _Index = _ROOT) -> QModelIndex:
        node = self._node(parent) if parent.isValid() else self._root
        if node is None or not (0 <= row < node.fetched and 0 <= column < len(COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column, node.children[row])

    def parent(self, child: _Index | None = None) -> Any:  # type: ignore[override]
        if child is None:
            return super().parent()
        node = self._node(child)
        if node is None or node.parent is None or node.parent is self._root:
            return QModelIndex()
        return self.createIndex(node.parent.row, 0, node.parent)

    def rowCount(self, parent: _Index = _ROOT) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        node = self._node(parent) if parent.isValid() else self._root
        return node.fetched if node is not None else 0

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return len(COLUMNS)

    def hasChildren(self, parent: _Index = _ROOT) -> bool:
        if parent.isValid() and parent.column() != 0:
            return False
        node = self._node(parent) if parent.isValid() else self._root
        return node is not None and bool(node.children)

    def canFetchMore(self, parent: _Index) -> bool:
        if self._inserting or (parent.isValid() and parent.column() != 0):
            return False
        node = self._node(parent) if parent.isValid() else self._root
        return node is not None and node.fetched < len(node.children)

    def fetchMore(self, parent: _Index) -> None:
        if not self.canFetchMore(parent):
            return
        node = self._node(parent) if parent.isValid() else self._root
        assert node is not None
        count = min(PAGE_SIZE, len(node.children) - node.fetched)
        self._inserting = True
        try:
            self.beginInsertRows(
                parent if parent.isValid() else QModelIndex(),
                node.fetched,
                node.fetched + count - 1,
            )
            node.fetched += count
            self.endInsertRows()
        finally:
            self._inserting = False

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
            return _checkpoint_cell(meta, column)
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
            lines = [_checkpoint_tooltip(meta, self._is_head(meta))]
            if badge:
                lines.append(_BADGE_TOOLTIPS[badge])
            if meta.key == self._continue_point:
                lines.append("the next run continues from here (a new branch)")
            return "\n".join(lines)
        if role == Qt.ItemDataRole.DecorationRole and column == CHECKPOINT_COLUMN:
            if badge:
                return _icon(badge)
            if self._is_head(meta):
                return _icon("head")
            return _icon("line" if item.on_head_line else "off")
        if role == Qt.ItemDataRole.FontRole:
            if column == ID_COLUMN:
                return self._mono
            if self._is_head(meta) and column == CHECKPOINT_COLUMN:
                return self._bold
        if role == Qt.ItemDataRole.ForegroundRole and not item.on_head_line:
            return QBrush(_OFF_LINE_COLOR)
        if role == Qt.ItemDataRole.BackgroundRole and meta.key == self._diff_base:
            return QBrush(_DIFF_BASE_COLOR)
        if role == self.IsDiffBaseRole:
            return meta.key == self._diff_base
        return None

    def _group_data(self, item: TimelineItem, column: int, role: int) -> Any:
        tip = _branch_tip(item) if item.kind == "branch" else None
        if role == Qt.ItemDataRole.DisplayRole:
            if column != CHECKPOINT_COLUMN:
                return None
            count = sum(1 for i in item.walk() if i.meta is not None)
            text = f"{item.label} · {count} checkpoint{'s' * (count != 1)}"
            return f"{text} · tip {_short_name(tip)}" if tip is not None else text
        if role == self.BranchTipRole:
            return tip.key if tip is not None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return _group_tooltip(item, tip)
        if role == Qt.ItemDataRole.DecorationRole and column == CHECKPOINT_COLUMN:
            return _icon(item.kind)
        if role == Qt.ItemDataRole.FontRole:
            return self._italic
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(_BRANCH_COLOR if item.kind == "branch" else _SUBGRAPH_COLOR)
        return None

    def _is_head(self, meta: CheckpointMeta | None) -> bool:
        head = self._timeline.head if self._timeline else None
        return meta is not None and head is not None and meta.key == head.key

    def _node(self, index: _Index) -> _Node | None:
        if not index.isValid():
            return None
        node = index.internalPointer()
        return node if isinstance(node, _Node) else None

    def _is_shown(self, node: _Node) -> bool:
        """True when the row and all its ancestors are within their parents' fetched rows."""
        while node.parent is not None:
            if node.row >= node.parent.fetched:
                return False
            node = node.parent
        return True

    def _index_of(self, node: _Node) -> QModelIndex:
        if node is self._root:
            return QModelIndex()
        return self.createIndex(node.row, 0, node)

    def _index_nodes(self) -> None:
        self._nodes = {}
        stack = list(self._root.children)
        while stack:
            node = stack.pop()
            self._nodes[node.key] = node
            stack.extend(node.children)

    def _merge(
        self,
        node: _Node,
        items: list[TimelineItem],
        parent_index: QModelIndex,
        *,
        visible: bool,
        old_head: CheckpointMeta | None,
    ) -> None:
        """Insert rows for new items under ``node``; refresh the rows that stay."""
        position = 0
        pending: list[TimelineItem] = []
        for item in [*items, None]:
            existing = (
                node.children[position]
                if item is not None
                and position < len(node.children)
                and node.children[position].key == _item_key(item)
                else None
            )
            if item is not None and existing is None:
                pending.append(item)
                continue
            if pending:
                self._insert(node, position, pending, parent_index, visible=visible)
                position += len(pending)
                pending = []
            if existing is None or item is None:
                continue
            changed = _row_signature(existing.item, old_head) != _row_signature(
                item, self._timeline.head if self._timeline else None
            )
            existing.item = item
            shown = visible and existing.row < node.fetched
            if shown and changed:
                self.dataChanged.emit(
                    self.createIndex(existing.row, 0, existing),
                    self.createIndex(existing.row, len(COLUMNS) - 1, existing),
                )
            child_index = self.createIndex(existing.row, 0, existing) if shown else QModelIndex()
            self._merge(existing, item.children, child_index, visible=shown, old_head=old_head)
            position += 1

    def _insert(
        self,
        node: _Node,
        position: int,
        items: list[TimelineItem],
        parent_index: QModelIndex,
        *,
        visible: bool,
    ) -> None:
        fresh = [_Node(item, node, position + offset) for offset, item in enumerate(items)]
        for child in fresh:
            child.set_children(child.item.children if child.item else [])
        if not (visible and position <= node.fetched):
            node.children[position:position] = fresh
            node.renumber(position)
            return
        self._inserting = True
        try:
            self.beginInsertRows(parent_index, position, position + len(fresh) - 1)
            node.children[position:position] = fresh
            node.renumber(position)
            node.fetched += len(fresh)
            self.endInsertRows()
        finally:
            self._inserting = False


def _is_insert_only(node: _Node, items: list[TimelineItem]) -> bool:
    """True when every existing row keeps its parent and order among the new items."""
    positions = {_item_key(item): row for row, item in enumerate(items)}
    last = -1
    for child in node.children:
        row = positions.get(child.key)
        if row is None or row <= last:
            return False
        last = row
        if not _is_insert_only(child, items[row].children):
            return False
    return True


def _item_key(item: TimelineItem) -> _NodeKey:
    """A row's identity across rebuilds: a checkpoint's key, or a group's first checkpoint."""
    if item.meta is not None:
        return ("checkpoint", *item.meta.key)
    first = next((i.meta for i in item.walk() if i.meta is not None), None)
    return (item.kind, *first.key) if first else (item.kind, item.label)


def _row_signature(item: TimelineItem | None, head: CheckpointMeta | None) -> tuple[Any, ...]:
    if item is None:
        return ()
    is_head = item.meta is not None and head is not None and item.meta.key == head.key
    count = sum(1 for i in item.walk() if i.meta is not None) if item.meta is None else 0
    return (item.label, item.on_head_line, is_head, count)


def _checkpoint_cell(meta: CheckpointMeta, column: int) -> str | None:
    if column == CHECKPOINT_COLUMN:
        step = "?" if meta.step is None else str(meta.step)
        return f"step {step} · {meta.source or '?'}"
    if column == NODES_COLUMN:
        return ", ".join(meta.writers) or "—"
    if column == TIME_COLUMN:
        if meta.created_at is None:
            return "—"
        return meta.created_at.astimezone().strftime("%H:%M:%S.%f")[:-3]
    if column == ID_COLUMN:
        return meta.checkpoint_id[-SHORT_ID_CHARS:]
    return None


def _checkpoint_tooltip(meta: CheckpointMeta, is_head: bool) -> str:
    lines = [
        f"checkpoint {meta.checkpoint_id}" + ("  (head)" if is_head else ""),
        f"step {meta.step if meta.step is not None else '?'} · {meta.source or '?'}",
        f"written by {written_by(meta)}",
        f"created {full_time(meta.created_at)}",
    ]
    if meta.checkpoint_ns:
        lines.append(f"subgraph namespace {meta.checkpoint_ns}")
    if meta.metadata_error:
        lines.append(f"metadata error: {meta.metadata_error}")
    return "\n".join(lines)


def _group_tooltip(item: TimelineItem, tip: CheckpointMeta | None) -> str:
    if item.kind == "branch":
        ends = f", ending at {_short_name(tip)} ({tip.checkpoint_id})" if tip else ""
        return (
            f"{item.label}{ends}: checkpoints that are not on the way to the thread's head.\n"
            "Select one and Continue from this checkpoint (C) to run that branch on, or "
            "Diff branch tips (D) to compare its tip with the head."
        )
    return f"{item.label}: checkpoints written inside a subgraph"


def _branch_tip(item: TimelineItem) -> CheckpointMeta | None:
    """The last checkpoint of a branch's own line (nested branches fork off it earlier)."""
    line = [child.meta for child in item.children if child.meta is not None]
    return line[-1] if line else None


def _short_name(meta: CheckpointMeta) -> str:
    step = "?" if meta.step is None else str(meta.step)
    return f"step {step} · …{meta.checkpoint_id[-SHORT_ID_CHARS:]}"


_ICONS: dict[str, QIcon] = {}


def _icon(kind: str) -> QIcon:
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
        painter.setPen(QPen(_HEAD_LINE_COLOR, 3))
        painter.setBrush(QColor("#ffffff"))
        painter.drawEllipse(center, 12, 12)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_HEAD_LINE_COLOR)
        painter.drawEllipse(center, 7, 7)
    elif kind == "line":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_HEAD_LINE_COLOR)
        painter.drawEllipse(center, 7, 7)
    elif kind == "off":
        painter.setPen(QPen(_OFF_LINE_COLOR, 3))
        painter.setBrush(QColor("#ffffff"))
        painter.drawEllipse(center, 7, 7)
    elif kind == "error":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_ERROR_COLOR)
        painter.drawEllipse(center, 12, 12)
        pen = QPen(QColor("#ffffff"), 3.5)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(QPointF(16, 9), QPointF(16, 18))
        painter.drawPoint(QPointF(16, 23))
    elif kind == "interrupt":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_INTERRUPT_COLOR)
        painter.drawEllipse(center, 12, 12)
        painter.setBrush(QColor("#ffffff"))
        painter.drawRoundedRect(QRectF(11, 10, 3.5, 12), 1, 1)
        painter.drawRoundedRect(QRectF(17.5, 10, 3.5, 12), 1, 1)
    elif kind == "branch":
        pen = QPen(_BRANCH_COLOR, 3.5)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(QPointF(10, 4), QPointF(10, 28))
        painter.drawLine(QPointF(10, 20), QPointF(24, 8))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BRANCH_COLOR)
        painter.drawEllipse(QPointF(24, 8), 4, 4)
    else:
        painter.setPen(QPen(_SUBGRAPH_COLOR, 3))
        painter.setBrush(QColor("#f3eaff"))
        painter.drawRoundedRect(QRectF(6, 6, 20, 20), 4, 4)
        painter.drawLine(QPointF(11, 16), QPointF(21, 16))
    painter.end()
    return QIcon(pixmap)
