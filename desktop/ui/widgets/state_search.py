"""A non-modal window that finds threads by text in their latest state.

Type, press Enter (or Search); matches appear as they are found with the text around
them; Cancel stops. Double-click (or Enter on) a match to show that thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.state_search import StateMatch
from desktop.ui.controllers.state_search import StateSearchController

THREAD_ROLE = Qt.ItemDataRole.UserRole + 1


class StateSearchDialog(QDialog):
    """Search box, progress, matches; emits nothing itself: a match selects its thread."""

    def __init__(
        self,
        search: StateSearchController,
        id_filter: Callable[[], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stateSearchDialog")
        self.setWindowTitle("Search thread states")
        self.setModal(False)
        self.resize(640, 440)
        self.search = search
        self._id_filter = id_filter

        self.text = QLineEdit(self)
        self.text.setObjectName("stateSearchText")
        self.text.setPlaceholderText("Text in a thread's latest state (any case)…")
        self.text.setClearButtonEnabled(True)
        self.search_button = QPushButton("Search", self)
        self.search_button.setObjectName("stateSearchStart")
        self.search_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("stateSearchCancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("stateSearchProgress")
        self.progress.setFormat("%v of %m threads")
        self.status = QLabel("Searches the newest checkpoint of every thread listed.", self)
        self.status.setObjectName("stateSearchStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.results = QListWidget(self)
        self.results.setObjectName("stateSearchResults")
        self.results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results.setUniformItemSizes(True)

        row = QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(self.search_button)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)

        self.text.returnPressed.connect(self._start)
        self.search_button.clicked.connect(self._start)
        self.cancel_button.clicked.connect(search.cancel)
        self.results.itemActivated.connect(self._open)
        search.started.connect(self._started)
        search.progress.connect(self._progress)
        search.match_found.connect(self._add)
        search.finished.connect(self._finished)
        search.failed.connect(self.status.setText)

    def _start(self) -> None:
        needle = self.text.text()
        if not needle.strip():
            self.status.setText("Type the text to look for.")
            return
        self.results.clear()
        self.status.setText("Searching…")
        self.search.start(needle, self._id_filter())

    def _started(self, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _add(self, match: StateMatch) -> None:
        item = QListWidgetItem(f"{match.thread_id} — {match.snippet}")
        item.setData(THREAD_ROLE, match.thread_id)
        item.setToolTip(f"{match.thread_id}\n{match.snippet}")
        self.results.addItem(item)

    def _finished(self, complete: bool, matched: int) -> None:
        self.cancel_button.setEnabled(False)
        what = "Searched every thread" if complete else "Cancelled"
        self.status.setText(f"{what}: {matched} match{'es' if matched != 1 else ''}.")

    def _open(self, item: QListWidgetItem) -> None:
        thread_id = item.data(THREAD_ROLE)
        if thread_id:
            self.search.controller.select_thread(str(thread_id))
