"""The parts of a stored checkpoint that say what runs next, read without the rest.

A thread listing needs, per head checkpoint, ``channel_versions``, ``versions_seen`` and
the scheduling channels (``__start__``, ``__pregel_tasks``, ``branch:*``, ``join:*``);
the state itself (messages, files, models) is most of the blob and is never looked at.
:func:`decode_scheduling` unpacks the blob with every extension record (a message, a
model) left as one placeholder, its payload never parsed, and converts only those parts.
"""

from __future__ import annotations

from typing import Any

from desktop.core import msgpack_chunks
from desktop.core.decode import (
    _BAD_DATA_ERRORS,
    DecodeError,
    _ext_hook,
    decode_typed,
    first_line,
    jsonable_data,
)

CHANNEL_VALUES = "channel_values"


def is_scheduling_channel(name: Any) -> bool:
    """A channel whose value tells which tasks the next step runs."""
    return isinstance(name, str) and (
        name in ("__start__", "__pregel_tasks") or name.startswith(("branch:", "join:"))
    )


def decode_scheduling(type_: str | None, blob: bytes | None) -> Any:
    """A stored checkpoint with only what says what runs next decoded.

    ``channel_versions``, ``versions_seen`` and every other top-level entry, and the
    scheduling channels, come out as :func:`desktop.core.decode.decode_typed` gives
    them; every other channel value is ``None`` (present, not decoded). The extension
    records of the state (messages, models) are never unpacked, so a thread listing
    reads a head checkpoint of any size for a fraction of a full decode. Raises
    :class:`DecodeError` when the blob is not msgpack.
    """
    if type_ != "msgpack" or blob is None:
        return decode_typed(type_, blob)
    try:
        raw = msgpack_chunks.unpackb(blob, _placeholder)
    except _BAD_DATA_ERRORS:
        raw = None
    if isinstance(raw, dict):
        light = _convert(raw)
        if light is not None:
            return light
    return _with_records(blob)


class _Packed:
    """Where an extension record was: the one placeholder for every record."""

    __slots__ = ()


_PACKED = _Packed()


def _placeholder(code: int, data: bytes) -> _Packed:
    return _PACKED


def _convert(raw: dict[Any, Any]) -> dict[Any, Any] | None:
    """The JSON-safe scheduling view of ``raw``; ``None`` when a part it keeps holds an
    extension record (a pending ``Send``), which only a decode with records can show."""
    out: dict[Any, Any] = {}
    for key, value in raw.items():
        if key != CHANNEL_VALUES:
            kept = _kept(value)
            if kept is _PACKED or key is _PACKED:
                return None
            out[key] = kept
    values = raw.get(CHANNEL_VALUES)
    if isinstance(values, dict):
        channels: dict[Any, Any] = {}
        for key, value in values.items():
            kept = _kept(value) if is_scheduling_channel(key) else None
            if kept is _PACKED or key is _PACKED:
                return None
            channels[key] = kept
        out[CHANNEL_VALUES] = channels
    return out


_PLAIN = frozenset({str, int, bool, type(None)})


def _kept(value: Any) -> Any:
    """``value`` JSON-safe, as :func:`desktop.core.decode.jsonable_data` gives it (the
    value itself when it already is, as versions maps are), or the placeholder when an
    extension record lies inside it."""
    if type(value) in _PLAIN:
        return value
    stack = [value]
    plain = True
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind in _PLAIN:
            continue
        if item is _PACKED:
            return _PACKED
        if kind is dict:
            for key, inner in item.items():
                if type(key) is not str:
                    plain = False
                if type(inner) not in _PLAIN:
                    stack.append(inner)
        elif kind is list:
            stack.extend(inner for inner in item if type(inner) not in _PLAIN)
        else:
            plain = False
            if kind is tuple:
                stack.extend(item)
    return value if plain else jsonable_data(value)


class _Deferred:
    """An extension record left packed: decoded only if a caller keeps it."""

    __slots__ = ("code", "data")

    def __init__(self, code: int, data: bytes) -> None:
        self.code = code
        self.data = data


def _with_records(blob: bytes) -> Any:
    """The scheduling view when a kept part holds extension records (or the blob is
    damaged): records kept packed, then decoded only in the parts kept."""
    try:
        raw = msgpack_chunks.unpackb(blob, _Deferred)
        if not isinstance(raw, dict):
            return jsonable_data(_undefer(raw))
        values = raw.get(CHANNEL_VALUES)
        out = {
            key: jsonable_data(_undefer(value))
            for key, value in raw.items()
            if key != CHANNEL_VALUES
        }
        if isinstance(values, dict):
            out[CHANNEL_VALUES] = {
                key: jsonable_data(_undefer(value)) if is_scheduling_channel(key) else None
                for key, value in values.items()
            }
        return out
    except _BAD_DATA_ERRORS as exc:
        if isinstance(exc, RecursionError) or "recursion" in str(exc).lower():
            raise DecodeError("value is nested too deeply to show") from None
        raise DecodeError(f"invalid msgpack ({first_line(exc)})") from None


def _undefer(value: Any) -> Any:
    """Decode the deferred records inside ``value`` (the parts a caller kept)."""
    if isinstance(value, _Deferred):
        return _ext_hook(value.code, value.data)
    if isinstance(value, dict):
        return {key: _undefer(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_undefer(item) for item in value]
    return value
