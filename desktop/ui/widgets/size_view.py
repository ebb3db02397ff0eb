"""The size view: where a database's bytes are, and the housekeeping acting on them.

A non-modal window with three sortable tables: bytes per thread, the largest stored
checkpoints, and (on demand) the bytes of each channel of the checkpoint selected in
the main window. Copy, Delete and Prune act on the thread chosen in the first table;
each asks first (:mod:`desktop.ui.widgets.housekeeping_dialogs`). Widgets only: the
reads and writes are :class:`~desktop.ui.controllers.housekeeping.HousekeepingController`'s.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.model import CheckpointMeta
from desktop.ui.controllers.housekeeping import HousekeepingController
from desktop.ui.widgets import housekeeping_dialogs as dialogs

SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def human_bytes(size: int) -> str:
    """``1536`` -> ``1.5 KB``: sizes as people read them (the exact count is the tooltip)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def _text_item(text: str) -> QStandardItem:
    item = QStandardItem(text)
    item.setData(text, SORT_ROLE)
    item.setToolTip(text)
    item.setEditable(False)
    return item


def _number_item(value: int, *, size: bool = True) -> QStandardItem:
    item = QStandardItem(human_bytes(value) if size else f"{value:,}")
    item.setData(value, SORT_ROLE)
    item.setToolTip(f"{value:,} bytes" if size else f"{value:,}")
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    item.setEditable(False)
    return item


class _Table(QTableView):
    """A sortable read-only table over a :class:`QStandardItemModel`."""

    def __init__(self, headers: list[str], name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.source_model = QStandardItemModel(0, len(headers), self)
        self.source_model.setHorizontalHeaderLabels(headers)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.source_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(headers)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

    def set_rows(self, rows: list[list[QStandardItem]]) -> None:
        self.setSortingEnabled(False)
        self.source_model.removeRows(0, self.source_model.rowCount())
        for row in rows:
            self.source_model.appendRow(row)
        self.setSortingEnabled(True)

    def selected_text(self, column: int = 0) -> str | None:
        rows = self.selectionModel().selectedRows(column)
        return str(rows[0].data(SORT_ROLE)) if rows else None


class SizeDialog(QDialog):
    """Bytes per thread, largest checkpoints, channel sizes; copy, delete and prune."""

    def __init__(
        self,
        housekeeping: HousekeepingController,
        selected_checkpoint: Any,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sizeDialog")
        self.setWindowTitle("Size and housekeeping")
        self.setModal(False)
        self.resize(760, 520)
        self.housekeeping = housekeeping
        self._selected_checkpoint = selected_checkpoint

        self.summary = QLabel("Reading sizes…", self)
        self.summary.setObjectName("sizeSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.threads = _Table(
            ["Thread", "Total", "Checkpoints", "Checkpoint bytes", "Write bytes"],
            "sizeThreads",
            self,
        )
        self.largest = _Table(["Checkpoint", "Thread", "Namespace", "Bytes"], "sizeLargest", self)
        self.channels = _Table(["Channel", "Bytes"], "sizeChannels", self)
        self.channel_note = QLabel("Select a checkpoint in the timeline, then measure it.", self)
        self.channel_note.setTextFormat(Qt.TextFormat.PlainText)
        self.channel_note.setWordWrap(True)
        self.measure_button = QPushButton("Measure selected checkpoint", self)
        self.measure_button.setObjectName("measureChannels")
        self.measure_button.clicked.connect(self._measure)

        channels_page = QWidget(self)
        channels_layout = QVBoxLayout(channels_page)
        channels_layout.addWidget(self.channel_note)
        channels_layout.addWidget(self.measure_button, 0, Qt.AlignmentFlag.AlignLeft)
        channels_layout.addWidget(self.channels, 1)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.threads, "Threads")
        self.tabs.addTab(self.largest, "Largest checkpoints")
        self.tabs.addTab(channels_page, "Channels")

        self.copy_button = QPushButton("Copy…", self)
        self.copy_button.setObjectName("copyThread")
        self.delete_button = QPushButton("Delete…", self)
        self.delete_button.setObjectName("deleteThread")
        self.prune_button = QPushButton("Prune…", self)
        self.prune_button.setObjectName("pruneThread")
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("refreshSizes")
        self.status = QLabel("", self)
        self.status.setObjectName("sizeStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.copy_button, self.delete_button, self.prune_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

        self.copy_button.clicked.connect(self._copy)
        self.delete_button.clicked.connect(self._delete)
        self.prune_button.clicked.connect(self._prune)
        self.refresh_button.clicked.connect(housekeeping.load_sizes)
        self.threads.selectionModel().selectionChanged.connect(self._update_buttons)
        housekeeping.sizes_ready.connect(self.show_sizes)
        housekeeping.channel_sizes_ready.connect(self.show_channel_sizes)
        housekeeping.done.connect(self._done)
        housekeeping.failed.connect(self.status.setText)
        self._update_buttons()

    @property
    def chosen_thread(self) -> str | None:
        return self.threads.selected_text()

    def show_sizes(self, report: dict[str, Any]) -> None:
        """Fill the tables from a size report (``rewind size`` JSON plus largest)."""
        threads = report["threads"]
        self.threads.set_rows(
            [
                [
                    _text_item(row["thread_id"]),
                    _number_item(row["bytes"]),
                    _number_item(row["checkpoints"], size=False),
                    _number_item(row["checkpoint_bytes"]),
                    _number_item(row["writes_bytes"]),
                ]
                for row in threads
            ]
        )
        self.threads.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self.largest.set_rows(
            [
                [
                    _text_item(row["checkpoint_id"]),
                    _text_item(row["thread_id"]),
                    _text_item(row["checkpoint_ns"] or "(root)"),
                    _number_item(row["bytes"]),
                ]
                for row in report.get("largest_checkpoints", [])
            ]
        )
        self.largest.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.summary.setText(
            f"{len(threads):,} threads · {human_bytes(report['total_bytes'])} stored "
            "(checkpoints, metadata and writes)"
        )
        self._update_buttons()

    def show_channel_sizes(self, meta: CheckpointMeta, sizes: dict[str, int]) -> None:
        self.channels.set_rows(
            [[_text_item(name), _number_item(size)] for name, size in sizes.items()]
        )
        self.channels.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        step = f"step {meta.step}" if meta.step is not None else "checkpoint"
        self.channel_note.setText(
            f"{step} of {meta.thread_id} ({meta.checkpoint_id}): "
            f"{human_bytes(sum(sizes.values()))} in {len(sizes)} channels"
        )

    def _measure(self) -> None:
        meta = self._selected_checkpoint()
        if meta is None:
            self.channel_note.setText("Select a checkpoint in the timeline first.")
            return
        self.housekeeping.load_channel_sizes(meta)

    def _update_buttons(self) -> None:
        chosen = self.chosen_thread is not None
        for button in (self.copy_button, self.delete_button, self.prune_button):
            button.setEnabled(chosen)

    def _copy(self) -> None:
        thread_id = self.chosen_thread
        if thread_id:
            dialogs.ask_copy(self, thread_id, self.housekeeping.copy_thread)

    def _delete(self) -> None:
        thread_id = self.chosen_thread
        if thread_id:
            dialogs.confirm_delete(self, thread_id, self._row_summary(), self.housekeeping)

    def _prune(self) -> None:
        thread_id = self.chosen_thread
        if thread_id:
            dialogs.PruneDialog(self.housekeeping, thread_id, self).open()

    def _row_summary(self) -> str:
        rows = self.threads.selectionModel().selectedRows(1)
        count = self.threads.selectionModel().selectedRows(2)
        if not rows or not count:
            return ""
        return f"{count[0].data()} checkpoints, {rows[0].data()}"

    def _done(self, message: str) -> None:
        self.status.setText(message)
        self.housekeeping.load_sizes()
