"""Rows as a saver stored them, values kept as bytes: what copies and prunes carry.

Kept apart from :mod:`desktop.core.housekeeping` so the read path can build them
without importing LangGraph.
"""

from __future__ import annotations

from dataclasses import dataclass


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
