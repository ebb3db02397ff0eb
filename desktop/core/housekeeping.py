"""Thread housekeeping: what to prune, and copying, deleting and pruning threads.

Checkpoint databases grow without bound; these are the only writes Rewind makes that
are not runs, and each happens only on an explicit request. Every write goes through
the saver's own public API (``aput``, ``aput_writes``, ``adelete_thread``): Rewind
never writes checkpoint rows by hand, so the result is a thread LangGraph itself wrote.

Copies are byte-faithful without reviving anything: :class:`RawSerde` hands the saver
the stored payloads back exactly as they were read (the checkpoint's outer map is
unpacked so the saver can read its ``id`` and ``channel_values``; every value and
every extension record inside stays opaque), so no class is imported and no value
changes shape on the way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ormsgpack

from desktop.core.errors import RewindError
from desktop.core.model import CheckpointMeta
from desktop.core.stored import RawValue, StoredWrite


class HousekeepingError(RewindError):
    """A copy, delete or prune that cannot be done as asked (one line)."""


# -- stored payloads, passed through unchanged -----------------------------------------


class RawCheckpoint(dict):
    """A checkpoint's outer map, readable by a saver, that re-serializes to its own bytes.

    ``PostgresSaver`` copies the map and stores values on their own; ``SqliteSaver``
    stores the whole map, and then gets the bytes it was read from.
    """

    __slots__ = ("raw",)

    def __init__(self, items: Mapping[str, Any], raw: RawValue) -> None:
        super().__init__(items)
        self.raw = raw


def _opaque_ext(code: int, data: bytes) -> ormsgpack.Ext:
    return ormsgpack.Ext(code, data)


class RawSerde:
    """A serializer (langgraph's ``SerializerProtocol``) that never revives anything.

    ``loads_typed`` returns :class:`RawValue` for every value, except a msgpack map
    with an ``id`` and ``channel_values`` (a checkpoint), which becomes a
    :class:`RawCheckpoint` whose inner values are :class:`RawValue` re-packed from the
    same bytes. ``dumps_typed`` gives back exactly what was read.
    """

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        from langgraph.checkpoint.serde.types import _DeltaSnapshot

        if isinstance(obj, _DeltaSnapshot) and isinstance(obj.value, RawValue):
            return obj.value.type, obj.value.data or b""
        if isinstance(obj, RawCheckpoint):
            return obj.raw.type, obj.raw.data or b""
        if isinstance(obj, RawValue):
            return obj.type, obj.data or b""
        if obj is None:
            return "null", b""
        if isinstance(obj, bytes):
            return "bytes", obj
        raise TypeError(f"cannot store a {type(obj).__name__} while copying a thread")

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        type_, blob = data
        if type_ == "null":
            return None
        if type_ == "msgpack" and blob:
            if _top_level_ext(blob) == _EXT_DELTA_SNAPSHOT:
                from langgraph.checkpoint.serde.types import _DeltaSnapshot

                # PostgresSaver stores a delta channel's snapshot as a blob and marks it
                # in the checkpoint's JSONB only when it sees a ``_DeltaSnapshot``.
                return _DeltaSnapshot(RawValue(type_, blob))
            checkpoint = _checkpoint_map(blob)
            if checkpoint is not None:
                return RawCheckpoint(checkpoint, RawValue(type_, blob))
        return RawValue(type_, blob)

    def dumps(self, obj: Any) -> bytes:
        return self.dumps_typed(obj)[1]

    def loads(self, data: bytes) -> Any:
        return self.loads_typed(("msgpack", data))


_EXT_DELTA_SNAPSHOT = 7
"""langgraph's msgpack extension code of ``_DeltaSnapshot`` (``EXT_DELTA_SNAPSHOT``)."""


def _top_level_ext(blob: bytes) -> int | None:
    """The extension code when the whole value is one extension record, else None."""
    try:
        value = ormsgpack.unpackb(blob, ext_hook=lambda code, _data: _ExtCode(code))
    except (ormsgpack.MsgpackDecodeError, ValueError, TypeError):
        return None
    return value.code if isinstance(value, _ExtCode) else None


class _ExtCode:
    __slots__ = ("code",)

    def __init__(self, code: int) -> None:
        self.code = code


def _checkpoint_map(blob: bytes) -> dict[str, Any] | None:
    """The outer map of a stored checkpoint, its values kept as packed bytes."""
    try:
        value = ormsgpack.unpackb(blob, ext_hook=_opaque_ext)
    except (ormsgpack.MsgpackDecodeError, ValueError, TypeError):
        return None
    if not isinstance(value, dict) or "id" not in value or "channel_values" not in value:
        return None
    channel_values = value.get("channel_values")
    if isinstance(channel_values, dict):
        value["channel_values"] = {
            key: RawValue("msgpack", ormsgpack.packb(item, default=_keep_ext))
            for key, item in channel_values.items()
        }
    return value


def _keep_ext(value: Any) -> Any:
    if isinstance(value, ormsgpack.Ext):
        return value
    raise TypeError(f"unexpected {type(value).__name__} in a stored checkpoint")


# -- what a prune removes ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrunePlan:
    """One thread's prune: the checkpoints that stay and the ones that go."""

    thread_id: str
    keep: frozenset[tuple[str, str]]
    remove: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {"thread_id": self.thread_id, "remove": [cid for _, cid in self.remove]}


def plan_prune(
    thread_id: str,
    history: Sequence[CheckpointMeta],
    *,
    keep: int | None = None,
    before: datetime | None = None,
) -> PrunePlan:
    """Which checkpoints of one thread a prune removes.

    The root namespace keeps its head (the newest root checkpoint, the one LangGraph
    continues from) and ``keep - 1`` of its ancestors, or, with ``before``, the head
    and the ancestors created at or after that moment. Everything else in the root
    namespace goes: older ancestors and every branch (fork or replay) not on that line.
    A subgraph checkpoint stays when the root checkpoint it ran under stays; a
    persistent subgraph (``checkpointer=True``, a namespace without a task id) also
    keeps its newest checkpoint, which its next call continues from.
    """
    if (keep is None) == (before is None):
        raise HousekeepingError("Give either --keep N or --before DATE")
    if keep is not None and keep < 1:
        raise HousekeepingError("--keep must be at least 1 (the thread's head)")
    root = [meta for meta in history if meta.checkpoint_ns == ""]
    if not root:
        return PrunePlan(thread_id, frozenset(), ())
    by_id = {meta.checkpoint_id: meta for meta in root}
    head = max(root, key=lambda meta: meta.checkpoint_id)
    line: list[CheckpointMeta] = []
    seen: set[str] = set()
    node: CheckpointMeta | None = head
    while node is not None and node.checkpoint_id not in seen:
        seen.add(node.checkpoint_id)
        line.append(node)
        node = by_id.get(node.parent_checkpoint_id or "")
    if keep is not None:
        kept_root = line[:keep]
    else:
        kept_root = [head] + [
            meta for meta in line[1:] if meta.created_at is not None and meta.created_at >= before
        ]
    kept_ids = {meta.checkpoint_id for meta in kept_root}
    keep_keys = {("", cid) for cid in kept_ids}
    newest_in_ns: dict[str, CheckpointMeta] = {}
    for meta in history:
        if meta.checkpoint_ns == "":
            continue
        if _root_parent(meta) in kept_ids:
            keep_keys.add(meta.key)
        current = newest_in_ns.get(meta.checkpoint_ns)
        if current is None or meta.checkpoint_id > current.checkpoint_id:
            newest_in_ns[meta.checkpoint_ns] = meta
    for ns, meta in newest_in_ns.items():
        if _is_persistent_namespace(ns):
            keep_keys.add(meta.key)
    remove = tuple(
        meta.key
        for meta in sorted(history, key=lambda m: m.checkpoint_id)
        if meta.key not in keep_keys
    )
    return PrunePlan(thread_id, frozenset(keep_keys), remove)


def _root_parent(meta: CheckpointMeta) -> str | None:
    parents = meta.metadata.get("parents")
    if isinstance(parents, dict):
        value = parents.get("")
        return value if isinstance(value, str) else None
    return None


def _is_persistent_namespace(ns: str) -> bool:
    """``checkpointer=True`` subgraphs keep one namespace per node, with no task id."""
    return all(":" not in part for part in ns.split("|"))


# -- writes through the saver ------------------------------------------------------------


async def copy_checkpoints(
    saver: Any,
    source_thread: str,
    target_thread: str,
    writes: Iterable[StoredWrite],
    *,
    only: frozenset[tuple[str, str]] | None = None,
) -> int:
    """Copy a thread's checkpoints (all, or those in ``only``) and their writes.

    ``saver`` is an async checkpoint saver whose ``serde`` is a :class:`RawSerde`.
    Checkpoints are put oldest first, each naming the parent it had (also when the
    parent is not copied: LangGraph then treats it as a root), so ids, parents,
    metadata and values are what they were. Returns how many checkpoints were copied.
    """
    tuples = [
        item
        async for item in saver.alist({"configurable": {"thread_id": source_thread}})
        if only is None
        or (item.config["configurable"]["checkpoint_ns"], item.checkpoint["id"]) in only
    ]
    tuples.sort(key=lambda item: item.checkpoint["id"])
    for item in tuples:
        ns = item.config["configurable"]["checkpoint_ns"]
        configurable = {"thread_id": target_thread, "checkpoint_ns": ns}
        if item.parent_config is not None:
            configurable["checkpoint_id"] = item.parent_config["configurable"]["checkpoint_id"]
        versions = dict(item.checkpoint.get("channel_versions") or {})
        await saver.aput({"configurable": configurable}, item.checkpoint, item.metadata, versions)
    copied = {(t.config["configurable"]["checkpoint_ns"], t.checkpoint["id"]) for t in tuples}
    for key, task_writes in _writes_by_task(writes, copied).items():
        ns, checkpoint_id, task_id, task_path = key
        config = {
            "configurable": {
                "thread_id": target_thread,
                "checkpoint_ns": ns,
                "checkpoint_id": checkpoint_id,
            }
        }
        await saver.aput_writes(
            config, [(w.channel, w.value) for w in task_writes], task_id, task_path
        )
    return len(tuples)


def _writes_by_task(
    writes: Iterable[StoredWrite], checkpoints: set[tuple[str, str]]
) -> dict[tuple[str, str, str, str], list[StoredWrite]]:
    """Writes of the copied checkpoints grouped per task, in their stored order.

    The saver numbers a task's writes by position (special channels such as
    ``__interrupt__`` and ``__error__`` get their fixed negative index), so giving
    them in ``idx`` order stores the same indexes again.
    """
    grouped: dict[tuple[str, str, str, str], list[StoredWrite]] = {}
    for write in writes:
        if (write.checkpoint_ns, write.checkpoint_id) not in checkpoints:
            continue
        key = (write.checkpoint_ns, write.checkpoint_id, write.task_id, write.task_path)
        grouped.setdefault(key, []).append(write)
    for task_writes in grouped.values():
        task_writes.sort(key=lambda w: (w.idx < 0, w.idx))
    return grouped


async def prune_thread(saver: Any, plan: PrunePlan, writes: Sequence[StoredWrite]) -> None:
    """Apply a prune plan through the saver's own API, never losing the kept data.

    The kept checkpoints are first copied to a scratch thread; only when that copy is
    complete is the thread deleted and rebuilt from the scratch copy, which is then
    deleted. A failure before the delete leaves the thread untouched; a failure after
    it leaves the complete copy under the scratch id, named in the error.
    """
    if not plan.remove:
        return
    scratch = f"{plan.thread_id}.rewind-prune-{uuid.uuid4().hex[:12]}"
    await copy_checkpoints(saver, plan.thread_id, scratch, writes, only=plan.keep)
    await saver.adelete_thread(plan.thread_id)
    try:
        await copy_checkpoints(saver, scratch, plan.thread_id, writes)
    except Exception as exc:
        raise HousekeepingError(
            f"Prune of {plan.thread_id!r} stopped after deleting it; its kept checkpoints "
            f"are safe in thread {scratch!r} ({exc})"
        ) from exc
    await saver.adelete_thread(scratch)
