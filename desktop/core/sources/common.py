"""What every checkpoint source shares: the protocol and how a row becomes a record.

The SQL differs per backend (``sqlite.py``, ``postgres.py``); the records they return,
and how a checkpoint's metadata becomes a :class:`CheckpointMeta`, do not.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from desktop.core.decode import DecodeError, decode_metadata
from desktop.core.model import AS_NODE_KEY, CheckpointMeta, CheckpointState, ThreadSummary
from desktop.core.progress import (
    CheckpointProgress,
    WriteRecord,
    step_writers,
)
from desktop.core.task_paths import TaskRef, pull_node, send_index

_UUID_EPOCH = datetime(1582, 10, 15, tzinfo=UTC)


def checkpoint_time(checkpoint_id: str) -> datetime | None:
    """When a checkpoint was created, read from its id (LangGraph ids are UUIDv6)."""
    if isinstance(checkpoint_id, str) and len(checkpoint_id) == 36 and checkpoint_id[14] == "6":
        try:
            ticks = (
                int(checkpoint_id[0:8], 16) << 28
                | int(checkpoint_id[9:13], 16) << 12
                | int(checkpoint_id[15:18], 16)
            )
        except ValueError:
            return None
        return _UUID_EPOCH + timedelta(microseconds=ticks // 10)
    try:
        value = uuid.UUID(checkpoint_id)
    except (ValueError, TypeError, AttributeError):
        return None
    if value.version not in (1, 6):
        return None
    if value.version == 6:
        high = value.int >> 64
        ticks = ((high >> 32) & 0xFFFFFFFF) << 28 | ((high >> 16) & 0xFFFF) << 12 | high & 0x0FFF
    else:
        ticks = value.time
    return _UUID_EPOCH + timedelta(microseconds=ticks // 10)


ThreadMark = tuple[int, str, int]
"""What changes whenever a thread is written to: ``(checkpoints, newest checkpoint id,
writes)``, every namespace counted (live watch compares them, nothing else reads them)."""


class CheckpointSource(Protocol):
    """A checkpoint database opened strictly for reading (SQLite file or Postgres URL).

    Safe to share between threads. Listings come from metadata only; ``load_state``
    decodes one checkpoint with Rewind's own decoder. ``location`` is what the user
    named (a path, or a URL without its password); ``note`` is a one-line remark about
    the database (a shallow saver keeps no history), or ``None``.
    """

    location: str
    note: str | None

    def close(self) -> None: ...
    def __enter__(self) -> CheckpointSource: ...
    def __exit__(self, *exc: object) -> None: ...
    def count_threads(self, text_filter: str = "") -> int: ...
    def list_threads(
        self, text_filter: str = "", *, offset: int = 0, limit: int | None = None
    ) -> list[ThreadSummary]: ...
    def thread(self, thread_id: str) -> ThreadSummary: ...
    def thread_ids(self, text_filter: str = "") -> list[str]: ...
    def thread_marks(self, thread_ids: Sequence[str]) -> dict[str, ThreadMark]: ...
    def history(self, thread_id: str) -> list[CheckpointMeta]: ...
    def head(self, thread_id: str) -> CheckpointMeta: ...
    def progress(self, meta: CheckpointMeta) -> CheckpointProgress: ...
    def load_state(self, meta: CheckpointMeta) -> CheckpointState: ...
    def export_thread(self, thread_id: str) -> dict[str, Any]: ...


def checkpoint_meta(
    thread_id: str,
    ns: str,
    checkpoint_id: str,
    parent: str | None,
    raw_metadata: bytes | str | None,
    withheld: str | None = None,
) -> CheckpointMeta:
    """A timeline record from one checkpoint row's columns (metadata as JSON text).

    ``withheld`` says why the metadata was not fetched (too large, generated column):
    the record then has no metadata and that reason as its error."""
    metadata_error = withheld
    metadata: dict[str, Any] = {}
    try:
        if withheld is None:
            metadata = decode_metadata(raw_metadata)
    except DecodeError as exc:
        metadata_error = str(exc)
    step, source = meta_step_source(metadata)
    return CheckpointMeta(
        thread_id=thread_id,
        checkpoint_ns=ns,
        checkpoint_id=checkpoint_id,
        parent_checkpoint_id=parent or None,
        step=step,
        source=source,
        created_at=checkpoint_time(checkpoint_id),
        metadata=metadata,
        metadata_error=metadata_error,
    )


def meta_step_source(metadata: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """A checkpoint's ``step`` and ``source`` from its metadata (``None`` when absent or
    of another type)."""
    step = metadata.get("step")
    source = metadata.get("source")
    return (
        step if isinstance(step, int) and not isinstance(step, bool) else None,
        source if isinstance(source, str) else None,
    )


def with_writers(
    meta: CheckpointMeta,
    step_writers: dict[tuple[str, str], tuple[str, ...]],
    update_credits: Mapping[tuple[str, str], str] | None = None,
) -> CheckpointMeta:
    """``meta`` naming the nodes whose writes produced it, as LangGraph would.

    ``loop``: the tasks of the parent's step that finished; ``update``: the node a
    Rewind fork was credited to (kept in the metadata), else the node the stored writes
    tell (``update_credits``, by the update's key: :func:`desktop.core.progress.update_credit`);
    ``input`` and ``fork``: none.
    """
    if meta.source == "loop" and meta.parent_checkpoint_id:
        writers = step_writers.get((meta.checkpoint_ns, meta.parent_checkpoint_id), ())
    elif meta.source == "update" and isinstance(meta.metadata.get(AS_NODE_KEY), str):
        writers = (meta.metadata[AS_NODE_KEY],)
    elif meta.source == "update" and update_credits and meta.key in update_credits:
        writers = (update_credits[meta.key],)
    else:
        return meta
    return dataclasses.replace(meta, writers=writers)


def updates_to_credit(metas: list[CheckpointMeta]) -> list[tuple[CheckpointMeta, CheckpointMeta]]:
    """``(parent, update)`` pairs whose update may be credited from its parent's writes:
    an ``update`` checkpoint not written by Rewind that is its parent's only update
    child, the parent's step known (:func:`desktop.core.progress.update_credit`)."""
    children: dict[tuple[str, str], list[CheckpointMeta]] = {}
    for meta in metas:
        if meta.source == "update" and meta.parent_checkpoint_id:
            children.setdefault((meta.checkpoint_ns, meta.parent_checkpoint_id), []).append(meta)
    by_key = {m.key: m for m in metas}
    pairs = []
    for key, updates in children.items():
        parent = by_key.get(key)
        if (
            len(updates) == 1
            and AS_NODE_KEY not in updates[0].metadata
            and parent is not None
            and parent.step is not None
        ):
            pairs.append((parent, updates[0]))
    return pairs


def writers_of_steps(
    found: dict[tuple[str, str], list[WriteRecord]],
    send_targets: Callable[[str, str], list[str]],
) -> dict[tuple[str, str], tuple[str, ...]]:
    """The finished tasks of each checkpoint's step, from the task paths of the writes
    saved on it: pull tasks by name, ``Send`` tasks by the target ``send_targets(ns,
    checkpoint_id)`` reads from that checkpoint (only when a push task wrote)."""
    result = {}
    for (ns, cid), records in found.items():
        pulls = sorted({n for r in records if (n := pull_node(r.task_path))})
        tasks = [TaskRef(name) for name in pulls]
        if any(send_index(r.task_path) is not None for r in records):
            tasks = [TaskRef(t, i) for i, t in enumerate(send_targets(ns, cid))] + tasks
        result[(ns, cid)] = step_writers(tasks, records)
    return result


def folded_parents(
    metas: Sequence[CheckpointMeta],
    step_writers: Mapping[tuple[str, str], tuple[str, ...]],
    writes_readable: bool = True,
) -> set[tuple[str, str]]:
    """Parents whose step the saved writes cannot tell: a ``loop`` child's step is not
    the parent's plus one (``durability="exit"`` saves a run's last checkpoint only,
    several steps folded into it, and not the writes of those steps), or no task of the
    parent's step left an output write on it (an ``exit`` run of one step, a task that
    returned nothing; only told when the database's writes name their tasks,
    ``writes_readable``). LangGraph credits a ``loop`` checkpoint to its parent's tasks
    whatever was saved: for these parents the source reads those tasks from the
    parent checkpoint itself (:func:`with_parent_tasks`)."""
    by_key = {m.key: m for m in metas}
    folded = set()
    for meta in metas:
        if meta.source != "loop" or not meta.parent_checkpoint_id:
            continue
        key = (meta.checkpoint_ns, meta.parent_checkpoint_id)
        parent = by_key.get(key)
        if parent is None:
            continue
        stepwise = parent.step is not None and meta.step == parent.step + 1
        if not stepwise or (writes_readable and not step_writers.get(key)):
            folded.add(key)
    return folded


def with_parent_tasks(
    step_writers: dict[tuple[str, str], tuple[str, ...]],
    metas: Sequence[CheckpointMeta],
    parent_tasks: Callable[[list[tuple[str, str]]], Mapping[tuple[str, str], tuple[str, ...]]],
    writes_readable: bool = True,
) -> dict[tuple[str, str], tuple[str, ...]]:
    """``step_writers`` with each :func:`folded_parents` parent's tasks instead, as
    ``parent_tasks(keys)`` reads them from the parents' checkpoints (their ``next``)."""
    folded = folded_parents(metas, step_writers, writes_readable)
    if not folded:
        return step_writers
    return {**step_writers, **parent_tasks(sorted(folded))}


def with_folds(metas: list[CheckpointMeta]) -> list[CheckpointMeta]:
    """``metas`` with :attr:`CheckpointMeta.steps_folded` set on each ``loop`` checkpoint
    whose step is more than its parent's plus one."""
    steps = {m.key: m.step for m in metas}
    folded = []
    for meta in metas:
        parent_step = steps.get((meta.checkpoint_ns, meta.parent_checkpoint_id or ""))
        late = (
            meta.step - parent_step - 1 if meta.step is not None and parent_step is not None else 0
        )
        if meta.source == "loop" and late > 0:
            meta = dataclasses.replace(meta, steps_folded=late)
        folded.append(meta)
    return folded
