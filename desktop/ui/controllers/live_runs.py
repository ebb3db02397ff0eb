"""What a run changes on screen, and the shown thread's status: a mixin of the window's
:class:`~desktop.ui.controller.Controller` (placed before ``QObject``).

While a run streams, every checkpoint it saves is read back through the read-only source
(metadata only, in a worker thread, coalesced): new checkpoints are inserted into the
shown timeline without a reload, and the thread list gains the thread or its new count.
What another process writes or deletes (live watch) is applied the same way. After every
run and on every thread change the shown thread's status (``runner.thread_status``,
read-only) is read again and announced.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.errors import NotFoundError
from desktop.core.model import CheckpointMeta, ThreadSummary
from desktop.core.sources import CheckpointSource
from desktop.core.sources.sqlite import SqliteCheckpointSource
from desktop.core.textmatch import contains
from desktop.core.thread_filter import parse_thread_filter
from desktop.ui.controllers.checkpoint_view import CheckpointKey
from desktop.ui.controllers.opening import note_texts
from desktop.ui.run_request import FORK, RUN

if TYPE_CHECKING:
    from desktop.core.run_status import ThreadStatus
    from desktop.ui.controller import Controller

LIVE_REFRESH_SECONDS = 0.05
"""Checkpoints saved within this window are read back together during a run."""

SNAPSHOT_RETIRE_SECONDS = 10.0
"""How long a replaced private-snapshot source stays open for loads still using it."""

DELETED_MESSAGE = "Deleted by another process"
"""What the state and diff panes say when the thread on screen was deleted elsewhere."""


class LiveRuns:
    """Follows runs and other processes' writes into the list, the timeline and the
    selection, and keeps the shown thread's status current."""

    def refresh_status(self: Controller) -> None:
        """Read the shown thread's status again (read-only, in the loop) and announce it."""
        if self._thread_id is None or self._path is None or self.runs.graph is None:
            self._cancel("status")
            self._set_status(None)
            return
        self._start("status", self._read_status(self._path, self._thread_id))

    async def _read_status(
        self: Controller, path: Path | str, thread_id: str, *, settle: bool = False
    ) -> None:
        if settle:
            await asyncio.sleep(LIVE_REFRESH_SECONDS)
        status = await self.runs.read_status(path, thread_id)
        if path == self._path and thread_id == self._thread_id:
            self._set_status(status)

    def _set_status(self: Controller, status: ThreadStatus | None) -> None:
        if status != self._status:
            self._status = status
            self.thread_status_changed.emit(status)

    def _run_started(self: Controller, thread_id: str) -> None:
        """Decide whether the selection follows the run to the new head when it ends.

        A run from the run panel follows only when the head was selected; a replay, a
        resume, a continued run or a run from a past checkpoint always ends on its new
        head (what the user asked to see); a fork selects the fork itself.
        """
        timeline = self.timeline
        head = timeline.head if timeline is not None else None
        request = self.runs.request
        kind = request.kind if request is not None else RUN
        self._run_thread, self._run_path = thread_id, self._path
        self._run_thread_shown = thread_id == self._thread_id
        at_head = self._selected is None or (head is not None and self._selected == head.key)
        if kind == FORK:
            self._run_follows_head = False
        elif kind == RUN and not self._continue_point_used:
            self._run_follows_head = not self._run_thread_shown or at_head
        else:
            self._run_follows_head = True

    def _forked(self: Controller, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> None:
        if thread_id == self._thread_id and self._run_path == self._path:
            self._select_when_listed = (checkpoint_ns, checkpoint_id)
        self._status_stale()

    def _checkpoint_saved(self: Controller, thread_id: str, _ns: str, _checkpoint_id: str) -> None:
        if self._run_path == self._path:
            self._mark_live(thread_id)
            point = self._continue_point
            if self._continue_point_used and point is not None and point.thread_id == thread_id:
                self.set_continue_point(None)

    def _run_finished(self: Controller, thread_id: str, _outcome: str) -> None:
        if self._run_path == self._path:
            self._mark_live(thread_id)
        self._continue_point_used = False
        self._status_stale()

    def _status_stale(self: Controller) -> None:
        """The shown thread may have changed: read its status once LangGraph's late writes
        (the cancellation record after Stop) have landed."""
        if self._thread_id is not None and self._run_path == self._path:
            self._start("status", self._read_status(self._path, self._thread_id, settle=True))

    def _mark_live(self: Controller, thread_id: str) -> None:
        """Read ``thread_id`` back soon; checkpoints saved meanwhile are read together."""
        if self._source is None:
            return
        self._live_dirty.add(thread_id)
        task = self._tasks.get("live")
        if task is None or task.done():
            self._start("live", self._refresh_live())

    async def _refresh_live(self: Controller) -> None:
        while self._live_dirty:
            await asyncio.sleep(LIVE_REFRESH_SECONDS)
            source = await self._reopen_snapshot()
            if source is None:
                return
            threads, self._live_dirty = sorted(self._live_dirty), set()
            for thread_id in threads:
                shown = thread_id == self._thread_id
                try:
                    summary, metas = await asyncio.to_thread(_read_live, source, thread_id, shown)
                except NotFoundError:
                    continue
                if source is not self._source:
                    return
                self._apply_live(summary, metas)

    async def _reopen_snapshot(self: Controller) -> CheckpointSource | None:
        """The open source; one read from a private snapshot (which never sees new
        commits) is replaced by a fresh opening first. A run's writer has rolled back the
        hot journal by now, so the fresh one usually reads the file in place. The old
        source is closed a little later: loads already under way still use it."""
        source = self._source
        if source is None or getattr(source, "short_note", None) is None:
            return source
        fresh = await asyncio.to_thread(SqliteCheckpointSource, source.path)
        if source is not self._source:
            self._in_background(asyncio.to_thread(fresh.close))
            return self._source
        self._source = fresh
        self._states.clear()
        self._in_background(_close_later(source))
        self.source_note_changed.emit(*note_texts(fresh))
        return fresh

    def _apply_live(
        self: Controller, summary: ThreadSummary, metas: list[CheckpointMeta] | None
    ) -> None:
        thread_id = summary.thread_id
        if _matches_filter(thread_id, self._filter):
            known = self.threads_model.row_of(thread_id) is not None
            self.threads_model.upsert(summary)
            if not known:
                self.thread_count_changed.emit(self.threads_model.total)
        shown = thread_id == self._thread_id and self.timeline is not None
        if shown and metas is not None:
            self.timeline_model.append_checkpoints(metas)
            self.timeline_model.set_badges(thread_badges(summary))
            self.timeline_grown.emit(thread_id)
        is_run_thread = thread_id == self._run_thread
        if is_run_thread and not self._run_thread_shown and self._loading_thread != thread_id:
            self._run_thread_shown = True
            self._load_thread(thread_id, None)
            return
        wanted = self._select_when_listed
        if shown and wanted is not None and self.timeline and wanted in self.timeline.by_key:
            self._select_when_listed = None
            self.select_checkpoint(wanted)
        if shown and is_run_thread and not self.runs.is_running and self._run_follows_head:
            self._run_thread = None
            head = self.timeline.head if self.timeline is not None else None
            if head is not None:
                self.select_checkpoint(head.key)

    def apply_external(
        self: Controller, summary: ThreadSummary, metas: list[CheckpointMeta] | None
    ) -> None:
        """Show what another process wrote to a thread (live watch): the list gains or
        re-sorts it, the shown timeline gains ``metas``' new checkpoints, and a selection
        sitting on the head follows the new head; other selections stay put."""
        timeline = self.timeline
        head = timeline.head if timeline is not None else None
        at_head = head is not None and self._selected == head.key
        self._apply_live(summary, metas)
        if self._thread_id is None and self._loading_thread is None:
            self._load_thread(summary.thread_id, None)
            return
        timeline = self.timeline
        shown = summary.thread_id == self._thread_id
        if shown and at_head and timeline is not None and timeline.head is not None:
            self.select_checkpoint(timeline.head.key)

    def remove_external(self: Controller, thread_id: str) -> None:
        """Another process deleted a thread (live watch): it leaves the list, and when it
        was shown the timeline empties and the state pane says what happened."""
        if self.threads_model.remove(thread_id):
            self.thread_count_changed.emit(self.threads_model.total)
        if thread_id != self._thread_id or thread_id == self._loading_thread:
            return
        self._forget_thread()
        self.checkpoint_selected.emit(None)
        self.thread_deleted.emit(thread_id)
        self.state_cleared.emit(DELETED_MESSAGE)
        self.diff_cleared.emit(DELETED_MESSAGE)


def _read_live(
    source: CheckpointSource, thread_id: str, with_history: bool
) -> tuple[ThreadSummary, list[CheckpointMeta] | None]:
    """A running thread's summary and, when its timeline is shown, its history (worker)."""
    summary = source.thread(thread_id)
    return summary, source.history(thread_id) if with_history else None


def thread_badges(summary: ThreadSummary) -> dict[CheckpointKey, str]:
    """Badge of the thread's latest checkpoint: a failed task wins over an interrupt."""
    key = ("", summary.latest_checkpoint_id)
    if summary.has_error:
        return {key: "error"}
    if summary.has_interrupt:
        return {key: "interrupt"}
    return {}


async def _close_later(source: CheckpointSource) -> None:
    """Close a replaced source once the loads that started on it are done with it."""
    try:
        await asyncio.sleep(SNAPSHOT_RETIRE_SECONDS)
    finally:
        source.close()


def _matches_filter(thread_id: str, text: str) -> bool:
    """The thread list filter's id words (caseless in every script), for live additions;
    a filter with ``key=value`` terms is left to the next query."""
    parsed = parse_thread_filter(text)
    return not parsed.metadata and contains(thread_id, parsed.id_text)
