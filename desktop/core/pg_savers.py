"""The write path on PostgreSQL: ``AsyncPostgresSaver`` and ``AsyncPostgresStore``.

:mod:`desktop.core.savers` opens these for a ``postgresql://`` URL exactly where it opens
``AsyncSqliteSaver`` for a file, so runs, forks, replays and resumes stream the same way
on both. Connections are made the way ``AsyncPostgresSaver.from_conn_string`` makes them
(autocommit, dict rows). Opening for writing runs the saver's and the store's
``setup()`` (their migrations), like LangGraph's own first run; questions (a thread's
status, a fork's node) get a saver whose session is read-only and never set up.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.store.postgres.aio import AsyncPostgresStore
from psycopg.rows import dict_row

from desktop.core.errors import SourceError
from desktop.core.pgurl import redact
from desktop.core.sources.pg_connect import CONNECT_TIMEOUT_SECONDS, describe_error

_READ_ONLY_SESSION = "-c default_transaction_read_only=on"


class RewindPostgresSaver(AsyncPostgresSaver):
    """An ``AsyncPostgresSaver`` that also carries the ``AsyncPostgresStore`` of the same
    database, so graphs that use a store get it when they run under Rewind."""

    store: AsyncPostgresStore | None = None
    url: str | None = None
    """The URL it was opened on (names the database for the one-writer-per-thread lock)."""


async def _connect(url: str, **extra: Any) -> psycopg.AsyncConnection[Any]:
    try:
        return await psycopg.AsyncConnection.connect(
            url.strip(),
            autocommit=True,
            prepare_threshold=0,
            row_factory=dict_row,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            **extra,
        )
    except psycopg.Error as exc:
        raise SourceError(f"Cannot connect to {redact(url)}: {describe_error(exc)}") from None


async def _has_checkpoint_tables(conn: psycopg.AsyncConnection[Any]) -> bool:
    cursor = await conn.execute("SELECT to_regclass('checkpoints') IS NOT NULL AS found")
    row = await cursor.fetchone()
    return bool(row and row["found"])


@contextlib.asynccontextmanager
async def open_postgres_saver(
    url: str, *, serde: Any, create: bool = True
) -> AsyncIterator[RewindPostgresSaver]:
    """A set-up ``AsyncPostgresSaver`` with its store on ``url``, for writing.

    With ``create=False`` a database without checkpoint tables is refused
    (:class:`SourceError`) instead of set up. Enter it inside the running event loop.
    """
    from desktop.core.savers import settle_saver_writes, stop_store_batching

    where = redact(url)
    async with contextlib.AsyncExitStack() as stack:
        conn = await _connect(url)
        stack.push_async_callback(conn.close)
        try:
            if not create and not await _has_checkpoint_tables(conn):
                raise SourceError(f"{where} has no LangGraph checkpoint tables")
            store_conn = await _connect(url)
            stack.push_async_callback(store_conn.close)
            saver = RewindPostgresSaver(conn, serde=serde)
            saver.url = url
            saver.store = AsyncPostgresStore(store_conn)
            stack.push_async_callback(stop_store_batching, saver.store)
            stack.push_async_callback(settle_saver_writes, saver)
            await saver.setup()
            await saver.store.setup()
        except psycopg.Error as exc:
            raise SourceError(
                f"{where} is not a usable checkpoint database: {describe_error(exc)}"
            ) from None
        yield saver


@contextlib.asynccontextmanager
async def open_postgres_read_saver(url: str, *, serde: Any) -> AsyncIterator[AsyncPostgresSaver]:
    """An ``AsyncPostgresSaver`` whose session refuses every write, never set up.

    For questions: a thread's status, the node a fork is credited to, the live values a
    fork keeps. A role with nothing but ``SELECT`` on the saver's tables is enough.
    """
    conn = await _connect(url, options=_READ_ONLY_SESSION)
    try:
        try:
            found = await _has_checkpoint_tables(conn)
        except psycopg.Error as exc:
            raise SourceError(f"{redact(url)}: cannot read ({describe_error(exc)})") from None
        if not found:
            raise SourceError(f"{redact(url)} has no LangGraph checkpoint tables")
        yield AsyncPostgresSaver(conn, serde=serde)
    finally:
        await conn.close()
