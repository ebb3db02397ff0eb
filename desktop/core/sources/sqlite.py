"""Read-only access to a database written by LangGraph's ``SqliteSaver``.

Everything here is plain SQL on a connection opened with ``mode=ro``: ``SqliteSaver``
itself is never used for reading because its ``setup()`` writes to the file (creates
tables, switches the journal to WAL). Listings are built from metadata columns only;
a checkpoint blob is decoded only when one checkpoint is asked for.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from desktop.core.decode import DecodeError, decode_metadata, decode_scheduling, decode_typed
from desktop.core.delta import (
    COUNTERS_KEY,
    DeltaRebuilder,
    DeltaWrite,
    channels_to_rebuild,
    delta_channels_named,
)
from desktop.core.errors import NotFoundError, SourceError
from desktop.core.housekeeping import RawValue, StoredWrite
from desktop.core.model import (
    AS_NODE_KEY,
    ERROR_CHANNEL,
    INTERRUPT_CHANNEL,
    CheckpointMeta,
    CheckpointState,
    PendingWrite,
    ThreadSummary,
)
from desktop.core.progress import (
    CONTROL_WRITES,
    CheckpointProgress,
    TaskRef,
    WriteRecord,
    call_parent,
    checkpoint_progress,
    pull_node,
    send_index,
    send_targets,
    step_writers,
    update_credit,
)
from desktop.core.sources.sizes import CheckpointSize, ThreadSize, channel_sizes, merge_sizes
from desktop.core.sources.sqlite_delta import SqliteDeltaRows
from desktop.core.thread_filter import parse_thread_filter

_SQLITE_HEADER = b"SQLite format 3\x00"
_REQUIRED_CHECKPOINT_COLUMNS = {
    "thread_id",
    "checkpoint_ns",
    "checkpoint_id",
    "parent_checkpoint_id",
    "type",
    "checkpoint",
    "metadata",
}
_UUID_EPOCH = datetime(1582, 10, 15, tzinfo=UTC)
_FLAG_CHANNELS = (INTERRUPT_CHANNEL, ERROR_CHANNEL)
# Metadata sits after the checkpoint blob in each row, so listing it walks the blob's
# overflow pages; memory-mapped reads make that walk cheap (the mapping is read-only).
_MMAP_BYTES = 1 << 30
# How long a read waits for a writer's transaction (rollback-journal databases) to end.
_BUSY_SECONDS = 2.0


def checkpoint_time(checkpoint_id: str) -> datetime | None:
    """When a checkpoint was created, read from its id (LangGraph ids are UUIDv6)."""
    if isinstance(checkpoint_id, str) and len(checkpoint_id) == 36 and checkpoint_id[14] == "6":
        try:
            ticks = (
                int(checkpoint_id[0:8], 16) << 28
                | int(checkpoint_id[9:13], 16) << 12
                | int(checkpoint_id[15:18], 16)
            )
        except ValueError:
            return None
        return _UUID_EPOCH + timedelta(microseconds=ticks // 10)
    try:
        value = uuid.UUID(checkpoint_id)
    except (ValueError, TypeError, AttributeError):
        return None
    if value.version not in (1, 6):
        return None
    if value.version == 6:
        high = value.int >> 64
        ticks = ((high >> 32) & 0xFFFFFFFF) << 28 | ((high >> 16) & 0xFFFF) << 12 | high & 0x0FFF
    else:
        ticks = value.time
    return _UUID_EPOCH + timedelta(microseconds=ticks // 10)


def node_of_task_path(task_path: str) -> str | None:
    """The node a task ran, when its path names it (pull tasks: ``~__pregel_pull, node``;
    a functional-API ``@task`` call is named by the entrypoint that made it)."""
    return pull_node(task_path) or call_parent(task_path)


class SqliteCheckpointSource:
    """A LangGraph SQLite checkpoint database opened strictly for reading.

    Safe to share between threads: every query holds a lock, so the UI can run reads
    in worker threads (``asyncio.to_thread``) while the event loop stays free.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.location = str(self.path)
        self.note: str | None = None
        _check_file(self.path)
        self._conn = _connect_read_only(self.path)
        self._lock = threading.Lock()
        self._order_cache: tuple[int, list[tuple[str, str | None]]] | None = None
        try:
            self._has_writes, self._has_task_path = self._check_schema()
        except SourceError:
            self._conn.close()
            raise
        self.delta = DeltaRebuilder(SqliteDeltaRows(self._cursor, self._has_task_path))
        self._delta_names_cache: dict[tuple[str, str], list[str]] = {}

    def close(self) -> None:
        """Release the connection; the source must not be used afterwards."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteCheckpointSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            try:
                yield cur
            except sqlite3.DatabaseError as exc:
                raise SourceError(f"{self.path}: cannot read database ({exc})") from None
            finally:
                cur.close()

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
            columns = {row[1] for row in cur.execute("PRAGMA table_info(checkpoints)")}
            missing = _REQUIRED_CHECKPOINT_COLUMNS - columns
            if missing:
                raise SourceError(
                    f"{self.path}: table 'checkpoints' lacks column(s) "
                    f"{', '.join(sorted(missing))}; not a SqliteSaver database"
                )
            if "writes" not in tables:
                return False, False
            write_columns = {row[1] for row in cur.execute("PRAGMA table_info(writes)")}
            return True, "task_path" in write_columns

    # -- threads -------------------------------------------------------------------------

    def count_threads(self, text_filter: str = "") -> int:
        """How many threads match the filter (see :mod:`desktop.core.thread_filter`)."""
        if parse_thread_filter(text_filter).empty:
            with self._cursor() as cur:
                return len(self._thread_order(cur))
        where, params = _thread_filter(text_filter)
        with self._cursor() as cur:
            row = cur.execute(
                f"SELECT COUNT(DISTINCT thread_id) FROM checkpoints {where}", params
            ).fetchone()
        return int(row[0])

    def list_threads(
        self, text_filter: str = "", *, offset: int = 0, limit: int | None = None
    ) -> list[ThreadSummary]:
        """Threads newest first (by their newest root checkpoint), with checkpoint count,
        last update and run state.

        Without a filter the order comes from :meth:`_thread_order` (index seeks only)
        and only the requested page is counted and read, so the first page of a
        database of a million checkpoints costs milliseconds.
        """
        if parse_thread_filter(text_filter).empty:
            with self._cursor() as cur:
                order = self._thread_order(cur)
                end = None if limit is None else offset + limit
                return self._page(cur, order[offset:end])
        where, params = _thread_filter(text_filter)
        query = (
            "SELECT thread_id, COUNT(*), MAX(checkpoint_id), "
            "MAX(CASE WHEN checkpoint_ns = '' THEN checkpoint_id END) AS root "
            f"FROM checkpoints {where} GROUP BY thread_id "
            "ORDER BY COALESCE(root, MAX(checkpoint_id)) DESC, thread_id"
        )
        if limit is not None:
            query += " LIMIT ? OFFSET ?"
            params = (*params, limit, offset)
        elif offset:
            query += " LIMIT -1 OFFSET ?"
            params = (*params, offset)
        with self._cursor() as cur:
            rows = cur.execute(query, params).fetchall()
            return [self._summary(cur, *row) for row in rows]

    def thread_ids(self, text_filter: str = "") -> list[str]:
        """Every matching thread id in list order (newest first), nothing else read."""
        if parse_thread_filter(text_filter).empty:
            with self._cursor() as cur:
                return [thread_id for thread_id, _ in self._thread_order(cur)]
        where, params = _thread_filter(text_filter)
        with self._cursor() as cur:
            rows = cur.execute(
                "SELECT thread_id, MAX(CASE WHEN checkpoint_ns = '' THEN checkpoint_id END) "
                f"AS root FROM checkpoints {where} GROUP BY thread_id "
                "ORDER BY COALESCE(root, MAX(checkpoint_id)) DESC, thread_id",
                params,
            ).fetchall()
        return [str(row[0]) for row in rows]

    def _thread_order(self, cur: sqlite3.Cursor) -> list[tuple[str, str | None]]:
        """Every thread id with its newest root checkpoint id, newest first.

        A loose index scan (one seek per thread on the saver's primary key) and one
        seek for each thread's newest root checkpoint: no pass over every checkpoint.
        Cached until another connection commits (``PRAGMA data_version``).
        """
        version = cur.execute("PRAGMA data_version").fetchone()[0]
        if self._order_cache is not None and self._order_cache[0] == version:
            return self._order_cache[1]
        rows = cur.execute(
            "WITH RECURSIVE ids(id) AS ("
            " SELECT MIN(thread_id) FROM checkpoints"
            " UNION ALL"
            " SELECT (SELECT MIN(thread_id) FROM checkpoints WHERE thread_id > ids.id)"
            " FROM ids WHERE ids.id IS NOT NULL) "
            "SELECT id, (SELECT MAX(checkpoint_id) FROM checkpoints "
            "            WHERE thread_id = ids.id AND checkpoint_ns = '') "
            "FROM ids WHERE id IS NOT NULL"
        ).fetchall()
        keyed = []
        for thread_id, root in rows:
            key = root
            if key is None:
                (key,) = cur.execute(
                    "SELECT MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ?",
                    (thread_id,),
                ).fetchone()
            keyed.append((str(key or ""), str(thread_id), root))
        keyed.sort(key=lambda item: item[1])
        keyed.sort(key=lambda item: item[0], reverse=True)
        order = [(thread_id, root) for _, thread_id, root in keyed]
        self._order_cache = (version, order)
        return order

    def _page(self, cur: sqlite3.Cursor, page: list[tuple[str, str | None]]) -> list[ThreadSummary]:
        """Summaries of ``page`` (thread ids with their newest root checkpoint) in two
        statements: counts and head rows, then the heads' writes."""
        if not page:
            return []
        heads = cur.execute(
            "SELECT (SELECT COUNT(*) FROM checkpoints x WHERE x.thread_id = j.value ->> 0), "
            "(SELECT MAX(checkpoint_id) FROM checkpoints x WHERE x.thread_id = j.value ->> 0), "
            "c.type, c.checkpoint, c.parent_checkpoint_id, c.metadata "
            "FROM json_each(?) j LEFT JOIN checkpoints c ON c.thread_id = j.value ->> 0 "
            "AND c.checkpoint_ns = '' AND c.checkpoint_id = j.value ->> 1 ORDER BY j.key",
            (json.dumps(page),),
        ).fetchall()
        writes = self._head_writes(cur, page)
        summaries = []
        for (thread_id, root), (count, newest, type_, blob, parent, metadata) in zip(
            page, heads, strict=True
        ):
            progress, head = CheckpointProgress(), None
            if root is not None and type_ is not None:
                progress = _scheduled(type_, blob, writes.get(thread_id, []))
                head = _meta(thread_id, "", root, parent, metadata)
            summaries.append(_thread_summary(thread_id, int(count), newest, root, progress, head))
        return summaries

    def _head_writes(
        self, cur: sqlite3.Cursor, page: list[tuple[str, str | None]]
    ) -> dict[str, list[WriteRecord]]:
        """The writes saved against each thread's head (interrupts and errors decoded)."""
        if not self._has_writes:
            return {}
        task_path = "task_path" if self._has_task_path else "''"
        found: dict[str, list[WriteRecord]] = {}
        for thread_id, task_id, path, channel, type_, blob in cur.execute(
            f"SELECT w.thread_id, w.task_id, w.{task_path}, w.channel, "
            "CASE WHEN w.channel IN (?, ?) THEN w.type END, "
            "CASE WHEN w.channel IN (?, ?) THEN w.value END "
            "FROM json_each(?) j JOIN writes w ON w.thread_id = j.value ->> 0 "
            "AND w.checkpoint_ns = '' AND w.checkpoint_id = j.value ->> 1 "
            "ORDER BY j.key, w.rowid",
            (*_FLAG_CHANNELS, *_FLAG_CHANNELS, json.dumps([p for p in page if p[1]])),
        ):
            found.setdefault(str(thread_id), []).append(
                _write_record(task_id, path, channel, type_, blob)
            )
        return found

    def thread(self, thread_id: str) -> ThreadSummary:
        """One thread's summary; :class:`NotFoundError` when the id is unknown."""
        with self._cursor() as cur:
            row = cur.execute(
                "SELECT thread_id, COUNT(*), MAX(checkpoint_id), "
                "MAX(CASE WHEN checkpoint_ns = '' THEN checkpoint_id END) "
                "FROM checkpoints WHERE thread_id = ? GROUP BY thread_id",
                (thread_id,),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"thread {thread_id!r} not found in {self.path}")
            return self._summary(cur, *row)

    def _summary(
        self,
        cur: sqlite3.Cursor,
        thread_id: str,
        count: int,
        newest_id: str,
        latest_root_id: str | None,
    ) -> ThreadSummary:
        progress, head = CheckpointProgress(), None
        if latest_root_id:
            row = cur.execute(
                "SELECT type, checkpoint, parent_checkpoint_id, metadata FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = '' AND checkpoint_id = ?",
                (thread_id, latest_root_id),
            ).fetchone()
            if row is not None:
                type_, blob, parent, metadata = row
                progress = self._progress_of(cur, thread_id, "", latest_root_id, type_, blob)
                head = _meta(str(thread_id), "", latest_root_id, parent, metadata)
        return _thread_summary(
            str(thread_id), int(count), newest_id, latest_root_id, progress, head
        )

    def _progress(
        self, cur: sqlite3.Cursor, thread_id: str, ns: str, checkpoint_id: str
    ) -> CheckpointProgress:
        """The step after one checkpoint (``get_state`` of it); empty when unreadable."""
        row = cur.execute(
            "SELECT type, checkpoint FROM checkpoints "
            "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
            (thread_id, ns, checkpoint_id),
        ).fetchone()
        if row is None:
            return CheckpointProgress()
        return self._progress_of(cur, thread_id, ns, checkpoint_id, *row)

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
        return _scheduled(type_, blob, self._write_records(cur, thread_id, ns, checkpoint_id))

    def _write_records(
        self, cur: sqlite3.Cursor, thread_id: str, ns: str, checkpoint_id: str
    ) -> list[WriteRecord]:
        """The writes saved against one checkpoint; only interrupts and errors are decoded."""
        if not self._has_writes:
            return []
        task_path = "task_path" if self._has_task_path else "''"
        records = []
        for task_id, path, channel, type_, blob in cur.execute(
            f"SELECT task_id, {task_path}, channel, "
            "CASE WHEN channel IN (?, ?) THEN type END, CASE WHEN channel IN (?, ?) THEN value END "
            "FROM writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? "
            "ORDER BY rowid",
            (*_FLAG_CHANNELS, *_FLAG_CHANNELS, thread_id, ns, checkpoint_id),
        ).fetchall():
            records.append(_write_record(task_id, path, channel, type_, blob))
        return records

    def progress(self, meta: CheckpointMeta) -> CheckpointProgress:
        """What the step after ``meta`` runs and what became of it, as ``get_state`` says."""
        with self._cursor() as cur:
            return self._progress(cur, meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id)

    # -- history -------------------------------------------------------------------------

    def history(self, thread_id: str) -> list[CheckpointMeta]:
        """Every checkpoint of a thread in every namespace, newest first, from metadata only."""
        # common imports this module (checkpoint_time): imported here, not at the top
        from desktop.core.sources.common import with_writers

        with self._cursor() as cur:
            rows = cur.execute(
                "SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, metadata "
                "FROM checkpoints WHERE thread_id = ? ORDER BY checkpoint_id DESC, checkpoint_ns",
                (thread_id,),
            ).fetchall()
            if not rows:
                raise NotFoundError(f"thread {thread_id!r} not found in {self.path}")
            metas = [_meta(thread_id, ns, cid, parent, raw) for ns, cid, parent, raw in rows]
            loop_parents = {
                (m.checkpoint_ns, m.parent_checkpoint_id)
                for m in metas
                if m.source == "loop" and m.parent_checkpoint_id
            }
            writers = self._step_writers(cur, thread_id, loop_parents)
            credits = self._update_credits(cur, thread_id, metas)
        return [with_writers(m, writers, credits) for m in metas]

    def _update_credits(
        self, cur: sqlite3.Cursor, thread_id: str, metas: list[CheckpointMeta]
    ) -> dict[tuple[str, str], str]:
        """The node each ``update`` checkpoint not written by Rewind was credited to, when
        its parent has no other update child and the writes saved on it tell
        (:func:`desktop.core.progress.update_credit`)."""
        children: dict[tuple[str, str], list[CheckpointMeta]] = {}
        for meta in metas:
            if meta.source == "update" and meta.parent_checkpoint_id:
                children.setdefault((meta.checkpoint_ns, meta.parent_checkpoint_id), []).append(
                    meta
                )
        by_key = {m.key: m for m in metas}
        credits: dict[tuple[str, str], str] = {}
        for (ns, parent_id), updates in children.items():
            parent = by_key.get((ns, parent_id))
            if len(updates) != 1 or AS_NODE_KEY in updates[0].metadata or parent is None:
                continue
            row = cur.execute(
                "SELECT type, checkpoint FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                (thread_id, ns, parent_id),
            ).fetchone()
            try:
                checkpoint = decode_typed(*row) if row else None
            except DecodeError:
                continue
            if not isinstance(checkpoint, dict) or parent.step is None:
                continue
            writes = self._write_records(cur, thread_id, ns, parent_id)
            node = update_credit(checkpoint, ns, parent.step, writes)
            if node is not None:
                credits[updates[0].key] = node
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
        result = {}
        for (ns, cid), records in found.items():
            pulls = sorted({n for r in records if (n := pull_node(r.task_path))})
            tasks = [TaskRef(name) for name in pulls]
            if any(send_index(r.task_path) is not None for r in records):
                targets = self._send_targets(cur, thread_id, ns, cid)
                tasks = [TaskRef(t, i) for i, t in enumerate(targets)] + tasks
            result[(ns, cid)] = step_writers(tasks, records)
        return result

    def _send_targets(
        self, cur: sqlite3.Cursor, thread_id: str, ns: str, checkpoint_id: str
    ) -> list[str]:
        row = cur.execute(
            "SELECT type, checkpoint FROM checkpoints "
            "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
            (thread_id, ns, checkpoint_id),
        ).fetchone()
        try:
            checkpoint = decode_typed(*row) if row else None
        except DecodeError:
            return []
        values = checkpoint.get("channel_values") if isinstance(checkpoint, dict) else None
        return send_targets(values) if isinstance(values, dict) else []

    # -- one checkpoint ------------------------------------------------------------------

    def load_state(self, meta: CheckpointMeta) -> CheckpointState:
        """Decode one checkpoint's channel values and pending writes, never raising on bad data.

        A blob that fails to decode yields a state with ``error`` set; the pending writes
        are still read, each one decoded on its own.
        """
        with self._cursor() as cur:
            row = cur.execute(
                "SELECT type, checkpoint FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                (meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id),
            ).fetchone()
            if row is None:
                raise NotFoundError(
                    f"checkpoint {meta.checkpoint_id!r} not found in thread {meta.thread_id!r}"
                )
            writes = self._pending_writes(cur, meta)
        values: dict[str, Any] = {}
        error = None
        progress = CheckpointProgress()
        reconstructed: tuple[str, ...] = ()
        unfolded: tuple[str, ...] = ()
        try:
            checkpoint = decode_typed(row[0], row[1])
        except DecodeError as exc:
            error = f"checkpoint blob could not be decoded: {exc}"
        else:
            if isinstance(checkpoint, dict) and isinstance(checkpoint.get("channel_values"), dict):
                values = checkpoint["channel_values"]
                records = [WriteRecord(w.task_id, w.task_path, w.channel, w.value) for w in writes]
                progress = checkpoint_progress(checkpoint, records)
                versions = checkpoint.get("channel_versions")
                versions = versions if isinstance(versions, dict) else {}
                known = () if COUNTERS_KEY in meta.metadata else self._delta_names(meta)
                rebuild, never = channels_to_rebuild(meta.metadata, values, versions, known=known)
                if rebuild or never:
                    rebuilt = self.delta.rebuild(
                        meta.thread_id,
                        meta.checkpoint_ns,
                        meta.checkpoint_id,
                        values=values,
                        rebuild=rebuild,
                        never_written=never,
                        own_writes=_delta_writes(meta.checkpoint_id, writes),
                    )
                    values, reconstructed = rebuilt.values, rebuilt.reconstructed
                    unfolded = rebuilt.unfolded
            else:
                error = "checkpoint blob has no channel_values"
        return CheckpointState(
            meta=meta,
            values=values,
            pending_writes=writes,
            progress=progress,
            error=error,
            reconstructed=reconstructed,
            unfolded=unfolded,
        )

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
        for task_id, path, channel, type_, blob in cur.execute(
            f"SELECT task_id, {task_path}, channel, type, value FROM writes "
            "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? "
            "ORDER BY task_id, idx",
            (meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id),
        ):
            try:
                value, error = decode_typed(type_, blob), None
            except DecodeError as exc:
                value, error = None, f"value could not be decoded: {exc}"
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
                "SELECT type, checkpoint FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                (meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id),
            ).fetchone()
        return channel_sizes(*row) if row else {}

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


def _delta_writes(checkpoint_id: str, writes: list[PendingWrite]) -> list[DeltaWrite]:
    """A checkpoint's pending writes as :mod:`desktop.core.delta` rows (stored order)."""
    return [
        DeltaWrite(checkpoint_id, w.task_id, w.task_path, i, w.channel, w.value, w.error)
        for i, w in enumerate(writes)
    ]


def _check_file(path: Path) -> None:
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path} is a directory, not a checkpoint database file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise SourceError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if not header:
        raise SourceError(f"{path} is empty, not a LangGraph checkpoint database")
    if header != _SQLITE_HEADER:
        raise SourceError(f"{path} is not a SQLite database")


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Open without any chance of writing: ``mode=ro``, falling back to ``immutable=1``.

    The fallback is only for files SQLite cannot open for shared reading (read-only
    media, or a folder where it cannot create the shared-memory file a WAL reader
    needs). A database locked by a writer is reported, never read past its lock.
    """
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        return _probe(
            sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=_BUSY_SECONDS)
        )
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise SourceError(
                f"{path} is locked by another process writing to it; try again in a moment"
            ) from None
        if "unable to open" not in str(exc) and "readonly" not in str(exc):
            raise SourceError(f"{path} is not a readable SQLite database ({exc})") from None
    try:
        return _probe(sqlite3.connect(f"{uri}&immutable=1", uri=True, check_same_thread=False))
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"{path} is not a readable SQLite database ({exc})") from None


def _probe(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Check a fresh connection can read the schema; close it when it cannot."""
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        conn.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
    except sqlite3.DatabaseError:
        conn.close()
        raise
    return conn


def _scheduled(
    type_: str | None, blob: bytes | None, writes: list[WriteRecord]
) -> CheckpointProgress:
    """The step after a stored checkpoint, from its scheduling channels and its writes."""
    try:
        checkpoint = decode_scheduling(type_, blob)
    except DecodeError:
        return CheckpointProgress()
    if not isinstance(checkpoint, dict):
        return CheckpointProgress()
    return checkpoint_progress(checkpoint, writes)


def _write_record(
    task_id: Any, path: Any, channel: Any, type_: str | None, blob: bytes | None
) -> WriteRecord:
    """A write as :mod:`desktop.core.progress` reads it (only flag values decoded)."""
    try:
        value = decode_typed(type_, blob) if blob is not None else None
    except DecodeError:
        value = None
    return WriteRecord(str(task_id), str(path or ""), str(channel), value)


def _thread_summary(
    thread_id: str,
    count: int,
    newest_id: str,
    root_id: str | None,
    progress: CheckpointProgress,
    head: CheckpointMeta | None,
) -> ThreadSummary:
    return ThreadSummary(
        thread_id=thread_id,
        checkpoints=count,
        updated_at=checkpoint_time(newest_id),
        latest_checkpoint_id=root_id or newest_id,
        progress=progress,
        head_source=head.source if head else None,
        head_step=head.step if head else None,
    )


def _thread_filter(text_filter: str) -> tuple[str, tuple[Any, ...]]:
    """SQL for :mod:`desktop.core.thread_filter`'s syntax: id words and ``key=value``."""
    parsed = parse_thread_filter(text_filter)
    clauses: list[str] = []
    params: list[Any] = []
    if parsed.id_text:
        escaped = parsed.id_text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("thread_id LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    for key, value in parsed.metadata:
        path = '$."' + key.replace('"', '""') + '"'
        clauses.append(
            "thread_id IN (SELECT thread_id FROM checkpoints "
            "WHERE json_valid(CAST(metadata AS TEXT)) AND "
            "(CASE json_type(CAST(metadata AS TEXT), ?) "
            "WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
            "WHEN 'text' THEN json_extract(CAST(metadata AS TEXT), ?) "
            "WHEN 'integer' THEN CAST(json_extract(CAST(metadata AS TEXT), ?) AS TEXT) "
            "WHEN 'real' THEN CAST(json_extract(CAST(metadata AS TEXT), ?) AS TEXT) "
            "END) = ?)"
        )
        params.extend([path, path, path, path, value])
    if not clauses:
        return "", ()
    return "WHERE " + " AND ".join(clauses), tuple(params)


def _meta(
    thread_id: str,
    ns: str,
    checkpoint_id: str,
    parent: str | None,
    raw_metadata: bytes | str | None,
) -> CheckpointMeta:
    metadata_error = None
    try:
        metadata = decode_metadata(raw_metadata)
    except DecodeError as exc:
        metadata, metadata_error = {}, str(exc)
    step = metadata.get("step")
    source = metadata.get("source")
    return CheckpointMeta(
        thread_id=thread_id,
        checkpoint_ns=ns,
        checkpoint_id=checkpoint_id,
        parent_checkpoint_id=parent or None,
        step=step if isinstance(step, int) and not isinstance(step, bool) else None,
        source=source if isinstance(source, str) else None,
        created_at=checkpoint_time(checkpoint_id),
        metadata=metadata,
        metadata_error=metadata_error,
    )
