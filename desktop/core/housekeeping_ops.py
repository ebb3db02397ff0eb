"""Thread housekeeping as the CLI and the window both run it: one function per action.

Reads (what exists, what a prune would remove) are blocking and belong in a worker
thread; the writes are coroutines on LangGraph's async saver, holding each thread's
write lock (:func:`desktop.core.housekeeping_io.writing_saver`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desktop.core.errors import NotFoundError, RewindError
from desktop.core.housekeeping import (
    PrunePlan,
    StoredWrite,
    copy_checkpoints,
    plan_prune,
    prune_thread,
)
from desktop.core.housekeeping_io import reclaim_space, writing_saver
from desktop.core.sources import open_source


@dataclass(frozen=True, slots=True)
class CopyJob:
    """A checked copy: the source thread's writes, read before anything is written."""

    location: str
    thread_id: str
    target: str
    writes: list[StoredWrite]


def prepare_copy(location: str, thread_id: str, target: str) -> CopyJob:
    """Check a copy can be made (source exists, target is new) and read its writes."""
    target = target.strip()
    if not target:
        raise RewindError("The new thread id is empty")
    if target == thread_id:
        raise RewindError("The copy needs a different thread id")
    with open_source(location) as source:
        source.thread(thread_id)
        try:
            source.thread(target)
        except NotFoundError:
            pass
        else:
            raise RewindError(f"Thread {target!r} already exists; choose a new id")
        return CopyJob(location, thread_id, target, source.stored_writes(thread_id))


async def copy_thread(job: CopyJob) -> int:
    """Copy every checkpoint and write of ``job.thread_id`` as ``job.target``."""
    async with writing_saver(job.location, job.thread_id, job.target, action="copy") as saver:
        return await copy_checkpoints(saver, job.thread_id, job.target, job.writes)


async def delete_thread(location: str, thread_id: str) -> None:
    """LangGraph's ``adelete_thread``, under the thread's write lock."""
    async with writing_saver(location, thread_id, action="delete") as saver:
        await saver.adelete_thread(thread_id)


@dataclass(frozen=True, slots=True)
class PruneJob:
    """Prune plans with the writes of each thread that loses checkpoints."""

    location: str
    plans: list[tuple[PrunePlan, list[StoredWrite]]]

    @property
    def removed(self) -> int:
        return sum(len(plan.remove) for plan, _ in self.plans)


def plan_prunes(
    location: str,
    thread_ids: list[str] | None = None,
    *,
    keep: int | None = None,
    before: datetime | None = None,
    with_writes: bool = True,
) -> PruneJob:
    """What a prune removes from ``thread_ids`` (default: every thread); read-only."""
    plans = []
    with open_source(location) as source:
        ids = thread_ids or source.thread_ids()
        for thread_id in ids:
            plan = plan_prune(thread_id, source.history(thread_id), keep=keep, before=before)
            writes = source.stored_writes(thread_id) if with_writes and plan.remove else []
            plans.append((plan, writes))
    return PruneJob(location, plans)


async def apply_prunes(job: PruneJob) -> int:
    """Apply every plan of ``job`` (each thread under its lock), then reclaim space."""
    removed = 0
    for plan, writes in job.plans:
        if not plan.remove:
            continue
        async with writing_saver(job.location, plan.thread_id, action="prune") as saver:
            await prune_thread(saver, plan, writes)
        removed += len(plan.remove)
    if removed:
        reclaim_space(job.location)
    return removed
