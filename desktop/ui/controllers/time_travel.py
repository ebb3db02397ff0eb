"""Time travel: a mixin of the window's :class:`~desktop.ui.controller.Controller`
(placed before ``QObject``) that starts runs on the open database through
:attr:`Controller.runs`.

:meth:`replay`, :meth:`resume`, :meth:`request_fork` / :meth:`fork` and runs continued
from a past checkpoint (:meth:`set_continue_point`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import SignalInstance

from desktop.core.errors import RewindError
from desktop.core.history import ThreadTimeline
from desktop.core.model import CheckpointMeta
from desktop.ui.run_request import CONTINUE_RUN

if TYPE_CHECKING:
    from desktop.ui.controller import Controller

log = logging.getLogger(__name__)


class TimeTravel:
    """Runs, replays, resumes and forks of the open database, and where the next run of
    the shown thread starts."""

    def start_run(
        self,
        thread_id: str,
        input: object = None,
        values: bool = False,
        *,
        interrupt_before: list[str] | None = None,
        interrupt_after: list[str] | None = None,
    ) -> None:
        """Run the attached graph on ``thread_id`` of the open database (None: continue it).

        On the shown thread with a :attr:`continue_point`, the run starts there (a new
        branch) instead of at the head. ``interrupt_before``/``interrupt_after`` are the
        static breakpoints of this run.
        """
        path = self._writable_path()
        if path is None:
            return
        point = self._continue_point
        if point is not None and point.thread_id != thread_id:
            point = None
        self._continue_point_used = point is not None
        started = self.runs.start(
            path,
            thread_id,
            input,
            values=values,
            checkpoint_id=point.checkpoint_id if point is not None else None,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
        )
        self._continue_point_used = started and point is not None

    def replay(self: Controller, meta: CheckpointMeta, *, values: bool = False) -> None:
        """Run ``meta``'s thread again from that checkpoint (``runner.replay``), live."""
        path = self._writable_path()
        if path is not None:
            self.runs.start_replay(path, meta.thread_id, meta.checkpoint_id, values=values)

    def resume(
        self: Controller, thread_id: str, value: object = CONTINUE_RUN, *, values: bool = False
    ) -> None:
        """Answer ``thread_id``'s interrupts with ``value``, or continue its stopped run."""
        path = self._writable_path()
        if path is None:
            return
        status = self._status
        shown = status is not None and status.thread_id == thread_id
        answers = [item.id for item in status.interrupts] if shown and status else None
        self.runs.start_resume(path, thread_id, value, values=values, answers=answers)

    def request_fork(self: Controller, meta: CheckpointMeta) -> None:
        """Read ``meta``'s state and the node langgraph would credit an update to, then
        emit :attr:`fork_ready` so the window opens the fork editor on it."""
        self.select_checkpoint(meta.key)
        self._start("fork", self._prepare_fork(meta))

    def fork(
        self,
        thread_id: str,
        checkpoint_id: str,
        update: dict[str, Any],
        as_node: str | None,
        checkpoint_ns: str = "",
        *,
        continue_after: bool = False,
        values: bool = False,
        interrupt_before: list[str] | None = None,
        interrupt_after: list[str] | None = None,
    ) -> None:
        """Write a fork (``runner.fork``); the new checkpoint is selected once listed, and
        with ``continue_after`` the graph runs on from it, live."""
        path = self._writable_path(refusal=self.runs.fork_failed)
        if path is None:
            return
        self.runs.start_fork(
            path,
            thread_id,
            checkpoint_id,
            update,
            as_node,
            checkpoint_ns,
            continue_after=continue_after,
            values=values,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
        )

    def set_continue_point(self: Controller, meta: CheckpointMeta | None) -> None:
        """Make the next run of ``meta``'s thread start at ``meta`` (None: at the head).

        Used once: the run it starts puts its checkpoints on that branch, which then
        holds the head, so later runs continue there anyway.
        """
        timeline = self.timeline
        head = timeline.head if timeline is not None else None
        if meta is not None and (head is None or head.key == meta.key):
            meta = None
        if meta == self._continue_point:
            return
        self._continue_point = meta
        self._continue_point_used = False
        self.timeline_model.set_continue_point(meta.key if meta else None)
        self.continue_point_changed.emit(meta)

    def diff_branch_tips(self: Controller, meta: CheckpointMeta) -> None:
        """Diff the tip of ``meta``'s branch against the head (reusing the diff base).

        On the head's own line, the head is diffed against the newest other branch tip.
        """
        timeline = self.timeline
        if timeline is None or timeline.head is None:
            return
        tips = timeline.branch_tips()
        tip = _branch_tip(timeline, _root_checkpoint(timeline, meta))
        base = timeline.head
        if tip is None or tip.key == base.key:
            others = [t for t in tips if t.key != base.key]
            if not others:
                self.error_occurred.emit("This thread has a single branch: nothing to diff")
                return
            tip, base = base, others[0]
        self.select_checkpoint(tip.key)
        self.set_diff_base(base.key)

    def _writable_path(
        self: Controller, refusal: SignalInstance | None = None
    ) -> Path | str | None:
        """The open database for a write, or None after saying why there is none."""
        if self._path is None:
            (refusal or self.runs.run_refused).emit("Open a database before running")
        return self._path

    async def _prepare_fork(self: Controller, meta: CheckpointMeta) -> None:
        from desktop.core.forking import fork_live, infer_as_node

        graph, path = self.runs.graph, self._path
        if graph is None or path is None:
            raise RewindError("Attach a graph to fork: rewind DB --graph module:attr")
        state = await self._load_state(meta)
        async with self.runs.read_saver(path) as saver:
            inferred = await infer_as_node(
                graph, saver, meta.thread_id, meta.checkpoint_id, meta.checkpoint_ns
            )
            try:
                live = await fork_live(
                    graph, saver, meta.thread_id, meta.checkpoint_id, meta.checkpoint_ns
                )
            except RewindError as error:
                log.info("forking without live values: %s", error)
                live = None
        self.fork_ready.emit(state, graph, inferred, live)


def _root_checkpoint(timeline: ThreadTimeline, meta: CheckpointMeta) -> CheckpointMeta:
    """``meta`` itself, or for a subgraph checkpoint the parent-graph checkpoint it ran under."""
    if not meta.checkpoint_ns:
        return meta
    parents = meta.metadata.get("parents")
    parent_id = parents.get("") if isinstance(parents, dict) else None
    found = timeline.by_key.get(("", parent_id)) if isinstance(parent_id, str) else None
    return found or meta


def _branch_tip(timeline: ThreadTimeline, meta: CheckpointMeta) -> CheckpointMeta | None:
    """The newest branch tip whose history holds ``meta``: the end of ``meta``'s branch."""
    for tip in timeline.branch_tips():
        if any(step.key == meta.key for step in timeline.lineage(tip)):
            return tip
    return None
