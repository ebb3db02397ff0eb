"""Keeps the grouped thread view filled while it is shown: the ids of the threads the
filter lists, read in a worker thread (index seeks only) and grouped."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject

from desktop.core.errors import RewindError
from desktop.core.thread_groups import group_threads
from desktop.ui.controller import Controller
from desktop.ui.models.thread_groups import ThreadGroupModel
from desktop.ui.widgets.thread_list import ThreadListPane


class ThreadGroupsLoader(QObject):
    """Reads and groups the thread ids whenever the grouped view needs them."""

    def __init__(self, pane: ThreadListPane, controller: Controller) -> None:
        super().__init__(pane)
        self.pane = pane
        self.controller = controller
        self.model = ThreadGroupModel(self)
        pane.set_group_model(self.model)
        self._task: asyncio.Task[None] | None = None
        pane.grouping_changed.connect(self.reload)
        controller.database_opened.connect(self.reload)
        controller.thread_count_changed.connect(self.reload)

    def reload(self, *_args: object) -> None:
        """Regroup the listed threads (only while the grouped view is shown)."""
        if not self.pane.grouped or self.controller.source is None:
            return
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.get_running_loop().create_task(self._load())

    async def _load(self) -> None:
        source = self.controller.source
        text = self.pane.filter_edit.text()
        try:
            ids = await asyncio.to_thread(source.thread_ids, text)
        except RewindError as error:
            self.pane.count_label.setText(str(error))
            return
        if source is not self.controller.source:
            return
        self.model.set_groups(group_threads(ids))
        self.pane.show_group_count(len(ids), self.model.rowCount())
