"""Counting a thread listing's checkpoints: on the source's connection, or on a second
connection beside it while it reads the heads.

Part of :class:`desktop.core.sources.sqlite.SqliteCheckpointSource` (a mixin, under
:mod:`.sqlite_listing`). Counting every checkpoint of 10,000 threads walks the whole key
index (as a ``GROUP BY`` does), and judging their heads is Python work that holds the
GIL; a second connection counts in one step of SQLite, which holds no GIL, so a long
page costs the heads' reading alone. What the second connection reads is used only when
it sees the snapshot this one reads.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from desktop.core.model import ThreadSummary
from desktop.core.progress import WriteRecord
from desktop.core.sources.readonly import ReadOnlyDatabase
from desktop.core.sources.sqlite_heads import (
    HeadRowids,
    Page,
    SqliteThreadHeads,
    ThreadRow,
    assembled,
    head_pairs,
)

SIDE_READ_MIN = 1000
"""A page of this many threads or more has its checkpoints counted, and its heads'
writes read, on a second connection while this one reads the heads (see
:meth:`SqliteThreadCounts._summaries_beside`)."""

# Each listed thread's checkpoint count and greatest namespace, in one step of SQLite
# (one row of JSON): the whole count runs without the GIL, beside the decoding.
_COUNTS_JSON = (
    "SELECT json_group_array(json_array(j.key, "
    "(SELECT COUNT(*) FROM checkpoints WHERE thread_id = j.value), "
    "(SELECT MAX(checkpoint_ns) FROM checkpoints WHERE thread_id = j.value))) "
    "FROM json_each(?) j"
)

Counts = list[tuple[int, Any]]
"""Per thread of a page, in its order: checkpoint count and greatest namespace."""
Beside = tuple[Counts, dict[str, list[WriteRecord]]]


class SqliteThreadCounts(SqliteThreadHeads):
    """Checkpoint counts of listed threads for
    :class:`~desktop.core.sources.sqlite.SqliteCheckpointSource`."""

    _location: ReadOnlyDatabase

    def _commit_stamp(self, cur: sqlite3.Cursor, limit: int | None = None) -> bytes | None:
        """What any commit by another connection changes, so that two read transactions
        that began with equal stamps read one snapshot (``None``, nothing read, for a
        page of at most ``limit`` threads, shorter than :data:`SIDE_READ_MIN`: a window's
        pages, which are counted on one connection).

        - ``b""`` where no commit can land while the listing's transaction lasts: a
          private snapshot or an immutable file (nobody writes to it), or a rollback-
          journal database (the listing's read lock keeps every writer out until it
          ends, so a second reader that starts meanwhile reads the same state);
        - for a WAL database, the WAL-index header: the first 48 bytes of the ``-shm``
          file, which SQLite rewrites on every commit (its change counter, last frame,
          salts and checksum; see sqlite.org/walformat.html) and from which a reader
          takes its snapshot;
        - ``None`` when that cannot be read: the page is counted on one connection.
        """
        if limit is not None and limit < SIDE_READ_MIN:
            return None
        if self._location.fixed:
            return b""
        (mode,) = cur.execute("PRAGMA journal_mode").fetchone()
        if str(mode).lower() != "wal":
            return b""
        return wal_index_header(self._location.path)

    def _page_summaries(
        self, cur: sqlite3.Cursor, page: Page, rowids: HeadRowids, stamp: bytes | None
    ) -> list[ThreadSummary]:
        """The summaries of ``page`` (ids with their newest root checkpoint; ``rowids``
        of their heads), ``cur`` being inside the listing's read transaction and
        ``stamp`` its :meth:`_commit_stamp` from before that transaction began: a long
        page is counted beside (:meth:`_summaries_beside`)."""
        if len(page) >= SIDE_READ_MIN and stamp is not None:
            return self._summaries_beside(cur, page, rowids, stamp)
        return self._summaries(cur, self._counted(cur, page), rowids)

    def _summaries_beside(
        self, cur: sqlite3.Cursor, page: Page, rowids: HeadRowids, stamp: bytes
    ) -> list[ThreadSummary]:
        """:meth:`_summaries` of a long page, its counting and head writes read on a
        second connection while this one reads and judges the heads.

        Counting every checkpoint of 10,000 threads is a walk over the whole key index;
        run in one SQLite step (:data:`_COUNTS_JSON`) it holds no GIL, so it costs no
        time beside the heads' decoding. The second connection's read is used only
        when it is this one's snapshot: its :meth:`_commit_stamp`, taken once its own
        transaction has begun, equals ``stamp``, taken before this one's began, so no
        commit landed in between. Otherwise, or when it fails, this connection counts.
        """
        pairs = head_pairs(page)
        ids = json.dumps([thread_id for thread_id, _ in page])
        found: list[Beside | None] = [None]
        side = threading.Thread(
            target=lambda: found.__setitem__(0, self._read_beside(stamp, ids, pairs)),
            name="rewind-count",
            daemon=True,
        )
        side.start()
        try:
            heads = self._read_heads(cur, page, rowids)
        finally:
            side.join()
        beside = found[0]
        if beside is None:
            counted, writes = self._counted(cur, page), self._head_writes(cur, pairs)
        else:
            counted, writes = self._counted(cur, page, beside[0]), beside[1]
        return assembled(counted, heads, writes)

    def _read_beside(self, stamp: bytes, ids: str, pairs: str) -> Beside | None:
        """The counts and head writes of :meth:`_summaries_beside`, read on a new
        connection; ``None`` when its snapshot may not be the listing's, or it cannot
        read (it never waits for a writer's lock: the listing holds the file, so a
        writer that wants it waits for the listing, and a wait here could only end
        once the listing had given up on this connection)."""
        try:
            conn = self._location.connect(timeout=0)
        except Exception:  # any failure: the listing counts on its own connection
            return None
        try:
            cur = conn.cursor()
            cur.execute("BEGIN")
            cur.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            if self._commit_stamp(cur) != stamp:
                return None
            (text,) = cur.execute(_COUNTS_JSON, (ids,)).fetchone()
            counts: Counts = [(count, ns) for _, count, ns in sorted(json.loads(text))]
            return counts, self._head_writes(cur, pairs)
        except Exception:  # any failure: the listing counts on its own connection
            return None
        finally:
            conn.close()

    def _counted(
        self, cur: sqlite3.Cursor, page: Page, counts: Counts | None = None
    ) -> list[ThreadRow]:
        """``page`` (ids with their newest root checkpoint) with each thread's checkpoint
        count (a walk over its index entries, no row read; ``counts`` when already
        counted) and newest checkpoint: the newest root one, unless one index seek finds
        subgraph namespaces."""
        counted = (
            counts
            if counts is not None
            else cur.execute(
                "SELECT (SELECT COUNT(*) FROM checkpoints WHERE thread_id = j.value), "
                "(SELECT MAX(checkpoint_ns) FROM checkpoints WHERE thread_id = j.value) "
                "FROM json_each(?) j ORDER BY j.key",
                (json.dumps([thread_id for thread_id, _ in page]),),
            ).fetchall()
        )
        nested = [
            thread_id
            for (thread_id, root), (_, namespace) in zip(page, counted, strict=True)
            if namespace != "" or root is None
        ]
        newest = newest_ids(cur, nested)
        return [
            (thread_id, count, newest.get(thread_id, root), root)
            for (thread_id, root), (count, _) in zip(page, counted, strict=True)
        ]


def newest_ids(cur: sqlite3.Cursor, thread_ids: list[Any], *, root: bool = False) -> dict[Any, Any]:
    """Each thread's newest checkpoint id (``root``: in the root namespace; ``None``
    when it has none), one index seek per thread."""
    if not thread_ids:
        return {}
    only_root = " AND checkpoint_ns = ''" if root else ""
    return dict(
        cur.execute(
            "SELECT j.value, (SELECT MAX(checkpoint_id) FROM checkpoints "
            f"WHERE thread_id = j.value{only_root}) FROM json_each(?) j",
            (json.dumps(thread_ids),),
        ).fetchall()
    )


WAL_INDEX_HEADER_BYTES = 48
"""The WAL-index header's first copy, at the start of the ``-shm`` file."""


def wal_index_header(path: Path) -> bytes | None:
    """The WAL-index header of the database at ``path`` (``None``: unreadable)."""
    try:
        with open(path.with_name(path.name + "-shm"), "rb") as shm:
            header = shm.read(WAL_INDEX_HEADER_BYTES)
    except OSError:
        return None
    return header if len(header) == WAL_INDEX_HEADER_BYTES else None
