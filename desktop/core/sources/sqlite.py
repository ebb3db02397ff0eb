"""Read-only access to a database written by LangGraph's ``SqliteSaver``.

Everything here is plain SQL on a read-only connection (``mode=ro``, or a private
snapshot when that cannot show the committed state, see :mod:`.readonly`): ``SqliteSaver``
itself is never used for reading because its ``setup()`` writes to the file (creates
tables, switches the journal to WAL). Listings are built from metadata columns only;
a checkpoint blob is decoded only when one checkpoint is asked for, value by value
(:mod:`desktop.core.isolate`), and no value larger than the limit, nor any generated
column, is ever fetched.

The source is assembled from mixins, one concern each: the schema checks and value SQL
(:mod:`.sqlite_schema`), the thread list (:mod:`.sqlite_listing`, its run states from
:mod:`.sqlite_heads`), steps, writers and update credits (:mod:`.sqlite_steps`), sizes
and stored rows (:mod:`.sqlite_housekeeping`); delta channels are rebuilt from
:mod:`.sqlite_delta`'s rows. This module reads a thread's history and one checkpoint.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from desktop.core.decode import DecodeError, decode_metadata
from desktop.core.delta import (
    COUNTERS_KEY,
    DeltaRebuilder,
    delta_channels_named,
)
from desktop.core.errors import NotFoundError
from desktop.core.isolate import (
    REST_KEY,
    damage,
    decode_checkpoint,
    decode_value,
    unreadable,
)
from desktop.core.model import (
    CheckpointMeta,
    CheckpointState,
    PendingWrite,
)
from desktop.core.progress import (
    CheckpointProgress,
    WriteRecord,
    checkpoint_progress,
)
from desktop.core.shown_values import checkpoint_values, state_from
from desktop.core.sources.common import (
    checkpoint_meta,
    with_folds,
    with_parent_tasks,
    with_writers,
)
from desktop.core.sources.readonly import SharedReadOnlyFile
from desktop.core.sources.sqlite_delta import SqliteDeltaRows
from desktop.core.sources.sqlite_housekeeping import SqliteHousekeeping
from desktop.core.sources.sqlite_listing import MATCH_FUNCTION, SqliteThreadListing
from desktop.core.sources.sqlite_schema import SqliteSchema
from desktop.core.sources.sqlite_steps import SqliteSteps
from desktop.core.textmatch import contains_folded
from desktop.core.unwritten import UnwrittenChannels


class SqliteCheckpointSource(
    SqliteThreadListing, SqliteSteps, SqliteHousekeeping, SqliteSchema, SharedReadOnlyFile
):
    """A LangGraph SQLite checkpoint database opened strictly for reading.

    Safe to share between threads: every query holds a lock, so the UI can run reads
    in worker threads (``asyncio.to_thread``) while the event loop stays free.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._order_cache: tuple[int, list[tuple[str, str | None]], dict[str, int]] | None = None
        self._generated: set[str] = set()
        self._without_rowid: set[str] = set()
        try:
            self._has_writes, self._has_task_path = self._check_schema()
            self._conn.create_function(MATCH_FUNCTION, 2, contains_folded, deterministic=True)
        except BaseException:
            self._conn.close()
            self._location.close()
            raise
        rows = SqliteDeltaRows(self._cursor, self._has_task_path, self._value)
        self.delta = DeltaRebuilder(rows)
        self._unwritten = UnwrittenChannels(rows) if self._has_writes else None
        self._delta_names_cache: dict[tuple[str, str], list[str]] = {}

    @property
    def short_note(self) -> str | None:
        """A few words for :attr:`note` (a status bar's text; the note is its tooltip)."""
        return self._location.short_note

    def _row_meta(self, thread_id: str, row: tuple[Any, ...]) -> CheckpointMeta:
        """A checkpoint's metadata from ``(ns, id, parent, metadata, size)``."""
        ns, checkpoint_id, parent, raw, size = row
        return _meta(thread_id, ns, checkpoint_id, parent, raw, self._withheld("metadata", size))

    def history(self, thread_id: str) -> list[CheckpointMeta]:
        """Every checkpoint of a thread in every namespace, newest first, from metadata only."""
        with self._cursor() as cur:
            rows = cur.execute(
                "SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, "
                f"{self._value('checkpoints', 'metadata')} FROM checkpoints "
                "WHERE thread_id = ? ORDER BY checkpoint_id DESC, checkpoint_ns",
                (thread_id,),
            ).fetchall()
            if not rows:
                raise NotFoundError(f"Thread {thread_id!r} not found in {self.path}")
            metas = [self._row_meta(thread_id, row) for row in rows]
            loop_parents = {
                (m.checkpoint_ns, m.parent_checkpoint_id)
                for m in metas
                if m.source == "loop" and m.parent_checkpoint_id
            }
            writers = with_parent_tasks(
                self._step_writers(cur, thread_id, loop_parents),
                metas,
                lambda keys: {
                    (ns, cid): self._progress(cur, thread_id, ns, cid).next for ns, cid in keys
                },
                self._has_writes and self._has_task_path,
            )
            credits = self._update_credits(cur, thread_id, metas)
        return with_folds([with_writers(m, writers, credits) for m in metas])

    def head(self, thread_id: str) -> CheckpointMeta:
        """The thread's head: its newest root checkpoint (its newest checkpoint when the
        root namespace has none), metadata only, without writers: one index seek where
        :meth:`history` reads every checkpoint."""
        with self._cursor() as cur:
            for root in ("AND checkpoint_ns = ''", ""):
                row = cur.execute(
                    "SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, "
                    f"{self._value('checkpoints', 'metadata')} FROM checkpoints "
                    f"WHERE thread_id = ? {root} "
                    "ORDER BY checkpoint_id DESC, checkpoint_ns LIMIT 1",
                    (thread_id,),
                ).fetchone()
                if row is not None:
                    return self._row_meta(thread_id, row)
        raise NotFoundError(f"Thread {thread_id!r} not found in {self.path}")

    def load_state(self, meta: CheckpointMeta) -> CheckpointState:
        """Decode one checkpoint's channel values and pending writes, never raising on bad data.

        Values are decoded one by one: a broken one is an unreadable marker in place and
        ``error`` says which; a blob over the size limit (or a generated column) is not
        fetched at all. The pending writes are read and decoded each on its own.
        """
        with self._cursor() as cur:
            row = cur.execute(
                f"SELECT type, {self._big_value('checkpoints', 'checkpoint')} FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                (meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id),
            ).fetchone()
            if row is None:
                raise NotFoundError(
                    f"Checkpoint {meta.checkpoint_id!r} not found in thread {meta.thread_id!r}"
                )
            type_, blob, size, rowid = row
            blob = self._whole("checkpoints", "checkpoint", blob, size, rowid)
            writes = self._pending_writes(cur, meta)
        progress = CheckpointProgress()
        shown = None
        withheld = self._withheld("checkpoint blob", size)
        if withheld is not None:
            values, error = {REST_KEY: unreadable(withheld, None if size == -1 else size)}, withheld
        else:
            key = (meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id)
            stored = self.delta.stored_values(*key)
            decoded = decode_checkpoint(type_, blob, stored)
            values, error = decoded.values, decoded.error
            checkpoint = decoded.checkpoint
            if checkpoint is not None:
                records = [WriteRecord(w.task_id, w.task_path, w.channel, w.value) for w in writes]
                progress = checkpoint_progress(checkpoint, records)
                versions = checkpoint.get("channel_versions")
                known = () if COUNTERS_KEY in meta.metadata else self._delta_names(meta)
                shown = checkpoint_values(
                    self.delta,
                    meta,
                    values,
                    versions if isinstance(versions, dict) else {},
                    writes,
                    known,
                    intact=decoded.error is None,
                    unwritten=self._unwritten,
                )
                values = shown.values
        return state_from(meta, values, writes, progress, error, shown)

    def _delta_names(self, meta: CheckpointMeta) -> list[str]:
        """Delta channels the newest checkpoints of ``meta``'s namespace name (cached)."""
        key = (meta.thread_id, meta.checkpoint_ns)
        if key not in self._delta_names_cache:
            with self._cursor() as cur:
                rows = cur.execute(
                    "SELECT metadata FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? "
                    "AND CAST(metadata AS TEXT) LIKE ? ORDER BY checkpoint_id DESC LIMIT 20",
                    (*key, f'%"{COUNTERS_KEY}"%'),
                ).fetchall()
            metadatas = []
            for (raw,) in rows:
                try:
                    metadatas.append(decode_metadata(raw))
                except DecodeError:
                    continue
            self._delta_names_cache[key] = delta_channels_named(metadatas)
        return self._delta_names_cache[key]

    def _pending_writes(self, cur: sqlite3.Cursor, meta: CheckpointMeta) -> list[PendingWrite]:
        if not self._has_writes:
            return []
        task_path = "task_path" if self._has_task_path else "''"
        writes = []
        for task_id, path, channel, type_, blob, size, rowid in cur.execute(
            f"SELECT task_id, {task_path}, channel, type, {self._big_value('writes', 'value')} "
            "FROM writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? "
            "ORDER BY task_id, idx",
            (meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id),
        ).fetchall():
            error = self._withheld("value", size)
            if error is not None:
                value = unreadable(error, None if size == -1 else size)
            else:
                value = decode_value(type_, self._whole("writes", "value", blob, size, rowid))
                error = _write_error(value)
            writes.append(PendingWrite(str(task_id), path or "", str(channel), value, error))
        return writes

    def export_thread(self, thread_id: str) -> dict[str, Any]:
        """The whole thread as JSON-safe data: every checkpoint with values and writes."""
        return {
            "thread_id": thread_id,
            "checkpoints": [self.load_state(meta).to_json() for meta in self.history(thread_id)],
        }


def _write_error(value: Any) -> str | None:
    """The error line of a pending write whose value (or part of it) is unreadable."""
    found = next(damage(value), None)
    if found is None:
        return None
    where, error = found
    if where == "(value)":
        return f"value could not be decoded: {error}"
    return f"value could not be decoded at {where}: {error}"


def _meta(
    thread_id: str,
    ns: str,
    checkpoint_id: str,
    parent: str | None,
    raw_metadata: bytes | str | None,
    withheld: str | None = None,
) -> CheckpointMeta:
    return checkpoint_meta(thread_id, ns, checkpoint_id, parent, raw_metadata, withheld)
