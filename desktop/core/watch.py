"""Live watch: notice, cheaply, that another process wrote to a checkpoint database.

A probe is polled on a timer (the window's, or ``rewind history --follow``'s loop).
When nothing changed it costs one tiny query and reads no table:

- SQLite: ``PRAGMA data_version`` on the probe's own read-only connection changes
  whenever another connection commits. Only then are the new rows found by ``rowid``
  (new checkpoints and writes get higher rowids), which names the threads that changed.
  A commit that added no such rows (a thread deleted, a Store write) is an unknown
  change: the caller checks what it shows.
- Postgres: ``pg_current_snapshot()`` (oldest running transaction, next transaction
  id, the ones in progress) changes whenever a transaction that writes starts or
  commits, on any table; a function call that reads no table and needs no privilege.
  It cannot say which threads changed, so :class:`Changes` says "unknown" and the
  caller re-reads what it shows (a thread's history is an index range scan).

Probes never write, never take a lock a writer waits for, and close their connection.
They are thread-safe: :meth:`ChangeProbe.close` waits for a poll running in a worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from desktop.core.errors import NotFoundError, SourceError
from desktop.core.model import CheckpointMeta
from desktop.core.pgurl import check_location, is_postgres_url

SQLITE_POLL_SECONDS = 0.1
"""How often a SQLite probe is polled (``PRAGMA data_version`` costs microseconds)."""

POSTGRES_POLL_SECONDS = 0.2
"""How often a Postgres probe is polled (one round trip, no table read)."""


@dataclass(frozen=True, slots=True)
class Changes:
    """Something was committed since the last poll.

    ``threads`` names the threads with new checkpoints or writes, or is None when the
    backend cannot tell (or rows went away, or another table changed): check what is
    shown.
    """

    threads: frozenset[str] | None

    def merged(self, other: Changes | None) -> Changes:
        """These changes and ``other`` (not yet handled) as one."""
        if other is None:
            return self
        if self.threads is None or other.threads is None:
            return Changes(None)
        return Changes(self.threads | other.threads)


class ChangeProbe(Protocol):
    """Polled on a timer; :meth:`poll` returns None while nothing was committed."""

    interval: float

    def poll(self) -> Changes | None: ...

    def close(self) -> None: ...


def open_probe(location: str | Path) -> ChangeProbe:
    """A probe for the checkpoint database at ``location`` (file path or Postgres URL)."""
    text = str(location)
    check_location(location)
    if is_postgres_url(text):
        return PostgresProbe(text)
    return SqliteProbe(Path(text).expanduser())


class SqliteProbe:
    """``PRAGMA data_version`` on a private read-only connection, then new rows by rowid."""

    interval = SQLITE_POLL_SECONDS

    def __init__(self, path: Path) -> None:
        from desktop.core.sources.readonly import check_sqlite_file, open_read_only

        check_sqlite_file(path)
        self.path = path
        self._lock = threading.Lock()
        self._location, self._conn = open_read_only(path)
        try:
            self._version = self._data_version()
            self._tables = self._tables_present()
            self._marks = self._max_rowids()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the connection (and the private snapshot, if one was needed)."""
        with self._lock:
            self._conn.close()
            self._location.close()

    def poll(self) -> Changes | None:
        """None while nothing was committed; else which threads got new rows."""
        with self._lock:
            return self._poll()

    def _poll(self) -> Changes | None:
        import sqlite3

        try:
            version = self._data_version()
            if version == self._version:
                return None
            self._version = version
            marks = self._max_rowids()
            if any(new < old for new, old in zip(marks, self._marks, strict=True)):
                self._marks = marks
                return Changes(None)
            threads: set[str] = set()
            for table, old in zip(self._tables, self._marks, strict=True):
                threads.update(
                    str(row[0])
                    for row in self._conn.execute(
                        f"SELECT DISTINCT thread_id FROM {table} WHERE rowid > ?", (old,)
                    )
                )
            self._marks = marks
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"{self.path}: cannot watch the database ({exc})") from None
        # No new rows: rows were deleted or changed in place (or another table written).
        return Changes(frozenset(threads) if threads else None)

    def _data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _tables_present(self) -> tuple[str, ...]:
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
        names = {row[0] for row in self._conn.execute(query)}
        return tuple(table for table in ("checkpoints", "writes") if table in names)

    def _max_rowids(self) -> tuple[int, ...]:
        return tuple(
            int(self._conn.execute(f"SELECT coalesce(MAX(rowid), 0) FROM {table}").fetchone()[0])
            for table in self._tables
        )


class PostgresProbe:
    """The server's current snapshot, read in its own read-only transaction per poll."""

    interval = POSTGRES_POLL_SECONDS

    def __init__(self, url: str) -> None:
        from desktop.core.sources.pg_connect import ReadOnlyConnection

        self._db = ReadOnlyConnection(url)
        self.location = self._db.location
        self._lock = threading.Lock()
        try:
            self._mark = self._snapshot()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def poll(self) -> Changes | None:
        """None while no writing transaction started or ended since the last poll."""
        with self._lock:
            mark = self._snapshot()
            if mark == self._mark:
                return None
            self._mark = mark
            return Changes(None)

    def _snapshot(self) -> str:
        with self._db.read() as cur:
            cur.execute("SELECT pg_current_snapshot()::text")
            return str(cur.fetchone()[0])


def follow_thread(
    source: HistorySource,
    probe: ChangeProbe,
    thread_id: str,
    seen: set[tuple[str, str]],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[CheckpointMeta]:
    """Checkpoints of ``thread_id`` not in ``seen`` as they land, oldest first, forever.

    Open ``probe`` before reading what ``seen`` holds, so nothing committed in between
    is missed. Ends only by the caller (Ctrl-C in ``rewind history --follow``).
    """
    while True:
        sleep(probe.interval)
        changes = probe.poll()
        if changes is None:
            continue
        if changes.threads is not None and thread_id not in changes.threads:
            continue
        try:
            metas = source.history(thread_id)
        except NotFoundError:
            continue
        for meta in reversed(metas):
            if meta.key not in seen:
                seen.add(meta.key)
                yield meta


class HistorySource(Protocol):
    """The one read :func:`follow_thread` needs from a checkpoint source."""

    def history(self, thread_id: str) -> list[CheckpointMeta]: ...
