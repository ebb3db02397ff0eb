"""The Store view: a LangGraph Store's namespaces, items and values, in a dock.

Left, the namespace tree (namespaces are tuples; each node counts the items at and
under it); right, a search box over keys and values above the items of the chosen
namespace (key, namespace, kind, updated, created, expires; paged as it scrolls) and
the chosen item's value, highlighted (a deepagents memory reads as a file). The view
only reports intents; :class:`~desktop.ui.controllers.store.StoreController` reads.
:func:`install_store_view` adds the dock and its View menu action to the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.models.store import KEY, NamespaceTreeModel, StoreItemsModel
from desktop.ui.widgets.state_view import make_document_browser

if TYPE_CHECKING:
    from desktop.ui.controllers.store import StoreController
    from desktop.ui.later import LaterPart
    from desktop.ui.main_window import MainWindow

STORE_SHORTCUT = "Ctrl+Shift+S"


def _plain_label(name: str, parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setMinimumWidth(1)
    return label


class StoreView(QWidget):
    """Namespace tree, search box, paged item table and value pane, bound to a controller."""

    def __init__(self, store: StoreController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("storeView")
        self.store = store
        self.dock: QDockWidget | None = None
        self._kept: tuple[tuple[str, ...], str, int] | None = None
        self.location_label = _plain_label("storeLocation", self)
        self.count_label = _plain_label("storeCount", self)
        self.message = _plain_label("storeMessage", self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.search = QLineEdit(self)
        self.search.setObjectName("storeSearch")
        self.search.setPlaceholderText("Search keys and values")
        self.search.setClearButtonEnabled(True)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("storeRefresh")
        self.refresh_button.setToolTip("Read the Store again")

        self.namespaces = QTreeView(self)
        self.namespaces.setObjectName("storeNamespaces")
        self.namespaces.setModel(store.namespaces_model)
        self.namespaces.setHeaderHidden(True)
        self.namespaces.setUniformRowHeights(True)
        self.namespaces.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

        self.items = QTableView(self)
        self.items.setObjectName("storeItems")
        self.items.setModel(store.items_model)
        self.items.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items.setWordWrap(False)
        self.items.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.items.verticalHeader().hide()
        header = self.items.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.resizeSection(KEY, 220)

        self.value_title = _plain_label("storeValueTitle", self)
        self.value = make_document_browser("storeValue", self)

        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 4)
        top.addWidget(self.location_label, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.search, 1)
        top.addWidget(self.refresh_button)

        value_pane = QWidget(self)
        value_layout = QVBoxLayout(value_pane)
        value_layout.setContentsMargins(0, 0, 0, 0)
        value_layout.addWidget(self.value_title)
        value_layout.addWidget(self.value, 1)
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.items)
        right.addWidget(value_pane)
        right.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("storeSplitter")
        self.splitter.addWidget(self.namespaces)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 700])
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)
        self._bind()
        self.show_value_message("Select an item to see its value")

    def _bind(self) -> None:
        store = self.store
        self.search.textChanged.connect(store.set_search)
        self.refresh_button.clicked.connect(store.refresh)
        self.namespaces.selectionModel().selectionChanged.connect(self._namespace_chosen)
        self.items.selectionModel().selectionChanged.connect(self._item_chosen)
        store.opened.connect(self._opened)
        store.unavailable.connect(self._unavailable)
        store.count_changed.connect(self._count_changed)
        store.value_ready.connect(self._value_ready)
        store.value_cleared.connect(self.show_value_message)
        store.namespaces_changed.connect(self._show_namespaces)
        store.items_model.modelAboutToBeReset.connect(self._remember_item)
        store.items_model.modelReset.connect(self._restore_item)

    def show_value_message(self, message: str) -> None:
        """Empty the value pane, saying why."""
        self.value_title.setText(message)
        self.value.clear()

    def _opened(self, location: str) -> None:
        self.location_label.setText(location)
        self.location_label.setToolTip(location)
        self.message.hide()
        self._show_namespaces()

    def _unavailable(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()
        self.count_label.clear()

    def _count_changed(self, total: int) -> None:
        self.count_label.setText(f"{total:,} item{'s' * (total != 1)}")

    def _show_namespaces(self) -> None:
        """Expand the top of the fresh tree and select the chosen namespace in it."""
        model = self.store.namespaces_model
        self.namespaces.expandToDepth(0)
        index = model.index_of(self.store.prefix)
        if index.isValid():
            self.namespaces.selectionModel().select(
                index, self.namespaces.selectionModel().SelectionFlag.ClearAndSelect
            )
            self.namespaces.setCurrentIndex(index)

    def _namespace_chosen(self, selected: QItemSelection, _old: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes:
            self.store.select_namespace(tuple(indexes[0].data(NamespaceTreeModel.PrefixRole)))

    def _item_chosen(self, selected: QItemSelection, _old: QItemSelection) -> None:
        indexes = selected.indexes()
        index: QModelIndex | None = indexes[0] if indexes else None
        self.store.select_item(index.data(StoreItemsModel.ItemRole) if index else None)

    def _remember_item(self) -> None:
        """Before the listing is replaced: the chosen item and the scroll position."""
        index = self.items.currentIndex()
        item = index.data(StoreItemsModel.ItemRole) if index.isValid() else None
        scroll = self.items.verticalScrollBar().value()
        self._kept = (item.namespace, item.key, scroll) if item is not None else None

    def _restore_item(self) -> None:
        """A refreshed listing that still holds the chosen item keeps it chosen, in place
        (its value is read again: another process may have changed it)."""
        kept, self._kept = self._kept, None
        if kept is None:
            return
        namespace, key, scroll = kept
        row = self.store.items_model.row_of(namespace, key)
        if row is None:
            return
        self.items.selectRow(row)
        self.items.verticalScrollBar().setValue(scroll)

    def _value_ready(self, title: str, html: str) -> None:
        self.value_title.setText(title)
        self.value_title.setToolTip(title)
        self.value.setHtml(html)


def install_store_view(window: MainWindow) -> LaterPart[StoreView]:
    """Add the Store dock (hidden at first) and View > Store to ``window``; the view in
    it is one of the window's later parts (built when the dock first shows, or once the
    window settled)."""
    store = window.controller.store
    dock = QDockWidget("Store", window)
    dock.setObjectName("storeDock")
    dock.setAllowedAreas(
        Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
    )
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.hide()

    def build() -> StoreView:
        view = StoreView(store)
        view.dock = dock
        dock.setWidget(view)
        return view

    part = window.later.add(build)
    dock.visibilityChanged.connect(lambda visible: visible and part.get())
    dock.visibilityChanged.connect(store.set_active)
    action: QAction = dock.toggleViewAction()
    action.setText("&Store")
    action.setObjectName("storeAction")
    action.setShortcut(QKeySequence(STORE_SHORTCUT))
    action.setToolTip("Show the LangGraph Store: namespaces, items and values")
    menu = next(
        (a.menu() for a in window.menuBar().actions() if a.text() == "&View" and a.menu()),
        None,
    ) or window.menuBar().addMenu("&View")
    menu.addAction(action)
    return part
