"""The thread list of a ``PostgresSaver`` database: ids, counts, newest first, status.

Mixed into ``PostgresCheckpointSource`` (:class:`PostgresThreads`). Listings read the
``checkpoints`` key columns only; the status of a page of threads comes from its head
checkpoints in three batched queries (:func:`postgres_steps.read_steps`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg

from desktop.core.errors import NotFoundError
from desktop.core.model import ThreadSummary
from desktop.core.progress import CheckpointProgress
from desktop.core.sources.postgres_steps import read_steps
from desktop.core.sources.sqlite import checkpoint_time
from desktop.core.textmatch import contains_folded, fold
from desktop.core.thread_filter import parse_thread_filter

if TYPE_CHECKING:
    from desktop.core.sources.pg_connect import ReadOnlyConnection
    from desktop.core.sources.postgres_schema import PgSchema


class PostgresThreads:
    """Mixed into ``PostgresCheckpointSource``: it provides ``_db``, ``_schema`` and
    ``location``."""

    _db: ReadOnlyConnection
    _schema: PgSchema
    location: str

    def count_threads(self, text_filter: str = "") -> int:
        """How many threads match the filter (id words ignore case in every script)."""
        with self._db.read() as cur:
            where, params = thread_filter(cur, text_filter)
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
            where, params = thread_filter(cur, text_filter)
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

    def thread_ids(self, text_filter: str = "") -> list[str]:
        """Every matching thread id in list order (newest first), nothing else read."""
        cid = self._schema.cid
        with self._db.read() as cur:
            where, params = thread_filter(cur, text_filter)
            cur.execute(
                f"SELECT thread_id FROM checkpoints {where} GROUP BY thread_id "
                f'ORDER BY max({cid} COLLATE "C") DESC, thread_id COLLATE "C"',
                params,
            )
            return [str(row[0]) for row in cur.fetchall()]

    def _summaries(self, cur: psycopg.Cursor[Any], rows: list[tuple]) -> list[ThreadSummary]:
        """Summaries of a page of threads; the heads' status is read in three batched
        queries (checkpoints, trigger-channel blobs, writes), not one per thread."""
        heads = [(str(tid), latest) for tid, _count, _newest, latest in rows if latest]
        steps = read_steps(cur, self._schema, "", heads)
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


def thread_filter(cur: psycopg.Cursor[Any], text_filter: str) -> tuple[str, tuple[Any, ...]]:
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
