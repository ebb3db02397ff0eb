"""Message-list reducer channels not written yet, shown as LangGraph shows them.

A channel with a reducer (``Annotated[list, add_messages]``, LangGraph's
``BinaryOperatorAggregate``) starts at its type's empty value, and ``get_state`` lists it
before anything was written (``messages: []`` at a thread's input checkpoint), while the
checkpoint stores nothing for it. A ``LastValue`` channel not written yet is absent.
The reducer is not stored, so without the graph Rewind shows ``[]`` only where the
thread proves it: the channel was written by a task in the namespace, and at one such
step the value after it kept messages from before it that none of the step's writes
carried, which a reducer does and a ``LastValue`` cannot. Anything else stays absent
(an ``operator.add`` counter, say, which LangGraph shows as ``0``); with a graph
attached, :mod:`desktop.core.delta_graph` gives LangGraph's own values.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from typing import Any, Protocol

from desktop.core.delta import NULL_TASK_ID
from desktop.core.delta_fold import DeltaWrite
from desktop.core.model import is_internal_channel
from desktop.core.value_shapes import is_message

_STEPS_TRIED = 4
"""Steps looked at per channel, oldest first (small values, cheap to decode)."""
_CONTROL = frozenset({"__no_writes__", "__pregel_push", "__resume__", "__interrupt__"})
_CONTROL |= {"__return__", "__error__", "__error_source_node__"}


class StepRows(Protocol):
    """What a source supplies (read-only SQL) to judge a channel from its steps."""

    def written_channels(self, thread_id: str, ns: str) -> list[str]:
        """Channels tasks wrote in the namespace (any checkpoint)."""
        ...

    def written_on(self, thread_id: str, ns: str, channel: str, limit: int) -> list[str]:
        """Checkpoints on which a task (not ``NULL_TASK_ID``) wrote ``channel``, oldest
        first, at most ``limit``."""
        ...

    def loop_child(self, thread_id: str, ns: str, checkpoint_id: str) -> str | None:
        """The ``loop`` checkpoint the step after ``checkpoint_id`` saved, if any."""
        ...

    def load(
        self, thread_id: str, ns: str, checkpoint_id: str, channels: Collection[str]
    ) -> dict[str, Any]:
        """The stored entries of ``channels`` in one checkpoint, decoded."""
        ...

    def writes(
        self, thread_id: str, ns: str, checkpoint_ids: list[str], channels: Collection[str]
    ) -> list[DeltaWrite]: ...


class UnwrittenChannels:
    """Which absent channels LangGraph would show as ``[]``; cached per namespace."""

    def __init__(self, rows: StepRows) -> None:
        self._rows = rows
        self._written: dict[tuple[str, str], list[str]] = {}
        self._verdicts: dict[tuple[str, str, str], bool] = {}
        self._lock = threading.Lock()

    def empty_lists(
        self,
        thread_id: str,
        ns: str,
        values: Mapping[str, Any],
        versions: Mapping[str, Any],
        delta: Collection[str] = (),
    ) -> list[str]:
        """The channels absent from this checkpoint (no value, no version) that the
        thread proves are message lists with a reducer."""
        written = self._written_channels(thread_id, ns)
        missing = [
            ch for ch in written if ch not in values and ch not in versions and ch not in delta
        ]
        return [ch for ch in missing if self._accumulates(thread_id, ns, ch)]

    def _written_channels(self, thread_id: str, ns: str) -> list[str]:
        key = (thread_id, ns)
        with self._lock:
            found = self._written.get(key)
        if found is None:
            names = self._rows.written_channels(thread_id, ns)
            found = [ch for ch in names if ch not in _CONTROL and not is_internal_channel(ch)]
            with self._lock:
                self._written[key] = found
        return found

    def _accumulates(self, thread_id: str, ns: str, channel: str) -> bool:
        key = (thread_id, ns, channel)
        with self._lock:
            verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._judge(thread_id, ns, channel)
            with self._lock:
                self._verdicts[key] = verdict
        return verdict

    def _judge(self, thread_id: str, ns: str, channel: str) -> bool:
        rows = self._rows
        for parent in rows.written_on(thread_id, ns, channel, _STEPS_TRIED):
            child = rows.loop_child(thread_id, ns, parent)
            if child is None:
                continue
            stored = rows.load(thread_id, ns, parent, [channel]).get(channel)
            after = rows.load(thread_id, ns, child, [channel]).get(channel)
            writes = [w for w in rows.writes(thread_id, ns, [parent], [channel]) if not w.error]
            # A pending update on the parent is applied before the step's tasks write.
            before = [*_message_items(stored), *_message_items(_null_values(writes))]
            tasks = [w.value for w in writes if w.task_id != NULL_TASK_ID]
            if kept_unwritten_messages(before, tasks, after):
                return True
        return False


def kept_unwritten_messages(before: list[Any], writes: list[Any], after: Any) -> bool:
    """True when ``after`` is a message list that kept a message of ``before`` no write
    of the step carried: a reducer accumulated. (A ``LastValue`` never does; a reducer
    whose node wrote the whole list back does not show it, so ``False`` proves nothing.)"""
    if not (before and isinstance(after, list) and after and all(map(is_message, after))):
        return False
    written = {m.get("id") for m in _message_items(writes)}
    kept = {m.get("id") for m in after} & {m.get("id") for m in before}
    kept.discard(None)
    return bool(kept - written)


def _null_values(writes: list[DeltaWrite]) -> list[Any]:
    return [w.value for w in writes if w.task_id == NULL_TASK_ID]


def _message_items(value: Any) -> list[dict[str, Any]]:
    """The messages in a value or a list of writes (each a message or a list of them)."""
    items = value if isinstance(value, list) else [value]
    flat = [m for item in items for m in (item if isinstance(item, list) else [item])]
    return [m for m in flat if is_message(m)]
