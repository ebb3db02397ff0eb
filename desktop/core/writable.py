"""JSON as Rewind shows it, turned back into data a graph can take: every fork's values.

The window's fork editor (:mod:`desktop.core.fork_edit`) and ``rewind fork --values``
(:mod:`desktop.core.forking`) both write what the user gave through
:func:`writable_json`: messages become LangChain messages (:func:`to_message`), and,
given the checkpoint's live values (as langgraph revives them), an unchanged part is
written back as the live object and a changed ``{"__type__": ...}`` record is rebuilt
as its class, so an enum stays an enum and a pydantic model a model.
"""

from __future__ import annotations

import collections
import decimal
import enum
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any, Final

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
)
from pydantic import ValidationError

from desktop.core.errors import RewindError, error_line
from desktop.core.value_shapes import TYPE_KEY, is_message

OVERWRITE_KEY: Final = "__overwrite__"
"""LangGraph's plain-data form of ``Overwrite``: the value replaces the channel, no reducer."""
MISSING: Final = object()
"""No counterpart: the key or item is not in the original state / the live values."""

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
    if is_list(container) and index < len(container):
        return container[index]
    return MISSING


def is_list(value: Any) -> bool:
    """True for the sequences a live list value can be (list, tuple, deque)."""
    return isinstance(value, (list, tuple, collections.deque))
