"""Sizes and stored rows of a ``PostgresSaver`` database, for ``rewind size``, ``copy``
and ``prune``: the same records as the SQLite source gives, from read-only SQL.

Sizes are what the rows take as stored: ``pg_column_size`` of the ``checkpoint`` and
``metadata`` JSONB, ``length`` of every blob (``checkpoint_blobs``, which hold the
values the JSONB does not inline) and of every write. Nothing is decoded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop.core.errors import NotFoundError
from desktop.core.model import CheckpointMeta
from desktop.core.sources.sizes import CheckpointSize, ThreadSize, merge_sizes
from desktop.core.stored import StoredWrite

if TYPE_CHECKING:
    from desktop.core.sources.pg_connect import ReadOnlyConnection


class PostgresHousekeeping:
    """Mixed into ``PostgresCheckpointSource``: it provides ``_db``, ``_schema`` and
    ``location``."""

    _db: ReadOnlyConnection
    _schema: Any
    location: str

    def thread_sizes(self, thread_id: str | None = None) -> list[ThreadSize]:
        """Stored bytes per thread: checkpoints with metadata and blobs, and writes."""
        where, params = ("WHERE thread_id = %s", (thread_id,)) if thread_id else ("", ())
        with self._db.read() as cur:
            cur.execute(
                "SELECT thread_id, COUNT(*), "
                "SUM(pg_column_size(checkpoint) + COALESCE(pg_column_size(metadata), 0)) "
                f"FROM checkpoints {where} GROUP BY thread_id",
                params,
            )
            checkpoints = cur.fetchall()
            cur.execute(
                "SELECT thread_id, SUM(COALESCE(length(blob), 0)) "
                f"FROM checkpoint_blobs {where} GROUP BY thread_id",
                params,
            )
            blobs = {row[0]: int(row[1] or 0) for row in cur.fetchall()}
            writes: list[tuple[str, int]] = []
            if self._schema.has_writes:
                cur.execute(
                    "SELECT thread_id, SUM(COALESCE(length(blob), 0)) "
                    f"FROM checkpoint_writes {where} GROUP BY thread_id",
                    params,
                )
                writes = cur.fetchall()
        if thread_id and not checkpoints:
            raise NotFoundError(f"Thread {thread_id!r} not found in {self.location}")
        rows = [(t, count, int(size or 0) + blobs.get(t, 0)) for t, count, size in checkpoints]
        return merge_sizes(rows, writes)

    def largest_checkpoints(
        self, limit: int = 50, thread_id: str | None = None
    ) -> list[CheckpointSize]:
        """The biggest checkpoints as stored in the ``checkpoints`` row (JSONB and
        metadata; the blobs a checkpoint references are shared between checkpoints)."""
        where, params = ("WHERE thread_id = %s", (thread_id,)) if thread_id else ("", ())
        with self._db.read() as cur:
            cur.execute(
                f"SELECT thread_id, checkpoint_ns, {self._schema.cid}, "
                "pg_column_size(checkpoint) + COALESCE(pg_column_size(metadata), 0) AS size "
                f"FROM checkpoints {where} ORDER BY size DESC LIMIT %s",
                (*params, limit),
            )
            rows = cur.fetchall()
        return [CheckpointSize(str(t), str(ns), str(cid), int(size)) for t, ns, cid, size in rows]

    def channel_sizes(self, meta: CheckpointMeta) -> dict[str, int]:
        """Bytes of each channel value one checkpoint references (blob or inline JSON)."""
        with self._db.read() as cur:
            cur.execute(
                "SELECT v.key, COALESCE(length(bl.blob), "
                "pg_column_size(c.checkpoint -> 'channel_values' -> v.key), 0) "
                "FROM checkpoints c "
                "CROSS JOIN LATERAL jsonb_each_text(c.checkpoint -> 'channel_versions') v "
                "LEFT JOIN checkpoint_blobs bl ON bl.thread_id = c.thread_id "
                "AND bl.checkpoint_ns = c.checkpoint_ns AND bl.channel = v.key "
                f"{self._schema.blob_version} "
                "WHERE c.thread_id = %s AND c.checkpoint_ns = %s "
                f"AND {self._schema.cid_of('c')} = %s",
                (meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id),
            )
            return {str(key): int(size) for key, size in cur.fetchall()}

    def stored_writes(self, thread_id: str) -> list[StoredWrite]:
        """Every write of a thread with its value as stored, for copies and prunes."""
        if not self._schema.has_writes:
            return []
        with self._db.read() as cur:
            cur.execute(
                f"SELECT checkpoint_ns, checkpoint_id, task_id, {self._schema.task_path}, idx, "
                "channel, type, blob FROM checkpoint_writes WHERE thread_id = %s "
                "ORDER BY checkpoint_ns, checkpoint_id, task_id, idx",
                (thread_id,),
            )
            rows = cur.fetchall()
        return [StoredWrite.from_row(*row) for row in rows]
