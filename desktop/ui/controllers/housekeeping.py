"""Sizes, copies, deletions and prunes from the window, on the qasync loop.

The same core functions as ``rewind size|copy|delete|prune`` (:mod:`desktop.core
.housekeeping_ops`): reads run in a worker thread, writes go through LangGraph's async
saver under the thread's write lock. After a write the database is read again, so the
thread list, timeline and state show what is now stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.core import housekeeping_ops as ops
from desktop.core.errors import RewindError
from desktop.core.model import CheckpointMeta
from desktop.core.sources import open_source
from desktop.core.sources.sizes import size_report
from desktop.ui.controller import Controller

log = logging.getLogger(__name__)

LARGEST_SHOWN = 200
"""How many of the largest checkpoints the size view lists."""


class HousekeepingController(QObject):
    """Owns the asyncio work of the size view and the thread housekeeping actions."""

    sizes_ready = Signal(object)
    """``{"threads": [...], "total_bytes": N, "largest_checkpoints": [...]}``."""

    channel_sizes_ready = Signal(object, object)
    """A checkpoint's meta and ``{channel: bytes}``."""

    plan_ready = Signal(object, int)
    """A :class:`~desktop.core.housekeeping_ops.PruneJob` (a dry run) and its ``keep``."""

    done = Signal(str)
    """A write finished; the text says what changed."""

    failed = Signal(str)
    """One line saying why a read or write could not be done."""

    busy_changed = Signal(bool)

    def __init__(self, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def location(self) -> str | None:
        """The open database as a path Rewind can write (None when none is open)."""
        path = self.controller.path
        return str(path) if path is not None else None

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    # -- reads ------------------------------------------------------------------------

    def load_sizes(self) -> None:
        """Bytes per thread and the largest checkpoints of the open database."""
        location = self.location
        if location is not None:
            self._start(self._load_sizes(location))

    def load_channel_sizes(self, meta: CheckpointMeta) -> None:
        """Bytes each channel of ``meta`` takes as stored."""
        location = self.location
        if location is not None:
            self._start(self._load_channel_sizes(location, meta))

    def plan_prune(self, thread_id: str, keep: int) -> None:
        """What ``prune --keep keep`` would remove from ``thread_id`` (writes nothing)."""
        location = self.location
        if location is not None:
            self._start(self._plan(location, thread_id, keep))

    # -- writes -----------------------------------------------------------------------

    def copy_thread(self, thread_id: str, target: str) -> None:
        """Copy ``thread_id`` as ``target``, then show the copy."""
        location = self.location
        if location is not None:
            self._start(self._copy(location, thread_id, target))

    def delete_thread(self, thread_id: str) -> None:
        """Delete ``thread_id`` (LangGraph's ``delete_thread``)."""
        location = self.location
        if location is not None:
            self._start(self._delete(location, thread_id))

    def apply_prune(self, job: ops.PruneJob) -> None:
        """Apply a dry run the user confirmed."""
        self._start(self._apply(job))

    # -- work -------------------------------------------------------------------------

    async def _load_sizes(self, location: str) -> None:
        def read() -> dict[str, Any]:
            with open_source(location) as source:
                report = size_report(source.thread_sizes())
                report["largest_checkpoints"] = [
                    item.to_json() for item in source.largest_checkpoints(LARGEST_SHOWN)
                ]
                return report

        self.sizes_ready.emit(await asyncio.to_thread(read))

    async def _load_channel_sizes(self, location: str, meta: CheckpointMeta) -> None:
        def read() -> dict[str, int]:
            with open_source(location) as source:
                return source.channel_sizes(meta)

        self.channel_sizes_ready.emit(meta, await asyncio.to_thread(read))

    async def _plan(self, location: str, thread_id: str, keep: int) -> None:
        job = await asyncio.to_thread(ops.plan_prunes, location, [thread_id], keep=keep)
        self.plan_ready.emit(job, keep)

    async def _copy(self, location: str, thread_id: str, target: str) -> None:
        job = await asyncio.to_thread(ops.prepare_copy, location, thread_id, target)
        copied = await ops.copy_thread(job)
        self._reopen(location, job.target)
        self.done.emit(f"Copied thread {thread_id} as {job.target} ({copied} checkpoints)")

    async def _delete(self, location: str, thread_id: str) -> None:
        await ops.delete_thread(location, thread_id)
        shown = self.controller.thread_id
        self._reopen(location, shown if shown != thread_id else None)
        self.done.emit(f"Deleted thread {thread_id}")

    async def _apply(self, job: ops.PruneJob) -> None:
        removed = await ops.apply_prunes(job)
        self._reopen(job.location, self.controller.thread_id)
        threads = ", ".join(plan.thread_id for plan, _ in job.plans)
        self.done.emit(f"Pruned {removed} checkpoint(s) from {threads}")

    def _reopen(self, location: str, thread_id: str | None) -> None:
        """Read the database again; ``thread_id`` is shown if it still exists."""
        if self.location == location:
            self.controller.open_database(location, thread_id=thread_id)

    def _start(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(self._guard(coro))
        self._tasks.add(task)
        self.busy_changed.emit(True)
        task.add_done_callback(self._finished(task))

    def _finished(self, task: asyncio.Task[Any]) -> Callable[[asyncio.Task[Any]], None]:
        def done(_task: asyncio.Task[Any]) -> None:
            self._tasks.discard(task)
            if not self._tasks:
                self.busy_changed.emit(False)

        return done

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except RewindError as error:
            self.failed.emit(str(error))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("housekeeping failed")
            detail = " ".join(str(error).split()) or type(error).__name__
            self.failed.emit(f"{type(error).__name__}: {detail}")
