"""The thread order's index scan on Postgres, split over three connections when it is big.

Every thread id with its newest root checkpoint comes from a loose index scan of the
saver's primary key ``(thread_id, checkpoint_ns, checkpoint_id)``, walked backwards:
one seek per thread gives the next id and, as that thread's last key, its newest root
checkpoint (one more seek for a thread with subgraph namespaces). The scan is CPU-bound
in one server process, so on a database with many threads (estimated from
``pg_stats``) the thread-id key space is cut into parts at the column's histogram
bounds and the parts are scanned at once by this connection and two helper connections
opened for the scan (closed after it, so an idle source holds one connection).

All of them read one snapshot: this connection's read transaction exports it
(``pg_export_snapshot()``) and each helper's transaction imports it (``SET TRANSACTION
SNAPSHOT``) before scanning any part, so the parts together are exactly the serial scan
of the data at the moment the read began, whatever a writer commits meanwhile. The
parts partition the key space with the index's own comparisons (``>= lo AND < hi``,
cut points sorted by the server), so no thread is read twice or missed. Without
statistics, a column with its own collation, a server that cannot export snapshots or
is far (a split costs round trips), this connection scans alone; the parts of a helper
that cannot connect or import are scanned here.

Only a source's first scan is split: that is the first page a user waits for after
opening. A rescan after a commit (live watch refreshing in the background, at most four
times a second on a busy server) scans on this connection alone, so a window watching a
production database opens no connections as its agents write.
"""

from __future__ import annotations

import ipaddress
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

# Parts the key space is cut into (taken in turn by the connections, so that one slow
# part, e.g. a range of threads with many namespaces, does not hold the others idle).
PARTS = 12
# Connections opened for a scan besides the source's own (as PostgreSQL's own parallel
# query starts two workers beside the leader by default).
HELPERS = 2
# Threads (estimated) below which one connection scans alone: opening another one
# costs about as much as scanning a few thousand threads.
MIN_THREADS = 3000
# Seconds the source's connection waits for a part a helper holds before scanning it
# itself (a part takes milliseconds; a helper whose connection hangs must not hang the read).
HELPER_PATIENCE = 10.0
# A round trip (the quickest of three) must take less than this for a split: every part
# is one and the helper's connection several, which on a server far away (tens of ms
# each) would cost more than the split saves.
NEAR_SECONDS = 0.003

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
    "AND s.schemaname = (SELECT n.nspname FROM pg_catalog.pg_namespace n "
    "WHERE n.oid = c.relnamespace) AND s.tablename = c.relname "
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

    def wait(self, timeout: float) -> bool:
        """Wait for the helpers to finish or hand back a part; False when all are done.
        Parts a helper has held for ``timeout`` seconds (a connection that hangs) are
        taken back, to be scanned by the caller."""
        with self.lock:
            if not self.lock.wait_for(lambda: self.todo or not self.helper_holds, timeout):
                self.todo.extend(sorted(self.helper_holds))
                self.helper_holds.clear()
            return bool(self.todo)


class ThreadOrderScan:
    """The thread order scan of one source (its helpers connect for one scan only)."""

    def __init__(self, db: ReadOnlyConnection, url: str) -> None:
        self._db = db
        self._url = url
        self.min_threads = MIN_THREADS
        self.near_seconds = NEAR_SECONDS
        self.parts = PARTS
        self.helpers = HELPERS
        self.split = True  # False when the server cannot export snapshots or is far
        self._probed = False
        self._running: list[threading.Thread] = []
        self.scanned = False  # a scan ran: later ones (after commits) are not split
        self.last_parts = 0  # parts the last scan had (1: one serial scan)
        self.helped = 0  # parts helper connections scanned in the last scan

    def probe(self) -> None:
        """Once, in a read of its own: can this server export a snapshot (a failed
        statement would end the read that needs it), and is it near: on this machine
        (a Unix socket or loopback address), or the quickest of three round trips under
        :attr:`near_seconds`?"""
        if self._probed:
            return
        self._probed = True
        quickest = float("inf")
        try:
            with self._db.read() as cur:
                for statement in ("SELECT pg_export_snapshot()", "SELECT 1", "SELECT 1"):
                    start = time.perf_counter()
                    cur.execute(statement)
                    quickest = min(quickest, time.perf_counter() - start)
                info = cur.connection.info
                local = on_this_machine(info.host, info.hostaddr)
        except SourceError:
            self.split = False
            return
        if not local and quickest >= self.near_seconds:
            self.split = False

    def rows(self, cur: psycopg.Cursor[Any]) -> list[tuple[Any, ...]]:
        """``(thread_id, newest root checkpoint id, newest checkpoint id when the thread
        has subgraph namespaces)`` of every thread, in the snapshot of ``cur``'s read."""
        first, self.scanned = not self.scanned, True
        cuts = self.cuts(cur) if first and self.split and self._probed else []
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
        self.last_parts = len(scan.ranges)
        # A helper of the last scan still connecting (it gives up by itself) is not
        # waited for; new ones start beside it.
        self._running = [t for t in self._running if t.is_alive()]
        for _ in range(self.helpers):
            helper = threading.Thread(
                target=self.help_scan, args=(scan, str(snapshot)), name="rewind-pg-order"
            )
            helper.daemon = True
            helper.start()
            self._running.append(helper)
        try:
            while True:
                part = scan.take(helper=False)
                if part is not None:
                    scan.results[part] = _scan_part(cur, *scan.ranges[part])
                elif not scan.wait(HELPER_PATIENCE):
                    break
        finally:
            scan.over = True
        self.helped = scan.helped
        return scan.rows()

    def close(self) -> None:
        """Wait (briefly) for helpers still connecting; each closes its own connection."""
        for helper in self._running:
            helper.join(timeout=1)
        self._running = []

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

    def help_scan(self, scan: PartScan, snapshot: str) -> None:
        """A helper: connect, import the snapshot, scan parts until none are left,
        disconnect. Any failure hands its part back to the source's connection."""
        part = None
        try:
            with connect_read_only(self._url) as conn:
                if scan.over:
                    return
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(
                        sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot))
                    )
                    while (part := scan.take(helper=True)) is not None:
                        scan.finish(part, _scan_part(cur, *scan.ranges[part]))
                        part = None
        except Exception:  # whatever it is, the source's connection scans the part
            if part is not None:
                scan.finish(part, None)


def on_this_machine(host: str, hostaddr: str) -> bool:
    """A connection's ``host`` and ``hostaddr`` name a Unix socket or a loopback address."""
    if host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostaddr or host).is_loopback
    except ValueError:
        return False


def _scan_part(cur: psycopg.Cursor[Any], lo: str | None, hi: str | None) -> list[tuple]:
    cur.execute(loose_scan_sql(lo is not None, hi is not None), {"lo": lo, "hi": hi})
    return cur.fetchall()
