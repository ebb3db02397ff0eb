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
from desktop.core.locks import database_identity, thread_lock
from desktop.core.pgurl import check_location, is_postgres_url, redact
from desktop.core.sources.pg_connect import describe_error


@contextlib.asynccontextmanager
async def writing_saver(path: str, *thread_ids: str, action: str) -> AsyncIterator[Any]:
    """LangGraph's async saver on ``path`` with a :class:`RawSerde`: values pass through.

    ``thread_ids`` are the threads the caller will change: each one's write lock is held
    throughout, so a thread another Rewind is running is refused before anything is
    written (:class:`~desktop.core.locks.ThreadBusyError`).
    """
    check_location(path)
    postgres = is_postgres_url(path)
    db = Path(path).expanduser()
    if not postgres and not db.is_file():
        raise SourceError(f"{db}: no such file")
    identity = database_identity(path if postgres else db)
    with contextlib.ExitStack() as locks:
        for thread_id in thread_ids:
            locks.enter_context(thread_lock(identity, thread_id, action=action))
        opened = _postgres_saver(path) if postgres else _saver(db)
        async with opened as saver:
            yield saver


@contextlib.asynccontextmanager
async def _postgres_saver(url: str) -> AsyncIterator[Any]:
    """``AsyncPostgresSaver`` on ``url``; its tables exist (the thread was read from
    them), so ``setup()`` and its DDL never run."""
    import psycopg
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row

    try:
        conn = await psycopg.AsyncConnection.connect(
            url, autocommit=True, prepare_threshold=0, row_factory=dict_row
        )
    except psycopg.Error as exc:
        raise SourceError(f"{redact(url)}: cannot connect ({describe_error(exc)})") from None
    async with conn:
        saver = AsyncPostgresSaver(conn, serde=RawSerde())
        try:
            yield saver
        except psycopg.Error as exc:
            raise SourceError(f"{redact(url)}: cannot write ({describe_error(exc)})") from None


@contextlib.asynccontextmanager
async def _saver(db: Path) -> AsyncIterator[Any]:
    try:
        async with aiosqlite.connect(db) as conn:
            saver = AsyncSqliteSaver(conn, serde=RawSerde())
            await saver.setup()
            yield saver
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"{db}: cannot write ({exc})") from None


def reclaim_space(path: str) -> None:
    """Give the pages freed by a prune back to the file system (SQLite ``VACUUM``).

    PostgreSQL reclaims dead rows itself (autovacuum); nothing is run there.
    """
    if is_postgres_url(path):
        return
    try:
        with contextlib.closing(sqlite3.connect(Path(path).expanduser())) as conn:
            conn.execute("VACUUM")
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"{path}: pruned, but VACUUM failed ({exc})") from None
