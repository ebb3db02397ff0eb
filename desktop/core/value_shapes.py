"""The JSON-safe shapes values take in Rewind, whether stored or live.

A value decoded from a checkpoint (:mod:`desktop.core.decode`) and a live value from a
running graph (:mod:`desktop.core.live_json`) look alike everywhere in the app: a
LangChain message is its readable fields (``type``, ``id``, ``content``, tool calls...),
bytes are their size and a preview, a class instance is tagged with :data:`TYPE_KEY`,
and a value that could not be read is the unreadable marker. Plain data, no imports.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

TYPE_KEY = "__type__"

MESSAGE_TYPES = frozenset({"human", "ai", "tool", "system", "chat", "function", "remove"})
MESSAGE_FIELDS = (
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
"""The fields a message's shape keeps, in this order."""
MESSAGE_CLASS_TYPES = {
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
"""LangChain's message classes by name, and the ``type`` of their shape."""

UNREADABLE_TYPE = "unreadable"
"""``__type__`` of the marker shown in place of a value that could not be read."""

_BYTES_PREVIEW = 48


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


def message_data(fields: Mapping[str, Any], default_type: str | None = None) -> dict[str, Any]:
    """The readable shape of a LangChain message: type, id, content, tool calls when present."""
    kind = fields.get("type")
    if not (isinstance(kind, str) and kind in MESSAGE_TYPES):
        kind = default_type or kind
    out: dict[str, Any] = {"type": kind}
    for key in MESSAGE_FIELDS[1:]:
        value = fields.get(key)
        if key in ("id", "content") or value not in (None, "", [], {}):
            out[key] = value
    if isinstance(out.get("tool_calls"), list):
        out["tool_calls"] = [plain_tool_call(call) for call in out["tool_calls"]]
    return out


def plain_tool_call(call: Any) -> Any:
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


def bytes_data(data: bytes) -> dict[str, Any]:
    """The shape of bytes: their size and a base64 preview of the first few."""
    preview = base64.b64encode(data[:_BYTES_PREVIEW]).decode("ascii")
    return {TYPE_KEY: "bytes", "size": len(data), "base64_preview": preview}
