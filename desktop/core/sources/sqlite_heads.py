"""The run state of listed threads in a SQLite checkpoint database, read from their heads.

Part of :class:`desktop.core.sources.sqlite.SqliteCheckpointSource` (a mixin: it uses the
source's connection, value SQL and schema flags). A page's head checkpoints are read in
one statement, in the order they lie in the file (``rowid``), so heads scattered over a
10 GB database are read front to back instead of seeking to and fro; each head's run
state comes from its scheduling channels only (:mod:`desktop.core.scheduling`) and the
writes saved against it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from desktop.core.decode import DecodeError, decode_metadata, decode_typed
from desktop.core.isolate import VALUE_LIMIT_BYTES
from desktop.core.model import ERROR_CHANNEL, INTERRUPT_CHANNEL, ThreadSummary
from desktop.core.progress import CheckpointProgress, WriteRecord, checkpoint_progress
from desktop.core.scheduling import decode_scheduling
from desktop.core.sources.common import checkpoint_time, meta_step_source

FLAG_CHANNELS = (INTERRUPT_CHANNEL, ERROR_CHANNEL)
"""Writes whose value the run state needs (every other write value stays unread)."""

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
HeadRowids = dict[str, int]
"""The rowid of each thread's head, where the thread order's walk found it."""

# The rows a JSON array of [rowid, thread_id, checkpoint_id] names, in its order (rowids
# ascending: file order), each kept only when its key is that head's.
_BY_ROWID = (
    "FROM json_each(?) j CROSS JOIN checkpoints c ON c.rowid = j.value ->> 0 "
    "WHERE c.thread_id = j.value ->> 1 AND c.checkpoint_ns = '' "
    "AND c.checkpoint_id = j.value ->> 2"
)


class SqliteThreadHeads:
    """Run state of listed threads for
    :class:`~desktop.core.sources.sqlite.SqliteCheckpointSource`."""

    _value: Callable[..., str]
    _big_value: Callable[..., str]
    _whole: Callable[..., bytes | None]
    _generated: set[str]
    _without_rowid: set[str]
    _has_writes: bool
    _has_task_path: bool

    def _summaries(
        self, cur: sqlite3.Cursor, rows: list[ThreadRow], rowids: HeadRowids | None = None
    ) -> list[ThreadSummary]:
        """A summary per counted row, its run state read from the thread's newest root
        checkpoint and the writes saved against it (a few statements for the whole page;
        ``rowids``: :meth:`_read_heads`)."""
        page = [(row[0], row[3]) for row in rows]
        writes = self._head_writes(cur, head_pairs(page))
        return assembled(rows, self._read_heads(cur, page, rowids or {}), writes)

    def _read_heads(self, cur: sqlite3.Cursor, page: Page, rowids: HeadRowids) -> dict[str, Head]:
        """The heads of ``page`` judged (:meth:`_heads`), in file order: by the rowids
        the thread order's walk found (``rowids``, read in this same transaction), no
        index seek; by key for the rest (threads with subgraph namespaces, or a row
        whose key is not the head's)."""
        known = sorted(
            (rowids[thread_id], thread_id, root)
            for thread_id, root in page
            if root is not None and thread_id in rowids
        )
        heads = (
            self._heads(cur.execute(self._heads_sql(_BY_ROWID), (json.dumps(known),)))
            if known
            else {}
        )
        rest = [(t, root) for t, root in page if root is not None and t not in heads]
        if rest:
            from_keys = self._heads_from("checkpoints", "c")
            heads.update(self._heads(cur.execute(self._heads_sql(from_keys), (head_pairs(rest),))))
        return heads

    def _heads_sql(self, from_: str) -> str:
        """Head rows ``from_`` names: id, blob type, blob (:meth:`_big_value`) and
        metadata."""
        blob_sql = self._big_value("checkpoints", "checkpoint", "c")
        metadata_sql = self._value("checkpoints", "metadata", "c.metadata")
        return f"SELECT c.thread_id, c.type, {blob_sql}, {metadata_sql} {from_}"

    def _heads(self, rows: Iterable[tuple[Any, ...]]) -> dict[str, Head]:
        """The scheduling parts, step and source of each head in ``rows`` (of
        :meth:`_heads_sql`), each blob decoded as it comes and dropped at once (one over
        1 MB is read in pieces)."""
        return {
            thread_id: (
                _scheduling(type_, self._whole("checkpoints", "checkpoint", blob, size, rowid)),
                *_head_step_source(metadata),
            )
            for thread_id, type_, blob, size, rowid, metadata, _ in rows
        }

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


def head_pairs(page: Page) -> str:
    """The JSON parameter naming each thread's head (threads without one left out)."""
    return json.dumps([(thread_id, root) for thread_id, root in page if root is not None])


def assembled(
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
    """A head's ``step`` and ``source`` from its metadata (none when not fetched).

    Parsed by orjson, several times faster than ``json`` on a listing's 10,000 heads,
    when it cannot part from :func:`~desktop.core.decode.decode_metadata` (``json``):
    by ``json`` itself when orjson refuses the text (``NaN``, a byte-order mark, a lone
    surrogate), when ``step`` came out a float (orjson reads an integer beyond 64 bits
    as one), and when the text has :data:`_NESTING_FOR_JSON` brackets or more (``json``
    gives up on deep nesting sooner than orjson).
    """
    if raw is None:
        return None, None
    if isinstance(raw, (bytes, str)) and _brackets(raw) < _NESTING_FOR_JSON:
        try:
            metadata = orjson.loads(raw)
        except orjson.JSONDecodeError:
            metadata = None
        if isinstance(metadata, dict) and type(metadata.get("step")) is not float:
            return meta_step_source(metadata)
    try:
        return meta_step_source(decode_metadata(raw))
    except DecodeError:
        return None, None


_NESTING_FOR_JSON = 200
"""Metadata with this many opening brackets or more is left to ``json``: nesting that
deep is as far as orjson is trusted to agree with it (``json`` stops near the recursion
limit, 1,000 levels less the caller's frames)."""


def _brackets(raw: bytes | str) -> int:
    """How many ``{`` and ``[`` the text holds (at least its deepest nesting)."""
    if isinstance(raw, bytes):
        return raw.count(b"{") + raw.count(b"[")
    return raw.count("{") + raw.count("[")
