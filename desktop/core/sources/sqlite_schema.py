"""The tables of a ``SqliteSaver`` database, and how Rewind selects their values.

Part of :class:`desktop.core.sources.sqlite.SqliteCheckpointSource` (a mixin: it uses
the source's path, connection and cursor). Opening checks the saver's ``checkpoints``
table and its columns, and whether ``writes`` (with ``task_path``) is there; a virtual
table or a generated identifier column is refused. Every value column is selected
through :meth:`SqliteSchema._value`: ``length()`` is checked before the value is read,
a value over the limit or a generated column is never fetched, and one over
:data:`~desktop.core.sources.readonly.PIECES_OVER` is read a piece at a time by rowid.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from desktop.core.errors import SourceError
from desktop.core.isolate import VALUE_LIMIT_BYTES, not_fetched
from desktop.core.sources.readonly import PIECES_OVER, read_in_pieces

_REQUIRED_CHECKPOINT_COLUMNS = {
    "thread_id",
    "checkpoint_ns",
    "checkpoint_id",
    "parent_checkpoint_id",
    "type",
    "checkpoint",
    "metadata",
}
# Columns Rewind reads as identifiers: a generated one (computed on every read) is refused.
_KEY_COLUMNS = {
    "checkpoints": ("thread_id", "checkpoint_ns", "checkpoint_id", "parent_checkpoint_id", "type"),
    "writes": ("thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "channel", "type"),
}


class SqliteSchema:
    """Schema checks and value SQL for
    :class:`~desktop.core.sources.sqlite.SqliteCheckpointSource`."""

    path: Path
    _conn: sqlite3.Connection
    _cursor: Callable[[], AbstractContextManager[sqlite3.Cursor]]
    _generated: set[str]
    _without_rowid: set[str]

    def _check_schema(self) -> tuple[bool, bool]:
        with self._cursor() as cur:
            try:
                tables = {
                    row[0]
                    for row in cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
            except sqlite3.DatabaseError as exc:
                raise SourceError(
                    f"{self.path} is not a readable SQLite database ({exc})"
                ) from None
            if "checkpoints" not in tables:
                raise SourceError(
                    f"{self.path} has no LangGraph checkpoint tables "
                    "(expected a 'checkpoints' table written by SqliteSaver)"
                )
            columns = self._table_columns(cur, "checkpoints")
            missing = _REQUIRED_CHECKPOINT_COLUMNS - columns
            if missing:
                raise SourceError(
                    f"{self.path}: table 'checkpoints' lacks column(s) "
                    f"{', '.join(sorted(missing))}; not a SqliteSaver database"
                )
            if "writes" not in tables:
                return False, False
            write_columns = self._table_columns(cur, "writes")
            return True, "task_path" in write_columns

    def _table_columns(self, cur: sqlite3.Cursor, table: str) -> set[str]:
        """The table's column names; generated value columns are remembered (never
        fetched), a virtual table or a generated identifier column is refused."""
        sql = cur.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()[0]
        if str(sql or "").lstrip().upper().startswith("CREATE VIRTUAL"):
            raise SourceError(
                f"{self.path}: table {table!r} is a virtual table, not one SqliteSaver writes"
            )
        if "WITHOUT ROWID" in " ".join(str(sql or "").upper().split()):
            self._without_rowid.add(table)
        columns = set()
        for row in cur.execute(f"PRAGMA table_xinfo({table})"):
            name, hidden = row[1], row[6]
            columns.add(name)
            if hidden in (2, 3) and name in _KEY_COLUMNS[table]:
                raise SourceError(
                    f"{self.path}: column {table}.{name} is computed by an expression "
                    "(a generated column); not a SqliteSaver database"
                )
            if hidden in (2, 3):
                self._generated.add(f"{table}.{name}")
        return columns

    def _value(self, table: str, column: str, ref: str | None = None) -> str:
        """SQL for a value column (``ref``: as the query names it) and its size, the value
        NULL when it is not fetched: larger than the limit (``length()`` is checked
        before reading), or generated (size ``-1``)."""
        if f"{table}.{column}" in self._generated:
            return "NULL, -1"
        ref = ref or column
        return f"CASE WHEN length({ref}) <= {VALUE_LIMIT_BYTES} THEN {ref} END, length({ref})"

    def _stored_checkpoint(
        self, cur: sqlite3.Cursor, thread_id: str, ns: str, checkpoint_id: str
    ) -> tuple[Any, ...] | None:
        """One checkpoint's ``(type, blob, size)`` (:meth:`_value`: the blob ``None`` when
        not fetched); ``None`` when there is no such checkpoint."""
        return cur.execute(
            f"SELECT type, {self._value('checkpoints', 'checkpoint')} FROM checkpoints "
            "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
            (thread_id, ns, checkpoint_id),
        ).fetchone()

    def _big_value(self, table: str, column: str, alias: str = "") -> str:
        """:meth:`_value` plus the row's ``rowid``, the value NULL already when it is over
        :data:`PIECES_OVER`: :meth:`_whole` then reads it a piece at a time."""
        if f"{table}.{column}" in self._generated or table in self._without_rowid:
            return f"{self._value(table, column, f'{alias}.{column}' if alias else None)}, NULL"
        ref = f"{alias}.{column}" if alias else column
        rowid = f"{alias}.rowid" if alias else "rowid"
        inline = min(PIECES_OVER, VALUE_LIMIT_BYTES)
        return f"CASE WHEN length({ref}) <= {inline} THEN {ref} END, length({ref}), {rowid}"

    def _whole(
        self, table: str, column: str, blob: bytes | None, size: int | None, rowid: int | None
    ) -> bytes | None:
        """The value :meth:`_big_value` selected: as fetched, or, when it is over
        :data:`PIECES_OVER` and within the limit, read in pieces (the lock held)."""
        if blob is not None or rowid is None or size is None or size < 0:
            return blob
        if size > VALUE_LIMIT_BYTES:
            return None
        return read_in_pieces(self._conn, table, column, rowid)

    def _withheld(self, what: str, size: int | None) -> str | None:
        """Why a value with this size (``-1``: generated column) was not fetched."""
        return not_fetched(what, size, generated=size == -1)
