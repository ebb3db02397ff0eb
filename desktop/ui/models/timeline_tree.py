"""The timeline's rows as a Qt tree: paged, and grown in place as checkpoints arrive.

:class:`TimelineTree` is the tree part of
:class:`~desktop.ui.models.timeline.TimelineModel`: it keeps one :class:`TimelineNode`
per row around the :class:`~desktop.core.history.TimelineItem` built by
:func:`~desktop.core.history.build_timeline`, answers Qt's tree questions (``index``,
``parent``, ``rowCount``...), reveals the rows of one parent in pages
(``canFetchMore``/``fetchMore``) so a thread with thousands of checkpoints opens at
once, and :meth:`TimelineTree.append_checkpoints` inserts new checkpoints with
``beginInsertRows``, keeping existing rows (and therefore the selection) untouched.
What the rows show is the subclass's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex

from desktop.core.history import ThreadTimeline, TimelineItem, build_timeline
from desktop.core.model import CheckpointMeta
from desktop.ui.models.timeline_cells import COLUMNS

PAGE_SIZE = 200
"""Rows of one parent revealed per ``fetchMore``."""

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
_NodeKey = tuple[str, ...]


class TimelineNode:
    """One row: a stable handle (``key``) around the current :class:`TimelineItem`."""

    __slots__ = ("children", "fetched", "item", "key", "parent", "row")

    def __init__(self, item: TimelineItem | None, parent: TimelineNode | None, row: int) -> None:
        self.item = item
        self.key: _NodeKey = _item_key(item) if item is not None else ()
        self.parent = parent
        self.row = row
        self.children: list[TimelineNode] = []
        self.fetched = 0

    def set_children(self, items: list[TimelineItem]) -> None:
        self.children = [TimelineNode(item, self, row) for row, item in enumerate(items)]
        self.fetched = min(PAGE_SIZE, len(self.children))
        for child in self.children:
            child.set_children(child.item.children if child.item else [])

    def renumber(self, start: int = 0) -> None:
        for row in range(start, len(self.children)):
            self.children[row].row = row


class TimelineTree(QAbstractItemModel):
    """A thread's timeline as rows of a tree, revealed a page at a time."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timeline: ThreadTimeline | None = None
        self._root = TimelineNode(None, None, 0)
        self._nodes: dict[_NodeKey, TimelineNode] = {}
        self._inserting = False

    @property
    def timeline(self) -> ThreadTimeline | None:
        """The timeline on display, or None when no thread is open."""
        return self._timeline

    def set_timeline(self, timeline: ThreadTimeline | None) -> None:
        """Show another thread (or nothing): a model reset."""
        self.beginResetModel()
        self._timeline = timeline
        self._forget_marks()
        self._root = TimelineNode(None, None, 0)
        self._root.set_children(timeline.roots if timeline else [])
        self._index_nodes()
        self.endResetModel()

    def _forget_marks(self) -> None:
        """What another thread forgets besides its rows (during :meth:`set_timeline`)."""

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
        current: TimelineNode | None = node
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

    # -- helpers -------------------------------------------------------------------------

    def _is_head(self, meta: CheckpointMeta | None) -> bool:
        head = self._timeline.head if self._timeline else None
        return meta is not None and head is not None and meta.key == head.key

    def _node(self, index: _Index) -> TimelineNode | None:
        if not index.isValid():
            return None
        node = index.internalPointer()
        return node if isinstance(node, TimelineNode) else None

    def _is_shown(self, node: TimelineNode) -> bool:
        """True when the row and all its ancestors are within their parents' fetched rows."""
        while node.parent is not None:
            if node.row >= node.parent.fetched:
                return False
            node = node.parent
        return True

    def _row_changed(self, node: TimelineNode) -> None:
        """Repaint ``node``'s row, every column (``dataChanged``)."""
        self.dataChanged.emit(
            self.createIndex(node.row, 0, node),
            self.createIndex(node.row, len(COLUMNS) - 1, node),
        )

    def _index_of(self, node: TimelineNode) -> QModelIndex:
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
        node: TimelineNode,
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
                self._row_changed(existing)
            child_index = self.createIndex(existing.row, 0, existing) if shown else QModelIndex()
            self._merge(existing, item.children, child_index, visible=shown, old_head=old_head)
            position += 1

    def _insert(
        self,
        node: TimelineNode,
        position: int,
        items: list[TimelineItem],
        parent_index: QModelIndex,
        *,
        visible: bool,
    ) -> None:
        fresh = [TimelineNode(item, node, position + offset) for offset, item in enumerate(items)]
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


def _is_insert_only(node: TimelineNode, items: list[TimelineItem]) -> bool:
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
