"""Opening LangGraph's saver on a database, and reading checkpoints through it.

The write path opens an ``AsyncSqliteSaver`` with an ``AsyncSqliteStore`` on the same
file, or for a ``postgresql://`` URL an ``AsyncPostgresSaver`` and its store
(:mod:`desktop.core.pg_savers`); questions (a thread's status, a fork's node) get a
saver on a read-only connection that is never set up. Serializers revive only
LangGraph's safe types and the graph's own, never pickle. Reads through a saver report
a checkpoint LangGraph cannot load as one line naming it (:func:`reading_checkpoint`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import aiosqlite
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.store.base import BaseStore
from langgraph.store.sqlite.aio import AsyncSqliteStore

from desktop.core.errors import NotFoundError, RewindError, SourceError, error_line
from desktop.core.graph_types import TypeKey
from desktop.core.graphs import LoadedGraph
from desktop.core.guards import require_checkpoint_tables
from desktop.core.pgurl import check_location, is_postgres_url, redact
from desktop.core.sources.readonly import open_read_only

SaverMode = Literal["read", "write", "create"]
"""How :func:`saver_for` opens a path: read-only, for writing an existing database, or
for writing one that may not exist yet (a new run)."""


class RewindSaver(AsyncSqliteSaver):
    """An ``AsyncSqliteSaver`` that also carries the ``AsyncSqliteStore`` on the same file.

    Graphs that use a store (long-term memory) get it when they run under Rewind.
    ``path`` is the database file, whose thread locks the write path takes.
    """

    store: AsyncSqliteStore | None = None
    path: Path | None = None


class ReadSaver(AsyncSqliteSaver):
    """An ``AsyncSqliteSaver`` on a read-only connection; ``note`` is set when it reads a
    private snapshot of the file (see :mod:`desktop.core.sources.readonly`)."""

    note: str | None = None


def strict_serializer(allowed_types: Iterable[TypeKey] = ()) -> JsonPlusSerializer:
    """A serializer that revives only LangGraph's safe types plus ``allowed_types``.

    Never pickle; any other class named in a checkpoint comes back as plain data.
    """
    return JsonPlusSerializer(allowed_msgpack_modules=tuple(sorted(set(allowed_types))))


@contextlib.asynccontextmanager
async def open_saver(
    db_path: str | Path,
    *,
    allowed_types: Iterable[TypeKey] = (),
    create: bool = True,
    init: bool = False,
) -> AsyncIterator[BaseCheckpointSaver]:
    """Open ``db_path`` for writing: a set-up ``AsyncSqliteSaver`` with its store.

    Must be entered inside the running event loop that will use it. Pass
    ``LoadedGraph.msgpack_allowlist`` as ``allowed_types`` so the graph's own state
    classes revive when a thread is continued. With ``create=False`` a missing file is
    refused (:class:`SourceError`) instead of created. An existing SQLite database that
    holds other tables but not the saver's is refused unless ``init`` is true: setting
    it up would add tables and switch the file to WAL.
    A ``postgresql://`` URL opens ``AsyncPostgresSaver`` and ``AsyncPostgresStore``
    instead (``create=False``: a database without checkpoint tables is refused).
    """
    check_location(db_path)
    if is_postgres_url(db_path):
        from desktop.core.pg_savers import open_postgres_saver

        serde = strict_serializer(allowed_types)
        async with open_postgres_saver(str(db_path), serde=serde, create=create) as saver:
            yield saver
        return
    path = Path(db_path)
    if not create:
        _require_file(path)
    if not path.parent.is_dir():
        raise SourceError(f"Cannot create {path}: folder {path.parent} does not exist")
    if not init:
        await asyncio.to_thread(require_checkpoint_tables, path)
    async with contextlib.AsyncExitStack() as stack:
        try:
            conn = await stack.enter_async_context(aiosqlite.connect(path))
            store_conn = await stack.enter_async_context(
                aiosqlite.connect(path, isolation_level=None)
            )
            saver = RewindSaver(conn, serde=strict_serializer(allowed_types))
            saver.path = path.resolve()
            saver.store = AsyncSqliteStore(store_conn)
            stack.push_async_callback(stop_store_batching, saver.store)
            stack.push_async_callback(settle_saver_writes, saver)
            await saver.setup()
            await saver.store.setup()
            await _require_write_lock(store_conn, path)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise SourceError(f"{path} is not a usable checkpoint database: {exc}") from exc
            raise _locked(path, exc) from None
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"{path} is not a usable checkpoint database: {exc}") from exc
        yield saver


async def _require_write_lock(conn: aiosqlite.Connection, path: Path) -> None:
    """Take and give back SQLite's write lock (waiting as long as the connection's busy
    timeout): a file another process holds a write transaction on is refused before any
    node runs, instead of nodes running and every checkpoint failing to save."""
    try:
        await conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise _locked(path, exc) from None
    await conn.execute("ROLLBACK")


def _locked(path: Path, exc: sqlite3.OperationalError) -> SourceError:
    return SourceError(f"{path}: cannot write ({exc}; another process holds it); nothing was run")


@contextlib.asynccontextmanager
async def open_read_saver(
    db_path: str | Path, *, allowed_types: Iterable[TypeKey] = ()
) -> AsyncIterator[BaseCheckpointSaver]:
    """An ``AsyncSqliteSaver`` on a read-only connection to ``db_path``.

    For questions (a thread's status, the node a fork is credited to): the connection
    is opened the way the read path opens it (``mode=ro``, or a private snapshot when a
    hot journal or an unreachable ``-wal`` keeps ``mode=ro`` from the committed state)
    and ``setup()`` never runs, so the file stays byte for byte as it was. A missing
    file, a file that is not SQLite and a database without checkpoint tables are
    refused with a one-line :class:`SourceError`. A ``postgresql://`` URL gets an
    ``AsyncPostgresSaver`` on a read-only session.
    """
    check_location(db_path)
    if is_postgres_url(db_path):
        from desktop.core.pg_savers import open_postgres_read_saver

        serde = strict_serializer(allowed_types)
        async with open_postgres_read_saver(str(db_path), serde=serde) as reader:
            yield reader
        return
    path = Path(db_path)
    _require_file(path)
    location, probe = await asyncio.to_thread(open_read_only, path)
    probe.close()
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(location.close)
        try:
            conn = await stack.enter_async_context(aiosqlite.connect(location.uri, uri=True))
            async with conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'"
            ) as cursor:
                has_checkpoints = await cursor.fetchone() is not None
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"{path} is not a readable SQLite database ({exc})") from exc
        if not has_checkpoints:
            raise SourceError(f"{path} has no LangGraph checkpoint tables")
        saver = ReadSaver(conn, serde=strict_serializer(allowed_types))
        saver.is_setup = True
        saver.note = location.note
        yield saver


def _require_file(path: Path) -> None:
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path} is a directory, not a checkpoint database file")


@contextlib.asynccontextmanager
async def saver_for(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    *,
    mode: SaverMode = "write",
    init: bool = False,
) -> AsyncIterator[BaseCheckpointSaver]:
    """``target`` itself when it is an open saver, else a saver opened on that path.

    ``mode`` says how a path is opened: ``"read"`` read-only (:func:`open_read_saver`),
    ``"write"`` for writing an existing database, ``"create"`` for writing one that may
    not exist yet; ``init`` lets a writer set up a SQLite file that holds other tables.
    """
    if isinstance(target, BaseCheckpointSaver):
        yield target
        return
    allowed = graph.msgpack_allowlist
    if mode == "read":
        async with open_read_saver(target, allowed_types=allowed) as reader:
            yield reader
        return
    async with open_saver(
        target, allowed_types=allowed, create=mode == "create", init=init
    ) as saver:
        yield saver


def run_store(graph: LoadedGraph, saver: BaseCheckpointSaver) -> BaseStore | None:
    """The store a run uses: the one the graph was compiled with, else Rewind's
    store on the database (a writing saver, SQLite or Postgres, carries it)."""
    if graph.graph.store is not None:
        return graph.graph.store
    return getattr(saver, "store", None)


async def stop_store_batching(store: BaseStore) -> None:
    """Stop the batching task every async store starts and langgraph never stops.

    Left running, it outlives its connection and the event loop warns that a pending
    task was destroyed.
    """
    task = getattr(store, "_task", None)
    if task is not None and not task.done():
        task.cancel()
        await asyncio.wait([task])


async def settle_saver_writes(saver: BaseCheckpointSaver) -> None:
    """Wait for the writes LangGraph scheduled on ``saver`` without awaiting them.

    When a run is cancelled, LangGraph saves the cancelled tasks' writes in tasks of
    their own (``aput_writes``) that outlive the stream. Reading the thread before they
    land misses them; closing the connection under them leaves SQLite's write lock held,
    and the next run on the database fails with "database is locked".
    """
    for _ in range(5):
        pending = [t for t in asyncio.all_tasks() if not t.done() and _writes_to(t, saver)]
        if not pending:
            return
        await asyncio.wait(pending, timeout=10)


def _writes_to(task: asyncio.Task[Any], saver: BaseCheckpointSaver) -> bool:
    frame = getattr(task.get_coro(), "cr_frame", None)
    return frame is not None and frame.f_locals.get("self") is saver


def checkpoint_config(
    thread_id: str, checkpoint_id: str | None = None, checkpoint_ns: str = ""
) -> RunnableConfig:
    """The config naming a thread, or one of its checkpoints, as langgraph's APIs take it."""
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": checkpoint_ns}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


@contextlib.contextmanager
def reading_checkpoint(config: RunnableConfig) -> Iterator[None]:
    """Report a checkpoint langgraph cannot load (tampered blob, broken metadata) as one line.

    Wrap ``aget_tuple`` / ``aget_state`` / ``aget_state_history`` calls: their failures
    become a :class:`SourceError` naming the checkpoint and the thread.
    """
    try:
        yield
    except RewindError:
        raise
    except Exception as exc:
        conf = config["configurable"]
        checkpoint = conf.get("checkpoint_id")
        which = f"Checkpoint {checkpoint}" if checkpoint else "The latest checkpoint"
        ns = conf.get("checkpoint_ns")
        where = f" (namespace {ns!r})" if ns else ""
        raise SourceError(
            f"{which} of thread {conf['thread_id']!r}{where} cannot be read: {error_line(exc)}"
        ) from exc


async def get_tuple(saver: BaseCheckpointSaver, config: RunnableConfig) -> CheckpointTuple | None:
    with reading_checkpoint(config):
        return await saver.aget_tuple(config)


def location_text(target: BaseCheckpointSaver | str | Path) -> str:
    """How a message names the database ``target``: its path, or its URL without a
    password; ``the database`` for an open saver."""
    if isinstance(target, BaseCheckpointSaver):
        return "the database"
    return redact(target) if is_postgres_url(target) else str(Path(target).expanduser())


async def require_thread(
    saver: BaseCheckpointSaver, thread_id: str, where: str = "the database"
) -> CheckpointTuple:
    """The thread's latest checkpoint; ``NotFoundError`` worded as the readers word it
    (``Thread 'x' not found in <where>``), with how to start it."""
    latest = await get_tuple(saver, checkpoint_config(thread_id))
    if latest is None:
        raise NotFoundError(f"Thread {thread_id!r} not found in {where}; give an input to start it")
    return latest


async def require_checkpoint(saver: BaseCheckpointSaver, config: RunnableConfig) -> CheckpointTuple:
    saved = await get_tuple(saver, config)
    if saved is None:
        conf = config["configurable"]
        where = f" (namespace {conf['checkpoint_ns']!r})" if conf["checkpoint_ns"] else ""
        raise NotFoundError(
            f"Thread {conf['thread_id']!r} has no checkpoint {conf['checkpoint_id']!r}{where}"
        )
    return saved
