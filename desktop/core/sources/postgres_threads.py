"""The thread list of a ``PostgresSaver`` database: ids, counts, newest first, status.

Mixed into ``PostgresCheckpointSource`` (:class:`PostgresThreads`). Listings read the
``checkpoints`` key columns only; the status of a page of threads comes from its head
checkpoints in three batched queries (:func:`postgres_steps.read_steps`).

Without a filter the order comes from a loose index scan of the saver's primary key
(:mod:`postgres_order`: one seek per thread, split over three connections on a big
table), never a pass over every checkpoint; only the requested page is counted and
read. The order is kept until the database's snapshot changes
(``pg_current_snapshot()``: a commit anywhere on the server), so counting and reading
the first page cost one scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg

from desktop.core.errors import NotFoundError
from desktop.core.model import ThreadSummary
from desktop.core.progress import CheckpointProgress
from desktop.core.sources.common import ThreadMark, checkpoint_time
from desktop.core.sources.postgres_steps import read_steps
from desktop.core.textmatch import contains_folded, fold
from desktop.core.thread_filter import parse_thread_filter

if TYPE_CHECKING:
    from desktop.core.sources.pg_connect import ReadOnlyConnection
    from desktop.core.sources.postgres_order import ThreadOrderScan
    from desktop.core.sources.postgres_schema import PgSchema


class PostgresThreads:
    """Mixed into ``PostgresCheckpointSource``: it provides ``_db``, ``_schema`` and
    ``location``."""

    _db: ReadOnlyConnection
    _schema: PgSchema
    location: str

    _order_scan: ThreadOrderScan
    _order_cache: tuple[str, list[tuple[str, str | None]]] | None = None

    def count_threads(self, text_filter: str = "") -> int:
        """How many threads match the filter (id words ignore case in every script)."""
        unfiltered = self._unfiltered(text_filter)
        with self._db.read() as cur:
            if unfiltered:
                return len(self._thread_order(cur))
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
        """Threads newest first (by their newest root checkpoint), with checkpoint count,
        last update and run state. Without a filter a page is read from
        :meth:`_thread_order`; the whole list, or a filtered one, from one ``GROUP BY``."""
        paged = limit is not None and self._unfiltered(text_filter)
        with self._db.read() as cur:
            if paged:
                order = self._thread_order(cur)
                page = order[offset : offset + limit]
                return self._page(cur, [thread_id for thread_id, _ in page])
            # Every thread (``rewind threads``): one pass over the key columns is
            # cheaper than a seek per thread and a lookup per thread again.
            where, params = thread_filter(cur, text_filter)
            query = f"{_COUNTS_SQL} {where} GROUP BY thread_id ORDER BY {_ORDER_KEY}"
            if limit is not None:
                query += " LIMIT %s"
                params = (*params, limit)
            if offset:
                query += " OFFSET %s"
                params = (*params, offset)
            cur.execute(query.format(cid=self._schema.cid), params)
            return self._summaries(cur, cur.fetchall())

    def thread(self, thread_id: str) -> ThreadSummary:
        """One thread's summary; :class:`NotFoundError` when the id is unknown."""
        with self._db.read() as cur:
            cur.execute(
                _COUNTS_SQL.format(cid=self._schema.cid)
                + " WHERE thread_id = %s GROUP BY thread_id",
                (thread_id,),
            )
            rows = cur.fetchall()
            if not rows:
                raise NotFoundError(f"Thread {thread_id!r} not found in {self.location}")
            return self._summaries(cur, rows)[0]

    def thread_ids(self, text_filter: str = "") -> list[str]:
        """Every matching thread id in list order (newest first), nothing else read."""
        unfiltered = self._unfiltered(text_filter)
        with self._db.read() as cur:
            if unfiltered:
                return [thread_id for thread_id, _ in self._thread_order(cur)]
            where, params = thread_filter(cur, text_filter)
            cur.execute(
                f"SELECT thread_id FROM checkpoints {where} GROUP BY thread_id "
                f"ORDER BY {_ORDER_KEY.format(cid=self._schema.cid)}",
                params,
            )
            return [str(row[0]) for row in cur.fetchall()]

    def thread_marks(self, thread_ids: Sequence[str]) -> dict[str, ThreadMark]:
        """:data:`~desktop.core.sources.common.ThreadMark` of each thread that exists
        (index-only scans of those threads' keys; nothing decoded)."""
        if not thread_ids:
            return {}
        ids = list(dict.fromkeys(thread_ids))
        with self._db.read() as cur:
            cur.execute(
                f'SELECT thread_id, count(*), max({self._schema.cid} COLLATE "C") '
                "FROM checkpoints WHERE thread_id = ANY(%s) GROUP BY thread_id",
                (ids,),
            )
            checkpoints = cur.fetchall()
            writes: dict[str, int] = {}
            if self._schema.has_writes:
                cur.execute(
                    "SELECT thread_id, count(*) FROM checkpoint_writes "
                    "WHERE thread_id = ANY(%s) GROUP BY thread_id",
                    (ids,),
                )
                writes = {str(t): int(n) for t, n in cur.fetchall()}
        return {
            str(t): (int(count), str(newest or ""), writes.get(str(t), 0))
            for t, count, newest in checkpoints
        }

    def _unfiltered(self, text_filter: str) -> bool:
        """No filter, so the list order is read: the order scan first learns, in a read
        of its own, whether it may split (:meth:`ThreadOrderScan.probe`, once)."""
        if not parse_thread_filter(text_filter).empty:
            return False
        self._order_scan.probe()
        return True

    def _thread_order(self, cur: psycopg.Cursor[Any]) -> list[tuple[str, str | None]]:
        """Every thread id with its newest root checkpoint id, newest first (a thread
        without root checkpoints by its newest checkpoint), then by id."""
        cur.execute("SELECT pg_current_snapshot()::text")
        snapshot = str(cur.fetchone()[0])
        if self._order_cache is not None and self._order_cache[0] == snapshot:
            return self._order_cache[1]
        if self._schema.shallow:
            # No checkpoint_id column to seek on: one row per thread and namespace.
            cur.execute(
                f'SELECT thread_id, max({self._schema.cid} COLLATE "C") '
                "FILTER (WHERE checkpoint_ns = ''), "
                f'max({self._schema.cid} COLLATE "C") FROM checkpoints GROUP BY thread_id'
            )
            rows = cur.fetchall()
        else:
            rows = self._order_scan.rows(cur)
        keyed = sorted(
            (str(thread_id), root, str(root or newest or "")) for thread_id, root, newest in rows
        )
        keyed.sort(key=lambda item: item[2], reverse=True)
        order = [(thread_id, root) for thread_id, root, _ in keyed]
        self._order_cache = (snapshot, order)
        return order

    def _page(self, cur: psycopg.Cursor[Any], thread_ids: list[str]) -> list[ThreadSummary]:
        """Summaries of some threads, in the order given."""
        if not thread_ids:
            return []
        cur.execute(
            _COUNTS_SQL.format(cid=self._schema.cid)
            + " WHERE thread_id = ANY(%s) GROUP BY thread_id",
            (thread_ids,),
        )
        rows = {str(row[0]): row for row in cur.fetchall()}
        return self._summaries(cur, [rows[t] for t in thread_ids if t in rows])

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


# Per thread: id, checkpoints, newest checkpoint, newest root checkpoint ({cid}: the id).
_COUNTS_SQL = (
    'SELECT thread_id, count(*), max({cid} COLLATE "C"), '
    "max({cid} COLLATE \"C\") FILTER (WHERE checkpoint_ns = '') FROM checkpoints"
)
# The list order of a GROUP BY thread_id: newest root checkpoint first, then by id.
_ORDER_KEY = (
    "COALESCE(max({cid} COLLATE \"C\") FILTER (WHERE checkpoint_ns = ''), "
    'max({cid} COLLATE "C")) DESC, thread_id COLLATE "C"'
)


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
