"""The connections runs from the window use: one writing saver kept open, read-only reads.

:class:`WriteSaver` opens Rewind's ``AsyncSqliteSaver`` (or the Postgres one) *inside*
the qasync loop (the saver binds to the running loop) on the first run; it stays open
for the next runs on that database and graph, and is reopened when either changes.

Keeping the saver open matters for Stop: when a node is cancelled, LangGraph records
the cancellation with a write it schedules *after* the stream has ended. On a saver
closed right away, that write would die half-way and leave its transaction, and the
database's write lock, behind; on the open saver it simply completes, and
:meth:`WriteSaver.close` waits for such writes before closing.

Reading a thread's status and the node a fork is credited to never writes: those go
through a separate read-only connection (:func:`read_saver`), so browsing a database
with a graph attached leaves the file untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

from desktop.core.errors import RewindError

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from desktop.core.graph_types import TypeKey
    from desktop.core.graphs import LoadedGraph
    from desktop.core.run_status import ThreadStatus
    from desktop.core.savers import RewindSaver

log = logging.getLogger(__name__)

LATE_WRITE_TURNS: Final = 5
"""Loop turns given to writes LangGraph schedules after a stream ended, before closing."""


class WriteSaver:
    """The writing saver runs share, for one database and one graph's types at a time."""

    def __init__(self) -> None:
        self._saver: RewindSaver | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._key: tuple[Path | str, frozenset[TypeKey]] | None = None

    async def open(self, path: Path | str, graph: LoadedGraph) -> RewindSaver:
        """The open saver for ``path`` and ``graph``'s types, reopened when either changed."""
        from desktop.core.savers import open_saver

        key = (path.resolve() if isinstance(path, Path) else path, graph.msgpack_allowlist)
        if self._saver is not None and self._key == key:
            return self._saver
        if self._stack is not None:
            stack, self._saver, self._stack = self._stack, None, None
            await stack.aclose()
        stack = contextlib.AsyncExitStack()
        saver = await stack.enter_async_context(
            open_saver(path, allowed_types=graph.msgpack_allowlist)
        )
        self._saver, self._stack, self._key = saver, stack, key
        return saver

    async def close(self) -> None:
        """Close the saver, if open, once the writes LangGraph still has in flight are done."""
        saver, stack = self._saver, self._stack
        if stack is None or saver is None:
            return
        self._saver = self._stack = self._key = None
        for _ in range(LATE_WRITE_TURNS):
            await asyncio.sleep(0)
        async with saver.lock:
            pass
        await stack.aclose()


@contextlib.asynccontextmanager
async def read_saver(
    graph: LoadedGraph | None, path: str | Path
) -> AsyncIterator[AsyncSqliteSaver]:
    """A read-only saver on ``path`` for ``graph`` (never runs ``setup()``)."""
    from desktop.core.savers import open_read_saver

    if graph is None:
        raise RewindError("No graph is attached: attach one to read the thread with it")
    async with open_read_saver(path, allowed_types=graph.msgpack_allowlist) as saver:
        yield saver


async def read_status(
    graph: LoadedGraph | None, path: str | Path, thread_id: str
) -> ThreadStatus | None:
    """``run_status.thread_status`` of ``thread_id`` with ``graph``, read-only; None without
    a graph or when the status cannot be read (no root checkpoint, unreadable state)."""
    import sqlite3

    from desktop.core.run_status import thread_status

    if graph is None:
        return None
    try:
        async with read_saver(graph, path) as saver:
            return await thread_status(graph, saver, thread_id)
    except (RewindError, sqlite3.Error) as error:
        log.info("no status for thread %s: %s", thread_id, error)
        return None
