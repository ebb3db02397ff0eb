"""Guards of the write path: checked before anything is written to a user's database.

One writer per thread (:func:`writing_thread`, the lock of :mod:`desktop.core.locks`),
no checkpoint tables added to a SQLite file that holds something else
(:func:`require_checkpoint_tables`), and a usable recursion limit.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from desktop.core.errors import RewindError, SourceError
from desktop.core.locks import database_identity, thread_lock
from desktop.core.sources.readonly import open_read_only

SAVER_TABLES: Final = frozenset({"checkpoints", "writes"})


def require_checkpoint_tables(path: Path) -> None:
    """Refuse to write into an existing SQLite database that is not a checkpoint database.

    A missing or empty file, and a database with no tables, are fine (the saver sets
    them up); a database with tables of its own but none of the saver's is refused
    with a one-line :class:`SourceError`. Reads the committed schema without changing
    anything (a hot journal left by a crashed writer is read through a private snapshot).
    """
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        names = _schema_names(path)
    except (SourceError, sqlite3.DatabaseError) as exc:
        raise SourceError(f"{path} is not a usable checkpoint database: {exc}") from exc
    tables = [name for name in names if not name.startswith("sqlite_")]
    if tables and not SAVER_TABLES.intersection(tables):
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise SourceError(
            f"{path} is not a LangGraph checkpoint database (its tables: {shown}); "
            "use --init to add the checkpoint tables to it anyway"
        )


def has_checkpoint_table(path: Path) -> bool:
    """True when ``path`` is a SQLite database with the saver's ``checkpoints`` table."""
    try:
        return "checkpoints" in _schema_names(path, "table")
    except (SourceError, sqlite3.DatabaseError):
        return False


def _schema_names(path: Path, kind: str | None = None) -> list[str]:
    """Names in a database's committed schema, read without changing the file."""
    location, conn = open_read_only(path)
    try:
        where, params = ("WHERE type = ?", (kind,)) if kind else ("", ())
        return [row[0] for row in conn.execute(f"SELECT name FROM sqlite_master {where}", params)]
    finally:
        conn.close()
        location.close()


@contextlib.asynccontextmanager
async def writing_thread(
    target: BaseCheckpointSaver | str | Path, thread_id: str, action: str = "run"
) -> AsyncIterator[None]:
    """Hold ``thread_id``'s write lock in ``target``'s database (:mod:`desktop.core.locks`).

    Taken before a path is opened, so a refused run (another Rewind process is writing
    the thread) writes nothing to the database.
    """
    with thread_lock(await _database_of(target), thread_id, action=action):
        yield


async def _database_of(target: BaseCheckpointSaver | str | Path) -> str:
    """The database identity of a path, a PostgreSQL URL, or an open saver."""
    if isinstance(target, (str, Path)):
        return database_identity(target)
    if isinstance(getattr(target, "url", None), str):
        return database_identity(target.url)
    path = getattr(target, "path", None)
    if path is not None:
        return database_identity(path)
    if not isinstance(target, AsyncSqliteSaver):
        return f"saver:{id(target)}:{os.getpid()}"
    async with target.conn.execute("PRAGMA database_list") as cursor:
        files = {row[1]: row[2] for row in await cursor.fetchall()}
    file = files.get("main") or ""
    return database_identity(file) if file else f"memory:{id(target.conn)}:{os.getpid()}"


def check_recursion_limit(limit: int | None) -> int | None:
    """``limit`` when it is a usable recursion limit (a positive number of steps)."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise RewindError(f"The recursion limit must be a whole number of steps >= 1, not {limit}")
    return limit
