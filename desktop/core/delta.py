"""The true value of LangGraph ``DeltaChannel``s, rebuilt from plain decoded rows.

A ``DeltaChannel`` (langgraph 1.2+; deepagents keeps ``messages`` and ``files`` in
one) stores no value in most checkpoints. LangGraph rebuilds it on read
(``BaseCheckpointSaver.get_delta_channel_history``): walk the target checkpoint's
parent chain, starting at its parent, to the nearest ancestor whose
``channel_values`` holds the channel (a ``_DeltaSnapshot`` or a plain value: the
*seed*), collect every write for the channel stored on the walked checkpoints (the
seed's own included), oldest checkpoint first and, within one checkpoint, by
``writes_sort_key`` ``(task_path, task_id, idx)``, and fold them into the seed with the
channel's reducer. ``get_state`` then applies the target's own ``NULL_TASK_ID`` writes.
This module does the same on rows any source supplies; it never touches a database.

API (source-independent; values are Rewind's JSON-safe decoded shapes):

- :class:`DeltaWrite` (defined in :mod:`desktop.core.delta_fold`, importable from
  here), :class:`AncestorRow`: the rows a source supplies.
- :class:`DeltaRows`: what a source implements, ``ancestors(...)`` (nearest first,
  lazily; the walk stops reading as soon as every channel has its seed) and
  ``writes(...)`` (the writes of some checkpoints to some channels, any order).
- :func:`channels_to_rebuild`: which channels of a checkpoint need the walk, read
  from the checkpoint's metadata (``counters_since_delta_snapshot`` names every delta
  channel), ``channel_versions`` and ``channel_values``; or from the graph's own
  channel names when one is attached. A checkpoint without counters gets the names
  other checkpoints of its namespace carry (:func:`delta_channels_named`).
- :class:`DeltaRebuilder`: one per source; ``rebuild(...)`` returns a checkpoint's
  values with its delta channels rebuilt and the names of the channels it rebuilt. It
  keeps a small cache of histories, so reading a checkpoint and then its parent or
  child walks only the checkpoints between them.
- :func:`desktop.core.delta_fold.fold`: seed + ordered writes -> value, with the
  built-in reducers (``add_messages`` semantics for messages; dict merge where
  ``None`` deletes a key, deepagents ``files``). A channel whose reducer Rewind
  cannot know becomes ``{"__delta__": {"seed": ..., "writes": [...]}}``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from desktop.core.delta_fold import DeltaHistory, DeltaWrite, fold
from desktop.core.value_shapes import is_unreadable

COUNTERS_KEY = "counters_since_delta_snapshot"
"""Checkpoint metadata naming every delta channel with its counters since a snapshot."""
NULL_TASK_ID = "00000000-0000-0000-0000-000000000000"
"""Writes under this task id are applied to the checkpoint they are stored on."""


@dataclass(frozen=True, slots=True)
class AncestorRow:
    """One checkpoint on the walk: its id, its metadata, and ``load(channels)``, which
    returns the entries of ``channels`` its ``channel_values`` holds, decoded. ``load``
    is called only when a channel may be stored there (its metadata counters do not
    name the channel), so a source can leave the blob undecoded until then."""

    checkpoint_id: str
    metadata: Mapping[str, Any]
    load: Callable[[Collection[str]], Mapping[str, Any]]


class DeltaRows(Protocol):
    """The rows a checkpoint source supplies for rebuilding delta channels."""

    def ancestors(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, channels: Collection[str]
    ) -> Iterator[AncestorRow]:
        """The parent of ``checkpoint_id``, then its parent... Consumed lazily: the walk
        stops reading once every channel has its seed."""
        ...

    def writes(
        self,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_ids: Sequence[str],
        channels: Collection[str],
    ) -> list[DeltaWrite]:
        """Every write to ``channels`` stored on ``checkpoint_ids`` (any order)."""
        ...


def channels_to_rebuild(
    metadata: Mapping[str, Any],
    channel_values: Mapping[str, Any],
    channel_versions: Mapping[str, Any],
    delta_channels: Collection[str] | None = None,
    *,
    known: Collection[str] = (),
) -> tuple[list[str], list[str]]:
    """``(rebuild, never_written)``: delta channels this checkpoint does not store.

    ``rebuild`` have a version (they were written on this branch) and need the walk;
    ``never_written`` have none, so LangGraph shows them empty. ``delta_channels`` are
    the graph's own delta channels when one is attached; without it, the checkpoint's
    ``counters_since_delta_snapshot`` metadata names them, plus ``known``: the delta
    channels other checkpoints of the namespace name (a checkpoint without counters,
    such as the empty first one of an ``exit``-durability run, still shows them).
    """
    if delta_channels is None:
        counters = metadata.get(COUNTERS_KEY)
        names = [str(ch) for ch in counters] if isinstance(counters, Mapping) else []
        delta_channels = [*names, *(ch for ch in known if ch not in names)]
    missing = [str(ch) for ch in delta_channels if ch not in channel_values]
    rebuild = [ch for ch in missing if ch in channel_versions]
    never = [ch for ch in missing if ch not in channel_versions]
    return rebuild, never


def delta_channels_named(metadatas: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every channel the ``counters_since_delta_snapshot`` of these metadata name."""
    names: dict[str, None] = {}
    for metadata in metadatas:
        counters = metadata.get(COUNTERS_KEY)
        if isinstance(counters, Mapping):
            names.update(dict.fromkeys(str(ch) for ch in counters))
    return list(names)


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """A checkpoint's values with its delta channels rebuilt.

    ``skipped`` says which channels left out writes that could not be decoded or were
    not read (over the size limit), one line each, the rest of their history still
    folded; and which channels are an unreadable marker because the stored value they
    start from was not read.
    """

    values: dict[str, Any]
    reconstructed: tuple[str, ...]
    unfolded: tuple[str, ...]
    skipped: tuple[str, ...] = ()


class DeltaRebuilder:
    """Rebuilds delta channels for one source, caching recent histories.

    Thread-safe; ``cache_size`` histories (one per checkpoint) are kept.
    """

    def __init__(self, rows: DeltaRows, cache_size: int = 2048, stored_size: int = 16) -> None:
        self._rows = rows
        self._cache: OrderedDict[tuple[str, str, str], dict[str, DeltaHistory]] = OrderedDict()
        self._cache_size = cache_size
        self._stored: OrderedDict[tuple[str, str, str], dict[str, Any]] = OrderedDict()
        self._stored_size = stored_size
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget cached histories (the database changed under the source)."""
        with self._lock:
            self._cache.clear()
            self._stored.clear()

    def stored_values(self, thread_id: str, ns: str, checkpoint_id: str) -> dict[str, Any]:
        """Delta channel values already decoded from this checkpoint's own blob (its
        snapshots), so a source decoding the blob need not convert them again."""
        with self._lock:
            found = self._stored.get((thread_id, ns, checkpoint_id))
            return dict(found) if found else {}

    def remember_stored(
        self, thread_id: str, ns: str, checkpoint_id: str, values: Mapping[str, Any]
    ) -> None:
        """Keep the delta channel values a checkpoint's blob stores, decoded (see
        :meth:`stored_values`); the walk then takes its seed from here."""
        if not values:
            return
        key = (thread_id, ns, checkpoint_id)
        with self._lock:
            self._stored.setdefault(key, {}).update(values)
            self._stored.move_to_end(key)
            while len(self._stored) > self._stored_size:
                self._stored.popitem(last=False)

    def rebuild(
        self,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_id: str,
        *,
        values: Mapping[str, Any],
        rebuild: Sequence[str],
        never_written: Sequence[str] = (),
        own_writes: Iterable[DeltaWrite] = (),
    ) -> Rebuilt:
        """``values`` with ``rebuild`` channels folded from their history and
        ``never_written`` channels empty; ``own_writes`` are the checkpoint's pending
        writes, of which the ``NULL_TASK_ID`` ones apply to it (as ``get_state`` does)."""
        out = dict(values)
        histories = self.histories(thread_id, checkpoint_ns, checkpoint_id, rebuild)
        null_writes = [w for w in own_writes if w.task_id == NULL_TASK_ID]
        unfolded: list[str] = []
        skipped: list[str] = []
        for ch in [*rebuild, *never_written]:
            history = histories.get(ch, DeltaHistory(None, ()))
            extra = tuple(w for w in null_writes if w.channel == ch)
            if extra:
                history = DeltaHistory(history.seed, history.writes + extra)
            value, kind = fold(ch, history)
            out[ch] = value
            if kind == "unreadable":
                skipped.append(f"{ch}: not rebuilt ({value['error']})")
                continue
            if kind == "unknown":
                unfolded.append(ch)
            skipped.extend(_left_out(ch, history.writes))
        return Rebuilt(out, tuple([*rebuild, *never_written]), tuple(unfolded), tuple(skipped))

    def histories(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, channels: Sequence[str]
    ) -> dict[str, DeltaHistory]:
        """Each channel's seed and on-path writes at ``checkpoint_id`` (before its own
        pending writes), as ``get_delta_channel_history`` returns them."""
        if not channels:
            return {}
        key = (thread_id, checkpoint_ns, checkpoint_id)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and all(ch in cached for ch in channels):
                self._cache.move_to_end(key)
                return {ch: cached[ch] for ch in channels}
        found = self._walk(thread_id, checkpoint_ns, checkpoint_id, channels)
        with self._lock:
            entry = self._cache.setdefault(key, {})
            entry.update(found)
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found

    def _cached(self, thread_id: str, ns: str, checkpoint_id: str) -> dict[str, DeltaHistory]:
        with self._lock:
            return dict(self._cache.get((thread_id, ns, checkpoint_id), {}))

    def _remember(
        self, thread_id: str, ns: str, found: Mapping[str, dict[str, DeltaHistory]]
    ) -> None:
        with self._lock:
            for checkpoint_id, histories in found.items():
                entry = self._cache.setdefault((thread_id, ns, checkpoint_id), {})
                for ch, history in histories.items():
                    entry.setdefault(ch, history)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _walk(
        self, thread_id: str, ns: str, checkpoint_id: str, channels: Sequence[str]
    ) -> dict[str, DeltaHistory]:
        chains: dict[str, list[str]] = {ch: [] for ch in channels}
        bases: dict[str, DeltaHistory] = {}
        active = set(channels)
        seen = {checkpoint_id}
        rows = self._rows.ancestors(thread_id, ns, checkpoint_id, channels)
        try:
            for row in rows:
                if row.checkpoint_id in seen:
                    break
                seen.add(row.checkpoint_id)
                cached = self._cached(thread_id, ns, row.checkpoint_id)
                for ch in active:
                    chains[ch].append(row.checkpoint_id)
                    if ch in cached:
                        # The value here is known: only the writes stored on this
                        # checkpoint (which made its child) are still needed.
                        bases[ch] = cached[ch]
                candidates = [ch for ch in active if ch not in bases and _may_store(row, ch)]
                stored = self.stored_values(thread_id, ns, row.checkpoint_id)
                missing = [ch for ch in candidates if ch not in stored]
                if missing:
                    loaded = row.load(missing)
                    readable = {ch: v for ch, v in loaded.items() if not is_unreadable(v)}
                    self.remember_stored(thread_id, ns, row.checkpoint_id, readable)
                    stored.update(loaded)
                for ch in candidates:
                    if ch in stored:
                        bases[ch] = DeltaHistory(stored[ch], ())
                active = {ch for ch in active if ch not in bases}
                if not active:
                    break
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()
        wanted = sorted({cid for chain in chains.values() for cid in chain})
        by_checkpoint: dict[tuple[str, str], list[DeltaWrite]] = {}
        if wanted:
            for write in self._rows.writes(thread_id, ns, wanted, channels):
                by_checkpoint.setdefault((write.channel, write.checkpoint_id), []).append(write)
        out = {}
        on_the_way: dict[str, dict[str, DeltaHistory]] = {}
        for ch in channels:
            base = bases.get(ch, DeltaHistory(None, ()))
            ordered: list[DeltaWrite] = list(base.writes)
            for cid in reversed(chains[ch]):
                on_the_way.setdefault(cid, {})[ch] = DeltaHistory(base.seed, tuple(ordered))
                ordered.extend(sorted(by_checkpoint.get((ch, cid), ()), key=_sort_key))
            out[ch] = DeltaHistory(base.seed, tuple(ordered))
        self._remember(thread_id, ns, on_the_way)
        return out


def _may_store(row: AncestorRow, channel: str) -> bool:
    """False when the checkpoint's metadata counters name the channel: LangGraph resets
    a channel's counters when it stores a snapshot, so a named channel is not stored."""
    counters = row.metadata.get(COUNTERS_KEY)
    return not (isinstance(counters, Mapping) and channel in counters)


def _sort_key(write: DeltaWrite) -> tuple[str, str, int]:
    return write.sort_key


WITHHELD_WRITE = "value not read:"
"""How the error of a write a source did not fetch begins (:func:`~desktop.core.isolate.not_fetched`
of ``"value"``)."""


def _left_out(channel: str, writes: Sequence[DeltaWrite]) -> list[str]:
    """Notes for the writes of ``channel`` left out of its fold, one per kind."""
    errors = [w.error for w in writes if w.error is not None]
    withheld = [error for error in errors if error.startswith(WITHHELD_WRITE)]
    notes = []
    if bad := len(errors) - len(withheld):
        notes.append(f"{channel}: {bad} write(s) could not be decoded and were left out")
    if withheld:
        reason = withheld[0].removeprefix(WITHHELD_WRITE).strip()
        notes.append(
            f"{channel}: {len(withheld)} write(s) were not read and were left out ({reason})"
        )
    return notes
