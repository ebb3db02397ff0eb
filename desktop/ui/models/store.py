"""Qt models of the Store view: the namespace tree and the (paged) items of a namespace.

Neither model reads the database. :class:`StoreItemsModel` asks for pages with
:attr:`~StoreItemsModel.fetch_requested` and the store controller answers with
:meth:`~StoreItemsModel.append_page`; a generation number drops pages of an older
listing (another namespace, another search).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel

from desktop.core.store import NAMESPACE_SEPARATOR, NamespaceCount, StoreItem
from desktop.ui.models.headers import column_title, with_role_names
from desktop.ui.models.paging import PagedListing
from desktop.ui.models.threads import absolute_time, full_time

PAGE_SIZE = 200
"""Store items read per page."""

ALL_NAMESPACES = "All namespaces"

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class NamespaceTreeModel(QStandardItemModel):
    """Namespaces as a tree of their parts; each node counts the items at and under it.

    The first row is "All namespaces" (the empty prefix). :attr:`PrefixRole` holds a
    node's namespace prefix as a tuple.
    """

    PrefixRole = Qt.ItemDataRole.UserRole + 1
    CountRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._nodes: dict[tuple[str, ...], QStandardItem] = {}
        self.namespaces: list[NamespaceCount] = []
        self.set_namespaces([])

    def set_namespaces(self, namespaces: list[NamespaceCount]) -> None:
        """Rebuild the tree from the namespaces that hold items."""
        self.clear()
        self._nodes = {}
        self.namespaces = list(namespaces)
        counts: dict[tuple[str, ...], int] = {(): 0}
        for entry in namespaces:
            for depth in range(len(entry.namespace) + 1):
                prefix = entry.namespace[:depth]
                counts[prefix] = counts.get(prefix, 0) + entry.items
        root = self._node((), ALL_NAMESPACES, counts[()])
        self.invisibleRootItem().appendRow(root)
        for prefix in sorted(counts):
            if prefix:
                parent = self._nodes[prefix[:-1]]
                parent.appendRow(self._node(prefix, prefix[-1], counts[prefix]))

    def _node(self, prefix: tuple[str, ...], name: str, count: int) -> QStandardItem:
        item = QStandardItem(f"{name}  ({count:,})")
        item.setEditable(False)
        item.setData(prefix, self.PrefixRole)
        item.setData(count, self.CountRole)
        item.setToolTip(NAMESPACE_SEPARATOR.join(prefix) or ALL_NAMESPACES)
        self._nodes[prefix] = item
        return item

    def index_of(self, prefix: tuple[str, ...]) -> QModelIndex:
        """The node of ``prefix``, or invalid when no namespace has it."""
        item = self._nodes.get(prefix)
        return item.index() if item is not None else QModelIndex()


KEY, NAMESPACE, KIND, UPDATED, CREATED, EXPIRES = range(6)
HEADERS = ("Key", "Namespace", "Kind", "Updated", "Created", "Expires")


def item_kind(item: StoreItem) -> str:
    """``file`` (a deepagents file), ``has embedding``, both, ``unreadable`` or ``""``."""
    parts = []
    if item.error:
        parts.append("unreadable")
    if item.file_text is not None:
        parts.append("file")
    if item.has_embedding:
        parts.append("has embedding")
    return " · ".join(parts)


class StoreItemsModel(PagedListing, QAbstractTableModel):
    """Items of the chosen namespace matching the search, one row each, paged."""

    ItemRole = Qt.ItemDataRole.UserRole + 1
    KeyRole = Qt.ItemDataRole.UserRole + 2

    fetch_requested = Signal(int, int)
    """``(generation, offset)``: the view wants the next page."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[StoreItem] = []

    def reset(self, items: list[StoreItem], total: int) -> int:
        """Replace the listing with its first page; returns the new generation."""
        self.beginResetModel()
        self._items = list(items)
        generation = self._new_listing(total)
        self.endResetModel()
        return generation

    def append_page(self, generation: int, items: list[StoreItem]) -> None:
        """Add a page read for ``generation``; stale pages are dropped."""
        if not self._page_arrived(generation, len(items)):
            return
        first = len(self._items)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        self._items.extend(items)
        self.endInsertRows()

    def item_at(self, row: int) -> StoreItem | None:
        """The item of a loaded row."""
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, namespace: tuple[str, ...], key: str) -> int | None:
        """Row of a loaded item, or None."""
        for row, item in enumerate(self._items):
            if item.namespace == namespace and item.key == key:
                return row
        return None

    # -- Qt model API --------------------------------------------------------------------

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return column_title(HEADERS, section, orientation, role)

    def roleNames(self) -> dict[int, QByteArray]:
        return with_role_names(
            super().roleNames(),
            {
                self.ItemRole: "item",
                self.KeyRole: "key",
            },
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self.item_at(index.row())
        if item is None:
            return None
        if role == self.ItemRole:
            return item
        if role == self.KeyRole:
            return item.key
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(item, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(item, column)
        return None


def _display(item: StoreItem, column: int) -> str | None:
    if column == KEY:
        return item.key
    if column == NAMESPACE:
        return NAMESPACE_SEPARATOR.join(item.namespace)
    if column == KIND:
        return item_kind(item)
    if column == UPDATED:
        return absolute_time(item.updated_at)
    if column == CREATED:
        return absolute_time(item.created_at)
    if column == EXPIRES:
        return absolute_time(item.expires_at) if item.expires_at else ""
    return None


def _tooltip(item: StoreItem, column: int) -> str:
    if column in (UPDATED, CREATED, EXPIRES):
        when = {UPDATED: item.updated_at, CREATED: item.created_at, EXPIRES: item.expires_at}
        value = when[column]
        text = full_time(value) if value else "never expires"
        if column == EXPIRES and item.ttl_minutes is not None:
            text += f" (TTL {item.ttl_minutes:g} min)"
        return text
    return f"{NAMESPACE_SEPARATOR.join(item.namespace)} / {item.key}"
