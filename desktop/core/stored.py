"""Rows as a saver stored them, values kept as bytes: what copies and prunes carry.

Kept apart from :mod:`desktop.core.housekeeping` so the read path can build them
without importing LangGraph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RawValue:
    """A stored value as its serializer type and bytes, never decoded."""

    type: str
    data: bytes | None


@dataclass(frozen=True, slots=True)
class StoredWrite:
    """One row of the saver's writes table, its value kept as stored."""

    checkpoint_ns: str
    checkpoint_id: str
    task_id: str
    task_path: str
    idx: int
    channel: str
    value: RawValue

    @classmethod
    def from_row(
        cls, ns: Any, cid: Any, task: Any, path: Any, idx: Any, channel: Any, type_: Any, value: Any
    ) -> StoredWrite:
        """A row ``(checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type,
        value)`` as either saver's table holds it (a ``bytea`` read as a memoryview made
        bytes)."""
        return cls(
            str(ns),
            str(cid),
            str(task),
            str(path or ""),
            int(idx),
            str(channel),
            RawValue(str(type_), bytes(value) if isinstance(value, memoryview) else value),
        )
