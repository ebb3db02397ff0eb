"""Folding a delta channel's seed and ordered writes without the graph.

Rewind cannot run the reducer a graph gave its ``DeltaChannel`` (opening a file runs no
code), so it recognises the reducers real agents use by the stored data:
``add_messages`` semantics for messages (by id, ``RemoveMessage``,
``REMOVE_ALL_MESSAGES``; what LangGraph's and deepagents' ``_messages_delta_reducer``
do) and a dict merge where ``None`` deletes a key (deepagents ``files``). Anything else
is shown unfolded: ``{"__delta__": {"seed": ..., "writes": [...]}}``. An ``Overwrite``
write resets the base, as ``DeltaChannel.replay_writes`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from desktop.core.value_shapes import TYPE_KEY, is_message, is_unreadable, message_data

UNFOLDED_KEY = "__delta__"
"""Shown in place of a delta channel whose reducer Rewind cannot know."""
REMOVE_ALL_MESSAGES = "__remove_all__"
OVERWRITE_KEY = "__overwrite__"
_OVERWRITE_TYPE = "langgraph.types.Overwrite"
_MESSAGE_ROLES = {
    "user": "human",
    "human": "human",
    "assistant": "ai",
    "ai": "ai",
    "tool": "tool",
    "system": "system",
    "function": "function",
}
_FILES_CHANNEL = "files"
_MESSAGES_CHANNEL = "messages"

ReducerKind = Literal["messages", "dict_merge", "unknown", "unreadable"]


@dataclass(frozen=True, slots=True)
class DeltaWrite:
    """One write a task saved against a checkpoint, its value decoded (JSON-safe)."""

    checkpoint_id: str
    task_id: str
    task_path: str
    idx: int
    channel: str
    value: Any
    error: str | None = None

    @property
    def sort_key(self) -> tuple[str, str, int]:
        """LangGraph's ``writes_sort_key``: the order live execution applied them in."""
        return (self.task_path, self.task_id, self.idx)


@dataclass(frozen=True, slots=True)
class DeltaHistory:
    """A delta channel's value at a checkpoint, unfolded: seed (``None``: start empty)
    plus the on-path writes, oldest first."""

    seed: Any
    writes: tuple[DeltaWrite, ...]


def fold(channel: str, history: DeltaHistory) -> tuple[Any, ReducerKind]:
    """The value of ``channel`` after its writes, with the built-in reducer its data fits.

    Returns the value and the reducer used; ``"unknown"`` gives the unfolded form
    ``{"__delta__": {"seed": ..., "writes": [...]}}``. A seed that could not be read (an
    unreadable marker: too big to fetch) leaves the value unknown: the marker itself,
    ``"unreadable"``, unless a later ``Overwrite`` replaces it.
    """
    values = [w.value for w in history.writes if w.error is None]
    seed, writes = after_overwrite(history.seed, values)
    if is_unreadable(seed):
        return seed, "unreadable"
    kind = reducer_for(channel, seed, writes)
    if kind == "messages":
        return fold_messages(seed, writes), kind
    if kind == "dict_merge":
        return fold_dict_merge(seed, writes), kind
    return {UNFOLDED_KEY: {"seed": seed, "writes": writes}}, kind


def reducer_for(channel: str, seed: Any, writes: Sequence[Any]) -> ReducerKind:
    """Which built-in reducer the stored data fits, without the graph.

    Messages: every write is a message or a list of messages (or what
    ``convert_to_messages`` accepts), and the seed a list of messages. Dict merge: the
    channel is deepagents' ``files`` (or its values look like deepagents ``FileData``)
    and every write is a dict. Anything else is unknown.
    """
    if seed is not None and not isinstance(seed, (list, dict)):
        return "unknown"
    samples = [w for w in writes if w not in ([], {})]
    if isinstance(seed, list) or seed is None:
        seed_ok = seed is None or all(is_message(m) for m in seed)
        fits = seed_ok and all(_is_message_write(w) for w in samples)
        typed = bool(seed) or any(_has_message(w) for w in samples)
        if fits and (typed or channel == _MESSAGES_CHANNEL):
            return "messages"
    if (seed is None or isinstance(seed, dict)) and all(isinstance(w, dict) for w in samples):
        dicts = [seed or {}, *samples]
        file_like = all(
            _is_file_data(v) for d in dicts for v in d.values() if v is not None
        ) and any(d for d in dicts)
        if channel == _FILES_CHANNEL or file_like:
            return "dict_merge"
    return "unknown"


def fold_messages(seed: Any, writes: Sequence[Any]) -> list[Any]:
    """``add_messages`` semantics as LangGraph's delta reducers apply them: a message
    whose id is already present replaces it in place, ``RemoveMessage`` deletes by id,
    ``REMOVE_ALL_MESSAGES`` drops everything before it, a message without id appends."""
    flat: list[Any] = []
    for write in writes:
        if isinstance(write, list) and not _is_role_pair(write):
            flat.extend(_as_message(item) for item in write)
        else:
            flat.append(_as_message(write))
    state = [_as_message(m) for m in seed or []]
    for i in range(len(flat) - 1, -1, -1):
        if _is_remove(flat[i]) and flat[i].get("id") == REMOVE_ALL_MESSAGES:
            state, flat = [], flat[i + 1 :]
            break
    result: list[Any] = list(state)
    index = {m["id"]: i for i, m in enumerate(state) if m.get("id") is not None}
    for message in flat:
        mid = message.get("id")
        if mid is None:
            result.append(message)
        elif _is_remove(message):
            if mid in index:
                result[index.pop(mid)] = None
        elif mid in index:
            result[index[mid]] = message
        else:
            index[mid] = len(result)
            result.append(message)
    return [m for m in result if m is not None]


def fold_dict_merge(seed: Any, writes: Sequence[Any]) -> dict[str, Any]:
    """Merge dicts in order; a key written as ``None`` is deleted (deepagents ``files``)."""
    result = dict(seed) if isinstance(seed, dict) else {}
    for write in writes:
        for key, value in write.items():
            if value is None:
                result.pop(key, None)
            else:
                result[key] = value
    return result


def after_overwrite(seed: Any, values: list[Any]) -> tuple[Any, list[Any]]:
    """``DeltaChannel.replay_writes``: the last ``Overwrite`` becomes the base and only
    the writes after it are folded."""
    for i in range(len(values) - 1, -1, -1):
        found, value = _overwrite_value(values[i])
        if found:
            return value, values[i + 1 :]
    return seed, values


def _overwrite_value(value: Any) -> tuple[bool, Any]:
    if isinstance(value, dict):
        if value.get(TYPE_KEY) == _OVERWRITE_TYPE:
            return True, value.get("value")
        if len(value) == 1 and OVERWRITE_KEY in value:
            return True, value[OVERWRITE_KEY]
        if value.get("type") == OVERWRITE_KEY and "value" in value:
            return True, value["value"]
    return False, None


def _is_message_write(write: Any) -> bool:
    if isinstance(write, list) and not _is_role_pair(write):
        return all(_is_message_like(item) for item in write)
    return _is_message_like(write)


def _has_message(write: Any) -> bool:
    """A stored message record (not just a string or a role pair that could be one)."""
    if isinstance(write, list):
        return any(is_message(item) for item in write)
    return is_message(write)


def _is_message_like(value: Any) -> bool:
    if isinstance(value, str) or _is_role_pair(value) or is_message(value):
        return True
    return isinstance(value, dict) and (value.get("role") in _MESSAGE_ROLES and "content" in value)


def _is_role_pair(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and value[0] in _MESSAGE_ROLES
        and isinstance(value[1], str)
    )


def _as_message(value: Any) -> dict[str, Any]:
    """The JSON shape of what ``convert_to_messages`` makes of a message-like value."""
    if is_message(value):
        return value
    if isinstance(value, str):
        return {"type": "human", "id": None, "content": value}
    if _is_role_pair(value):
        return {"type": _MESSAGE_ROLES[value[0]], "id": None, "content": value[1]}
    if isinstance(value, dict) and value.get("role") in _MESSAGE_ROLES:
        fields = {k: v for k, v in value.items() if k != "role"}
        return message_data(fields, _MESSAGE_ROLES[value["role"]])
    return {"type": "human", "id": None, "content": value}


def _is_remove(message: Mapping[str, Any]) -> bool:
    return message.get("type") == "remove"


def _is_file_data(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "content" in value
        and ("modified_at" in value or "created_at" in value)
    )
