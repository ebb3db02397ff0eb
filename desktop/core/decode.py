"""Safe decoding of checkpoint blobs into JSON-safe values.

Checkpoint databases are untrusted input (a colleague's bug report, a production copy).
LangGraph's msgpack format stores class instances as extension records that name a
module and a class to import and call. Rewind never imports or calls anything while
reading: :func:`decode_typed` unpacks the msgpack itself with an extension hook that
turns every record into plain data. Well-known types (LangChain messages, datetimes,
``Send``, ``Interrupt``, sets, UUIDs) get a readable shape; anything else is shown as
``{"__type__": "module.Name", ...its fields}``. Pickle is never decoded.

:func:`to_jsonable` gives live Python objects (from a running graph) the same shapes,
so streamed values and stored values look alike everywhere in the app.
"""

from __future__ import annotations

import base64
import dataclasses
import decimal
import enum
import json
import math
import uuid
from collections.abc import Collection, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from typing import Any

from desktop.core import msgpack_chunks

TYPE_KEY = "__type__"

MESSAGE_TYPES = frozenset({"human", "ai", "tool", "system", "chat", "function", "remove"})
_MESSAGE_FIELDS = (
    "type",
    "id",
    "name",
    "content",
    "tool_calls",
    "invalid_tool_calls",
    "tool_call_id",
    "status",
    "artifact",
    "usage_metadata",
    "response_metadata",
    "additional_kwargs",
)
_MESSAGE_CLASS_TYPES = {
    "HumanMessage": "human",
    "HumanMessageChunk": "human",
    "AIMessage": "ai",
    "AIMessageChunk": "ai",
    "ToolMessage": "tool",
    "ToolMessageChunk": "tool",
    "SystemMessage": "system",
    "SystemMessageChunk": "system",
    "ChatMessage": "chat",
    "ChatMessageChunk": "chat",
    "FunctionMessage": "function",
    "FunctionMessageChunk": "function",
    "RemoveMessage": "remove",
}

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

UNREADABLE_TYPE = "unreadable"
"""``__type__`` of the marker shown in place of a value that could not be read."""

_BYTES_PREVIEW = 48


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
            raise DecodeError(f"invalid {type_} ({_first_line(exc)})") from None
    if type_ in ("bytes", "bytearray"):
        return _bytes_data(bytes(blob))
    if type_ == "pickle":
        raise DecodeError("pickled value not decoded (pickle can run code; Rewind never loads it)")
    raise DecodeError(f"unknown serialization type {type_!r}")


def _unpack(type_: str, blob: bytes) -> Any:
    if type_ == "json":
        return json.loads(blob)
    return msgpack_chunks.unpackb(blob, _ext_hook)


def checkpoint_next_nodes(type_: str | None, blob: bytes | None) -> tuple[str, ...]:
    """Nodes a stored checkpoint will run next: its triggered ``branch:to:*`` channels and
    pending ``Send`` targets. Cheap: nothing is converted beyond what is looked at.

    Raises :class:`DecodeError` when the blob is unreadable.
    """
    if type_ != "msgpack" or blob is None:
        return ()
    try:
        raw = _unpack(type_, blob)
    except _BAD_DATA_ERRORS as exc:
        raise DecodeError(f"invalid msgpack ({_first_line(exc)})") from None
    values = raw.get("channel_values") if isinstance(raw, dict) else None
    if not isinstance(values, dict):
        return ()
    return next_nodes_of(values)


def pending_send_targets(type_: str | None, blob: bytes | None) -> list[str]:
    """Target nodes of a stored checkpoint's pending ``Send``s, in order (``""`` for one
    that names no node). Raises :class:`DecodeError` when the blob is unreadable."""
    if type_ != "msgpack" or blob is None:
        return []
    try:
        raw = _unpack(type_, blob)
    except _BAD_DATA_ERRORS as exc:
        raise DecodeError(f"invalid msgpack ({_first_line(exc)})") from None
    values = raw.get("channel_values") if isinstance(raw, dict) else None
    sends = values.get("__pregel_tasks") if isinstance(values, dict) else None
    targets = []
    for send in sends if isinstance(sends, list) else ():
        data = send.data if isinstance(send, _Foreign) else None
        targets.append(str(data[0]) if isinstance(data, (list, tuple)) and data else "")
    return targets


def next_nodes_of(channel_values: Mapping[Any, Any]) -> tuple[str, ...]:
    """Nodes triggered by a checkpoint's channel values (raw or JSON-safe): the
    ``branch:to:node`` channels it holds and the targets of its pending ``Send``s."""
    nodes = {
        str(k).removeprefix("branch:to:") for k in channel_values if str(k).startswith("branch:to:")
    }
    sends = channel_values.get("__pregel_tasks")
    for send in sends if isinstance(sends, list) else ():
        if isinstance(send, _Foreign) and send.name == "Send":
            data = send.data if isinstance(send.data, (list, tuple)) else ()
            if data:
                nodes.add(str(data[0]))
        elif isinstance(send, Mapping) and send.get(TYPE_KEY) == "Send" and send.get("node"):
            nodes.add(str(send["node"]))
    return tuple(sorted(nodes))


def decode_metadata(raw: bytes | str | None) -> dict[str, Any]:
    """Parse a checkpoint's metadata column (JSON text) into a dict."""
    if raw is None:
        return {}
    if not isinstance(raw, (bytes, str)):
        raise DecodeError(f"metadata is a SQL {type(raw).__name__}, not JSON text")
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DecodeError(f"metadata is not JSON ({_first_line(exc)})") from None
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


class Unreadable:
    """A value that could not be read, kept in place of it: why, and how many bytes."""

    __slots__ = ("error", "size")

    def __init__(self, error: str, size: int | None = None) -> None:
        self.error = error
        self.size = size

    def to_json(self) -> dict[str, Any]:
        """The marker every reader shows in place of the value (see :func:`is_unreadable`)."""
        out: dict[str, Any] = {TYPE_KEY: UNREADABLE_TYPE, "error": self.error}
        if self.size is not None:
            out["bytes"] = self.size
        return out


def is_unreadable(value: Any) -> bool:
    """True for the marker that stands in place of a value that could not be read."""
    return isinstance(value, dict) and value.get(TYPE_KEY) == UNREADABLE_TYPE and "error" in value


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
            k if type(k) is str else _key(k): v if type(v) in _PLAIN_TYPES else jsonable_data(v)
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
            k if type(k) is str else _key(k): v if type(v) in _PLAIN_TYPES else jsonable_data(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _PLAIN_TYPES else jsonable_data(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _bytes_data(bytes(value))
    if isinstance(value, Unreadable):
        return value.to_json()
    return {TYPE_KEY: type(value).__name__, "repr": repr(value)}


def _foreign_data(record: _Foreign) -> Any:
    module, name, payload = record.module, record.name, record.data
    if module.startswith("langchain_core.messages") and name in _MESSAGE_CLASS_TYPES:
        return _message_record(payload, _MESSAGE_CLASS_TYPES[name])
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
    for key in _MESSAGE_FIELDS[1:]:
        value = get(key)
        if not value and type(value) in _EMPTY_TYPES and key not in ("id", "content"):
            continue
        out[key] = value if type(value) in _PLAIN_TYPES else jsonable_data(value)
    if (calls := out.get("tool_calls")) and type(calls) is list:
        out["tool_calls"] = [_tool_call(call) for call in calls]
    return out


def message_data(fields: Mapping[str, Any], default_type: str | None = None) -> dict[str, Any]:
    """The readable shape of a LangChain message: type, id, content, tool calls when present."""
    kind = fields.get("type")
    if not (isinstance(kind, str) and kind in MESSAGE_TYPES):
        kind = default_type or kind
    out: dict[str, Any] = {"type": kind}
    for key in _MESSAGE_FIELDS[1:]:
        value = fields.get(key)
        if key in ("id", "content") or value not in (None, "", [], {}):
            out[key] = value
    if isinstance(out.get("tool_calls"), list):
        out["tool_calls"] = [_tool_call(call) for call in out["tool_calls"]]
    return out


def _tool_call(call: Any) -> Any:
    """A tool call without LangChain's ``"type": "tool_call"`` tag, which some code paths
    add and others do not: the same call reads the same everywhere."""
    if isinstance(call, dict) and call.get("type") == "tool_call":
        return {k: v for k, v in call.items() if k != "type"}
    return call


def is_message(value: Any) -> bool:
    """True for the JSON-safe shape of a LangChain message."""
    if not isinstance(value, dict) or "content" not in value:
        return False
    kind = value.get("type")
    return isinstance(kind, str) and kind in MESSAGE_TYPES


def to_jsonable(value: Any) -> Any:
    """Convert a live Python value (state, stream chunk) into the same JSON-safe shapes."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Mapping):
        return {_key(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _bytes_data(bytes(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.days}d {value.seconds}s {value.microseconds}us"
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, (uuid.UUID, decimal.Decimal, PurePath)):
        return str(value)
    cls = type(value)
    if cls.__name__ in _MESSAGE_CLASS_TYPES and cls.__module__.startswith("langchain_core"):
        dumped = to_jsonable(value.model_dump())
        return message_data(dumped, _MESSAGE_CLASS_TYPES[cls.__name__])
    if cls.__module__ == "langgraph.types" and cls.__name__ in ("Send", "Interrupt"):
        if cls.__name__ == "Send":
            return {TYPE_KEY: "Send", "node": value.node, "arg": to_jsonable(value.arg)}
        return {TYPE_KEY: "Interrupt", "value": to_jsonable(value.value), "id": value.id}
    if hasattr(value, "model_dump") and callable(value.model_dump):
        return {TYPE_KEY: f"{cls.__module__}.{cls.__name__}", **to_jsonable(value.model_dump())}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {TYPE_KEY: f"{cls.__module__}.{cls.__name__}", **to_jsonable(fields)}
    if hasattr(value, "_asdict") and callable(value._asdict):
        return to_jsonable(value._asdict())
    return {TYPE_KEY: f"{cls.__module__}.{cls.__qualname__}", "repr": _short_repr(value)}


def _uuid_text(payload: Any) -> str:
    try:
        return str(uuid.UUID(str(payload)))
    except ValueError:
        return str(payload)


def _key(key: Any) -> str:
    return key if isinstance(key, str) else json.dumps(jsonable_data(key), ensure_ascii=False)


def _bytes_data(data: bytes) -> dict[str, Any]:
    preview = base64.b64encode(data[:_BYTES_PREVIEW]).decode("ascii")
    return {TYPE_KEY: "bytes", "size": len(data), "base64_preview": preview}


def _short_repr(value: Any, limit: int = 200) -> str:
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<unrepresentable {type(value).__name__}: {_first_line(exc)}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_line(exc: BaseException) -> str:
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
        raise DecodeError(f"invalid {type_} ({_first_line(exc)})") from None
