"""Sizes and stored rows of a ``SqliteSaver`` database, for ``rewind size``, ``copy``
and ``prune``: the same records as the Postgres source gives.

Part of :class:`desktop.core.sources.sqlite.SqliteCheckpointSource` (a mixin: it uses
the source's cursor, value SQL and schema flags). Sizes come from SQL ``length()``:
nothing is fetched or decoded to measure; stored writes are handed over as stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from desktop.core.errors import NotFoundError
from desktop.core.model import CheckpointMeta
from desktop.core.sources.sizes import CheckpointSize, ThreadSize, channel_sizes, merge_sizes
from desktop.core.stored import StoredWrite


class SqliteHousekeeping:
    """Sizes and stored rows for :class:`~desktop.core.sources.sqlite.SqliteCheckpointSource`."""

    path: Path
    _cursor: Callable[[], AbstractContextManager[sqlite3.Cursor]]
    _stored_checkpoint: Callable[..., tuple[Any, ...] | None]
    _has_writes: bool
    _has_task_path: bool

    def thread_sizes(self, thread_id: str | None = None) -> list[ThreadSize]:
        """Stored bytes per thread (checkpoint + metadata, writes), all namespaces.

        Lengths come from SQL ``length()``: no value is fetched or decoded.
        """
        where, params = ("WHERE thread_id = ?", (thread_id,)) if thread_id else ("", ())
        with self._cursor() as cur:
            checkpoints = cur.execute(
                "SELECT thread_id, COUNT(*), "
                "SUM(COALESCE(length(checkpoint), 0) + COALESCE(length(metadata), 0)) "
                f"FROM checkpoints {where} GROUP BY thread_id",
                params,
            ).fetchall()
            writes = (
                cur.execute(
                    "SELECT thread_id, SUM(COALESCE(length(value), 0)) "
                    f"FROM writes {where} GROUP BY thread_id",
                    params,
                ).fetchall()
                if self._has_writes
                else []
            )
        if thread_id and not checkpoints:
            raise NotFoundError(f"Thread {thread_id!r} not found in {self.path}")
        return merge_sizes(checkpoints, writes)

    def largest_checkpoints(
        self, limit: int = 50, thread_id: str | None = None
    ) -> list[CheckpointSize]:
        """The biggest stored checkpoints (blob plus metadata), largest first."""
        where, params = ("WHERE thread_id = ?", (thread_id,)) if thread_id else ("", ())
        with self._cursor() as cur:
            rows = cur.execute(
                "SELECT thread_id, checkpoint_ns, checkpoint_id, "
                "COALESCE(length(checkpoint), 0) + COALESCE(length(metadata), 0) AS size "
                f"FROM checkpoints {where} ORDER BY size DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [CheckpointSize(str(t), str(ns), str(cid), int(size)) for t, ns, cid, size in rows]

    def channel_sizes(self, meta: CheckpointMeta) -> dict[str, int]:
        """Bytes each channel takes in one stored checkpoint (nothing is revived)."""
        with self._cursor() as cur:
            row = self._stored_checkpoint(
                cur, meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id
            )
        return channel_sizes(row[0], row[1]) if row else {}

    def stored_writes(self, thread_id: str) -> list[StoredWrite]:
        """Every write row of a thread with its value as stored, for copies and prunes."""
        if not self._has_writes:
            return []
        task_path = "task_path" if self._has_task_path else "''"
        with self._cursor() as cur:
            rows = cur.execute(
                f"SELECT checkpoint_ns, checkpoint_id, task_id, {task_path}, idx, channel, "
                "type, value FROM writes WHERE thread_id = ? "
                "ORDER BY checkpoint_ns, checkpoint_id, task_id, idx",
                (thread_id,),
            ).fetchall()
        return [StoredWrite.from_row(*row) for row in rows]
