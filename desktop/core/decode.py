"""Safe decoding of checkpoint blobs into JSON-safe values.

Checkpoint databases are untrusted input (a colleague's bug report, a production copy).
LangGraph's msgpack format stores class instances as extension records that name a
module and a class to import and call. Rewind never imports or calls anything while
reading: :func:`decode_typed` unpacks the msgpack itself with an extension hook that
turns every record into plain data. Well-known types (LangChain messages, datetimes,
``Send``, ``Interrupt``, sets, UUIDs) get a readable shape
(:mod:`desktop.core.value_shapes`); anything else is shown as
``{"__type__": "module.Name", ...its fields}``. Pickle is never decoded.

:func:`desktop.core.live_json.to_jsonable` gives live Python objects (from a running
graph) the same shapes, so streamed values and stored values look alike everywhere in
the app.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Collection, Mapping
from typing import Any

from desktop.core import msgpack_chunks
from desktop.core.value_shapes import (
    MESSAGE_CLASS_TYPES,
    MESSAGE_FIELDS,
    MESSAGE_TYPES,
    TYPE_KEY,
    Unreadable,
    bytes_data,
    message_data,
    plain_tool_call,
)

# Extension codes written by langgraph.checkpoint.serde.jsonplus.
_EXT_CONSTRUCTOR_SINGLE_ARG = 0
_EXT_CONSTRUCTOR_POS_ARGS = 1
_EXT_CONSTRUCTOR_KW_ARGS = 2
_EXT_METHOD_SINGLE_ARG = 3
_EXT_PYDANTIC_V1 = 4
_EXT_PYDANTIC_V2 = 5
_EXT_NUMPY_ARRAY = 6
_EXT_DELTA_SNAPSHOT = 7

KNOWN_EXT_CODES = frozenset(range(_EXT_CONSTRUCTOR_SINGLE_ARG, _EXT_DELTA_SNAPSHOT + 1))
"""Extension codes LangGraph writes; any other code is shown as unreadable."""


class DecodeError(ValueError):
    """A blob could not be decoded; the message says why in one line."""


# What a malformed or hostile blob can make the decoder raise: every one of these
# becomes a one-line DecodeError, so one bad checkpoint never hides the others.
_BAD_DATA_ERRORS = (ValueError, TypeError, IndexError, KeyError, OverflowError, RecursionError)


def decode_typed(type_: str | None, blob: bytes | None) -> Any:
    """Decode one ``(type, blob)`` pair as stored by a LangGraph saver into JSON-safe data."""
    if type_ in (None, "null") or blob is None:
        return None
    if type_ in ("msgpack", "json"):
        try:
            return jsonable_data(_unpack(type_, blob))
        except _BAD_DATA_ERRORS as exc:
            if isinstance(exc, RecursionError) or "recursion" in str(exc).lower():
                raise DecodeError("value is nested too deeply to show") from None
            raise DecodeError(f"invalid {type_} ({first_line(exc)})") from None
    if type_ in ("bytes", "bytearray"):
        return bytes_data(bytes(blob))
    if type_ == "pickle":
        raise DecodeError("pickled value not decoded (pickle can run code; Rewind never loads it)")
    raise DecodeError(f"unknown serialization type {type_!r}")


def _unpack(type_: str, blob: bytes) -> Any:
    if type_ == "json":
        return json.loads(blob)
    return msgpack_chunks.unpackb(blob, _ext_hook)


def decode_metadata(raw: bytes | str | None) -> dict[str, Any]:
    """Parse a checkpoint's metadata column (JSON text) into a dict."""
    if raw is None:
        return {}
    if not isinstance(raw, (bytes, str)):
        raise DecodeError(f"metadata is a SQL {type(raw).__name__}, not JSON text")
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DecodeError(f"metadata is not JSON ({first_line(exc)})") from None
    if not isinstance(value, dict):
        raise DecodeError(f"metadata is a JSON {type(value).__name__}, not an object")
    return value


class _Foreign:
    """An extension record that was not imported: its type name and its data."""

    __slots__ = ("data", "module", "name")

    def __init__(self, module: str, name: str, data: Any) -> None:
        self.module = module
        self.name = name
        self.data = data


class _Deferred:
    """An extension record left packed (an ``ext_hook`` that defers): unpacked by
    :func:`jsonable_data` only if a wanted value holds it."""

    __slots__ = ("code", "data")

    def __init__(self, code: int, data: bytes) -> None:
        self.code = code
        self.data = data


def _ext_hook(code: int, data: bytes) -> Any:
    """Turn a msgpack extension record into data, never importing or calling anything."""
    if code not in KNOWN_EXT_CODES:
        return Unreadable(f"unknown msgpack extension code {code}", len(data))
    inner = msgpack_chunks.unpackb(data, _ext_hook)
    return ext_record(code, inner)


def ext_record(code: int, inner: Any) -> Any:
    """The data of extension record ``code`` (one of :data:`KNOWN_EXT_CODES`) whose
    payload unpacked to ``inner``."""
    if code == _EXT_DELTA_SNAPSHOT:
        return inner
    if code == _EXT_NUMPY_ARRAY:
        return _Foreign("numpy", "ndarray", {"note": "array data not decoded"})
    if not isinstance(inner, (list, tuple)) or len(inner) < 3:
        return _Foreign("msgpack", f"ext{code}", inner)
    module, name, payload = str(inner[0]), str(inner[1]), inner[2]
    return _Foreign(module, name, payload)


_PLAIN_TYPES = frozenset({str, int, bool, type(None)})
"""Leaves that are already JSON-safe: copied without a call (big states are mostly these)."""
_EMPTY_TYPES = frozenset({str, list, dict, type(None)})
"""Types whose empty value a message leaves out (``""``, ``[]``, ``{}``, ``None``)."""


def jsonable_data(value: Any) -> Any:
    """Convert decoded msgpack data (with foreign records) into JSON-safe values."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if kind is list:  # the common containers first, without the ABC checks below
        return [v if type(v) in _PLAIN_TYPES else jsonable_data(v) for v in value]
    if kind is dict:
        return {
            k if type(k) is str else json_key(k): v if type(v) in _PLAIN_TYPES else jsonable_data(v)
            for k, v in value.items()
        }
    if kind is _Foreign:
        return _foreign_data(value)
    if kind is _Deferred:
        return jsonable_data(_ext_hook(value.code, value.data))
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, _Foreign):
        return _foreign_data(value)
    if isinstance(value, Mapping):
        return {
            k if type(k) is str else json_key(k): v if type(v) in _PLAIN_TYPES else jsonable_data(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _PLAIN_TYPES else jsonable_data(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes_data(bytes(value))
    if isinstance(value, Unreadable):
        return value.to_json()
    return {TYPE_KEY: type(value).__name__, "repr": repr(value)}


def _foreign_data(record: _Foreign) -> Any:
    module, name, payload = record.module, record.name, record.data
    if module.startswith("langchain_core.messages") and name in MESSAGE_CLASS_TYPES:
        return _message_record(payload, MESSAGE_CLASS_TYPES[name])
    qualified = f"{module}.{name}"
    if qualified in ("datetime.datetime", "datetime.date", "datetime.time"):
        if isinstance(payload, str):
            return payload
        parts = payload if isinstance(payload, (list, tuple)) else ()
        if qualified == "datetime.date" and parts and all(isinstance(p, int) for p in parts):
            return "-".join(f"{p:02d}" for p in parts)
    if qualified == "datetime.timedelta" and isinstance(payload, (list, tuple)):
        days, seconds, micros = ([*list(payload), 0, 0, 0])[:3]
        return f"{days}d {seconds}s {micros}us"
    if qualified == "uuid.UUID":
        return _uuid_text(payload)
    if qualified == "decimal.Decimal" or module == "ipaddress":
        return str(payload)
    if module.startswith("pathlib") and isinstance(payload, (list, tuple)):
        parts = [str(p) for p in payload]
        return "/".join(parts).replace("//", "/")
    if qualified in ("builtins.set", "builtins.frozenset", "collections.deque"):
        return jsonable_data(list(payload) if isinstance(payload, (list, tuple)) else payload)
    if qualified == "langgraph.types.Send" and isinstance(payload, (list, tuple)):
        node, arg = ([*list(payload), None, None])[:2]
        return {TYPE_KEY: "Send", "node": jsonable_data(node), "arg": jsonable_data(arg)}
    if qualified == "langgraph.types.Interrupt":
        fields = jsonable_data(payload)
        if isinstance(fields, dict):
            return {TYPE_KEY: "Interrupt", **fields}
        return {TYPE_KEY: "Interrupt", "value": fields}
    data = jsonable_data(payload)
    if isinstance(data, dict):
        return {TYPE_KEY: qualified, **data}
    return {TYPE_KEY: qualified, "data": data}


def _message_record(payload: Any, default_type: str) -> dict[str, Any]:
    """:func:`message_data` of a stored message's payload, converting only the fields it
    keeps (a snapshot holds thousands of messages: one pass, no intermediate dict)."""
    if not isinstance(payload, Mapping):
        return message_data({}, default_type)
    kind = payload.get("type")
    out: dict[str, Any] = {
        "type": kind if isinstance(kind, str) and kind in MESSAGE_TYPES else default_type
    }
    get = payload.get
    for key in MESSAGE_FIELDS[1:]:
        value = get(key)
        if not value and type(value) in _EMPTY_TYPES and key not in ("id", "content"):
            continue
        out[key] = value if type(value) in _PLAIN_TYPES else jsonable_data(value)
    if (calls := out.get("tool_calls")) and type(calls) is list:
        out["tool_calls"] = [plain_tool_call(call) for call in calls]
    return out


def _uuid_text(payload: Any) -> str:
    try:
        return str(uuid.UUID(str(payload)))
    except ValueError:
        return str(payload)


def json_key(key: Any) -> str:
    """A mapping key as text: a string as it is, any other key as its JSON."""
    return key if isinstance(key, str) else json.dumps(jsonable_data(key), ensure_ascii=False)


def first_line(exc: BaseException) -> str:
    """The first line of an error's message, or its type's name when it has none."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def decode_checkpoint_channels(
    type_: str | None, blob: bytes | None, channels: Collection[str]
) -> dict[str, Any]:
    """The entries of ``channels`` a stored checkpoint's ``channel_values`` holds, JSON-safe
    (a ``_DeltaSnapshot`` gives its value); nothing else is converted.

    Raises :class:`DecodeError` when the blob is unreadable.
    """
    if type_ not in ("msgpack", "json") or blob is None:
        return {}
    try:
        # Extension records (messages, snapshots) stay packed until a wanted channel
        # reaches them: the other channels' snapshots are never unpacked.
        raw = json.loads(blob) if type_ == "json" else msgpack_chunks.unpackb(blob, _Deferred)
        values = raw.get("channel_values") if isinstance(raw, dict) else None
        if not isinstance(values, dict):
            return {}
        return {ch: jsonable_data(values[ch]) for ch in channels if ch in values}
    except _BAD_DATA_ERRORS as exc:
        raise DecodeError(f"invalid {type_} ({first_line(exc)})") from None
