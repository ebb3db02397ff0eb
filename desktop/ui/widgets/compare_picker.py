""" "Compare with…": pick, from a filterable list of the thread's checkpoints, the one the
selected checkpoint is diffed against.

Rows read ``step 3 · loop · agent · …1a2b3c4d`` (plus the subgraph namespace), oldest
first, as plain text. Double-click, Enter or "Compare" chooses; the dialog is non-modal
and emits :attr:`ComparePicker.chosen`.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.model import CheckpointMeta
from desktop.ui.models.timeline_cells import describe_checkpoint
from desktop.ui.widgets.elided_label import ElidedLabel

_KEY_ROLE = Qt.ItemDataRole.UserRole + 1


class ComparePicker(QDialog):
    """Lists checkpoints; :attr:`chosen` carries the (namespace, id) picked."""

    chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("comparePicker")
        self.setWindowTitle("Compare with…")
        self.setModal(False)
        self.resize(460, 420)
        self.title = ElidedLabel("", self)
        self.title.setObjectName("comparePickerTitle")
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("comparePickerFilter")
        self.filter_edit.setPlaceholderText("Filter by step, node or id…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter)
        self.list = QListWidget(self)
        self.list.setObjectName("comparePickerList")
        self.list.setUniformItemSizes(True)
        self.list.itemDoubleClicked.connect(lambda _item: self._choose())
        self.list.itemActivated.connect(lambda _item: self._choose())
        buttons = QDialogButtonBox(self)
        self.compare_button = buttons.addButton("Compare", QDialogButtonBox.ButtonRole.AcceptRole)
        self.compare_button.setObjectName("comparePickerCompare")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._choose)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

    def offer(self, selected: CheckpointMeta, checkpoints: Iterable[CheckpointMeta]) -> None:
        """List ``checkpoints`` (oldest first) except ``selected``, which is being compared."""
        self.title.setText(f"Compare {describe_checkpoint(selected, full=True)} with:")
        self.filter_edit.clear()
        self.list.clear()
        ordered = sorted(
            (m for m in checkpoints if m.key != selected.key),
            key=lambda m: (m.checkpoint_id, m.checkpoint_ns),
        )
        for meta in ordered:
            item = QListWidgetItem(describe_checkpoint(meta, full=True))
            item.setData(_KEY_ROLE, meta.key)
            item.setToolTip(f"{meta.checkpoint_ns or 'root'} · {meta.checkpoint_id}")
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(self.list.count() - 1)
        self.filter_edit.setFocus()

    def _filter(self, text: str) -> None:
        needle = text.casefold()
        first_shown = None
        for row in range(self.list.count()):
            item = self.list.item(row)
            hidden = needle not in item.text().casefold() and needle not in str(
                item.data(_KEY_ROLE)[1]
            )
            item.setHidden(hidden)
            if not hidden and first_shown is None:
                first_shown = item
        if first_shown is not None and (
            self.list.currentItem() is None or self.list.currentItem().isHidden()
        ):
            self.list.setCurrentItem(first_shown)

    def _choose(self) -> None:
        item = self.list.currentItem()
        if item is None or item.isHidden():
            return
        self.chosen.emit(tuple(item.data(_KEY_ROLE)))
        self.accept()
