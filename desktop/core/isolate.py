"""Decoding that keeps damage where it is: one broken value never hides the others.

A checkpoint blob is unpacked whole first (the fast path for healthy data). Only when
that fails are its containers split at msgpack boundaries (:mod:`desktop.core.msgpack_scan`)
and their items unpacked one by one, down to the smallest part that is broken; that
part becomes an *unreadable marker* in place (``{"__type__": "unreadable", "error":
..., "bytes": N}``, see :func:`desktop.core.value_shapes.is_unreadable`). Extension records
are decoded the same way, so a malformed record inside one message marks that record.
When the bytes end mid-container, the entries that could not be delimited are one
marker under :data:`REST_KEY`, so a reader (and a diff) knows the rest is unknown, not
absent.

Nothing here knows where blobs come from: every source (SQLite, PostgreSQL) decodes
channel values and writes with :func:`decode_value` and checkpoints with
:func:`decode_checkpoint`, and reports values it would not fetch with
:func:`not_fetched`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from desktop.core import msgpack_chunks
from desktop.core.decode import (
    KNOWN_EXT_CODES,
    DecodeError,
    decode_typed,
    ext_record,
    jsonable_data,
)
from desktop.core.heap import keep_big_value
from desktop.core.msgpack_scan import ScanError, container_header, skip
from desktop.core.value_shapes import Unreadable, is_unreadable

VALUE_LIMIT_BYTES = 64 << 20
"""Values larger than this are not fetched from the database; their size is shown."""

REST_KEY = "__unreadable__"
"""Key of the marker standing for the entries of a map that could not be read at all."""

_MAX_SPLIT_DEPTH = 48
_MAX_REPORTED = 3
_BAD_DATA = (ValueError, TypeError, IndexError, KeyError, OverflowError, RecursionError)
# Set while a blob is decoded: becomes True when any part of it is unreadable, so a
# healthy checkpoint skips the walk that looks for markers.
_DAMAGED: ContextVar[list[bool]] = ContextVar("rewind_isolate_damaged")


@dataclass(frozen=True, slots=True)
class DecodedCheckpoint:
    """A checkpoint's channel values, JSON-safe, with markers where values are unreadable.

    ``error`` is one line saying what could not be read (``None`` when everything was).
    ``checkpoint`` is the whole decoded blob (``channel_values`` being ``values``) when
    its channel values could be found, for readers of ``channel_versions`` and the like.
    """

    values: dict[str, Any]
    error: str | None = None
    checkpoint: dict[str, Any] | None = None


def not_fetched(what: str, size: int | None, *, generated: bool = False) -> str | None:
    """Why a value of ``size`` bytes is not fetched, or ``None`` when it may be.

    ``generated`` marks a column computed by an expression on every read (its size is
    unknown until it is computed, which could allocate gigabytes from a tiny file).
    """
    if generated:
        return f"{what} not read: it is a generated column (computed on read, not stored data)"
    if size is not None and size > VALUE_LIMIT_BYTES:
        return (
            f"{what} not read: {_megabytes(size)} is over Rewind's "
            f"{_megabytes(VALUE_LIMIT_BYTES)} limit"
        )
    return None


def unreadable(error: str, size: int | None = None) -> dict[str, Any]:
    """The marker shown in place of a value that could not be read."""
    return Unreadable(error, size).to_json()


def decode_value(type_: str | None, blob: bytes | None) -> Any:
    """One stored ``(type, blob)`` value as JSON-safe data; never raises.

    A broken part is an unreadable marker in place; a value that cannot be read at all
    is one marker.
    """
    if type_ != "msgpack" or blob is None:
        try:
            return decode_typed(type_, blob)
        except DecodeError as exc:
            return unreadable(str(exc), len(blob) if blob is not None else None)
    value = _jsonable(_unpack(bytes(blob), 0), len(blob))
    keep_big_value(len(blob))
    return value


def decode_checkpoint(
    type_: str | None, blob: bytes | None, known: Mapping[str, Any] | None = None
) -> DecodedCheckpoint:
    """The ``channel_values`` of a stored checkpoint, decoded value by value.

    ``known`` gives channels already converted from this same blob (a delta channel's
    snapshot the ancestor walk decoded): they are taken as they are, not converted again.
    """
    if type_ != "msgpack" or blob is None:
        try:
            checkpoint = decode_typed(type_, blob)
        except DecodeError as exc:
            size = len(blob) if blob is not None else None
            return _broken(f"checkpoint blob could not be decoded: {exc}", size)
        values = checkpoint.get("channel_values") if isinstance(checkpoint, dict) else None
        if not isinstance(values, dict):
            return DecodedCheckpoint({}, "checkpoint blob has no channel_values")
        return _finished(values, checkpoint)
    flag = [False]
    token = _DAMAGED.set(flag)
    try:
        decoded = _msgpack_checkpoint(bytes(blob), known or {})
    finally:
        _DAMAGED.reset(token)
    keep_big_value(len(blob))
    if decoded.checkpoint is None or not flag[0]:
        return decoded
    return _finished(decoded.values, decoded.checkpoint)


def _msgpack_checkpoint(blob: bytes, known: Mapping[str, Any]) -> DecodedCheckpoint:
    """Decode a msgpack checkpoint; markers are found afterwards (see the caller)."""
    raw = _unpack(blob, 0)
    if isinstance(raw, Unreadable):
        return _broken(f"checkpoint blob could not be decoded: {raw.error}", raw.size)
    if not isinstance(raw, dict):
        return DecodedCheckpoint({}, "checkpoint blob has no channel_values")
    channels = raw.get("channel_values")
    if channels is None and isinstance(raw.get(REST_KEY), Unreadable):
        channels = raw[REST_KEY]
    if isinstance(channels, Unreadable):
        return _broken(f"checkpoint channel values could not be read: {channels.error}", None)
    if not isinstance(channels, dict):
        return DecodedCheckpoint({}, "checkpoint blob has no channel_values")
    values = {
        _text_key(key): known[key] if key in known else _jsonable(value, None)
        for key, value in channels.items()
    }
    whole = {
        _text_key(key): _jsonable(value, None)
        for key, value in raw.items()
        if key not in ("channel_values", REST_KEY)
    }
    return DecodedCheckpoint(values, None, {**whole, "channel_values": values})


def is_complete(values: Mapping[str, Any]) -> bool:
    """False when some of a checkpoint's entries could not be read at all."""
    return REST_KEY not in values


def damage(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(path, error)`` of every unreadable marker inside a JSON-safe value."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if is_unreadable(item):
            yield where or "(value)", str(item["error"])
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                stack.append((f"{where}.{key}" if where else str(key), child))
        elif isinstance(item, list):
            for index in range(len(item) - 1, -1, -1):
                stack.append((f"{where}[{index}]", item[index]))


def _broken(error: str, size: int | None) -> DecodedCheckpoint:
    return DecodedCheckpoint({REST_KEY: unreadable(error, size)}, error)


def _text_key(key: Any) -> str:
    return key if isinstance(key, str) else str(jsonable_data(key))


def _finished(values: dict[str, Any], checkpoint: dict[str, Any]) -> DecodedCheckpoint:
    found = list(damage(values))
    if not found:
        return DecodedCheckpoint(values, None, checkpoint)
    shown = "; ".join(f"{where}: {error}" for where, error in found[:_MAX_REPORTED])
    more = f" (and {len(found) - _MAX_REPORTED} more)" if len(found) > _MAX_REPORTED else ""
    count = f"{len(found)} value{'s' * (len(found) != 1)}"
    return DecodedCheckpoint(values, f"{count} could not be read: {shown}{more}", checkpoint)


def _jsonable(raw: Any, size: int | None) -> Any:
    """JSON-safe data of one unpacked value; a value too deep to convert is a marker."""
    try:
        return jsonable_data(raw)
    except _BAD_DATA as exc:
        return _mark(_reason(exc), size).to_json()


def _mark(error: str, size: int | None) -> Unreadable:
    """A marker for a part that could not be read; flags the blob being decoded."""
    flag = _DAMAGED.get(None)
    if flag is not None:
        flag[0] = True
    return Unreadable(error, size)


def _unpack(buf: bytes, depth: int) -> Any:
    """Unpack ``buf`` whole, or split it and unpack its items one by one on failure."""
    try:
        return msgpack_chunks.unpackb(buf, _ext_hook)
    except _BAD_DATA as exc:
        reason = _reason(exc)
    try:
        header = container_header(buf)
    except ScanError as exc:
        return _mark(str(exc), len(buf))
    if header is None or depth >= _MAX_SPLIT_DEPTH:
        return _mark(reason, len(buf))
    kind, count, offset = header
    if kind == "array":
        return _unpack_items(buf, offset, count, depth)
    return _unpack_entries(buf, offset, count, depth)


def _unpack_items(buf: bytes, offset: int, count: int, depth: int) -> list[Any]:
    items: list[Any] = []
    for index in range(count):
        try:
            end = skip(buf, offset)
        except ScanError:
            # This item runs into the damage: read what it holds up to there; the items
            # after it cannot be delimited.
            items.append(_unpack(buf[offset:], depth + 1))
            if count - index > 1:
                items.append(_lost(count - index - 1, "item", len(buf) - offset))
            break
        items.append(_unpack(buf[offset:end], depth + 1))
        offset = end
    return items


def _unpack_entries(buf: bytes, offset: int, count: int, depth: int) -> dict[Any, Any]:
    entries: dict[Any, Any] = {}
    for index in range(count):
        try:
            key_end = skip(buf, offset)
        except ScanError:
            entries[REST_KEY] = _lost(count - index, "entry", len(buf) - offset)
            break
        key = _unpack(buf[offset:key_end], depth + 1)
        if isinstance(key, Unreadable) or not isinstance(key, (str, int, float, bool)):
            key = f"<unreadable key {index}>"
        try:
            end = skip(buf, key_end)
        except ScanError:
            entries[key] = _unpack(buf[key_end:], depth + 1)
            if count - index > 1:
                entries[REST_KEY] = _lost(count - index - 1, "entry", len(buf) - key_end)
            break
        entries[key] = _unpack(buf[key_end:end], depth + 1)
        offset = end
    return entries


def _lost(count: int, noun: str, size: int) -> Unreadable:
    plural = noun if count == 1 else ("entries" if noun == "entry" else f"{noun}s")
    return _mark(f"{count} {plural} after damaged data could not be delimited", size)


def _ext_hook(code: int, data: bytes) -> Any:
    """Extension records, decoded with the same isolation; never raises."""
    if code not in KNOWN_EXT_CODES:
        return _mark(f"unknown msgpack extension code {code}", len(data))
    try:
        inner = _unpack(data, 0)
        if isinstance(inner, Unreadable):
            return inner
        return ext_record(code, inner)
    except _BAD_DATA as exc:
        return _mark(_reason(exc), len(data))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, RecursionError) or "recursion" in text.lower():
        return "nested too deeply to show"
    return f"invalid msgpack ({text.splitlines()[0]})"


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"
