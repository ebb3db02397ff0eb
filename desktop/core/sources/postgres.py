"""Read-only access to a database written by LangGraph's ``PostgresSaver``.

Plain SQL in read-only transactions (:mod:`pg_connect`): no DDL, never
``PostgresSaver.setup()``, and nothing but ``SELECT`` on ``checkpoints``,
``checkpoint_blobs`` and ``checkpoint_writes`` is needed. The saver classes are never
imported (they pull in LangGraph; reading needs only psycopg). Listings come from the
``checkpoints`` columns and metadata only. One checkpoint's values are assembled the
way ``PostgresSaver`` stores them: primitives inline in the ``checkpoint`` JSONB, every
other value in ``checkpoint_blobs`` under the channel's version, each decoded by
Rewind's own decoder. A ``ShallowPostgresSaver`` database (one checkpoint per thread
and namespace, no ``checkpoint_id`` column) is read as what it is, with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from desktop.core.decode import DecodeError, decode_metadata, decode_typed
from desktop.core.delta import (
    COUNTERS_KEY,
    DeltaRebuilder,
    DeltaWrite,
    channels_to_rebuild,
    delta_channels_named,
)
from desktop.core.errors import NotFoundError, SourceError
from desktop.core.isolate import damage, decode_value
from desktop.core.model import (
    ERROR_CHANNEL,
    INTERRUPT_CHANNEL,
    CheckpointMeta,
    CheckpointState,
    PendingWrite,
    ThreadSummary,
)
from desktop.core.progress import (
    CONTROL_WRITES,
    START,
    TASKS_CHANNEL,
    CheckpointProgress,
    WriteRecord,
    checkpoint_progress,
    send_targets,
    update_credit,
)
from desktop.core.sources.common import (
    checkpoint_meta,
    updates_to_credit,
    with_writers,
    writers_of_steps,
)
from desktop.core.sources.pg_connect import ReadOnlyConnection
from desktop.core.sources.postgres_delta import PostgresDeltaRows
from desktop.core.sources.postgres_housekeeping import PostgresHousekeeping
from desktop.core.sources.sqlite import checkpoint_time
from desktop.core.textmatch import contains_folded, fold
from desktop.core.thread_filter import parse_thread_filter

SHALLOW_NOTE = (
    "shallow saver (ShallowPostgresSaver): only the latest checkpoint of each thread is "
    "kept; time travel needs the history PostgresSaver keeps"
)
_FLAG_CHANNELS = [INTERRUPT_CHANNEL, ERROR_CHANNEL]
_EMPTY_BLOB = "empty"
# The channels that decide which tasks a checkpoint's step runs (progress.step_tasks):
# only these values are read for a thread's status; the others stay undecoded.
_TRIGGERS_SQL = (
    "(k = '__start__' OR k = '__pregel_tasks' OR k LIKE 'branch:to:%%' OR k LIKE 'join:%%')"
)


@dataclass(frozen=True)
class _Schema:
    """How this database's tables name things: full or shallow saver, optional parts."""

    shallow: bool
    has_writes: bool
    has_task_path: bool

    @property
    def cid(self) -> str:
        """SQL for a checkpoint row's id (shallow rows keep it only in the JSONB)."""
        return self.cid_of("")

    def cid_of(self, alias: str) -> str:
        """:attr:`cid` for the ``checkpoints`` table named ``alias`` in a join."""
        prefix = f"{alias}." if alias else ""
        return f"({prefix}checkpoint ->> 'id')" if self.shallow else f"{prefix}checkpoint_id"

    @property
    def parent(self) -> str:
        return "NULL::text" if self.shallow else "parent_checkpoint_id"

    @property
    def blob_version(self) -> str:
        """Join condition on a blob's version (shallow blobs keep only the latest)."""
        return "" if self.shallow else "AND bl.version = v.value"

    @property
    def task_path(self) -> str:
        return "task_path" if self.has_task_path else "''"


class PostgresCheckpointSource(PostgresHousekeeping):
    """A LangGraph Postgres checkpoint database opened strictly for reading.

    Safe to share between threads (one connection, reads serialised by a lock).
    ``location`` is the URL without its password; ``note`` is set for a shallow saver.
    """

    def __init__(self, url: str) -> None:
        self._db = ReadOnlyConnection(url)
        self.location = self._db.location
        try:
            self._schema = self._check_schema()
        except SourceError:
            self._db.close()
            raise
        self.note: str | None = SHALLOW_NOTE if self._schema.shallow else None
        self.delta = DeltaRebuilder(
            PostgresDeltaRows(
                self._db, has_parents=not self._schema.shallow, task_path=self._schema.task_path
            )
        )
        self._delta_names_cache: dict[tuple[str, str], list[str]] = {}

    def close(self) -> None:
        """Release the connection; the source must not be used afterwards."""
        self._db.close()

    def __enter__(self) -> PostgresCheckpointSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_schema(self) -> _Schema:
        with self._db.read() as cur:
            cur.execute(
                "SELECT c.relname, a.attname FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
                "WHERE c.oid IN (to_regclass('checkpoints'), to_regclass('checkpoint_blobs'), "
                "to_regclass('checkpoint_writes')) AND a.attnum > 0 AND NOT a.attisdropped"
            )
            columns: dict[str, set[str]] = {}
            for table, column in cur.fetchall():
                columns.setdefault(table, set()).add(column)
        checkpoints = columns.get("checkpoints")
        if not checkpoints:
            raise SourceError(
                f"{self.location} has no LangGraph checkpoint tables "
                "(expected a 'checkpoints' table written by PostgresSaver)"
            )
        missing = {"thread_id", "checkpoint_ns", "checkpoint", "metadata"} - checkpoints
        if "checkpoint_blobs" not in columns:
            missing.add("(table checkpoint_blobs)")
        if missing:
            raise SourceError(
                f"{self.location}: table 'checkpoints' lacks {', '.join(sorted(missing))}; "
                "not a PostgresSaver database"
            )
        writes = columns.get("checkpoint_writes", set())
        return _Schema(
            shallow="checkpoint_id" not in checkpoints,
            has_writes=bool(writes),
            has_task_path="task_path" in writes,
        )

    # -- threads -------------------------------------------------------------------------

    def count_threads(self, text_filter: str = "") -> int:
        """How many threads match the filter (id words ignore case in every script)."""
        with self._db.read() as cur:
            where, params = _thread_filter(cur, text_filter)
            cur.execute(
                f"SELECT count(*) FROM (SELECT thread_id FROM checkpoints {where} "
                "GROUP BY thread_id) AS threads",
                params,
            )
            return int(cur.fetchone()[0])

    def list_threads(
        self, text_filter: str = "", *, offset: int = 0, limit: int | None = None
    ) -> list[ThreadSummary]:
        """Threads newest first, with checkpoint count, last update and status flags."""
        cid = self._schema.cid
        with self._db.read() as cur:
            where, params = _thread_filter(cur, text_filter)
            query = (
                f'SELECT thread_id, count(*), max({cid} COLLATE "C") AS newest, '
                f"max({cid} COLLATE \"C\") FILTER (WHERE checkpoint_ns = '') "
                f"FROM checkpoints {where} GROUP BY thread_id "
                'ORDER BY newest DESC, thread_id COLLATE "C"'
            )
            if limit is not None:
                query += " LIMIT %s"
                params = (*params, limit)
            if offset:
                query += " OFFSET %s"
                params = (*params, offset)
            cur.execute(query, params)
            return self._summaries(cur, cur.fetchall())

    def thread(self, thread_id: str) -> ThreadSummary:
        """One thread's summary; :class:`NotFoundError` when the id is unknown."""
        cid = self._schema.cid
        with self._db.read() as cur:
            cur.execute(
                f'SELECT thread_id, count(*), max({cid} COLLATE "C"), '
                f"max({cid} COLLATE \"C\") FILTER (WHERE checkpoint_ns = '') "
                "FROM checkpoints WHERE thread_id = %s GROUP BY thread_id",
                (thread_id,),
            )
            rows = cur.fetchall()
            if not rows:
                raise NotFoundError(f"thread {thread_id!r} not found in {self.location}")
            return self._summaries(cur, rows)[0]

    def _summaries(self, cur: psycopg.Cursor[Any], rows: list[tuple]) -> list[ThreadSummary]:
        """Summaries of a page of threads; the heads' status is read in three batched
        queries (checkpoints, trigger-channel blobs, writes), not one per thread."""
        heads = [(str(tid), latest) for tid, _count, _newest, latest in rows if latest]
        steps = self._steps(cur, "", heads, only_triggers=True)
        summaries = []
        for tid, count, newest, latest in rows:
            progress, head = steps.get((str(tid), latest), (CheckpointProgress(), None))
            summaries.append(
                ThreadSummary(
                    thread_id=str(tid),
                    checkpoints=int(count),
                    updated_at=checkpoint_time(newest),
                    latest_checkpoint_id=latest or newest,
                    progress=progress,
                    head_source=head.source if head else None,
                    head_step=head.step if head else None,
                )
            )
        return summaries

    def progress(self, meta: CheckpointMeta) -> CheckpointProgress:
        """What the step after ``meta`` runs and what became of it, as ``get_state`` says."""
        key = (meta.thread_id, meta.checkpoint_id)
        with self._db.read() as cur:
            steps = self._steps(cur, meta.checkpoint_ns, [key], only_triggers=True)
        return steps.get(key, (CheckpointProgress(), None))[0]

    def _steps(
        self,
        cur: psycopg.Cursor[Any],
        ns: str,
        keys: list[tuple[str, str]],
        *,
        only_triggers: bool,
        into: dict[tuple[str, str], dict[str, Any]] | None = None,
    ) -> dict[tuple[str, str], tuple[CheckpointProgress, CheckpointMeta | None]]:
        """The step after each ``(thread_id, checkpoint_id)`` in namespace ``ns``, with the
        checkpoint's metadata record. Only trigger channels are decoded."""
        if not keys:
            return {}
        schema, wanted = self._schema, set(keys)
        threads, ids = [t for t, _ in keys], [c for _, c in keys]
        cur.execute(
            f"SELECT thread_id, {schema.cid}, {schema.parent}, metadata::text, "
            "checkpoint - 'channel_values', "
            "(SELECT jsonb_object_agg(k, v) FROM jsonb_each(CASE jsonb_typeof("
            "checkpoint -> 'channel_values') WHEN 'object' THEN checkpoint -> 'channel_values' "
            f"ELSE '{{}}'::jsonb END) AS e(k, v) WHERE {_TRIGGERS_SQL}) "
            f"FROM checkpoints WHERE checkpoint_ns = %s AND thread_id = ANY(%s) "
            f"AND {schema.cid} = ANY(%s)",
            (ns, threads, ids),
        )
        checkpoints: dict[tuple[str, str], dict[str, Any]] = {}
        metas: dict[tuple[str, str], CheckpointMeta] = {}
        for tid, cid, parent, raw_meta, rest, inline in cur.fetchall():
            if (tid, cid) not in wanted or not isinstance(rest, dict):
                continue
            checkpoints[(tid, cid)] = {**rest, "channel_values": dict(inline or {})}
            metas[(tid, cid)] = checkpoint_meta(tid, ns, cid, parent, raw_meta)
        for tid, cid, channel, type_, blob in self._trigger_blobs(cur, ns, threads, ids):
            values = checkpoints.get((tid, cid), {}).get("channel_values")
            if values is None or type_ == _EMPTY_BLOB:
                continue
            try:
                values[channel] = True if channel == START else decode_typed(type_, blob)
            except DecodeError:
                values.pop(channel, None)
        if into is not None:
            into.update(checkpoints)
        writes = self._write_records(cur, ns, threads, ids)
        return {
            key: (checkpoint_progress(checkpoint, writes.get(key, [])), metas[key])
            for key, checkpoint in checkpoints.items()
        }

    def _update_credits(
        self, cur: psycopg.Cursor[Any], thread_id: str, metas: list[CheckpointMeta]
    ) -> dict[tuple[str, str], str]:
        """The node each ``update`` checkpoint not written by Rewind was credited to, when
        its parent has no other update child and the writes saved on it tell
        (:func:`desktop.core.progress.update_credit`), as on SQLite."""
        wanted: dict[str, list[tuple[CheckpointMeta, CheckpointMeta]]] = {}
        for parent, update in updates_to_credit(metas):
            wanted.setdefault(parent.checkpoint_ns, []).append((parent, update))
        credits: dict[tuple[str, str], str] = {}
        for ns, pairs in wanted.items():
            keys = [(thread_id, parent.checkpoint_id) for parent, _ in pairs]
            checkpoints, writes = self._trigger_checkpoints(cur, ns, keys)
            for parent, update in pairs:
                key = (thread_id, parent.checkpoint_id)
                checkpoint = checkpoints.get(key)
                if checkpoint is None or parent.step is None:
                    continue
                node = update_credit(checkpoint, ns, parent.step, writes.get(key, []))
                if node is not None:
                    credits[update.key] = node
        return credits

    def _trigger_checkpoints(
        self, cur: psycopg.Cursor[Any], ns: str, keys: list[tuple[str, str]]
    ) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[tuple[str, str], list[WriteRecord]]]:
        """Checkpoints with only their trigger channels decoded, and their writes."""
        steps_checkpoints: dict[tuple[str, str], dict[str, Any]] = {}
        self._steps(cur, ns, keys, only_triggers=True, into=steps_checkpoints)
        threads, ids = [t for t, _ in keys], [c for _, c in keys]
        return steps_checkpoints, self._write_records(cur, ns, threads, ids)

    def _trigger_blobs(
        self, cur: psycopg.Cursor[Any], ns: str, threads: list[str], ids: list[str]
    ) -> list[tuple[str, str, str, str, bytes | None]]:
        """Blob values of the trigger channels of some checkpoints (the input on
        ``__start__`` is only marked present, never fetched)."""
        schema = self._schema
        cur.execute(
            f"SELECT c.thread_id, {schema.cid_of('c')}, "
            "bl.channel, bl.type, CASE WHEN bl.channel = '__start__' THEN NULL ELSE bl.blob END "
            "FROM checkpoints c CROSS JOIN LATERAL jsonb_each_text(CASE jsonb_typeof("
            "c.checkpoint -> 'channel_versions') WHEN 'object' THEN "
            "c.checkpoint -> 'channel_versions' ELSE '{}'::jsonb END) AS v(k, value) "
            "JOIN checkpoint_blobs bl ON bl.thread_id = c.thread_id "
            f"AND bl.checkpoint_ns = c.checkpoint_ns AND bl.channel = v.k {schema.blob_version} "
            f"WHERE c.checkpoint_ns = %s AND c.thread_id = ANY(%s) "
            f"AND {schema.cid_of('c')} = ANY(%s) "
            f"AND {_TRIGGERS_SQL}",
            (ns, threads, ids),
        )
        return cur.fetchall()

    def _write_records(
        self, cur: psycopg.Cursor[Any], ns: str, threads: list[str], ids: list[str]
    ) -> dict[tuple[str, str], list[WriteRecord]]:
        """The writes saved against some checkpoints; only interrupts and errors decoded."""
        if not self._schema.has_writes:
            return {}
        cur.execute(
            f"SELECT thread_id, checkpoint_id, task_id, {self._schema.task_path}, channel, "
            "CASE WHEN channel = ANY(%s) THEN type END, "
            "CASE WHEN channel = ANY(%s) THEN blob END FROM checkpoint_writes "
            "WHERE checkpoint_ns = %s AND thread_id = ANY(%s) AND checkpoint_id = ANY(%s)",
            (_FLAG_CHANNELS, _FLAG_CHANNELS, ns, threads, ids),
        )
        found: dict[tuple[str, str], list[WriteRecord]] = {}
        for tid, cid, task_id, path, channel, type_, blob in sorted(
            cur.fetchall(), key=lambda r: (r[3], r[2])
        ):
            try:
                value = decode_typed(type_, blob) if blob is not None else None
            except DecodeError:
                value = None
            record = WriteRecord(str(task_id), str(path or ""), str(channel), value)
            found.setdefault((tid, cid), []).append(record)
        return found

    # -- history -------------------------------------------------------------------------

    def history(self, thread_id: str) -> list[CheckpointMeta]:
        """Every checkpoint of a thread in every namespace, newest first, from metadata only."""
        schema = self._schema
        with self._db.read() as cur:
            cur.execute(
                f"SELECT checkpoint_ns, {schema.cid}, {schema.parent}, metadata::text "
                "FROM checkpoints WHERE thread_id = %s",
                (thread_id,),
            )
            rows = [row for row in cur.fetchall() if row[1] is not None]
            if not rows:
                raise NotFoundError(f"thread {thread_id!r} not found in {self.location}")
            rows.sort(key=lambda row: row[0])
            rows.sort(key=lambda row: row[1], reverse=True)
            metas = [checkpoint_meta(thread_id, *row) for row in rows]
            loop_parents = {
                (m.checkpoint_ns, m.parent_checkpoint_id)
                for m in metas
                if m.source == "loop" and m.parent_checkpoint_id
            }
            writers = self._step_writers(cur, thread_id, loop_parents)
            credits = self._update_credits(cur, thread_id, metas)
        return [with_writers(m, writers, credits) for m in metas]

    def _step_writers(
        self, cur: psycopg.Cursor[Any], thread_id: str, parents: set[tuple[str, str | None]]
    ) -> dict[tuple[str, str], tuple[str, ...]]:
        """For each checkpoint in ``parents``, the tasks of its step that finished.

        Pull tasks are named by their path; a ``Send`` task by the target of the pending
        ``Send`` its path points at (that one blob is read, only then).
        """
        if not self._schema.has_writes or not self._schema.has_task_path or not parents:
            return {}
        cur.execute(
            "SELECT checkpoint_ns, checkpoint_id, task_id, task_path, "
            "count(*) FILTER (WHERE channel <> ALL(%s)) FROM checkpoint_writes "
            "WHERE thread_id = %s GROUP BY 1, 2, 3, 4",
            (sorted(CONTROL_WRITES), thread_id),
        )
        found: dict[tuple[str, str], list[WriteRecord]] = {}
        for ns, cid, task_id, path, outputs in sorted(cur.fetchall()):
            if (ns, cid) in parents and outputs:
                record = WriteRecord(str(task_id), str(path or ""), "output")
                found.setdefault((ns, cid), []).append(record)
        return writers_of_steps(found, lambda ns, cid: self._send_targets(cur, thread_id, ns, cid))

    def _send_targets(
        self, cur: psycopg.Cursor[Any], thread_id: str, ns: str, checkpoint_id: str
    ) -> list[str]:
        """Target nodes of one checkpoint's pending ``Send``s, in order."""
        found = self._blobs(cur, thread_id, ns, checkpoint_id, channel=TASKS_CHANNEL)
        if not found or found[0][1] == _EMPTY_BLOB:
            return []
        try:
            sends = decode_typed(found[0][1], found[0][2])
        except DecodeError:
            return []
        return send_targets({TASKS_CHANNEL: sends})

    # -- one checkpoint ------------------------------------------------------------------

    def load_state(self, meta: CheckpointMeta) -> CheckpointState:
        """Decode one checkpoint's channel values and pending writes, never raising on bad data.

        Inline primitives and blob values are merged as ``PostgresSaver`` merges them; a
        blob that fails to decode (or a broken part of it) is an unreadable marker in
        place (:mod:`desktop.core.isolate`), named in ``error``, its neighbours still
        shown.
        """
        thread_id, ns, cid = meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id
        with self._db.read() as cur:
            cur.execute(
                "SELECT checkpoint - 'channel_values', checkpoint -> 'channel_values' "
                f"FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = %s "
                f"AND {self._schema.cid} = %s",
                (thread_id, ns, cid),
            )
            row = cur.fetchone()
            if row is None:
                raise NotFoundError(f"checkpoint {cid!r} not found in thread {thread_id!r}")
            blobs = self._blobs(cur, thread_id, ns, cid)
            writes = self._pending_writes(cur, meta)
        rest, inline = row
        values: dict[str, Any] = dict(inline) if isinstance(inline, dict) else {}
        errors = []
        if not isinstance(inline, dict) and not self._schema.shallow:
            # ShallowPostgresSaver keeps every value in checkpoint_blobs; PostgresSaver
            # always writes the inline part, even when it is empty.
            errors.append("checkpoint has no channel_values")
        for channel, type_, blob in blobs:
            if type_ == _EMPTY_BLOB:
                continue
            values[channel] = decode_value(type_, blob)
            errors.extend(
                f"{where}: value could not be decoded: {error}"
                for where, error in damage(values[channel], channel)
            )
        values = dict(sorted(values.items()))
        progress = CheckpointProgress()
        reconstructed: tuple[str, ...] = ()
        unfolded: tuple[str, ...] = ()
        if isinstance(rest, dict):
            records = [WriteRecord(w.task_id, w.task_path, w.channel, w.value) for w in writes]
            progress = checkpoint_progress({**rest, "channel_values": values}, records)
            versions = rest.get("channel_versions")
            versions = versions if isinstance(versions, dict) else {}
            known = () if COUNTERS_KEY in meta.metadata else self._delta_names(meta)
            rebuild, never = channels_to_rebuild(meta.metadata, values, versions, known=known)
            if rebuild or never:
                rebuilt = self.delta.rebuild(
                    thread_id,
                    ns,
                    cid,
                    values=values,
                    rebuild=rebuild,
                    never_written=never,
                    own_writes=_delta_writes(cid, writes),
                )
                values, reconstructed, unfolded = (
                    rebuilt.values,
                    rebuilt.reconstructed,
                    rebuilt.unfolded,
                )
        return CheckpointState(
            meta=meta,
            values=dict(sorted(values.items())),
            pending_writes=writes,
            progress=progress,
            error="; ".join(errors) or None,
            reconstructed=reconstructed,
            unfolded=unfolded,
        )

    def _delta_names(self, meta: CheckpointMeta) -> list[str]:
        """Delta channels the newest checkpoints of ``meta``'s namespace name (cached)."""
        key = (meta.thread_id, meta.checkpoint_ns)
        if key not in self._delta_names_cache:
            with self._db.read() as cur:
                cur.execute(
                    "SELECT metadata::text FROM checkpoints WHERE thread_id = %s "
                    f"AND checkpoint_ns = %s AND metadata ? %s "
                    f'ORDER BY {self._schema.cid} COLLATE "C" DESC LIMIT 20',
                    (*key, COUNTERS_KEY),
                )
                rows = cur.fetchall()
            metadatas = []
            for (raw,) in rows:
                try:
                    metadatas.append(decode_metadata(raw))
                except DecodeError:
                    continue
            self._delta_names_cache[key] = delta_channels_named(metadatas)
        return self._delta_names_cache[key]

    def _blobs(
        self,
        cur: psycopg.Cursor[Any],
        thread_id: str,
        ns: str,
        checkpoint_id: str,
        *,
        channel: str | None = None,
    ) -> list[tuple[str, str, bytes | None]]:
        """The blob rows a checkpoint's ``channel_versions`` point at (one channel, or all)."""
        schema = self._schema
        only = "AND v.key = %s " if channel else ""
        cur.execute(
            "SELECT bl.channel, bl.type, bl.blob FROM checkpoints c "
            "CROSS JOIN LATERAL jsonb_each_text(CASE jsonb_typeof(c.checkpoint -> "
            "'channel_versions') WHEN 'object' THEN c.checkpoint -> 'channel_versions' "
            "ELSE '{}'::jsonb END) AS v "
            "JOIN checkpoint_blobs bl ON bl.thread_id = c.thread_id "
            f"AND bl.checkpoint_ns = c.checkpoint_ns AND bl.channel = v.key {schema.blob_version} "
            f"WHERE c.thread_id = %s AND c.checkpoint_ns = %s AND {schema.cid} = %s {only}"
            'ORDER BY bl.channel COLLATE "C"',
            (thread_id, ns, checkpoint_id, *((channel,) if channel else ())),
        )
        return cur.fetchall()

    def _pending_writes(self, cur: psycopg.Cursor[Any], meta: CheckpointMeta) -> list[PendingWrite]:
        if not self._schema.has_writes:
            return []
        cur.execute(
            f"SELECT task_id, {self._schema.task_path}, channel, type, blob "
            "FROM checkpoint_writes WHERE thread_id = %s AND checkpoint_ns = %s "
            'AND checkpoint_id = %s ORDER BY task_id COLLATE "C", idx',
            (meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id),
        )
        writes = []
        for task_id, path, channel, type_, blob in cur.fetchall():
            value = decode_value(type_, blob)
            error = next((f"value could not be decoded: {e}" for _, e in damage(value)), None)
            writes.append(PendingWrite(str(task_id), path or "", str(channel), value, error))
        return writes

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


def _thread_filter(cur: psycopg.Cursor[Any], text_filter: str) -> tuple[str, tuple[Any, ...]]:
    """SQL for :mod:`desktop.core.thread_filter`'s syntax: id words and ``key=value``
    terms matching a metadata string, number or boolean by its text.

    Id words are matched in Python (:mod:`desktop.core.textmatch`), the same as for
    SQLite: ``ILIKE`` folds case by the server's locale and never ``ß`` to ``ss``.
    """
    parsed = parse_thread_filter(text_filter)
    clauses: list[str] = []
    params: list[Any] = []
    needle = fold(parsed.id_text)
    if needle:
        cur.execute("SELECT DISTINCT thread_id FROM checkpoints")
        matching = [row[0] for row in cur.fetchall() if contains_folded(row[0], needle)]
        clauses.append("thread_id = ANY(%s)")
        params.append(matching)
    for key, value in parsed.metadata:
        clauses.append(
            "thread_id IN (SELECT thread_id FROM checkpoints WHERE "
            "jsonb_typeof(metadata -> %s) IN ('string', 'number', 'boolean') "
            "AND metadata ->> %s = %s)"
        )
        params.extend([key, key, value])
    if not clauses:
        return "", ()
    return "WHERE " + " AND ".join(clauses), tuple(params)
