"""Opening a database for housekeeping writes, and reclaiming space afterwards."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from desktop.core.errors import SourceError
from desktop.core.housekeeping import RawSerde


@contextlib.asynccontextmanager
async def writing_saver(path: str, *thread_ids: str) -> AsyncIterator[Any]:
    """LangGraph's async saver on ``path`` with a :class:`RawSerde`: values pass through.

    ``thread_ids`` are the threads the caller will change.
    """
    db = Path(path).expanduser()
    if not db.is_file():
        raise SourceError(f"{db}: no such file")
    try:
        async with aiosqlite.connect(db) as conn:
            saver = AsyncSqliteSaver(conn, serde=RawSerde())
            await saver.setup()
            yield saver
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"{db}: cannot write ({exc})") from None


def reclaim_space(path: str) -> None:
    """Give the pages freed by a prune back to the file system (SQLite ``VACUUM``)."""
    try:
        with contextlib.closing(sqlite3.connect(Path(path).expanduser())) as conn:
            conn.execute("VACUUM")
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"{path}: pruned, but VACUUM failed ({exc})") from None
