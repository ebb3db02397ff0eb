"""The rows :mod:`desktop.core.delta` needs, read from a ``SqliteSaver`` database.

Plain read-only SQL: the ancestor walk follows ``parent_checkpoint_id`` (a recursive
query, as ``SqliteSaver.get_delta_channel_history`` does) reading ids and metadata in
growing pages, so no lock is held between them; a blob is read and decoded (only the
requested channels) when the walk asks for a seed there; writes of the walked
checkpoints come in one query per page of ids. No value over the size limit, nor a
generated column, is fetched (the source's ``value_sql``): such metadata reads as
empty, such a seed as an unreadable marker, such a write as left out with its reason.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from desktop.core.decode import (
    DecodeError,
    decode_checkpoint_channels,
    decode_metadata,
    decode_typed,
)
from desktop.core.delta import NULL_TASK_ID, AncestorRow, DeltaWrite
from desktop.core.isolate import not_fetched, unreadable

CursorFactory = Callable[[], AbstractContextManager[sqlite3.Cursor]]
ValueSql = Callable[[str, str, str | None], str]
"""SQL for a value column and its size, the value NULL when it is not fetched (the
size ``-1`` for a generated column): ``SqliteCheckpointSource._value``."""

_ANCESTORS_SQL = (
    "WITH RECURSIVE ancestors(n, checkpoint_id, parent_checkpoint_id) AS ("
    "SELECT 0, checkpoint_id, parent_checkpoint_id FROM checkpoints "
    "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? "
    "UNION ALL "
    "SELECT a.n + 1, c.checkpoint_id, c.parent_checkpoint_id "
    "FROM ancestors a CROSS JOIN checkpoints c ON c.checkpoint_id = a.parent_checkpoint_id "
    "WHERE c.thread_id = ? AND c.checkpoint_ns = ? AND a.n < ?"
    ") "
    "SELECT a.checkpoint_id, a.parent_checkpoint_id, {metadata} "
    "FROM ancestors a CROSS JOIN checkpoints c ON c.checkpoint_id = a.checkpoint_id "
    "AND c.thread_id = ? AND c.checkpoint_ns = ? WHERE a.n > 0 ORDER BY a.n"
)
_BLOB_SQL = (
    "SELECT type, {checkpoint} FROM checkpoints "
    "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
)
_FIRST_PAGE = 8
_MAX_PAGE = 256
_IDS_PER_QUERY = 400


def _metadata(raw: bytes | str | None) -> dict[str, Any]:
    try:
        return decode_metadata(raw)
    except DecodeError:
        return {}


def _withheld(what: str, size: int | None) -> str | None:
    return not_fetched(what, size, generated=size == -1)


class SqliteDeltaRows:
    """:class:`desktop.core.delta.DeltaRows` over a read-only SQLite connection."""

    def __init__(self, cursor: CursorFactory, has_task_path: bool, value_sql: ValueSql) -> None:
        self._cursor = cursor
        self._task_path = "task_path" if has_task_path else "''"
        self._value = value_sql

    def ancestors(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, channels: Collection[str]
    ) -> Iterator[AncestorRow]:
        """Parent first, then its parent...; a blob that cannot be decoded stores nothing."""
        start, page = checkpoint_id, _FIRST_PAGE
        while True:
            params = (thread_id, checkpoint_ns, start, thread_id, checkpoint_ns, page)
            metadata_sql = self._value("checkpoints", "metadata", "c.metadata")
            with self._cursor() as cur:
                rows = cur.execute(
                    _ANCESTORS_SQL.format(metadata=metadata_sql),
                    (*params, thread_id, checkpoint_ns),
                ).fetchall()
            for cid, _parent, metadata, _size in rows:
                load = self._loader(thread_id, checkpoint_ns, str(cid))
                yield AncestorRow(str(cid), _metadata(metadata), load)
            if len(rows) < page or not rows[-1][1]:
                return
            start, page = str(rows[-1][0]), min(page * 2, _MAX_PAGE)

    def _loader(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str
    ) -> Callable[[Collection[str]], dict[str, Any]]:
        """Read and decode the blob's ``channel_values`` entries only when asked."""
        return lambda channels: self.load(thread_id, checkpoint_ns, checkpoint_id, channels)

    def load(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, channels: Collection[str]
    ) -> dict[str, Any]:
        """The entries of ``channels`` one checkpoint stores, decoded; an undecodable blob
        stores nothing, one not fetched stores an unreadable marker for each channel
        asked (its value there is unknown)."""
        sql = _BLOB_SQL.format(checkpoint=self._value("checkpoints", "checkpoint", None))
        with self._cursor() as cur:
            row = cur.execute(sql, (thread_id, checkpoint_ns, checkpoint_id)).fetchone()
        if row is None:
            return {}
        type_, blob, size = row
        withheld = _withheld("checkpoint blob", size)
        if withheld is not None:
            marker = unreadable(withheld, None if size == -1 else size)
            return {channel: marker for channel in channels}
        try:
            return decode_checkpoint_channels(type_, blob, channels)
        except DecodeError:
            return {}

    # -- :class:`desktop.core.unwritten.StepRows` -----------------------------------------

    def written_channels(self, thread_id: str, ns: str) -> list[str]:
        """Channels tasks wrote in the namespace."""
        with self._cursor() as cur:
            rows = cur.execute(
                "SELECT DISTINCT channel FROM writes WHERE thread_id = ? AND checkpoint_ns = ? "
                "AND task_id <> ?",
                (thread_id, ns, NULL_TASK_ID),
            ).fetchall()
        return sorted(str(channel) for (channel,) in rows)

    def written_on(self, thread_id: str, ns: str, channel: str, limit: int) -> list[str]:
        """Checkpoints a task wrote ``channel`` on, oldest first."""
        with self._cursor() as cur:
            rows = cur.execute(
                "SELECT DISTINCT checkpoint_id FROM writes WHERE thread_id = ? "
                "AND checkpoint_ns = ? AND channel = ? AND task_id <> ? "
                "ORDER BY checkpoint_id LIMIT ?",
                (thread_id, ns, channel, NULL_TASK_ID, limit),
            ).fetchall()
        return [str(cid) for (cid,) in rows]

    def loop_child(self, thread_id: str, ns: str, checkpoint_id: str) -> str | None:
        """The ``loop`` checkpoint the step after ``checkpoint_id`` saved."""
        metadata = self._value("checkpoints", "metadata", None)
        with self._cursor() as cur:
            rows = cur.execute(
                f"SELECT checkpoint_id, {metadata} FROM checkpoints WHERE thread_id = ? "
                "AND checkpoint_ns = ? AND parent_checkpoint_id = ?",
                (thread_id, ns, checkpoint_id),
            ).fetchall()
        return next((str(c) for c, m, _ in rows if _metadata(m).get("source") == "loop"), None)

    def writes(
        self,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_ids: Sequence[str],
        channels: Collection[str],
    ) -> list[DeltaWrite]:
        """Every write to ``channels`` on ``checkpoint_ids``, each value decoded on its own."""
        names = list(channels)
        out: list[DeltaWrite] = []
        for start in range(0, len(checkpoint_ids), _IDS_PER_QUERY):
            ids = list(checkpoint_ids[start : start + _IDS_PER_QUERY])
            query = (
                f"SELECT checkpoint_id, task_id, {self._task_path}, idx, channel, type, "
                f"{self._value('writes', 'value', None)} "
                "FROM writes WHERE thread_id = ? AND checkpoint_ns = ? "
                f"AND checkpoint_id IN ({','.join('?' * len(ids))}) "
                f"AND channel IN ({','.join('?' * len(names))})"
            )
            with self._cursor() as cur:
                rows = cur.execute(query, (thread_id, checkpoint_ns, *ids, *names)).fetchall()
            for cid, task_id, path, idx, channel, type_, blob, size in rows:
                value, error = None, _withheld("value", size)
                if error is None:
                    try:
                        value = decode_typed(type_, blob)
                    except DecodeError as exc:
                        error = f"value could not be decoded: {exc}"
                cid, task_id, path = str(cid), str(task_id), str(path or "")
                out.append(DeltaWrite(cid, task_id, path, int(idx), str(channel), value, error))
        return out
