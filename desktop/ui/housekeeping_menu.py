"""Where housekeeping lives in the window: a Database menu (Size and housekeeping…,
Search thread states…) and the thread list's context menu (Copy, Delete, Prune)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox

from desktop.ui.controllers.housekeeping import HousekeepingController
from desktop.ui.controllers.state_search import StateSearchController
from desktop.ui.models.threads import ThreadListModel
from desktop.ui.widgets import housekeeping_dialogs as dialogs
from desktop.ui.widgets.size_view import SizeDialog
from desktop.ui.widgets.state_search import StateSearchDialog

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow

STATUS_MS = 8000


class HousekeepingUi:
    """The window's entry points to sizes and thread housekeeping."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.controller = HousekeepingController(window.controller, window)
        self.size_dialog: SizeDialog | None = None
        self.size_action = QAction("&Size and housekeeping…", window)
        self.size_action.setObjectName("actionSizes")
        self.size_action.setToolTip("Bytes per thread and checkpoint; copy, delete, prune")
        self.size_action.triggered.connect(self.show_sizes)
        self.search = StateSearchController(window.controller, window)
        self.search_dialog: StateSearchDialog | None = None
        self.search_action = QAction("Search thread &states…", window)
        self.search_action.setObjectName("actionSearchStates")
        self.search_action.setToolTip("Find threads by text in their latest state")
        self.search_action.triggered.connect(self.show_search)
        menu = window.menuBar().addMenu("&Database")
        menu.setObjectName("databaseMenu")
        menu.addAction(self.size_action)
        menu.addAction(self.search_action)

        self.thread_menu = QMenu(window)
        self.thread_menu.setObjectName("threadMenu")
        self.copy_action = self.thread_menu.addAction("Copy thread…", self._copy_clicked)
        self.delete_action = self.thread_menu.addAction("Delete thread…", self._delete_clicked)
        self.prune_action = self.thread_menu.addAction("Prune thread…", self._prune_clicked)
        self.thread_menu.addSeparator()
        self.thread_menu.addAction(self.size_action)
        self._menu_thread: str | None = None
        view = window.thread_pane.list_view
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._thread_menu_requested)

        self.controller.done.connect(self._done)
        self.controller.failed.connect(self._failed)
        window.controller.database_opened.connect(self._database_opened)
        self._database_opened()

    def show_sizes(self) -> None:
        """Open (or raise) the size view and read the sizes again."""
        if self.size_dialog is None:
            self.size_dialog = SizeDialog(
                self.controller, lambda: self.window.controller.selected_meta, self.window
            )
        self.size_dialog.show()
        self.size_dialog.raise_()
        self.controller.load_sizes()

    def show_search(self) -> None:
        """Open (or raise) the state search; it searches the threads the filter lists."""
        if self.search_dialog is None:
            self.search_dialog = StateSearchDialog(
                self.search, self.window.thread_pane.filter_edit.text, self.window
            )
        self.search_dialog.show()
        self.search_dialog.raise_()
        self.search_dialog.text.setFocus()

    def _database_opened(self, *_args: object) -> None:
        enabled = self.controller.location is not None
        for action in (self.size_action, self.copy_action, self.delete_action, self.prune_action):
            action.setEnabled(enabled)
        self.search_action.setEnabled(self.window.controller.source is not None)

    def _thread_menu_requested(self, pos: QPoint) -> None:
        view = self.window.thread_pane.list_view
        index = view.indexAt(pos)
        thread_id = index.data(ThreadListModel.ThreadIdRole) if index.isValid() else None
        self._menu_thread = str(thread_id) if thread_id else None
        for action in (self.copy_action, self.delete_action, self.prune_action):
            action.setEnabled(
                self._menu_thread is not None and self.controller.location is not None
            )
        self.thread_menu.popup(view.viewport().mapToGlobal(pos))

    def _copy_clicked(self) -> None:
        if self._menu_thread:
            dialogs.ask_copy(self.window, self._menu_thread, self.controller.copy_thread)

    def _delete_clicked(self) -> None:
        if self._menu_thread:
            dialogs.confirm_delete(self.window, self._menu_thread, "", self.controller)

    def _prune_clicked(self) -> None:
        if self._menu_thread:
            dialogs.PruneDialog(self.controller, self._menu_thread, self.window).open()

    def _done(self, message: str) -> None:
        self.window.statusBar().showMessage(message, STATUS_MS)

    def _failed(self, message: str) -> None:
        box = QMessageBox(self.window)
        box.setObjectName("housekeepingError")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Housekeeping")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(message)
        box.open()
