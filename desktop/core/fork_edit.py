"""The update a fork writes, from a state edited as JSON in the window's fork editor.

:func:`fork_values_from_edit` turns the edited state into the smallest update that
makes the fork's state equal the edit through the graph's reducers (messages replaced
by id, removed with ``RemoveMessage``; other reducers bypassed with ``Overwrite``);
given the checkpoint's values as langgraph revives them
(:func:`desktop.core.forking.fork_live`), whatever the user did not touch is written
back as it was. :func:`summarize_fork_values` says in one line what the update changes.
The write itself is ``aupdate_state`` in :mod:`desktop.core.runner`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage, RemoveMessage
from langgraph.graph.message import REMOVE_ALL_MESSAGES

from desktop.core.errors import RewindError
from desktop.core.live_json import to_jsonable
from desktop.core.value_shapes import is_message
from desktop.core.writable import MISSING, OVERWRITE_KEY, is_list, to_message, writable_json

if TYPE_CHECKING:
    from desktop.core.forking import ChannelKind


def fork_values_from_edit(
    original: Mapping[str, Any],
    edited: Any,
    kinds: Mapping[str, ChannelKind] | None = None,
    *,
    live: Any = None,
    functional: bool = False,
) -> Any:
    """The state update that turns ``original`` into ``edited`` when applied by the reducers.

    Both states are the JSON shapes Rewind shows (:func:`desktop.core.model.user_channels`
    of a checkpoint). Only changed keys are sent. For a message channel (``add_messages``)
    an edited message keeps its id so the reducer replaces it in place, a removed one
    becomes ``RemoveMessage(id=...)`` and a new one is appended; when the edit reorders
    messages or inserts one before the end, the list is rewritten whole (``RemoveMessage``
    of ``REMOVE_ALL_MESSAGES`` first). Another reducer channel gets its new value as an
    overwrite, so a list reducer does not append the edit to the old list. ``kinds``
    comes from :func:`~desktop.core.forking.channel_kinds`; without it a list of
    messages is recognised by its shape and every other key is sent as a plain value.

    ``live`` is the checkpoint's values as langgraph revives them
    (:func:`~desktop.core.forking.fork_live`). With it, every part of a changed key
    whose JSON is unchanged is written back as the live object (an enum stays an enum,
    a time a time), and a changed
    ``{"__type__": ...}`` record is rebuilt as its class when langgraph revives that
    class for the graph; otherwise the edit is refused with a :class:`RewindError`
    naming the path. Without ``live``, records are written as their plain fields, for
    the graph's schema to validate.

    ``functional``: the graph is a functional-API entrypoint, whose state is its return
    value; ``update_state`` replaces it whole, so the update is the edited value itself.
    """
    if functional:
        return writable_json(edited, "return value", original, _or_missing(live), typed=True)
    if not isinstance(edited, Mapping):
        raise RewindError(
            f"The edited state must be a JSON object of state keys, not {_json_kind(edited)}"
        )
    removed = [key for key in original if key not in edited]
    if removed:
        raise RewindError(
            f"Key(s) {', '.join(removed)} removed: a fork can change a state key but not "
            "delete it (set it to null instead)"
        )
    if kinds is not None:
        unknown = [key for key in edited if key not in kinds]
        if unknown:
            raise RewindError(
                f"Unknown state key(s) {', '.join(unknown)}; the state has {', '.join(kinds)}"
            )
    update: dict[str, Any] = {}
    for key, value in edited.items():
        before = original.get(key)
        if key in original and value == before:
            continue
        kind = kinds[key] if kinds is not None else _shape_kind(before, value)
        alive = MISSING if live is None else live.get(key, MISSING)
        if kind == "messages":
            old = before if isinstance(before, list) else []
            messages = _message_update(key, old, value, alive)
            if messages:
                update[key] = messages
            continue
        known = before if key in original else MISSING
        plain = writable_json(value, key, known, alive, typed=live is not None)
        update[key] = {OVERWRITE_KEY: plain} if kind == "reducer" else plain
    return update


def summarize_fork_values(original: Any, update: Any, *, functional: bool = False) -> str:
    """One line saying what a fork update changes, e.g. ``messages: 1 edited · total``;
    for a functional-API graph (``functional``), which keys of its return value."""
    if functional:
        if isinstance(update, Mapping) and isinstance(original, Mapping):
            keys = [k for k in {**original, **update} if original.get(k) != _shown(update.get(k))]
            return "return value: " + (" · ".join(map(str, keys)) or "unchanged")
        return "return value (replaced)"
    parts = []
    for key, value in update.items():
        if isinstance(value, list) and value and all(isinstance(v, BaseMessage) for v in value):
            parts.append(f"{key}: {_summarize_messages(original.get(key), value)}")
        elif isinstance(value, Mapping) and set(value) == {OVERWRITE_KEY}:
            parts.append(f"{key} (replaced)")
        else:
            parts.append(key)
    return " · ".join(parts) if parts else "No changes"


def _shown(value: Any) -> Any:
    """A live value in the JSON shape Rewind shows it in (for comparisons)."""
    return to_jsonable(value)


def _or_missing(value: Any) -> Any:
    return MISSING if value is None else value


def _summarize_messages(before: Any, update: list[BaseMessage]) -> str:
    first = update[0]
    if isinstance(first, RemoveMessage) and first.id == REMOVE_ALL_MESSAGES:
        return f"rewritten ({_plural(len(update) - 1, 'message')})"
    known = {m.get("id") for m in before or [] if isinstance(m, Mapping)}
    removed = sum(isinstance(m, RemoveMessage) for m in update)
    edited = sum(not isinstance(m, RemoveMessage) and m.id in known for m in update)
    added = len(update) - removed - edited
    counts = [(edited, "edited"), (removed, "removed"), (added, "added")]
    return ", ".join(f"{n} {label}" for n, label in counts if n)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _shape_kind(before: Any, after: Any) -> ChannelKind:
    candidates = [v for v in (before, after) if isinstance(v, list) and v]
    if candidates and all(all(is_message(m) for m in v) for v in candidates):
        return "messages"
    return "value"


def _message_update(
    key: str, before: list[Any], after: Any, live: Any = MISSING
) -> list[BaseMessage]:
    """What ``add_messages`` needs to turn the ``before`` list into ``after``.

    When the list is rewritten whole, unchanged messages are the ``live`` ones.
    """
    if not isinstance(after, list):
        raise RewindError(f"{key!r} holds messages: give a JSON list of message objects")
    original = {m["id"]: m for m in before if isinstance(m, Mapping) and m.get("id")}
    kept: list[tuple[int, str]] = []
    new: list[int] = []
    seen: set[str] = set()
    for index, item in enumerate(after):
        if not isinstance(item, Mapping):
            raise RewindError(
                f'{key}[{index}] must be a message object like {{"type": "human", "content": '
                f'"..."}}, not {_json_kind(item)}'
            )
        message_id = item.get("id")
        if message_id and message_id in seen:
            raise RewindError(f"{key}[{index}]: message id {message_id!r} appears twice")
        if message_id:
            seen.add(message_id)
        if message_id in original:
            kept.append((index, message_id))
        else:
            new.append(index)
    kept_ids = [message_id for _, message_id in kept]
    in_order = kept_ids == [mid for mid in original if mid in seen]
    appended_only = all(index > (kept[-1][0] if kept else -1) for index in new)
    all_identified = len(original) == len(before)
    if not (in_order and appended_only and all_identified):
        alive = {m.id: m for m in live if isinstance(m, BaseMessage)} if is_list(live) else {}
        rewritten = [
            alive[item.get("id")]
            if item.get("id") in alive and item == original.get(item.get("id"))
            else to_message(item, f"{key}[{i}]")
            for i, item in enumerate(after)
        ]
        return [RemoveMessage(id=REMOVE_ALL_MESSAGES), *rewritten]
    update: list[BaseMessage] = [RemoveMessage(id=mid) for mid in original if mid not in seen]
    update += [
        to_message(after[index], f"{key}[{index}]")
        for index, message_id in kept
        if after[index] != original[message_id]
    ]
    update += [to_message(after[index], f"{key}[{index}]") for index in new]
    return update


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__
