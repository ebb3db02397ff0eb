"""Guards of the write path: checked before anything is written to a user's database.

One writer per thread (:func:`writing_thread`, the lock of :mod:`desktop.core.locks`),
no checkpoint tables added to a SQLite file that holds something else
(:func:`require_checkpoint_tables`), a usable recursion limit, and a run's options
(durability, configurable and context, node names, state keys) the graph can take.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from desktop.core.errors import RewindError, SourceError
from desktop.core.inputs import check_context
from desktop.core.locks import database_identity, thread_lock
from desktop.core.run_settings import DURABILITIES, check_configurable
from desktop.core.sources.readonly import open_read_only

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph

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


def check_durability(durability: str | None) -> None:
    """Refuse a durability LangGraph does not know (``None`` is LangGraph's default)."""
    if durability is not None and durability not in DURABILITIES:
        raise RewindError(
            f"Unknown durability {durability!r}; choose from {', '.join(DURABILITIES)}"
        )


def check_settings(
    graph: LoadedGraph, configurable: Mapping[str, Any] | None, context: Any
) -> None:
    """Refuse a ``configurable`` or runtime ``context`` the run could not take."""
    check_configurable(configurable)
    if context is not None and not isinstance(context, Mapping):
        raise RewindError(f"Context must be a JSON object, not {type(context).__name__}")
    check_context(graph.graph, context)


def check_nodes(graph: LoadedGraph, nodes: Sequence[str] | None, option: str) -> None:
    """Refuse node names (for ``option``) the graph does not have; ``*`` is every node."""
    unknown = [n for n in nodes or () if n != "*" and n not in graph.node_names]
    if unknown:
        raise RewindError(
            f"{option}: no node named {', '.join(unknown)}; "
            f"the graph's nodes are {', '.join(graph.node_names)}"
        )


def check_state_keys(graph: LoadedGraph, values: Mapping[str, Any]) -> None:
    """Refuse update keys that are not channels of the graph's state."""
    keys = [k for k in graph.graph.channels if not k.startswith("__") and ":" not in k]
    unknown = [k for k in values if k not in keys]
    if unknown:
        raise RewindError(
            f"Unknown state key(s) {', '.join(map(str, unknown))}; the state has {', '.join(keys)}"
        )
