"""How much room threads take, from stored lengths only (no value is decoded).

Shared shapes for every source: a source runs its own SQL and hands the rows to
these functions, so ``rewind size`` prints the same JSON for SQLite and Postgres.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ormsgpack


@dataclass(frozen=True, slots=True)
class ThreadSize:
    """Bytes one thread takes: stored checkpoints (with metadata) and writes."""

    thread_id: str
    checkpoints: int
    checkpoint_bytes: int
    writes_bytes: int

    @property
    def bytes(self) -> int:
        return self.checkpoint_bytes + self.writes_bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "bytes": self.bytes,
            "checkpoints": self.checkpoints,
            "checkpoint_bytes": self.checkpoint_bytes,
            "writes_bytes": self.writes_bytes,
        }


@dataclass(frozen=True, slots=True)
class CheckpointSize:
    """One stored checkpoint's size, for the "largest checkpoints" listing."""

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    bytes: int

    def to_json(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "checkpoint_ns": self.checkpoint_ns,
            "checkpoint_id": self.checkpoint_id,
            "bytes": self.bytes,
        }


def size_report(sizes: Iterable[ThreadSize]) -> dict[str, Any]:
    """``rewind size`` output: threads largest first, and the total."""
    threads = sorted(sizes, key=lambda size: (-size.bytes, size.thread_id))
    return {
        "threads": [size.to_json() for size in threads],
        "total_bytes": sum(size.bytes for size in threads),
    }


def merge_sizes(
    checkpoint_rows: Iterable[tuple[str, int, int]], write_rows: Iterable[tuple[str, int]]
) -> list[ThreadSize]:
    """Join per-thread ``(thread_id, count, bytes)`` and ``(thread_id, bytes)`` rows."""
    writes = {str(thread): int(size or 0) for thread, size in write_rows}
    return [
        ThreadSize(str(thread), int(count), int(size or 0), writes.get(str(thread), 0))
        for thread, count, size in checkpoint_rows
    ]


def channel_sizes(type_: str | None, blob: bytes | None) -> dict[str, int]:
    """Bytes each channel takes inside one stored SQLite checkpoint blob.

    The blob is unpacked with every extension record kept opaque (nothing is revived)
    and each channel's value is packed again to measure it; the numbers are the
    channel's share of the stored blob, within a few bytes of framing.
    """
    if type_ != "msgpack" or not blob:
        return {}
    try:
        checkpoint = ormsgpack.unpackb(blob, ext_hook=ormsgpack.Ext)
    except (ormsgpack.MsgpackDecodeError, ValueError, TypeError):
        return {}
    values = checkpoint.get("channel_values") if isinstance(checkpoint, dict) else None
    if not isinstance(values, dict):
        return {}
    return {
        str(name): len(ormsgpack.packb(value, default=_ext_only)) for name, value in values.items()
    }


def _ext_only(value: Any) -> Any:
    if isinstance(value, ormsgpack.Ext):
        return value
    raise TypeError(type(value).__name__)
