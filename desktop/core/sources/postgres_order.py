"""The thread order's index scan on Postgres, split over two connections when it is big.

Every thread id with its newest root checkpoint comes from a loose index scan of the
saver's primary key ``(thread_id, checkpoint_ns, checkpoint_id)``, walked backwards:
one seek per thread gives the next id and, as that thread's last key, its newest root
checkpoint (one more seek for a thread with subgraph namespaces). The scan is CPU-bound
in one server process, so on a database with many threads (estimated from
``pg_stats``) the thread-id key space is cut into parts at the column's histogram
bounds and the parts are scanned by this connection and a second one at once.

Both connections read one snapshot: this connection's read transaction exports it
(``pg_export_snapshot()``) and the helper's transaction imports it (``SET TRANSACTION
SNAPSHOT``) before scanning any part, so the parts together are exactly the serial scan
of the data at the moment the read began, whatever a writer commits meanwhile. The
parts partition the key space with the index's own comparisons (``>= lo AND < hi``,
cut points sorted by the server), so no thread is read twice or missed. Without
statistics, a column with its own collation, a server that cannot export snapshots, or
a helper that cannot connect or import, this connection scans every part itself.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from desktop.core.errors import SourceError
from desktop.core.sources.pg_connect import connect_read_only

if TYPE_CHECKING:
    from desktop.core.sources.pg_connect import ReadOnlyConnection

# Parts the key space is cut into (taken in turn by two connections, so that one slow
# part, e.g. a range of threads with many namespaces, does not hold the other idle).
PARTS = 8
# Threads (estimated) below which one connection scans alone: opening a second one
# costs about as much as scanning a few thousand threads.
MIN_THREADS = 3000
# The probe's read (BEGIN, one statement, COMMIT) must take less than this for a split:
# every part is a round trip and the helper's connection several, which a server far
# away (tens of ms each) would make slower than one scan on one connection.
NEAR_SECONDS = 0.005

_KEY = "c.thread_id DESC, c.checkpoint_ns DESC, c.checkpoint_id DESC"


def loose_scan_sql(lower: bool, upper: bool) -> str:
    """Every thread id (within ``%(lo)s <= id < %(hi)s`` when bounded) with its newest
    root checkpoint and, for a thread with subgraph namespaces, its newest checkpoint.

    The last key of a thread is its newest checkpoint of its last namespace; ``''``
    sorts first, so for a thread without subgraphs (most) the seek that found the thread
    also gives its newest root checkpoint, else one more seek does. Checkpoint ids are
    LangGraph's UUIDs, which sort the same in every collation, so the index's order gives
    the newest (as PostgresSaver's own ``ORDER BY checkpoint_id DESC`` does)."""
    low = " AND c.thread_id >= %(lo)s" if lower else ""
    first = "WHERE c.thread_id < %(hi)s" + low if upper else ("WHERE TRUE" + low)
    return (
        "WITH RECURSIVE t(thread_id, ns, id) AS ("
        f"(SELECT c.thread_id, c.checkpoint_ns, c.checkpoint_id FROM checkpoints c {first} "
        f"ORDER BY {_KEY} LIMIT 1) "
        "UNION ALL SELECT n.* FROM t CROSS JOIN LATERAL (SELECT c.thread_id, "
        "c.checkpoint_ns, c.checkpoint_id FROM checkpoints c "
        f"WHERE c.thread_id < t.thread_id{low} ORDER BY {_KEY} LIMIT 1) AS n) "
        "SELECT thread_id, CASE WHEN ns = '' THEN id ELSE (SELECT c.checkpoint_id "
        "FROM checkpoints c WHERE c.thread_id = t.thread_id AND c.checkpoint_ns = '' "
        "ORDER BY c.checkpoint_id DESC LIMIT 1) END, "
        "CASE WHEN ns <> '' THEN (SELECT max(c.checkpoint_id COLLATE \"C\") "
        "FROM checkpoints c WHERE c.thread_id = t.thread_id) END FROM t"
    )


# The column's histogram bounds (as ANALYZE sorted them) and the number of threads the
# planner estimates; no row without statistics, and none when ``thread_id`` has a
# collation of its own (cut points are sorted in the database's). ``pg_stats`` shows
# only columns the role may SELECT.
_STATS_SQL = (
    "SELECT s.histogram_bounds::text::text[], CASE WHEN s.n_distinct >= 0 THEN s.n_distinct "
    "ELSE -s.n_distinct * greatest(c.reltuples, 0) END "
    "FROM pg_catalog.pg_class c, pg_catalog.pg_stats s "
    "WHERE c.oid = to_regclass('checkpoints') "
    "AND s.schemaname = c.relnamespace::regnamespace::text AND s.tablename = c.relname "
    "AND s.attname = 'thread_id' AND NOT s.inherited AND s.histogram_bounds IS NOT NULL "
    "AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid "
    "AND a.attname = 'thread_id' AND a.attcollation = 100)"
)
# The snapshot for the helper, and the cut points sorted and deduplicated by the server
# (so in the index's order, whatever order the statistics kept).
EXPORT_SQL = (
    "SELECT pg_export_snapshot(), ARRAY(SELECT DISTINCT b FROM unnest(%s::text[]) AS b ORDER BY b)"
)


@dataclass
class PartScan:
    """One split scan: parts not yet taken, results by part, what the helper holds."""

    ranges: list[tuple[str | None, str | None]]
    todo: list[int]
    results: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)
    helper_holds: set[int] = field(default_factory=set)
    helped: int = 0  # parts the helper scanned
    over: bool = False  # this connection's read ended: the helper takes nothing more
    lock: threading.Condition = field(default_factory=threading.Condition)

    @classmethod
    def cut_at(cls, cuts: list[str]) -> PartScan:
        """Parts ``[lo, hi)`` between sorted, distinct cut points, lowest first."""
        ranges = list(pairwise([None, *cuts, None]))
        return cls(ranges, list(range(len(ranges))))

    def take(self, helper: bool) -> int | None:
        with self.lock:
            if self.over or not self.todo:
                return None
            part = self.todo.pop(0)
            if helper:
                self.helper_holds.add(part)
            return part

    def finish(self, part: int, rows: list[tuple[Any, ...]] | None) -> None:
        """A helper's part done (``rows``) or given up (``None``: this connection redoes it)."""
        with self.lock:
            self.helper_holds.discard(part)
            if rows is None:
                self.todo.append(part)
            else:
                self.results[part] = rows
                self.helped += 1
            self.lock.notify_all()

    def rows(self) -> list[tuple[Any, ...]]:
        """Every part's rows, highest part first: the serial scan's rows in its order."""
        return [row for part in reversed(range(len(self.ranges))) for row in self.results[part]]

    def wait(self) -> bool:
        """Wait for the helper to finish or hand back a part; False when all are done."""
        with self.lock:
            self.lock.wait_for(lambda: self.todo or not self.helper_holds)
            return bool(self.todo)


class ThreadOrderScan:
    """The thread order scan of one source; keeps the helper connection between scans."""

    def __init__(self, db: ReadOnlyConnection, url: str) -> None:
        self._db = db
        self._url = url
        self.min_threads = MIN_THREADS
        self.near_seconds = NEAR_SECONDS
        self.parts = PARTS
        self.split = True  # False once exporting a snapshot failed here
        self._probed = False
        self._helper: psycopg.Connection[Any] | None = None
        self._helper_thread: threading.Thread | None = None
        self._closed = False
        self.last_parts = 0  # parts the last scan had (1: one serial scan)
        self.helped = 0  # parts the helper connection scanned in the last scan

    def probe(self) -> None:
        """Once, in a read of its own: can this server export a snapshot (a failed
        statement would end the read that needs it), and is it near enough?"""
        if self._probed:
            return
        self._probed = True
        start = time.perf_counter()
        try:
            with self._db.read() as cur:
                cur.execute("SELECT pg_export_snapshot()")
        except SourceError:
            self.split = False
        if time.perf_counter() - start >= self.near_seconds:
            self.split = False

    def rows(self, cur: psycopg.Cursor[Any]) -> list[tuple[Any, ...]]:
        """``(thread_id, newest root checkpoint id, newest checkpoint id when the thread
        has subgraph namespaces)`` of every thread, in the snapshot of ``cur``'s read."""
        cuts = self.cuts(cur) if self.split and self._probed else []
        self.helped = 0
        self.last_parts = 1
        if not cuts:
            cur.execute(loose_scan_sql(False, False))
            return cur.fetchall()
        try:
            cur.execute(EXPORT_SQL, (cuts,))
        except psycopg.Error:
            self.split = False  # this read fails once; the next ones scan serially
            raise
        snapshot, cuts = cur.fetchone()
        scan = PartScan.cut_at(cuts)
        ranges = scan.ranges
        self.last_parts = len(ranges)
        self._start_helper(scan, str(snapshot))
        try:
            while True:
                part = scan.take(helper=False)
                if part is not None:
                    scan.results[part] = _scan_part(cur, *ranges[part])
                elif not scan.wait():
                    break
        finally:
            scan.over = True
        self.helped = scan.helped
        return scan.rows()

    def close(self) -> None:
        """Close the helper connection (a helper still connecting closes its own)."""
        self._closed = True
        thread = self._helper_thread
        if thread is not None and thread.is_alive():
            thread.join(timeout=1)
        if self._helper is not None and (thread is None or not thread.is_alive()):
            self._helper.close()
            self._helper = None

    def cuts(self, cur: psycopg.Cursor[Any]) -> list[str]:
        """Thread ids to cut the key space at (:attr:`parts` - 1 of the column's
        histogram bounds, unsorted); none without statistics or when the table holds
        fewer threads (estimated) than :attr:`min_threads`."""
        cur.execute(_STATS_SQL)
        row = cur.fetchone()
        if row is None or float(row[1] or 0) < self.min_threads:
            return []
        bounds = [str(b) for b in row[0]]
        return [bounds[len(bounds) * i // self.parts] for i in range(1, self.parts)]

    def _start_helper(self, scan: PartScan, snapshot: str) -> None:
        if self._helper_thread is not None and self._helper_thread.is_alive():
            return  # the last scan's helper is still connecting: scan alone
        thread = threading.Thread(
            target=self.help_scan, args=(scan, snapshot), name="rewind-pg-order", daemon=True
        )
        self._helper_thread = thread
        thread.start()

    def help_scan(self, scan: PartScan, snapshot: str) -> None:
        """The helper thread: import the snapshot, then scan parts until none are left.
        A failure hands its part back; a broken connection is dropped (reopened later)."""
        part = None
        conn = None
        try:
            if self._helper is None or self._helper.closed or self._helper.broken:
                self._helper = connect_read_only(self._url)
            conn = self._helper
            if self._closed or scan.over:
                return
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
                while (part := scan.take(helper=True)) is not None:
                    scan.finish(part, _scan_part(cur, *scan.ranges[part]))
                    part = None
        except (psycopg.Error, SourceError):
            if part is not None:
                scan.finish(part, None)
            if conn is not None and conn.broken:
                conn.close()
                self._helper = None
        finally:
            if self._closed and self._helper is not None:
                self._helper.close()
                self._helper = None


def _scan_part(cur: psycopg.Cursor[Any], lo: str | None, hi: str | None) -> list[tuple]:
    cur.execute(loose_scan_sql(lo is not None, hi is not None), {"lo": lo, "hi": hi})
    return cur.fetchall()
