"""Live Python values (a running graph's state, stream chunks) as JSON-safe data.

:func:`to_jsonable` gives them the shapes stored values get from
:mod:`desktop.core.decode` (:mod:`desktop.core.value_shapes`), so streamed values and
stored values look alike everywhere in the app.
"""

from __future__ import annotations

import dataclasses
import decimal
import enum
import math
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from typing import Any

from desktop.core.decode import first_line, json_key
from desktop.core.value_shapes import MESSAGE_CLASS_TYPES, TYPE_KEY, bytes_data, message_data


def to_jsonable(value: Any) -> Any:
    """Convert a live Python value (state, stream chunk) into the same JSON-safe shapes."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Mapping):
        return {json_key(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes_data(bytes(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.days}d {value.seconds}s {value.microseconds}us"
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, (uuid.UUID, decimal.Decimal, PurePath)):
        return str(value)
    cls = type(value)
    if cls.__name__ in MESSAGE_CLASS_TYPES and cls.__module__.startswith("langchain_core"):
        dumped = to_jsonable(value.model_dump())
        return message_data(dumped, MESSAGE_CLASS_TYPES[cls.__name__])
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


def _short_repr(value: Any, limit: int = 200) -> str:
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<unrepresentable {type(value).__name__}: {first_line(exc)}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"
