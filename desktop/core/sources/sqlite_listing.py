"""The thread list of a SQLite checkpoint database: order, filters and counts.

Part of :class:`desktop.core.sources.sqlite.SqliteCheckpointSource` (a mixin: it uses
the source's cursor, value SQL and schema flags). A listing never groups every
checkpoint when it does not have to; each thread's run state is read from its head by
:mod:`desktop.core.sources.sqlite_heads`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from desktop.core.isolate import VALUE_LIMIT_BYTES
from desktop.core.model import ThreadSummary
from desktop.core.sources.common import ThreadMark
from desktop.core.sources.sqlite_counts import SqliteThreadCounts, newest_ids
from desktop.core.sources.sqlite_heads import HeadRowids, Page
from desktop.core.textmatch import fold
from desktop.core.thread_filter import parse_thread_filter

MATCH_FUNCTION = "rewind_contains"
"""The SQL function (registered on the connection) that matches id words caselessly."""

_GROUPED = (
    "SELECT thread_id, COUNT(*), MAX(checkpoint_id), "
    "MAX(CASE WHEN checkpoint_ns = '' THEN checkpoint_id END) AS root "
    "FROM checkpoints {where} GROUP BY thread_id {having} "
    "ORDER BY COALESCE(root, MAX(checkpoint_id)) DESC, thread_id"
)


class SqliteThreadListing(SqliteThreadCounts):
    """Thread listings for :class:`~desktop.core.sources.sqlite.SqliteCheckpointSource`."""

    # The source's value SQL and schema flags are declared by SqliteThreadHeads.
    path: str
    _cursor: Callable[[], AbstractContextManager[sqlite3.Cursor]]
    _order_cache: tuple[int, Page, HeadRowids] | None

    def _thread_filter(self, text_filter: str) -> tuple[str, str, tuple[Any, ...]]:
        """``WHERE`` and ``HAVING`` SQL for :mod:`desktop.core.thread_filter`'s syntax.

        Id words are matched once per thread (``HAVING``) by a caseless comparison for
        every script (SQLite's ``LIKE`` folds ASCII only); ``key=value`` terms look into
        stored metadata no larger than the value limit.
        """
        parsed = parse_thread_filter(text_filter)
        clauses: list[str] = []
        params: list[Any] = []
        readable = "checkpoints.metadata" not in self._generated
        for key, value in parsed.metadata:
            if not readable:
                clauses.append("0")
                continue
            path = '$."' + key.replace('"', '""') + '"'
            clauses.append(
                "thread_id IN (SELECT thread_id FROM checkpoints "
                f"WHERE length(metadata) <= {VALUE_LIMIT_BYTES} AND "
                "json_valid(CAST(metadata AS TEXT)) AND "
                "(CASE json_type(CAST(metadata AS TEXT), ?) "
                "WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
                "WHEN 'text' THEN json_extract(CAST(metadata AS TEXT), ?) "
                "WHEN 'integer' THEN CAST(json_extract(CAST(metadata AS TEXT), ?) AS TEXT) "
                "WHEN 'real' THEN CAST(json_extract(CAST(metadata AS TEXT), ?) AS TEXT) "
                "END) = ?)"
            )
            params.extend([path, path, path, path, value])
        where = "WHERE " + " AND ".join(clauses) if clauses else ""
        needle = fold(parsed.id_text)
        if not needle:
            return where, "", tuple(params)
        return where, f"HAVING {MATCH_FUNCTION}(thread_id, ?)", (*params, needle)

    def count_threads(self, text_filter: str = "") -> int:
        """How many threads match the filter (see :mod:`desktop.core.thread_filter`)."""
        if parse_thread_filter(text_filter).empty:
            with self._cursor() as cur:
                return len(self._thread_order(cur))
        where, having, params = self._thread_filter(text_filter)
        with self._cursor() as cur:
            row = cur.execute(
                f"SELECT COUNT(*) FROM (SELECT thread_id FROM checkpoints {where} "
                f"GROUP BY thread_id {having})",
                params,
            ).fetchone()
        return int(row[0])

    def list_threads(
        self, text_filter: str = "", *, offset: int = 0, limit: int | None = None
    ) -> list[ThreadSummary]:
        """Threads newest first (by their newest root checkpoint), with checkpoint count,
        last update and run state.

        An unfiltered list takes its order from :meth:`_thread_order` (index seeks
        only) and counts only the threads of the page asked, so the first page of a
        database of a million checkpoints costs milliseconds; a filtered list is one
        ``GROUP BY`` pass over the primary-key index.
        """
        if parse_thread_filter(text_filter).empty:
            with self._cursor() as cur:
                stamp = self._commit_stamp(cur, limit)
                with _read_transaction(cur):
                    order, rowids = self._thread_order_and_rowids(cur)
                    page = order[offset:] if limit is None else order[offset : offset + limit]
                    return self._page_summaries(cur, page, rowids, stamp)
        where, having, params = self._thread_filter(text_filter)
        query = _GROUPED.format(where=where, having=having)
        if limit is not None:
            query += " LIMIT ? OFFSET ?"
            params = (*params, limit, offset)
        elif offset:
            query += " LIMIT -1 OFFSET ?"
            params = (*params, offset)
        with self._cursor() as cur, _read_transaction(cur):
            return self._summaries(cur, cur.execute(query, params).fetchall())

    def thread_ids(self, text_filter: str = "") -> list[str]:
        """Every matching thread id in list order (newest first), nothing else read."""
        if parse_thread_filter(text_filter).empty:
            with self._cursor() as cur:
                return [thread_id for thread_id, _ in self._thread_order(cur)]
        where, having, params = self._thread_filter(text_filter)
        with self._cursor() as cur:
            rows = cur.execute(_GROUPED.format(where=where, having=having), params).fetchall()
        return [str(row[0]) for row in rows]

    def thread_marks(self, thread_ids: Sequence[str]) -> dict[str, ThreadMark]:
        """:data:`~desktop.core.sources.common.ThreadMark` of each thread that exists
        (index range scans of those threads' keys; nothing decoded)."""
        ids = json.dumps(list(dict.fromkeys(thread_ids)))
        writes = (
            "(SELECT COUNT(*) FROM writes w WHERE w.thread_id = j.value)"
            if self._has_writes
            else "0"
        )
        with self._cursor() as cur:
            rows = cur.execute(
                "SELECT j.value, (SELECT COUNT(*) FROM checkpoints c WHERE c.thread_id = j.value), "
                "(SELECT MAX(checkpoint_id) FROM checkpoints c WHERE c.thread_id = j.value), "
                f"{writes} FROM json_each(?) j",
                (ids,),
            ).fetchall()
        return {
            str(t): (int(count), str(newest), int(written))
            for t, count, newest, written in rows
            if count
        }

    def thread(self, thread_id: str) -> ThreadSummary:
        """One thread's summary; :class:`NotFoundError` when the id is unknown."""
        from desktop.core.errors import NotFoundError

        with self._cursor() as cur, _read_transaction(cur):
            rows = cur.execute(
                _GROUPED.format(where="WHERE thread_id = ?", having=""), (thread_id,)
            ).fetchall()
            if not rows:
                raise NotFoundError(f"Thread {thread_id!r} not found in {self.path}")
            return self._summaries(cur, rows)[0]

    def _thread_order(self, cur: sqlite3.Cursor) -> Page:
        """Every thread id with its newest root checkpoint id, newest first.

        A loose index scan walking the saver's primary key backwards (one seek per
        thread gives its newest root checkpoint too, unless it has subgraph namespaces):
        no pass over every checkpoint.
        Cached until another connection commits (``PRAGMA data_version``).
        """
        return self._thread_order_and_rowids(cur)[0]

    def _thread_order_and_rowids(self, cur: sqlite3.Cursor) -> tuple[Page, HeadRowids]:
        """:meth:`_thread_order`, and the rowid of each head the walk's seek landed on
        (its index entry holds it): rowids of the snapshot ``cur`` reads, so only for
        statements in the same read transaction."""
        version = cur.execute("PRAGMA data_version").fetchone()[0]
        if self._order_cache is not None and self._order_cache[0] == version:
            return self._order_cache[1], self._order_cache[2]
        keyed = []
        rowids: HeadRowids = {}
        rowid = "NULL" if "checkpoints" in self._without_rowid else "rowid"
        for thread_id, root, head_rowid in _loose_scan(cur, rowid):
            if head_rowid is not None:
                rowids[str(thread_id)] = head_rowid
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
        self._order_cache = (version, order, rowids)
        return order, rowids


@contextmanager
def _read_transaction(cur: sqlite3.Cursor) -> Iterator[None]:
    """Every statement inside reads one snapshot of the database: a read transaction,
    begun afresh (one a failed end left open is ended first, never reused) and ended on
    the way out. On a rollback-journal database it keeps writers waiting until then."""
    if cur.connection.in_transaction:
        cur.connection.rollback()
    cur.execute("BEGIN")
    try:
        yield
    finally:
        cur.connection.rollback()


# The last key of every thread (namespace and id at their greatest), walking the saver's
# primary key backwards, one seek per thread: where a thread has no subgraph namespace,
# its last key is its newest root checkpoint, and the index entry holds that row's
# rowid ({rowid}: ``rowid``, or ``NULL`` for a table without one). One row of JSON, so
# the whole walk is one step of SQLite, which runs without holding the GIL (beside a
# window being built).
_LAST_KEYS = (
    "WITH RECURSIVE k(j) AS ("
    " SELECT (SELECT json_array(thread_id, checkpoint_ns, checkpoint_id, {rowid})"
    " FROM checkpoints"
    " ORDER BY thread_id DESC, checkpoint_ns DESC, checkpoint_id DESC LIMIT 1)"
    " UNION ALL"
    " SELECT (SELECT json_array(thread_id, checkpoint_ns, checkpoint_id, {rowid})"
    " FROM checkpoints"
    " WHERE thread_id < k.j ->> 0"
    " ORDER BY thread_id DESC, checkpoint_ns DESC, checkpoint_id DESC LIMIT 1)"
    " FROM k WHERE k.j IS NOT NULL) "
    "SELECT json_group_array(json(j)) FROM k WHERE j IS NOT NULL"
)
# Rows one by one, forwards, when a key is stored as a BLOB, which JSON cannot hold.
_IDS = (
    "WITH RECURSIVE ids(id) AS ("
    " SELECT MIN(thread_id) FROM checkpoints"
    " UNION ALL"
    " SELECT (SELECT MIN(thread_id) FROM checkpoints WHERE thread_id > ids.id)"
    " FROM ids WHERE ids.id IS NOT NULL) "
)
_ROOT = (
    "(SELECT MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ids.id AND checkpoint_ns = '')"
)


def _loose_scan(cur: sqlite3.Cursor, rowid: str = "rowid") -> list[tuple[Any, Any, Any]]:
    """``(thread id, newest root checkpoint id, its rowid)`` of every thread, in id
    order (the rowid ``None`` where the walk did not land on the head, and for
    ``rowid="NULL"``: a table without rowids).

    One seek per thread (:data:`_LAST_KEYS`), and one more for each thread with subgraph
    namespaces; rows one by one, two seeks per thread, when a key is a BLOB.
    """
    try:
        (text,) = cur.execute(_LAST_KEYS.format(rowid=rowid)).fetchone()
    except sqlite3.OperationalError:
        return [
            (thread_id, root, None)
            for thread_id, root in cur.execute(
                f"{_IDS}SELECT id, {_ROOT} FROM ids WHERE id IS NOT NULL"
            )
        ]
    last_keys = json.loads(text)
    nested = [thread_id for thread_id, ns, _, _ in last_keys if ns != ""]
    roots = newest_ids(cur, nested, root=True)
    return [
        (thread_id, checkpoint_id, head_rowid)
        if ns == ""
        else (thread_id, roots.get(thread_id), None)
        for thread_id, ns, checkpoint_id, head_rowid in reversed(last_keys)
    ]
