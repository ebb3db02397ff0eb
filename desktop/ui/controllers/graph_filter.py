"""Filter the timeline to the checkpoints one node wrote (double-click in the Graph pane).

Rows are hidden in the timeline view (``setRowHidden``), not filtered through a proxy
model, so everything else that holds timeline indexes keeps working; a group (branch,
subgraph run) stays visible and expanded while it holds a match. F3 / Shift+F3 (or the
bar's arrows) select the next / previous match; Esc or ✕ shows every row again. The
filter ends when another thread or database is shown, and follows new checkpoints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QObject

from desktop.core.graph_view import checkpoints_written_by

if TYPE_CHECKING:
    from desktop.core.model import CheckpointMeta
    from desktop.ui.controller import Controller
    from desktop.ui.widgets.graph_view import GraphPane
    from desktop.ui.widgets.timeline_view import TimelineView


class NodeFilter(QObject):
    """The timeline filter of one node: which checkpoints match and which is shown."""

    def __init__(
        self,
        controller: Controller,
        pane: GraphPane,
        timeline_view: TimelineView,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.pane = pane
        self.timeline_view = timeline_view
        self.node: str | None = None
        self.matches: list[CheckpointMeta] = []
        self._thread: str | None = None
        pane.filter_step.connect(self.step)
        pane.filter_cleared.connect(self.clear)
        controller.thread_selected.connect(self._thread_selected)
        controller.timeline_grown.connect(lambda _thread: self._reapply())
        model = controller.timeline_model
        model.modelReset.connect(self._reapply)
        model.rowsInserted.connect(self._rows_inserted)

    def _thread_selected(self, thread_id: str) -> None:
        if self.node is not None and thread_id != self._thread:
            self.clear()

    def start(self, node_id: str) -> None:
        """Show only the checkpoints ``node_id`` wrote and select the first of them."""
        if self.controller.timeline is None:
            return
        self.node = node_id
        self._thread = self.controller.thread_id
        self._reapply()
        if self.matches:
            self._select(self.matches[0])

    def step(self, step: int) -> None:
        """Select the next (+1) or previous (-1) checkpoint of the filtered node."""
        if not self.matches:
            return
        keys = [meta.key for meta in self.matches]
        selected = self.controller.selected_key
        if selected in keys:
            index = (keys.index(selected) + step) % len(keys)
        else:
            index = 0 if step > 0 else len(keys) - 1
        self._select(self.matches[index])

    def clear(self) -> None:
        """Show every checkpoint again."""
        if self.node is None:
            return
        self.node = None
        self.matches = []
        self._set_hidden(QModelIndex(), keep=None)
        self.pane.hide_filter()
        key = self.controller.selected_key
        if key is not None:
            self.timeline_view.show_key(key)

    def _select(self, meta: CheckpointMeta) -> None:
        self.controller.select_checkpoint(meta.key)
        self.timeline_view.show_key(meta.key)
        self._describe()

    def _reapply(self, *_args: Any) -> None:
        timeline = self.controller.timeline
        if self.node is None:
            return
        if timeline is None:
            self.clear_filter()
            return
        self.matches = checkpoints_written_by(timeline.by_key.values(), self.node)
        keep = {meta.key for meta in self.matches}
        self._set_hidden(QModelIndex(), keep=keep)
        self._describe()

    def _rows_inserted(self, parent: QModelIndex, _first: int, _last: int) -> None:
        if self.node is not None:
            self._reapply()

    def _set_hidden(self, parent: QModelIndex, keep: set[tuple[str, str]] | None) -> bool:
        """Hide checkpoint rows not in ``keep`` (None: show all); True if any row stays."""
        model = self.controller.timeline_model
        view = self.timeline_view
        any_shown = False
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            key = model.key_at(index)
            children = model.rowCount(index) > 0
            shown_child = self._set_hidden(index, keep) if children else False
            shown = keep is None or (key is not None and key in keep) or shown_child
            view.setRowHidden(row, parent, not shown)
            if keep is not None and shown_child:
                view.expand(index)
            any_shown = any_shown or shown
        return any_shown

    def _describe(self) -> None:
        if self.node is None:
            return
        count = len(self.matches)
        keys = [meta.key for meta in self.matches]
        selected = self.controller.selected_key
        where = f"{keys.index(selected) + 1} of {count}" if selected in keys else f"{count}"
        noun = "checkpoint" if count == 1 else "checkpoints"
        text = (
            f"{self.node} wrote {where} {noun}"
            if count
            else f"{self.node} wrote no checkpoint in this thread"
        )
        self.pane.show_filter(text)
