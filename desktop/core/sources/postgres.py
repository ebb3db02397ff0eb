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

The parts: :mod:`postgres_schema` (which saver wrote the tables), :mod:`postgres_threads`
(the thread list), :mod:`postgres_steps` (a step's tasks and writers),
:mod:`postgres_rows` (blobs and writes), :mod:`postgres_delta` (delta channels) and
:mod:`postgres_housekeeping` (sizes and stored rows).
"""

from __future__ import annotations

from typing import Any

from desktop.core.decode import DecodeError, decode_metadata
from desktop.core.delta import (
    COUNTERS_KEY,
    DeltaRebuilder,
    delta_channels_named,
)
from desktop.core.errors import NotFoundError, SourceError
from desktop.core.isolate import REST_KEY, damage, not_fetched, unreadable
from desktop.core.model import CheckpointMeta, CheckpointState
from desktop.core.progress import CheckpointProgress, WriteRecord, checkpoint_progress
from desktop.core.shown_values import checkpoint_values, state_from
from desktop.core.sources.common import (
    checkpoint_meta,
    with_folds,
    with_parent_tasks,
    with_writers,
)
from desktop.core.sources.pg_connect import ReadOnlyConnection
from desktop.core.sources.postgres_delta import PostgresDeltaRows
from desktop.core.sources.postgres_housekeeping import PostgresHousekeeping
from desktop.core.sources.postgres_order import ThreadOrderScan
from desktop.core.sources.postgres_rows import (
    blob_value,
    checkpoint_blobs,
    limited_json,
    pending_writes,
)
from desktop.core.sources.postgres_schema import EMPTY_BLOB, SHALLOW_NOTE, read_schema
from desktop.core.sources.postgres_steps import (
    parent_tasks,
    read_steps,
    step_writers,
    update_credits,
)
from desktop.core.sources.postgres_threads import PostgresThreads
from desktop.core.unwritten import UnwrittenChannels

__all__ = ["SHALLOW_NOTE", "PostgresCheckpointSource"]


def _metadata_sql() -> str:
    """The ``metadata`` column as text and its size, NULL when over the limit."""
    return limited_json("metadata", text=True)


def _row_meta(thread_id: str, row: tuple[Any, ...]) -> CheckpointMeta:
    """A timeline record from ``(ns, id, parent, metadata, size)``; metadata over the
    limit is not fetched and is the record's error."""
    ns, cid, parent, raw, size = row
    return checkpoint_meta(thread_id, ns, cid, parent, raw, not_fetched("metadata", size))


class PostgresCheckpointSource(PostgresThreads, PostgresHousekeeping):
    """A LangGraph Postgres checkpoint database opened strictly for reading.

    Safe to share between threads (one connection, reads serialised by a lock).
    ``location`` is the URL without its password; ``note`` is set for a shallow saver.
    """

    def __init__(self, url: str) -> None:
        self._db = ReadOnlyConnection(url)
        self.location = self._db.location
        try:
            self._schema = read_schema(self._db, self.location)
        except SourceError:
            self._db.close()
            raise
        self.note: str | None = SHALLOW_NOTE if self._schema.shallow else None
        self._order_scan = ThreadOrderScan(self._db, url)
        rows = PostgresDeltaRows(
            self._db, has_parents=not self._schema.shallow, task_path=self._schema.task_path
        )
        self.delta = DeltaRebuilder(rows)
        self._unwritten = UnwrittenChannels(rows) if self._schema.has_writes else None
        self._delta_names_cache: dict[tuple[str, str], list[str]] = {}

    def close(self) -> None:
        """Release the connections; the source must not be used afterwards."""
        self._order_scan.close()
        self._db.close()

    def __enter__(self) -> PostgresCheckpointSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- history -------------------------------------------------------------------------

    def history(self, thread_id: str) -> list[CheckpointMeta]:
        """Every checkpoint of a thread in every namespace, newest first, from metadata only."""
        schema = self._schema
        with self._db.read() as cur:
            cur.execute(
                f"SELECT checkpoint_ns, {schema.cid}, {schema.parent}, {_metadata_sql()} "
                "FROM checkpoints WHERE thread_id = %s",
                (thread_id,),
            )
            rows = [row for row in cur.fetchall() if row[1] is not None]
            if not rows:
                raise NotFoundError(f"Thread {thread_id!r} not found in {self.location}")
            rows.sort(key=lambda row: row[0])
            rows.sort(key=lambda row: row[1], reverse=True)
            metas = [_row_meta(thread_id, row) for row in rows]
            loop_parents = {
                (m.checkpoint_ns, m.parent_checkpoint_id)
                for m in metas
                if m.source == "loop" and m.parent_checkpoint_id
            }
            writers = with_parent_tasks(
                step_writers(cur, schema, thread_id, loop_parents),
                metas,
                lambda keys: parent_tasks(cur, schema, thread_id, keys),
                schema.has_writes and schema.has_task_path,
            )
            credits = update_credits(cur, schema, thread_id, metas)
        return with_folds([with_writers(m, writers, credits) for m in metas])

    def head(self, thread_id: str) -> CheckpointMeta:
        """The thread's head: its newest root checkpoint (its newest checkpoint when the
        root namespace has none), metadata only, without writers: one row where
        :meth:`history` reads every checkpoint."""
        schema = self._schema
        with self._db.read() as cur:
            for root in ("AND checkpoint_ns = ''", ""):
                cur.execute(
                    f"SELECT checkpoint_ns, {schema.cid}, {schema.parent}, {_metadata_sql()} "
                    f"FROM checkpoints WHERE thread_id = %s {root} AND {schema.cid} IS NOT NULL "
                    f'ORDER BY {schema.cid} COLLATE "C" DESC, checkpoint_ns COLLATE "C" LIMIT 1',
                    (thread_id,),
                )
                row = cur.fetchone()
                if row is not None:
                    return _row_meta(thread_id, row)
        raise NotFoundError(f"Thread {thread_id!r} not found in {self.location}")

    def progress(self, meta: CheckpointMeta) -> CheckpointProgress:
        """What the step after ``meta`` runs and what became of it, as ``get_state`` says."""
        key = (meta.thread_id, meta.checkpoint_id)
        with self._db.read() as cur:
            steps = read_steps(cur, self._schema, meta.checkpoint_ns, [key])
        return steps.get(key, (CheckpointProgress(), None))[0]

    # -- one checkpoint ------------------------------------------------------------------

    def load_state(self, meta: CheckpointMeta) -> CheckpointState:
        """Decode one checkpoint's channel values and pending writes, never raising on bad data.

        Inline primitives and blob values are merged as ``PostgresSaver`` merges them; a
        blob that fails to decode (or a broken part of it) is an unreadable marker in
        place (:mod:`desktop.core.isolate`), named in ``error``, its neighbours still
        shown. The ``checkpoint`` JSONB's parts are not fetched when over the size limit:
        inline values over it are one marker under :data:`REST_KEY` (the blob values
        still shown), the rest (versions, tasks) over it leaves the step unknown.
        """
        thread_id, ns, cid = meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id
        with self._db.read() as cur:
            rest_sql = limited_json("checkpoint - 'channel_values'")
            inline_sql = limited_json("checkpoint -> 'channel_values'")
            cur.execute(
                f"SELECT {rest_sql}, {inline_sql} FROM checkpoints WHERE thread_id = %s "
                f"AND checkpoint_ns = %s AND {self._schema.cid} = %s",
                (thread_id, ns, cid),
            )
            row = cur.fetchone()
            if row is None:
                raise NotFoundError(f"Checkpoint {cid!r} not found in thread {thread_id!r}")
            blobs = checkpoint_blobs(cur, self._schema, thread_id, ns, cid)
            writes = pending_writes(cur, self._schema, meta)
        rest, rest_size, inline, inline_size = row
        values: dict[str, Any] = dict(inline) if isinstance(inline, dict) else {}
        errors = []
        if withheld := not_fetched("inline channel values", inline_size):
            values[REST_KEY] = unreadable(withheld, inline_size)
            errors.append(withheld)
        elif not isinstance(inline, dict) and not self._schema.shallow:
            # ShallowPostgresSaver keeps every value in checkpoint_blobs; PostgresSaver
            # always writes the inline part, even when it is empty.
            errors.append("checkpoint has no channel_values")
        if withheld := not_fetched("checkpoint", rest_size):
            errors.append(withheld)
        stored = self.delta.stored_values(thread_id, ns, cid)  # snapshots the walk decoded
        for channel, type_, blob, size in blobs:
            if type_ == EMPTY_BLOB:
                continue
            if channel in stored:
                values[channel] = stored[channel]
                continue
            values[channel], withheld = blob_value(type_, blob, size)
            if withheld is not None:
                errors.append(f"{channel}: {withheld}")
                continue
            errors.extend(
                f"{where}: value could not be decoded: {error}"
                for where, error in damage(values[channel], channel)
            )
        values = dict(sorted(values.items()))
        progress = CheckpointProgress()
        shown = None
        if isinstance(rest, dict):
            records = [WriteRecord(w.task_id, w.task_path, w.channel, w.value) for w in writes]
            progress = checkpoint_progress({**rest, "channel_values": values}, records)
            versions = rest.get("channel_versions")
            known = () if COUNTERS_KEY in meta.metadata else self._delta_names(meta)
            shown = checkpoint_values(
                self.delta,
                meta,
                values,
                versions if isinstance(versions, dict) else {},
                writes,
                known,
                intact=not errors,
                unwritten=self._unwritten,
            )
            values = shown.values
        error = "; ".join(errors) or None
        return state_from(meta, dict(sorted(values.items())), writes, progress, error, shown)

    def _delta_names(self, meta: CheckpointMeta) -> list[str]:
        """Delta channels the newest checkpoints of ``meta``'s namespace name (cached)."""
        key = (meta.thread_id, meta.checkpoint_ns)
        if key not in self._delta_names_cache:
            with self._db.read() as cur:
                cur.execute(
                    f"SELECT {_metadata_sql()} FROM checkpoints WHERE thread_id = %s "
                    f"AND checkpoint_ns = %s AND metadata ? %s "
                    f'ORDER BY {self._schema.cid} COLLATE "C" DESC LIMIT 20',
                    (*key, COUNTERS_KEY),
                )
                rows = cur.fetchall()
            metadatas = []
            for raw, _size in rows:
                try:
                    metadatas.append(decode_metadata(raw))
                except DecodeError:
                    continue
            self._delta_names_cache[key] = delta_channels_named(metadatas)
        return self._delta_names_cache[key]

    def export_thread(self, thread_id: str) -> dict[str, Any]:
        """The whole thread as JSON-safe data: every checkpoint with values and writes."""
        return {
            "thread_id": thread_id,
            "checkpoints": [self.load_state(meta).to_json() for meta in self.history(thread_id)],
        }
