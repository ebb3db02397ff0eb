"""Helpers for acting on the past, shared by the window and the headless commands.

The write itself always goes through :mod:`desktop.core.runner` (``aupdate_state``,
``Command(resume=...)``); this module prepares what is written and reads the state
the way langgraph would:

- :func:`infer_as_node` tells which node langgraph would credit an ``update_state``
  to, so the fork editor can show that as the default;
- :func:`fork_values_from_edit` turns a state edited as JSON into the smallest update
  that makes the fork's state equal the edit, through the graph's reducers (messages
  replaced by id, removed with ``RemoveMessage``; other reducers bypassed with
  ``Overwrite``); given the checkpoint's values as langgraph revives them
  (:func:`live_values`), whatever the user did not touch is written back as it was;
- :func:`detect_unfinished` and :func:`resume_value_from_inputs` classify a thread and
  build the value that answers its interrupts.
"""

from __future__ import annotations

import collections
import decimal
import enum
import functools
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final, Literal

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
)
from langgraph.channels.binop import BinaryOperatorAggregate
from langgraph.channels.delta import DeltaChannel
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.constants import START
from langgraph.graph.message import REMOVE_ALL_MESSAGES
from langgraph.pregel import Pregel
from pydantic import ValidationError

from desktop.core.decode import TYPE_KEY, is_message, to_jsonable
from desktop.core.errors import NotFoundError, RewindError
from desktop.core.graphs import LoadedGraph, error_line
from desktop.core.progress import FailedTask, WaitingInterrupt
from desktop.core.run_status import ThreadStatus
from desktop.core.savers import checkpoint_config, reading_checkpoint, saver_for

ChannelKind = Literal["messages", "reducer", "value"]
"""How a state key takes an update: ``add_messages``, another reducer, or plain replace."""

ThreadCondition = Literal["interrupted", "crashed", "forked", "error", "finished"]
"""Where a thread's last run stands, as badged in the thread list."""

OVERWRITE_KEY: Final = "__overwrite__"
"""LangGraph's plain-data form of ``Overwrite``: the value replaces the channel, no reducer."""

_MESSAGE_CLASSES: Final[dict[str, type[BaseMessage]]] = {
    "human": HumanMessage,
    "ai": AIMessage,
    "tool": ToolMessage,
    "system": SystemMessage,
    "chat": ChatMessage,
    "function": FunctionMessage,
}
_NOT_WRITABLE_TYPES: Final = frozenset({"bytes", "Send", "Interrupt"})
_COLLECTIONS: Final = (set, frozenset, collections.deque)
MISSING: Final = object()
"""No counterpart: the key or item is not in the original state / the live values."""
_CANCELLED: Final = "CancelledError"


def channel_kinds(graph: LoadedGraph, checkpoint_ns: str = "") -> dict[str, ChannelKind]:
    """Each state key of the graph (or of the subgraph at ``checkpoint_ns``) and its kind."""
    pregel = graph_for_namespace(graph, checkpoint_ns)
    kinds: dict[str, ChannelKind] = {}
    for name, channel in pregel.channels.items():
        if name.startswith("__") or ":" in name:
            continue
        if isinstance(channel, BinaryOperatorAggregate):
            kinds[name] = "messages" if _is_add_messages(channel.operator) else "reducer"
        elif isinstance(channel, DeltaChannel):
            kinds[name] = "messages" if _is_messages_delta(channel.reducer) else "reducer"
        else:
            kinds[name] = "value"
    return kinds


def fork_target_nodes(graph: LoadedGraph, checkpoint_ns: str = "") -> tuple[str, ...]:
    """The nodes an update can be credited to (``as_node``): the graph's nodes, then its input.

    ``__start__`` (the graph's input) is listed last: langgraph infers it for the first
    checkpoint of a thread, and updating as it re-enters the graph at its start.
    """
    nodes = tuple(graph_for_namespace(graph, checkpoint_ns).nodes)
    return (*(name for name in nodes if name != START), *((START,) if START in nodes else ()))


def graph_for_namespace(graph: LoadedGraph, checkpoint_ns: str = "") -> Pregel:
    """The compiled graph that owns the checkpoints of ``checkpoint_ns`` (root: ``""``)."""
    return graph.for_namespace(checkpoint_ns)


async def infer_as_node(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    thread_id: str,
    checkpoint_id: str,
    checkpoint_ns: str = "",
) -> str | None:
    """The node langgraph credits an ``update_state`` at this checkpoint to, when none is named.

    ``None`` means langgraph would refuse the update as ambiguous (two nodes wrote last,
    or nothing ran yet and the graph has no single input node): the user must choose.
    Uses the same rule as ``aupdate_state`` (``Pregel._infer_as_node`` on the stored
    checkpoint's ``versions_seen``), so the default shown is the one langgraph applies.
    """
    config = checkpoint_config(thread_id, checkpoint_id, checkpoint_ns)
    pregel = graph_for_namespace(graph, checkpoint_ns)
    async with saver_for(graph, target, mode="read") as saver:
        with reading_checkpoint(config):
            saved = await saver.aget_tuple(config)
    if saved is None:
        raise NotFoundError(f"Thread {thread_id!r} has no checkpoint {checkpoint_id!r}")
    return pregel._infer_as_node(saved.checkpoint.get("versions_seen", {}))


async def live_values(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    thread_id: str,
    checkpoint_id: str,
    checkpoint_ns: str = "",
) -> dict[str, Any]:
    """A checkpoint's state values as langgraph revives them for ``graph`` (read-only).

    The ``live`` argument of :func:`fork_values_from_edit`: the objects the graph's nodes
    would see (enums, dataclasses, datetimes...), which Rewind's JSON only shows.
    """
    config = checkpoint_config(thread_id, checkpoint_id, checkpoint_ns)
    async with saver_for(graph, target, mode="read") as saver:
        bound = graph.bind(saver)
        with reading_checkpoint(config):
            snapshot = await bound.aget_state(config)
    if snapshot.metadata is None:
        raise NotFoundError(f"Thread {thread_id!r} has no checkpoint {checkpoint_id!r}")
    return dict(snapshot.values)


def _is_messages_delta(reducer: Any) -> bool:
    """True for the messages reducers of ``DeltaChannel`` (langgraph's and deepagents'
    ``_messages_delta_reducer``): by id, ``RemoveMessage``, ``REMOVE_ALL_MESSAGES``."""
    while isinstance(reducer, functools.partial):
        reducer = reducer.func
    return getattr(reducer, "__name__", "") == "_messages_delta_reducer"


def _is_add_messages(operator: Any) -> bool:
    """True for langgraph's ``add_messages`` reducer, also when configured (a ``partial``)."""
    while isinstance(operator, functools.partial):
        operator = operator.func
    return getattr(operator, "__module__", "") == "langgraph.graph.message" and getattr(
        operator, "__name__", ""
    ) in ("add_messages", "_add_messages")


# -- fork --------------------------------------------------------------------------------


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
    comes from :func:`channel_kinds`; without it a list of messages is recognised by its
    shape and every other key is sent as a plain value.

    ``live`` is the checkpoint's values as langgraph revives them (:func:`live_values`).
    With it, every part of a changed key whose JSON is unchanged is written back as the
    live object (an enum stays an enum, a time a time), and a changed
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
        alive = {m.id: m for m in live if isinstance(m, BaseMessage)} if _is_list(live) else {}
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


def to_message(item: Mapping[str, Any], where: str) -> BaseMessage:
    """A LangChain message from Rewind's JSON shape (``type``) or the chat shape (``role``);
    ``where`` names it in the one-line error for an invalid one."""
    if "role" in item and "type" not in item:
        try:
            return convert_to_messages([dict(item)])[0]
        except (ValueError, NotImplementedError, ValidationError) as exc:
            raise RewindError(f"{where} is not a valid message: {error_line(exc)}") from exc
    kind = item.get("type")
    cls = _MESSAGE_CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise RewindError(
            f"{where}: unknown message type {kind!r}; use one of {', '.join(_MESSAGE_CLASSES)}"
        )
    fields = {k: v for k, v in item.items() if k != "type" and v is not None}
    try:
        return cls(**fields)
    except (ValueError, TypeError, KeyError) as exc:
        raise RewindError(f"{where} is not a valid {kind} message: {_problem(exc)}") from exc


def _problem(exc: Exception) -> str:
    """What is wrong with a message's fields, in a few words."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
    if isinstance(exc, KeyError):
        return f"{exc.args[0]}: Field required"
    return error_line(exc)


def writable_json(
    value: Any, where: str, before: Any = MISSING, live: Any = MISSING, *, typed: bool = False
) -> Any:
    """``value`` (JSON as Rewind shows and exports it) as data the graph can take.

    The one conversion every fork goes through (the window's editor and ``rewind fork
    --values``). ``before`` is what was shown, ``live`` the value langgraph revived there.
    Rewind shows an instance of a class as ``{"__type__": name, ...fields}``. With
    ``typed`` (``live`` values known), a part whose JSON is unchanged is the ``live``
    object itself, a changed record is rebuilt as its class, and a plain value where the
    live one is an enum, a datetime, a date, a time, a UUID or a Decimal becomes one;
    without, records become their fields, which the graph's schema validates back into
    its classes. Values Rewind only shows (bytes, ``repr`` of unknown objects) cannot be
    written back.
    """
    if live is not MISSING and value == before and _faithful(before, live):
        return live
    if isinstance(value, Mapping):
        kind = value.get(TYPE_KEY)
        if kind is not None and (kind in _NOT_WRITABLE_TYPES or "repr" in value):
            raise RewindError(
                f"{where} holds a {kind} that Rewind can only display; leave it unchanged "
                "or replace it with plain JSON"
            )
        fields = {
            k: writable_json(v, f"{where}.{k}", _part(before, k), _part(live, k), typed=typed)
            for k, v in value.items()
            if k != TYPE_KEY
        }
        return _rebuild(str(kind), fields, live, where) if typed and kind is not None else fields
    if isinstance(value, list):
        if value and all(is_message(item) for item in value):
            return [
                live_item
                if (live_item := _item(live, i)) is not MISSING and item == _item(before, i)
                else to_message(item, f"{where}[{i}]")
                for i, item in enumerate(value)
            ]
        items = [
            writable_json(item, f"{where}[{i}]", _item(before, i), _item(live, i), typed=typed)
            for i, item in enumerate(value)
        ]
        if typed and isinstance(live, _COLLECTIONS):
            return _rebuild_collection(type(live), items, where)
        return items
    return _coerce_scalar(value, live, where) if typed else value


def _coerce_scalar(value: Any, live: Any, where: str) -> Any:
    """A plain JSON value as the type of the live value it replaces (enum, time, UUID...)."""
    cls = type(live)
    try:
        if isinstance(live, enum.Enum) and not isinstance(value, enum.Enum):
            return cls(value)
        if isinstance(value, str) and isinstance(live, (datetime, date, time)):
            return cls.fromisoformat(value)
        if isinstance(value, str) and isinstance(live, uuid.UUID):
            return uuid.UUID(value)
        if isinstance(value, (str, int, float)) and isinstance(live, decimal.Decimal):
            return decimal.Decimal(str(value))
    except (ValueError, TypeError, decimal.InvalidOperation) as exc:
        raise RewindError(f"{where} is not a valid {_type_name(live)}: {error_line(exc)}") from exc
    return value


def _faithful(shown: Any, live: Any) -> bool:
    """True when every class record in ``shown`` is an instance of that class in ``live``.

    A class langgraph does not revive for the graph is plain data in ``live``: writing
    that back would silently turn the stored instance into a dict.
    """
    if isinstance(shown, Mapping):
        kind = shown.get(TYPE_KEY)
        if isinstance(kind, str) and "." in kind and _type_name(live) != kind:
            return False
        return all(_faithful(v, _part(live, k)) for k, v in shown.items() if k != TYPE_KEY)
    if isinstance(shown, list):
        return all(_faithful(v, _item(live, i)) for i, v in enumerate(shown))
    return True


def _rebuild(kind: str, fields: dict[str, Any], live: Any, where: str) -> Any:
    """An instance of the class a record names, which langgraph revived at this place."""
    if _type_name(live) != kind:
        raise RewindError(
            f"{where} holds a {kind} that Rewind cannot write back: the graph does not "
            "revive that class (it is neither in the state schema nor in the project)"
        )
    cls = type(live)
    try:
        if issubclass(cls, enum.Enum):
            return cls(fields.get("data"))
        return cls(**fields)
    except Exception as exc:
        raise RewindError(f"{where} is not a valid {kind}: {_problem(exc)}") from exc


def _rebuild_collection(cls: type, items: list[Any], where: str) -> Any:
    try:
        return cls(items)
    except TypeError as exc:
        raise RewindError(f"{where} must hold {cls.__name__} items: {error_line(exc)}") from exc


def _type_name(value: Any) -> str | None:
    """``module.Name`` of a live value's class, as Rewind names records of it."""
    if value is MISSING:
        return None
    cls = type(value)
    return f"{cls.__module__}.{cls.__name__}"


def _part(container: Any, key: str) -> Any:
    """``container[key]`` of a mapping, the value of an enum, or a public attribute."""
    if isinstance(container, Mapping):
        return container.get(key, MISSING)
    if isinstance(container, enum.Enum):
        return container.value if key == "data" else MISSING
    if container is MISSING or key.startswith("_") or isinstance(container, (str, list)):
        return MISSING
    return getattr(container, key, MISSING)


def _item(container: Any, index: int) -> Any:
    if _is_list(container) and index < len(container):
        return container[index]
    return MISSING


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple, collections.deque))


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


# -- resume ------------------------------------------------------------------------------


def detect_unfinished(status: ThreadStatus) -> ThreadCondition:
    """Badge a thread by its latest checkpoint.

    ``interrupted``: waits for a value at an ``interrupt()``; ``error``: a task of the
    last step raised; ``forked``: the latest checkpoint is a fork (``update_state``)
    with tasks to run and no run has continued it (not a stopped run); ``crashed``:
    tasks are left to run but nothing failed or asked (process killed, run cancelled,
    static breakpoint); ``finished``: nothing to run. A task that was only cancelled did
    not fail: its run stopped, so it is ``crashed``.
    """
    if status.interrupts:
        return "interrupted"
    if task_failures(status):
        return "error"
    if status.can_continue:
        return "forked" if status.forked else "crashed"
    return "finished"


def task_failures(status: ThreadStatus) -> tuple[FailedTask, ...]:
    """The tasks of the latest step that raised; a task that was only cancelled is left out."""
    return tuple(f for f in status.errors if not f.error.startswith(_CANCELLED))


def resume_value_from_inputs(
    interrupts: Sequence[WaitingInterrupt],
    texts: Mapping[str, str],
    as_json: Mapping[str, bool],
) -> Any:
    """The ``Command(resume=...)`` value for what the user typed per interrupt.

    Each interrupt's text is taken as a string, or parsed as JSON when ``as_json`` says
    so. One pending interrupt gets its value directly; several get a mapping of
    interrupt id to value, as langgraph expects.
    """
    if not interrupts:
        raise RewindError("This thread has no pending interrupt to resume")
    values = {item.id: _resume_value(item, texts, as_json) for item in interrupts}
    if len(interrupts) == 1:
        return values[interrupts[0].id]
    return values


def _resume_value(
    item: WaitingInterrupt, texts: Mapping[str, str], as_json: Mapping[str, bool]
) -> Any:
    text = texts.get(item.id, "")
    if not as_json.get(item.id, False):
        return text
    if not text.strip():
        raise RewindError(f"Interrupt {item.id} (node {item.node}): enter a JSON value")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RewindError(
            f"Interrupt {item.id} (node {item.node}): invalid JSON at line {exc.lineno}, "
            f"column {exc.colno}: {exc.msg}"
        ) from exc
