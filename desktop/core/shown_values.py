"""A checkpoint's values as ``get_state`` of it shows them, from what is stored.

``get_state(config with a checkpoint id)`` is not only the stored ``channel_values``.
On read LangGraph (``Pregel._prepare_state_snapshot``) also

1. rebuilds every ``DeltaChannel`` from its snapshot and the on-path writes
   (:mod:`desktop.core.delta`),
2. lists reducer channels not written yet at their empty value
   (:mod:`desktop.core.unwritten`: message lists, where the thread proves it), and
3. applies the checkpoint's *pending update*: the writes saved on it under
   ``NULL_TASK_ID`` (a ``Command(update=...)`` given as input, with or without
   ``resume``), through ``apply_writes``, to every channel, with each channel's own
   reducer. The step's ``next`` tasks are read before, from the stored values.

Rewind does both without the graph (opening a file runs no code), one function for
every source (:func:`checkpoint_values`). A delta channel folds the update with the
built-in reducer its data fits, as its history is folded. For any other channel the
reducer is not stored, so it is guessed from the data: ``add_messages`` for message
lists, deepagents' dict merge for ``files``, otherwise the last value (a ``LastValue``
channel); such channels are named in ``guessed``. With a graph attached,
:mod:`desktop.core.delta_graph` replaces them with LangGraph's own values.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desktop.core.delta import (
    COUNTERS_KEY,
    NULL_TASK_ID,
    DeltaRebuilder,
    channels_to_rebuild,
)
from desktop.core.delta_fold import (
    UNFOLDED_KEY,
    DeltaHistory,
    DeltaWrite,
    after_overwrite,
    fold,
    fold_dict_merge,
    fold_messages,
    reducer_for,
)
from desktop.core.model import CheckpointMeta, CheckpointState, PendingWrite, is_internal_channel
from desktop.core.progress import CheckpointProgress
from desktop.core.unwritten import UnwrittenChannels

NOT_STATE_WRITES = frozenset(
    {
        "__no_writes__",
        "__pregel_push",
        "__resume__",
        "__interrupt__",
        "__return__",
        "__error__",
        "__error_source_node__",
    }
)
"""Writes ``apply_writes`` never applies to a channel (control records)."""


@dataclass(frozen=True, slots=True)
class ShownValues:
    """A checkpoint's values as ``get_state`` shows them, and how Rewind got them.

    ``reconstructed``: delta channels rebuilt from their history; ``unfolded``: delta
    channels whose reducer Rewind cannot know (seed + ordered writes); ``guessed``:
    channels the pending update changed with a reducer guessed from the data;
    ``notes``: writes left out because they could not be decoded.
    """

    values: dict[str, Any]
    reconstructed: tuple[str, ...] = ()
    unfolded: tuple[str, ...] = ()
    guessed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def checkpoint_values(
    rebuilder: DeltaRebuilder,
    meta: CheckpointMeta,
    values: dict[str, Any],
    versions: Mapping[str, Any],
    writes: Sequence[PendingWrite],
    known: Collection[str] = (),
    *,
    intact: bool = False,
    unwritten: UnwrittenChannels | None = None,
) -> ShownValues:
    """``values`` (the stored ``channel_values``, decoded) as ``get_state`` of ``meta``
    shows them: delta channels rebuilt, then the pending update applied. ``known`` are
    the delta channels other checkpoints of the namespace name (see
    :func:`desktop.core.delta.channels_to_rebuild`). ``intact``: nothing in ``values``
    is damaged, so the delta channels it stores can seed later rebuilds. ``unwritten``
    finds the message-list reducer channels not written yet, which LangGraph shows as
    ``[]`` (:mod:`desktop.core.unwritten`)."""
    counters = meta.metadata.get(COUNTERS_KEY)
    delta = {*known, *(counters if isinstance(counters, Mapping) else ())}
    if intact:
        stored = {ch: values[ch] for ch in delta if ch in values}
        rebuilder.remember_stored(meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id, stored)
    own = delta_writes(meta.checkpoint_id, writes)
    rebuild, never = channels_to_rebuild(meta.metadata, values, versions, known=known)
    reconstructed: tuple[str, ...] = ()
    unfolded: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    if rebuild or never:
        rebuilt = rebuilder.rebuild(
            meta.thread_id,
            meta.checkpoint_ns,
            meta.checkpoint_id,
            values=values,
            rebuild=rebuild,
            never_written=never,
            own_writes=own,
        )
        values, reconstructed = rebuilt.values, rebuilt.reconstructed
        unfolded, notes = rebuilt.unfolded, rebuilt.skipped
    if unwritten is not None:
        empty = unwritten.empty_lists(meta.thread_id, meta.checkpoint_ns, values, versions, delta)
        values = {**values, **{channel: [] for channel in empty}} if empty else values
    update = apply_pending_update(values, own, delta=delta, done=reconstructed)
    return ShownValues(
        update.values,
        reconstructed,
        tuple(dict.fromkeys([*unfolded, *update.unfolded])),
        update.guessed,
        notes,
    )


def state_from(
    meta: CheckpointMeta,
    values: dict[str, Any],
    writes: list[PendingWrite],
    progress: CheckpointProgress,
    error: str | None,
    shown: ShownValues | None,
) -> CheckpointState:
    """The :class:`CheckpointState` a source returns (``shown`` is ``None`` when the
    checkpoint could not be decoded far enough to rebuild anything)."""
    return CheckpointState(
        meta=meta,
        values=values,
        pending_writes=writes,
        progress=progress,
        error=error,
        reconstructed=shown.reconstructed if shown else (),
        unfolded=shown.unfolded if shown else (),
        delta_notes=shown.notes if shown else (),
        guessed=shown.guessed if shown else (),
    )


@dataclass(frozen=True, slots=True)
class PendingUpdate:
    """Values with a checkpoint's pending update applied (see the module docstring)."""

    values: dict[str, Any]
    updated: tuple[str, ...] = ()
    guessed: tuple[str, ...] = ()
    unfolded: tuple[str, ...] = ()


def pending_update(writes: Sequence[DeltaWrite]) -> dict[str, list[DeltaWrite]]:
    """The checkpoint's ``NULL_TASK_ID`` writes to state channels, per channel, in the
    order they were saved (the order ``apply_writes`` folds them in)."""
    by_channel: dict[str, list[DeltaWrite]] = {}
    for write in writes:
        channel = write.channel
        if write.task_id != NULL_TASK_ID or channel in NOT_STATE_WRITES:
            continue
        if is_internal_channel(channel):
            continue
        by_channel.setdefault(channel, []).append(write)
    return by_channel


def apply_pending_update(
    values: Mapping[str, Any],
    writes: Sequence[DeltaWrite],
    *,
    delta: Collection[str] = (),
    done: Collection[str] = (),
) -> PendingUpdate:
    """``values`` with the pending update in ``writes`` applied to every state channel.

    ``delta`` names the delta channels (folded as their history is); ``done`` the
    channels whose value already includes the update (rebuilt delta channels). A
    write that could not be decoded is left out.
    """
    out = dict(values)
    updated: list[str] = []
    guessed: list[str] = []
    unfolded: list[str] = []
    for channel, found in pending_update(writes).items():
        readable = tuple(w for w in found if w.error is None)
        if channel in done or not readable:
            continue
        updated.append(channel)
        current = out.get(channel)
        if channel in delta:
            if _is_unfolded(current):
                seed = current[UNFOLDED_KEY]
                more = [w.value for w in readable]
                out[channel] = {UNFOLDED_KEY: {**seed, "writes": [*seed["writes"], *more]}}
                unfolded.append(channel)
                continue
            value, kind = fold(channel, DeltaHistory(current, readable))
            out[channel] = value
            if kind == "unknown":
                unfolded.append(channel)
            continue
        out[channel] = guess_fold(channel, current, [w.value for w in readable])
        guessed.append(channel)
    return PendingUpdate(out, tuple(updated), tuple(guessed), tuple(unfolded))


def guess_fold(channel: str, current: Any, writes: Sequence[Any]) -> Any:
    """A plain channel after ``writes`` without knowing its reducer: ``add_messages`` when
    the data are messages, a dict merge for deepagents' ``files``, else the last write
    (``LastValue``). An ``Overwrite`` write replaces the value, as in every reducer."""
    base, rest = after_overwrite(current, list(writes))
    if not rest:
        return base
    kind = reducer_for(channel, base, rest)
    if kind == "messages":
        return fold_messages(base, rest)
    if kind == "dict_merge":
        return fold_dict_merge(base, rest)
    return rest[-1]


def delta_writes(checkpoint_id: str, writes: Sequence[PendingWrite]) -> list[DeltaWrite]:
    """A checkpoint's pending writes as :mod:`desktop.core.delta` rows (stored order)."""
    return [
        DeltaWrite(checkpoint_id, w.task_id, w.task_path, i, w.channel, w.value, w.error)
        for i, w in enumerate(writes)
    ]


def _is_unfolded(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and len(value) == 1
        and isinstance(value.get(UNFOLDED_KEY), dict)
        and isinstance(value[UNFOLDED_KEY].get("writes"), list)
    )
