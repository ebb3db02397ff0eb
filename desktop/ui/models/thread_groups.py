"""The thread list grouped by id shape (:mod:`desktop.core.thread_groups`): a tree of
``prefix-id`` groups with their threads, counts in the group rows."""

from __future__ import annotations

from PySide6.QtGui import QStandardItem, QStandardItemModel

from desktop.core.thread_groups import ThreadGroup
from desktop.ui.models.threads import ThreadListModel

ThreadIdRole = ThreadListModel.ThreadIdRole


class ThreadGroupModel(QStandardItemModel):
    """Group rows (``user-42 · 3 threads``) with thread rows under them; a thread whose
    id has no group shape is a top-level row of its own."""

    def set_groups(self, groups: list[ThreadGroup]) -> None:
        self.clear()
        root = self.invisibleRootItem()
        for group in groups:
            if group.key is None:
                root.appendRow(_thread_item(group.thread_ids[0]))
                continue
            count = len(group.thread_ids)
            item = QStandardItem(f"{group.key} · {count} thread{'s' * (count != 1)}")
            item.setToolTip(group.key)
            item.setEditable(False)
            item.setSelectable(False)
            for thread_id in group.thread_ids:
                item.appendRow(_thread_item(thread_id))
            root.appendRow(item)


def _thread_item(thread_id: str) -> QStandardItem:
    item = QStandardItem(thread_id)
    item.setData(thread_id, ThreadIdRole)
    item.setToolTip(thread_id)
    item.setEditable(False)
    return item
