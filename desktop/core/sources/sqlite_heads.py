"""The run state of listed threads in a SQLite checkpoint database, read from their heads.

Part of :class:`desktop.core.sources.sqlite.SqliteCheckpointSource` (a mixin: it uses the
source's connection, value SQL and schema flags). A page's head checkpoints are read in
one statement, in the order they lie in the file (``rowid``), so heads scattered over a
10 GB database are read front to back instead of seeking to and fro; each head's run
state comes from its scheduling channels only (:mod:`desktop.core.scheduling`) and the
writes saved against it.

A long page (``rewind threads`` lists every thread) is read on three connections at once:
one worker thread counts each thread's checkpoints and reads the heads' writes, another
reads the head rows and hands them over in batches, and the caller's thread decodes them
as they come. SQLite runs without holding the GIL, so on a machine with two cores the
reading hides behind the decoding. ``PRAGMA data_version`` is read before and after:
when it is unchanged, no other connection committed, and every part of the page comes
from one state of the database; when it changed, the page is read again on the caller's
connection alone, statement by statement as a short page is.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from desktop.core.decode import DecodeError, decode_metadata, decode_typed
from desktop.core.isolate import VALUE_LIMIT_BYTES
from desktop.core.model import ERROR_CHANNEL, INTERRUPT_CHANNEL, ThreadSummary
from desktop.core.progress import CheckpointProgress, WriteRecord, checkpoint_progress
from desktop.core.scheduling import decode_scheduling
from desktop.core.sources.common import checkpoint_time, meta_step_source
from desktop.core.sources.readonly import ReadOnlyDatabase

FLAG_CHANNELS = (INTERRUPT_CHANNEL, ERROR_CHANNEL)
"""Writes whose value the run state needs (every other write value stays unread)."""
SIDE_READ_MIN = 1000
"""Pages of at least this many threads count and read writes on a second connection."""

# The rowids of the rows a JSON array of [thread_id, checkpoint_id] pairs names (root
# namespace), in file order: index seeks only, the table is read by the outer join.
# ``LIMIT -1`` keeps the ORDER BY: SQLite drops it from a plain subquery in FROM.
_ROWIDS = (
    "SELECT x.rowid AS r FROM json_each(?) j JOIN {table} x "
    "ON x.thread_id = j.value ->> 0 AND x.checkpoint_ns = '' "
    "AND x.checkpoint_id = j.value ->> 1 ORDER BY r LIMIT -1"
)

ThreadRow = tuple[str, int, str | None, str | None]
"""``(thread_id, checkpoint count, newest checkpoint id, newest root checkpoint id)``."""
Page = list[tuple[str, str | None]]
"""Thread ids with their newest root checkpoint id (``None``: no root checkpoint)."""
Head = tuple[Any, int | None, str | None]
"""A head's decoded scheduling parts (``None``: unreadable), its step and its source."""

T = TypeVar("T")


class SqliteThreadHeads:
    """Run state of listed threads for
    :class:`~desktop.core.sources.sqlite.SqliteCheckpointSource`."""

    _location: ReadOnlyDatabase
    _value: Callable[..., str]
    _big_value: Callable[..., str]
    _whole: Callable[..., bytes | None]
    _generated: set[str]
    _without_rowid: set[str]
    _has_writes: bool
    _has_task_path: bool
    _counted: Callable[[sqlite3.Cursor, Page], list[ThreadRow]]

    def _listed(self, cur: sqlite3.Cursor, page: Page) -> list[ThreadSummary]:
        """Summaries of ``page``: counted, with each head's run state. A long page is
        read on three connections at once (see the module's notes); when another
        process commits meanwhile (or a second connection fails), the page is read
        again here, as a short one is."""
        if len(page) >= SIDE_READ_MIN:
            pairs = _pairs(page)
            before = _data_version(cur)
            counting = SideRead(
                self._location, lambda c: (self._counted(c, page), self._head_writes(c, pairs))
            )
            fetched = SideRows(self._location, self._heads_sql(), (pairs,))
            heads = self._heads(fetched)
            counted = counting.result()
            if heads is not None and counted is not None and _data_version(cur) == before:
                rows, writes = counted
                return _assembled(rows, heads, writes)
        return self._summaries(cur, self._counted(cur, page))

    def _summaries(self, cur: sqlite3.Cursor, rows: list[ThreadRow]) -> list[ThreadSummary]:
        """A summary per counted row, its run state read from the thread's newest root
        checkpoint and the writes saved against it (two statements for the whole page)."""
        pairs = _pairs([(row[0], row[3]) for row in rows])
        writes = self._head_writes(cur, pairs)
        heads = self._heads(cur.execute(self._heads_sql(), (pairs,)))
        return _assembled(rows, heads or {}, writes)

    def _heads_sql(self) -> str:
        """The head rows a JSON parameter of ``[thread_id, checkpoint_id]`` pairs names:
        id, blob type, blob (:meth:`_big_value`) and metadata."""
        blob_sql = self._big_value("checkpoints", "checkpoint", "c")
        metadata_sql = self._value("checkpoints", "metadata", "c.metadata")
        return (
            f"SELECT c.thread_id, c.type, {blob_sql}, {metadata_sql} "
            f"{self._heads_from('checkpoints', 'c')}"
        )

    def _heads(self, rows: Iterable[tuple[Any, ...]]) -> dict[str, Head] | None:
        """The scheduling parts, step and source of each head in ``rows`` (of
        :meth:`_heads_sql`), each blob decoded as it comes and dropped at once (one over
        1 MB is read in pieces); ``None`` when a :class:`SideRows` failed."""
        heads = {
            thread_id: (
                _scheduling(type_, self._whole("checkpoints", "checkpoint", blob, size, rowid)),
                *_head_step_source(metadata),
            )
            for thread_id, type_, blob, size, rowid, metadata, _ in rows
        }
        return None if isinstance(rows, SideRows) and rows.failed else heads

    def _head_writes(self, cur: sqlite3.Cursor, pairs: str) -> dict[str, list[WriteRecord]]:
        """The writes saved against each named head, in the order they were saved (key
        order in a ``WITHOUT ROWID`` table; interrupts and errors decoded)."""
        if not self._has_writes:
            return {}
        columns, params = self._write_columns("w")
        found: dict[str, list[WriteRecord]] = {}
        for thread_id, *record in cur.execute(
            f"SELECT w.thread_id, {columns} {self._heads_from('writes', 'w')}",
            (*params, pairs),
        ):
            found.setdefault(str(thread_id), []).append(write_record(*record))
        return found

    def _heads_from(self, table: str, alias: str) -> str:
        """``FROM`` the rows of ``table`` that a JSON parameter of ``[thread_id,
        checkpoint_id]`` pairs names (root namespace): in file order (``rowid``), or in
        key order for a ``WITHOUT ROWID`` table."""
        if table in self._without_rowid:
            return (
                f"FROM json_each(?) j JOIN {table} {alias} ON {alias}.thread_id = j.value ->> 0 "
                f"AND {alias}.checkpoint_ns = '' AND {alias}.checkpoint_id = j.value ->> 1"
            )
        return (
            f"FROM ({_ROWIDS.format(table=table)}) h "
            f"CROSS JOIN {table} {alias} ON {alias}.rowid = h.r"
        )

    def _write_columns(self, ref: str) -> tuple[str, tuple[str, ...]]:
        """SQL for a write row as :func:`write_record` takes it (``ref``: the table's
        name in the query) and its parameters: only a flag write's value is fetched,
        and only when it is within the size limit and not a generated column."""
        path = f"{ref}.task_path" if self._has_task_path else "''"
        flagged = f"{ref}.channel IN (?, ?)"
        if "writes.value" in self._generated:
            value, params = "NULL", FLAG_CHANNELS
        else:
            value = (
                f"CASE WHEN {flagged} AND length({ref}.value) <= {VALUE_LIMIT_BYTES} "
                f"THEN {ref}.value END"
            )
            params = (*FLAG_CHANNELS, *FLAG_CHANNELS)
        columns = (
            f"{ref}.task_id, {path}, {ref}.channel, CASE WHEN {flagged} THEN {ref}.type END, "
            f"{value}"
        )
        return columns, params


class SideRead(Generic[T]):
    """``read(cursor)`` on a new connection to ``location``, in a worker thread.

    :meth:`result` waits for it: its value, or ``None`` when the second connection
    could not be opened or the read failed (the caller then reads on its own
    connection, where a failure is reported as usual).
    """

    def __init__(self, location: ReadOnlyDatabase, read: Callable[[sqlite3.Cursor], T]) -> None:
        self._read = read
        self._location = location
        self._value: T | None = None
        self._thread = threading.Thread(target=self._run, name="rewind-side-read", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn = self._location.connect()
        except sqlite3.Error:
            return
        try:
            self._value = self._read(conn.cursor())
        except Exception:  # read again on the caller's connection, which reports it
            self._value = None
        finally:
            conn.close()

    def result(self) -> T | None:
        self._thread.join()
        return self._value


class SideRows:
    """The rows of one statement, read on a new connection in a worker thread and handed
    over in batches as they come, while the caller works on the ones before.

    Iterate it once. When the connection cannot be opened or the statement fails, the
    iteration ends early and :attr:`failed` is set (the caller then reads again on its
    own connection).
    """

    BATCH = 256

    def __init__(self, location: ReadOnlyDatabase, sql: str, params: tuple[Any, ...]) -> None:
        self.failed = False
        self._batches: queue.SimpleQueue[list[tuple[Any, ...]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._run, args=(location, sql, params), name="rewind-side-rows", daemon=True
        )
        self._thread.start()

    def _run(self, location: ReadOnlyDatabase, sql: str, params: tuple[Any, ...]) -> None:
        try:
            conn = location.connect()
        except sqlite3.Error:
            self.failed = True
            self._batches.put(None)
            return
        try:
            cursor = conn.execute(sql, params)
            while batch := cursor.fetchmany(self.BATCH):
                self._batches.put(batch)
        except Exception:  # read again on the caller's connection, which reports it
            self.failed = True
        finally:
            conn.close()
            self._batches.put(None)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (batch := self._batches.get()) is not None:
            yield from batch
        self._thread.join()


def _pairs(page: Page) -> str:
    """The JSON parameter naming each thread's head (threads without one left out)."""
    return json.dumps([(thread_id, root) for thread_id, root in page if root is not None])


def _data_version(cur: sqlite3.Cursor) -> int:
    """Changes when another connection has committed since this one last looked."""
    return int(cur.execute("PRAGMA data_version").fetchone()[0])


def _assembled(
    rows: list[ThreadRow], heads: dict[str, Head], writes: dict[str, list[WriteRecord]]
) -> list[ThreadSummary]:
    """A summary per counted row from its head and the writes saved against it."""
    summaries = []
    for row in rows:
        head = heads.get(row[0]) if row[3] is not None else None
        if head is None:
            summaries.append(_summary(row, CheckpointProgress(), None, None))
            continue
        scheduling, step, source = head
        progress = (
            checkpoint_progress(scheduling, writes.get(row[0], []))
            if isinstance(scheduling, dict)
            else CheckpointProgress()
        )
        summaries.append(_summary(row, progress, step, source))
    return summaries


def _summary(
    row: ThreadRow, progress: CheckpointProgress, step: int | None, source: str | None
) -> ThreadSummary:
    """A thread's summary from its counted row and its head's run state, step and source."""
    thread_id, count, newest, root = row
    return ThreadSummary(
        thread_id=str(thread_id),
        checkpoints=int(count),
        updated_at=checkpoint_time(newest) if newest else None,
        latest_checkpoint_id=root or newest,
        progress=progress,
        head_source=source,
        head_step=step,
    )


def _scheduling(type_: str | None, blob: bytes | None) -> Any:
    """A head's scheduling parts (``None`` when not fetched or unreadable)."""
    if blob is None:
        return None
    try:
        return decode_scheduling(type_, blob)
    except DecodeError:
        return None


def scheduled_progress(
    type_: str | None, blob: bytes | None, writes: list[WriteRecord]
) -> CheckpointProgress:
    """The step after a stored checkpoint, from its scheduling channels and its writes
    (nothing when the blob was not fetched or cannot be read)."""
    checkpoint = _scheduling(type_, blob)
    if not isinstance(checkpoint, dict):
        return CheckpointProgress()
    return checkpoint_progress(checkpoint, writes)


def write_record(
    task_id: Any, path: Any, channel: Any, type_: str | None, blob: bytes | None
) -> WriteRecord:
    """A write as :mod:`desktop.core.progress` reads it (only flag values decoded)."""
    try:
        value = decode_typed(type_, blob) if blob is not None else None
    except DecodeError:
        value = None
    return WriteRecord(str(task_id), str(path or ""), str(channel), value)


def _head_step_source(raw: Any) -> tuple[int | None, str | None]:
    """A head's ``step`` and ``source`` from its metadata (none when not fetched)."""
    if raw is None:
        return None, None
    try:
        return meta_step_source(decode_metadata(raw))
    except DecodeError:
        return None, None
