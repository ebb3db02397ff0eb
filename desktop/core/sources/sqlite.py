"""Read-only access to a database written by LangGraph's ``SqliteSaver``.

Everything here is plain SQL on a read-only connection (``mode=ro``, or a private
snapshot when that cannot show the committed state, see :mod:`.readonly`): ``SqliteSaver``
itself is never used for reading because its ``setup()`` writes to the file (creates
tables, switches the journal to WAL). Listings are built from metadata columns only;
a checkpoint blob is decoded only when one checkpoint is asked for, value by value
(:mod:`desktop.core.isolate`), and no value larger than the limit, nor any generated
column, is ever fetched.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from desktop.core.decode import DecodeError, decode_metadata, decode_typed
from desktop.core.delta import (
    COUNTERS_KEY,
    DeltaRebuilder,
    delta_channels_named,
)
from desktop.core.errors import NotFoundError, SourceError
from desktop.core.isolate import (
    REST_KEY,
    VALUE_LIMIT_BYTES,
    damage,
    decode_checkpoint,
    decode_value,
    not_fetched,
    unreadable,
)
from desktop.core.model import (
    CheckpointMeta,
    CheckpointState,
    PendingWrite,
)
from desktop.core.progress import (
    CONTROL_WRITES,
    CheckpointProgress,
    WriteRecord,
    call_parent,
    checkpoint_progress,
    pull_node,
    send_targets,
    update_credit,
)
from desktop.core.shown_values import checkpoint_values, state_from
from desktop.core.sources.common import (
    checkpoint_meta,
    checkpoint_time,
    updates_to_credit,
    with_folds,
    with_parent_tasks,
    with_writers,
    writers_of_steps,
)
from desktop.core.sources.readonly import PIECES_OVER, SharedReadOnlyFile, read_in_pieces
from desktop.core.sources.sizes import CheckpointSize, ThreadSize, channel_sizes, merge_sizes
from desktop.core.sources.sqlite_delta import SqliteDeltaRows
from desktop.core.sources.sqlite_heads import scheduled_progress, write_record
from desktop.core.sources.sqlite_listing import MATCH_FUNCTION, SqliteThreadListing
from desktop.core.stored import RawValue, StoredWrite
from desktop.core.textmatch import contains_folded
from desktop.core.unwritten import UnwrittenChannels

_REQUIRED_CHECKPOINT_COLUMNS = {
    "thread_id",
    "checkpoint_ns",
    "checkpoint_id",
    "parent_checkpoint_id",
    "type",
    "checkpoint",
    "metadata",
}
# Columns Rewind reads as identifiers: a generated one (computed on every read) is refused.
__all__ = ["SqliteCheckpointSource", "checkpoint_time", "node_of_task_path"]

_KEY_COLUMNS = {
    "checkpoints": ("thread_id", "checkpoint_ns", "checkpoint_id", "parent_checkpoint_id", "type"),
    "writes": ("thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "channel", "type"),
}


def node_of_task_path(task_path: str) -> str | None:
    """The node a task ran, when its path names it (pull tasks: ``~__pregel_pull, node``;
    a functional-API ``@task`` call is named by the entrypoint that made it)."""
    return pull_node(task_path) or call_parent(task_path)


class SqliteCheckpointSource(SqliteThreadListing, SharedReadOnlyFile):
    """A LangGraph SQLite checkpoint database opened strictly for reading.

    Safe to share between threads: every query holds a lock, so the UI can run reads
    in worker threads (``asyncio.to_thread``) while the event loop stays free.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._order_cache: tuple[int, list[tuple[str, str | None]]] | None = None
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

    def _check_schema(self) -> tuple[bool, bool]:
        with self._cursor() as cur:
            try:
                tables = {
                    row[0]
                    for row in cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
            except sqlite3.DatabaseError as exc:
                raise SourceError(
                    f"{self.path} is not a readable SQLite database ({exc})"
                ) from None
            if "checkpoints" not in tables:
                raise SourceError(
                    f"{self.path} has no LangGraph checkpoint tables "
                    "(expected a 'checkpoints' table written by SqliteSaver)"
                )
            columns = self._table_columns(cur, "checkpoints")
            missing = _REQUIRED_CHECKPOINT_COLUMNS - columns
            if missing:
                raise SourceError(
                    f"{self.path}: table 'checkpoints' lacks column(s) "
                    f"{', '.join(sorted(missing))}; not a SqliteSaver database"
                )
            if "writes" not in tables:
                return False, False
            write_columns = self._table_columns(cur, "writes")
            return True, "task_path" in write_columns

    def _table_columns(self, cur: sqlite3.Cursor, table: str) -> set[str]:
        """The table's column names; generated value columns are remembered (never
        fetched), a virtual table or a generated identifier column is refused."""
        sql = cur.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()[0]
        if str(sql or "").lstrip().upper().startswith("CREATE VIRTUAL"):
            raise SourceError(
                f"{self.path}: table {table!r} is a virtual table, not one SqliteSaver writes"
            )
        if "WITHOUT ROWID" in " ".join(str(sql or "").upper().split()):
            self._without_rowid.add(table)
        columns = set()
        for row in cur.execute(f"PRAGMA table_xinfo({table})"):
            name, hidden = row[1], row[6]
            columns.add(name)
            if hidden in (2, 3) and name in _KEY_COLUMNS[table]:
                raise SourceError(
                    f"{self.path}: column {table}.{name} is computed by an expression "
                    "(a generated column); not a SqliteSaver database"
                )
            if hidden in (2, 3):
                self._generated.add(f"{table}.{name}")
        return columns

    def _value(self, table: str, column: str, ref: str | None = None) -> str:
        """SQL for a value column (``ref``: as the query names it) and its size, the value
        NULL when it is not fetched: larger than the limit (``length()`` is checked
        before reading), or generated (size ``-1``)."""
        if f"{table}.{column}" in self._generated:
            return "NULL, -1"
        ref = ref or column
        return f"CASE WHEN length({ref}) <= {VALUE_LIMIT_BYTES} THEN {ref} END, length({ref})"

    def _big_value(self, table: str, column: str, alias: str = "") -> str:
        """:meth:`_value` plus the row's ``rowid``, the value NULL already when it is over
        :data:`PIECES_OVER`: :meth:`_whole` then reads it a piece at a time."""
        if f"{table}.{column}" in self._generated or table in self._without_rowid:
            return f"{self._value(table, column, f'{alias}.{column}' if alias else None)}, NULL"
        ref = f"{alias}.{column}" if alias else column
        rowid = f"{alias}.rowid" if alias else "rowid"
        inline = min(PIECES_OVER, VALUE_LIMIT_BYTES)
        return f"CASE WHEN length({ref}) <= {inline} THEN {ref} END, length({ref}), {rowid}"

    def _whole(
        self, table: str, column: str, blob: bytes | None, size: int | None, rowid: int | None
    ) -> bytes | None:
        """The value :meth:`_big_value` selected: as fetched, or, when it is over
        :data:`PIECES_OVER` and within the limit, read in pieces (the lock held)."""
        if blob is not None or rowid is None or size is None or size < 0:
            return blob
        if size > VALUE_LIMIT_BYTES:
            return None
        return read_in_pieces(self._conn, table, column, rowid)

    def _withheld(self, what: str, size: int | None) -> str | None:
        """Why a value with this size (``-1``: generated column) was not fetched."""
        return not_fetched(what, size, generated=size == -1)

    def _row_meta(self, thread_id: str, row: tuple[Any, ...]) -> CheckpointMeta:
        """A checkpoint's metadata from ``(ns, id, parent, metadata, size)``."""
        ns, checkpoint_id, parent, raw, size = row
        return _meta(thread_id, ns, checkpoint_id, parent, raw, self._withheld("metadata", size))

    def _progress(
        self, cur: sqlite3.Cursor, thread_id: str, ns: str, checkpoint_id: str
    ) -> CheckpointProgress:
        """The step after one checkpoint (``get_state`` of it); empty when unreadable."""
        row = cur.execute(
            f"SELECT type, {self._value('checkpoints', 'checkpoint')} FROM checkpoints "
            "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
            (thread_id, ns, checkpoint_id),
        ).fetchone()
        if row is None:
            return CheckpointProgress()
        return self._progress_of(cur, thread_id, ns, checkpoint_id, row[0], row[1])

    def _progress_of(
        self,
        cur: sqlite3.Cursor,
        thread_id: str,
        ns: str,
        checkpoint_id: str,
        type_: str | None,
        blob: bytes | None,
    ) -> CheckpointProgress:
        """The step after a checkpoint whose stored blob was already fetched."""
        return scheduled_progress(
            type_, blob, self._write_records(cur, thread_id, ns, checkpoint_id)
        )

    def _write_records(
        self, cur: sqlite3.Cursor, thread_id: str, ns: str, checkpoint_id: str
    ) -> list[WriteRecord]:
        """The writes saved against one checkpoint; only interrupts and errors are decoded."""
        if not self._has_writes:
            return []
        columns, params = self._write_columns("writes")
        return [
            write_record(*row)
            for row in cur.execute(
                f"SELECT {columns} FROM writes "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? "
                f"ORDER BY {'task_id, idx' if 'writes' in self._without_rowid else 'rowid'}",
                (*params, thread_id, ns, checkpoint_id),
            ).fetchall()
        ]

    def progress(self, meta: CheckpointMeta) -> CheckpointProgress:
        """What the step after ``meta`` runs and what became of it, as ``get_state`` says."""
        with self._cursor() as cur:
            return self._progress(cur, meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id)

    # -- history -------------------------------------------------------------------------

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
                raise NotFoundError(f"thread {thread_id!r} not found in {self.path}")
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
        raise NotFoundError(f"thread {thread_id!r} not found in {self.path}")

    def _update_credits(
        self, cur: sqlite3.Cursor, thread_id: str, metas: list[CheckpointMeta]
    ) -> dict[tuple[str, str], str]:
        """The node each ``update`` checkpoint not written by Rewind was credited to, when
        its parent has no other update child and the writes saved on it tell
        (:func:`desktop.core.progress.update_credit`)."""
        credits: dict[tuple[str, str], str] = {}
        for parent, update in updates_to_credit(metas):
            ns, parent_id = parent.key
            row = cur.execute(
                f"SELECT type, {self._value('checkpoints', 'checkpoint')} FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                (thread_id, ns, parent_id),
            ).fetchone()
            try:
                checkpoint = decode_typed(row[0], row[1]) if row else None
            except DecodeError:
                continue
            if not isinstance(checkpoint, dict) or parent.step is None:
                continue
            writes = self._write_records(cur, thread_id, ns, parent_id)
            node = update_credit(checkpoint, ns, parent.step, writes)
            if node is not None:
                credits[update.key] = node
        return credits

    def _step_writers(
        self, cur: sqlite3.Cursor, thread_id: str, parents: set[tuple[str, str | None]]
    ) -> dict[tuple[str, str], tuple[str, ...]]:
        """For each checkpoint in ``parents``, the tasks of its step that finished.

        Pull tasks are named by their path; a ``Send`` task by the target of the pending
        ``Send`` its path points at (read from that one checkpoint's blob, only then).
        """
        if not self._has_writes or not self._has_task_path or not parents:
            return {}
        controls = tuple(sorted(CONTROL_WRITES))
        marks = ", ".join("?" for _ in controls)
        found: dict[tuple[str, str], list[WriteRecord]] = {}
        for ns, cid, task_id, path, outputs in cur.execute(
            "SELECT checkpoint_ns, checkpoint_id, task_id, task_path, "
            f"SUM(channel NOT IN ({marks})) FROM writes WHERE thread_id = ? "
            "GROUP BY checkpoint_ns, checkpoint_id, task_id ORDER BY MIN(rowid)",
            (*controls, thread_id),
        ):
            if (ns, cid) in parents and outputs:
                record = WriteRecord(str(task_id), str(path or ""), "output")
                found.setdefault((ns, cid), []).append(record)
        return writers_of_steps(found, lambda ns, cid: self._send_targets(cur, thread_id, ns, cid))

    def _send_targets(
        self, cur: sqlite3.Cursor, thread_id: str, ns: str, checkpoint_id: str
    ) -> list[str]:
        row = cur.execute(
            f"SELECT type, {self._value('checkpoints', 'checkpoint')} FROM checkpoints "
            "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
            (thread_id, ns, checkpoint_id),
        ).fetchone()
        try:
            checkpoint = decode_typed(row[0], row[1]) if row else None
        except DecodeError:
            return []
        values = checkpoint.get("channel_values") if isinstance(checkpoint, dict) else None
        return send_targets(values) if isinstance(values, dict) else []

    # -- one checkpoint ------------------------------------------------------------------

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
                    f"checkpoint {meta.checkpoint_id!r} not found in thread {meta.thread_id!r}"
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

    # -- sizes and stored rows (housekeeping) ----------------------------------------------

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
            raise NotFoundError(f"thread {thread_id!r} not found in {self.path}")
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
            row = cur.execute(
                f"SELECT type, {self._value('checkpoints', 'checkpoint')} FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                (meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id),
            ).fetchone()
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
        return [
            StoredWrite(
                str(ns),
                str(cid),
                str(task),
                str(path or ""),
                int(idx),
                str(channel),
                RawValue(str(type_), value),
            )
            for ns, cid, task, path, idx, channel, type_, value in rows
        ]

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
