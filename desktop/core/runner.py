"""Runs, forks, replays and resumes through LangGraph's own API: the write path.

Everything that changes a checkpoint database goes through here, and only through
``astream(..., version="v2")``, ``aupdate_state`` and ``Command(resume=...)`` on an
``AsyncSqliteSaver``, or for a ``postgresql://`` URL an ``AsyncPostgresSaver``
(:mod:`desktop.core.pg_savers`), never hand-written rows. The CLI and the GUI share these
functions: the CLI prints the :class:`StreamEvent` values, the GUI's controller
consumes the same async iterators inside its qasync loop. Cancelling the consuming
task stops a run cleanly: the thread keeps its last checkpoint and can be continued.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import aiosqlite
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.errors import GraphRecursionError
from langgraph.pregel import Pregel
from langgraph.store.base import BaseStore
from langgraph.store.sqlite.aio import AsyncSqliteStore
from langgraph.types import Command, Durability, StateSnapshot

from desktop.core import inputs
from desktop.core.decode import to_jsonable
from desktop.core.errors import NotFoundError, RewindError, SourceError
from desktop.core.graphs import LoadedGraph, TypeKey, entrypoint_node, error_line
from desktop.core.guards import (
    check_recursion_limit,
    has_checkpoint_table,
    require_checkpoint_tables,
    writing_thread,
)
from desktop.core.model import AS_NODE_KEY
from desktop.core.pgurl import is_postgres_url
from desktop.core.progress import FailedTask, WaitingInterrupt
from desktop.core.run_settings import DURABILITIES, check_configurable
from desktop.core.running import RunningNodes
from desktop.core.sources.readonly import open_read_only

SaverMode = Literal["read", "write", "create"]
"""How :func:`saver_for` opens a path: read-only, for writing an existing database, or
for writing one that may not exist yet (a new run)."""

STREAM_MODES: Final = ("values", "updates", "messages", "custom", "checkpoints", "tasks", "debug")
DEFAULT_MODES: Final = ("messages", "updates", "custom", "tasks", "checkpoints")
DEFAULT_RECURSION_LIMIT: Final = 25
"""LangGraph's own default number of steps a run may take."""


class _NoValue:
    """Type of :data:`NO_VALUE`."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = _NoValue()
"""``resume`` without a value: continue an unfinished run instead of answering an interrupt."""

_INTERRUPT_ID = re.compile(r"[0-9a-f]{32}")
"""How LangGraph tells a mapping of interrupt ids to values from a plain resume value."""


class RunError(RewindError):
    """The graph raised while running; ``node`` is the failing node when known."""

    def __init__(self, message: str, node: str | None = None) -> None:
        super().__init__(message)
        self.node = node


class RewindSaver(AsyncSqliteSaver):
    """An ``AsyncSqliteSaver`` that also carries the ``AsyncSqliteStore`` on the same file.

    Graphs that use a store (long-term memory) get it when they run under Rewind.
    ``path`` is the database file, whose thread locks the write path takes.
    """

    store: AsyncSqliteStore | None = None
    path: Path | None = None


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


class ReadSaver(AsyncSqliteSaver):
    """An ``AsyncSqliteSaver`` on a read-only connection; ``note`` is set when it reads a
    private snapshot of the file (see :mod:`desktop.core.sources.readonly`)."""

    note: str | None = None


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


async def stop_store_batching(store: BaseStore) -> None:
    """Stop the batching task every async store starts and langgraph never stops.

    Left running, it outlives its connection and the event loop warns that a pending
    task was destroyed.
    """
    task = getattr(store, "_task", None)
    if task is not None and not task.done():
        task.cancel()
        await asyncio.wait([task])


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One streamed part of a run, JSON-safe.

    ``type`` is the stream mode and ``ns`` the subgraph path (empty for the root
    graph). For ``messages`` parts, ``token`` (the text of the chunk), ``node`` and
    ``message_id`` are pulled out so the UI can append tokens without digging.
    """

    type: str
    ns: tuple[str, ...]
    data: Any
    token: str | None = None
    node: str | None = None
    message_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The event as printed by ``rewind run`` (one JSON object per line)."""
        return {"type": self.type, "ns": list(self.ns), "data": self.data}


@dataclass(frozen=True, slots=True)
class ThreadStatus:
    """Where a thread stands: what runs next and what it waits for.

    ``can_continue`` is true for a run that stopped before its end (crash, cancel,
    error, ``interrupt_before``/``after``), or a fork not run yet, and can go on without
    a value; ``interrupts`` need a value (:func:`resume` with one). ``source`` and
    ``step`` are the latest checkpoint's metadata: ``forked`` tells a fork that no run
    continued yet from a run that stopped.
    """

    thread_id: str
    checkpoint_id: str
    next_nodes: tuple[str, ...]
    interrupts: tuple[WaitingInterrupt, ...] = ()
    errors: tuple[FailedTask, ...] = ()
    source: str | None = None
    step: int | None = None
    note: str | None = None
    """Set when the status was read from a private snapshot (as the read commands say)."""

    @property
    def forked(self) -> bool:
        """The latest checkpoint is a fork (``update_state``) that no run has continued; a
        ``fork``-source checkpoint is LangGraph's copy a replay starts from: a run."""
        return self.source == "update"

    @property
    def can_continue(self) -> bool:
        """True when the thread can go on without a value (see the class docstring)."""
        return bool(self.next_nodes) and not self.interrupts

    def to_json(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "checkpoint_id": self.checkpoint_id,
            "next": list(self.next_nodes),
            "interrupts": [i.to_json() for i in self.interrupts],
            "errors": [e.to_json() for e in self.errors],
            "can_continue": self.can_continue,
            "source": self.source,
            "step": self.step,
        }


def make_input(text: str | None = None, json_text: str | None = None) -> Any:
    """The graph input for a run: a user message, a JSON value, or ``None`` to continue."""
    if text is not None and json_text is not None:
        raise RewindError("Give the input either as text or as JSON, not both")
    if text is not None:
        return {"messages": [{"role": "user", "content": text}]}
    if json_text is None:
        return None
    try:
        return json.loads(json_text)
    except json.JSONDecodeError as exc:
        raise RewindError(
            f"Input is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc


async def run(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    thread_id: str,
    input: Any = None,
    *,
    checkpoint_id: str | None = None,
    stream_modes: Sequence[str] = DEFAULT_MODES,
    interrupt_before: Sequence[str] | None = None,
    interrupt_after: Sequence[str] | None = None,
    recursion_limit: int | None = None,
    init: bool = False,
    running: RunningNodes | None = None,
    action: str = "run",
    durability: Durability | None = None,
    configurable: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> AsyncIterator[StreamEvent]:
    """Run the graph on a thread and stream what happens.

    ``target`` is an open saver (from :func:`open_saver`) or a database path, opened
    for the duration of the run; only a new turn (an input, no ``checkpoint_id``) may
    create a missing database, and only with ``init`` may a path name a SQLite file
    with other tables. ``input=None`` continues the thread from its latest
    checkpoint, or from ``checkpoint_id`` when given (a replay); an input with a
    ``checkpoint_id`` starts a new branch from that checkpoint. The thread's write
    lock is held throughout (:func:`writing_thread`). ``recursion_limit`` caps the
    steps (LangGraph's default is 25). A failing graph raises :class:`RunError` after
    everything streamed before the failure. ``running`` is kept up to date with the
    nodes running now. ``durability`` is passed to LangGraph as is: ``None`` runs with
    LangGraph's own default, as the user's app does unless it asks for another mode.
    ``configurable`` is merged into the run's config and ``context`` is LangGraph's
    runtime context (:mod:`desktop.core.run_settings`); both are checked first.
    """
    if not thread_id:
        raise RewindError("The thread id is empty; name the thread the run writes")
    modes = _check_modes(stream_modes)
    _check_durability(durability)
    limit = check_recursion_limit(recursion_limit)
    _check_settings(graph, configurable, context)
    _check_nodes(graph, interrupt_before, "interrupt_before")
    _check_nodes(graph, interrupt_after, "interrupt_after")
    mode: SaverMode = "create" if input is not None and checkpoint_id is None else "write"
    config = checkpoint_config(thread_id, checkpoint_id)
    async with writing_thread(target, thread_id, action):
        if input is not None:
            await check_input(graph, target, config, input)
        async with saver_for(graph, target, mode=mode, init=init) as saver:
            if checkpoint_id is not None:
                await _require_checkpoint(saver, config)
            elif input is None:
                await _require_thread(saver, thread_id)
            async for event in _stream(
                graph.bind(saver, _store(graph, saver)),
                input,
                config,
                modes,
                interrupt_before=interrupt_before,
                interrupt_after=interrupt_after,
                recursion_limit=limit,
                running=running,
                durability=durability,
                configurable=configurable,
                context=context,
            ):
                yield event


async def replay(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    thread_id: str,
    checkpoint_id: str,
    *,
    stream_modes: Sequence[str] = DEFAULT_MODES,
    recursion_limit: int | None = None,
    running: RunningNodes | None = None,
    durability: Durability | None = None,
    configurable: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> AsyncIterator[StreamEvent]:
    """Run again from a past checkpoint; the nodes before it are not re-executed.

    LangGraph writes the replayed steps as a new branch after that checkpoint.
    """
    async for event in run(
        graph,
        target,
        thread_id,
        None,
        checkpoint_id=checkpoint_id,
        stream_modes=stream_modes,
        recursion_limit=recursion_limit,
        running=running,
        action="replay",
        durability=durability,
        configurable=configurable,
        context=context,
    ):
        yield event


async def resume(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    thread_id: str,
    value: Any = NO_VALUE,
    *,
    stream_modes: Sequence[str] = DEFAULT_MODES,
    answers: Sequence[str] | None = None,
    recursion_limit: int | None = None,
    running: RunningNodes | None = None,
    durability: Durability | None = None,
    configurable: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> AsyncIterator[StreamEvent]:
    """Resume a thread: answer its interrupt(s) with ``value``, or continue a stopped run.

    With several pending interrupts, ``value`` must be a mapping of interrupt id to
    value. Without a value, a run that stopped mid-way (crash, cancel, error,
    static interrupt) continues from its latest checkpoint; finished tasks of that
    step are not run again.

    Just before it starts, with the thread's write lock held, the resume checks that
    the interrupts it answers (``answers``: the ids the caller saw, and the ids a
    mapping ``value`` is keyed by) are still pending on the thread's head; an
    interrupt another run answered meanwhile is refused with one line.
    """
    modes = _check_modes(stream_modes)
    _check_durability(durability)
    limit = check_recursion_limit(recursion_limit)
    _check_settings(graph, configurable, context)
    async with writing_thread(target, thread_id, "resume"), saver_for(graph, target) as saver:
        bound = graph.bind(saver, _store(graph, saver))
        status = await _thread_status(bound, saver, thread_id)
        command = _resume_input(status, value, answers)
        async for event in _stream(
            bound,
            command,
            checkpoint_config(thread_id),
            modes,
            recursion_limit=limit,
            running=running,
            durability=durability,
            configurable=configurable,
            context=context,
        ):
            yield event


async def fork(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    thread_id: str,
    checkpoint_id: str,
    values: Any,
    as_node: str | None = None,
    checkpoint_ns: str = "",
) -> str:
    """Write a new checkpoint after ``checkpoint_id`` with ``values`` applied; run nothing.

    The update goes through the graph's reducers as if ``as_node`` (by default the
    node that ran last) had returned ``values``; for a functional-API graph ``values``
    is the entrypoint's new return value. Returns the new checkpoint id, whose parent
    is ``checkpoint_id`` and whose metadata source is ``"update"``; the node the update
    was credited to is kept in its metadata (``rewind_as_node``), which LangGraph does
    not record itself.
    """
    pregel = graph.for_namespace(checkpoint_ns)
    functional = entrypoint_node(pregel) is not None
    if not functional and not isinstance(values, Mapping):
        raise RewindError(
            f"Fork values must be a JSON object of state keys, not {type(values).__name__}"
        )
    async with writing_thread(target, thread_id, "fork"), saver_for(graph, target) as saver:
        config = checkpoint_config(thread_id, checkpoint_id, checkpoint_ns)
        saved = await _require_checkpoint(saver, config)
        if not checkpoint_ns and not functional:
            _check_state_keys(graph, values)
        credited = as_node or pregel._infer_as_node(saved.checkpoint.get("versions_seen", {}))
        if credited:
            config = {**config, "metadata": {AS_NODE_KEY: credited}}
        bound = graph.bind(saver, _store(graph, saver))
        update = dict(values) if isinstance(values, Mapping) else values
        try:
            new_config = await bound.aupdate_state(config, update, as_node=as_node)
        except Exception as exc:
            raise RewindError(f"Cannot fork from {checkpoint_id}: {error_line(exc)}") from exc
    return str(new_config["configurable"]["checkpoint_id"])


async def thread_status(
    graph: LoadedGraph, target: BaseCheckpointSaver | str | Path, thread_id: str
) -> ThreadStatus:
    """Next nodes, pending interrupts and failed tasks of a thread's latest checkpoint.

    A path is opened read-only (:func:`open_read_saver`): asking never changes the file.
    """
    async with saver_for(graph, target, mode="read") as saver:
        status = await _thread_status(graph.bind(saver, _store(graph, saver)), saver, thread_id)
    note = saver.note if isinstance(saver, ReadSaver) else None
    return dataclasses.replace(status, note=note) if note else status


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


def _store(graph: LoadedGraph, saver: BaseCheckpointSaver) -> BaseStore | None:
    """The store a run uses: the one the graph was compiled with, else Rewind's
    store on the database (a writing saver, SQLite or Postgres, carries it)."""
    if graph.graph.store is not None:
        return graph.graph.store
    return getattr(saver, "store", None)


async def _get_tuple(saver: BaseCheckpointSaver, config: RunnableConfig) -> CheckpointTuple | None:
    with reading_checkpoint(config):
        return await saver.aget_tuple(config)


async def _require_thread(saver: BaseCheckpointSaver, thread_id: str) -> CheckpointTuple:
    latest = await _get_tuple(saver, checkpoint_config(thread_id))
    if latest is None:
        raise NotFoundError(f"Thread {thread_id!r} has no checkpoints; give an input to start it")
    return latest


async def _require_checkpoint(
    saver: BaseCheckpointSaver, config: RunnableConfig
) -> CheckpointTuple:
    saved = await _get_tuple(saver, config)
    if saved is None:
        conf = config["configurable"]
        where = f" (namespace {conf['checkpoint_ns']!r})" if conf["checkpoint_ns"] else ""
        raise NotFoundError(
            f"Thread {conf['thread_id']!r} has no checkpoint {conf['checkpoint_id']!r}{where}"
        )
    return saved


async def check_input(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    config: RunnableConfig,
    input: Any,
) -> None:
    """Refuse an input the graph would reject, before anything is written.

    :func:`desktop.core.inputs.check_input` on the state the run starts from, read on a
    read-only connection; a database that does not exist yet is not created for it.
    """
    inputs.check_input_shape(graph.graph, input)
    if isinstance(input, Mapping):
        inputs.check_input(graph.graph, await _stored_values(graph, target, config), input)


async def _stored_values(
    graph: LoadedGraph, target: BaseCheckpointSaver | str | Path, config: RunnableConfig
) -> Mapping[str, Any]:
    """The channel values a run on ``config`` starts from; empty for a new thread or file."""
    if isinstance(target, BaseCheckpointSaver):
        saved = await _get_tuple(target, config)
    elif is_postgres_url(target):
        try:
            async with open_read_saver(target, allowed_types=graph.msgpack_allowlist) as reader:
                saved = await _get_tuple(reader, config)
        except SourceError:
            return {}
    else:
        path = Path(target)
        if not path.is_file() or not await asyncio.to_thread(has_checkpoint_table, path):
            return {}
        async with open_read_saver(path, allowed_types=graph.msgpack_allowlist) as reader:
            saved = await _get_tuple(reader, config)
    return saved.checkpoint["channel_values"] if saved is not None else {}


def _check_durability(durability: str | None) -> None:
    if durability is not None and durability not in DURABILITIES:
        raise RewindError(
            f"Unknown durability {durability!r}; choose from {', '.join(DURABILITIES)}"
        )


def _check_settings(
    graph: LoadedGraph, configurable: Mapping[str, Any] | None, context: Any
) -> None:
    check_configurable(configurable)
    if context is not None and not isinstance(context, Mapping):
        raise RewindError(f"Context must be a JSON object, not {type(context).__name__}")
    inputs.check_context(graph.graph, context)


def _check_modes(stream_modes: Sequence[str]) -> tuple[str, ...]:
    unknown = [mode for mode in stream_modes if mode not in STREAM_MODES]
    if unknown:
        raise RewindError(
            f"Unknown stream mode(s) {', '.join(unknown)}; choose from {', '.join(STREAM_MODES)}"
        )
    return tuple(dict.fromkeys(stream_modes))


def _check_nodes(graph: LoadedGraph, nodes: Sequence[str] | None, option: str) -> None:
    unknown = [n for n in nodes or () if n != "*" and n not in graph.node_names]
    if unknown:
        raise RewindError(
            f"{option}: no node named {', '.join(unknown)}; "
            f"the graph's nodes are {', '.join(graph.node_names)}"
        )


def _check_state_keys(graph: LoadedGraph, values: Mapping[str, Any]) -> None:
    keys = [k for k in graph.graph.channels if not k.startswith("__") and ":" not in k]
    unknown = [k for k in values if k not in keys]
    if unknown:
        raise RewindError(
            f"Unknown state key(s) {', '.join(map(str, unknown))}; the state has {', '.join(keys)}"
        )


async def _stream(
    graph: Pregel,
    input: Any,
    config: RunnableConfig,
    modes: tuple[str, ...],
    *,
    interrupt_before: Sequence[str] | None = None,
    interrupt_after: Sequence[str] | None = None,
    recursion_limit: int | None = None,
    running: RunningNodes | None = None,
    durability: Durability | None = None,
    configurable: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> AsyncIterator[StreamEvent]:
    """Stream a run, turning a graph failure into a one-line :class:`RunError`.

    ``tasks`` is always streamed internally: its error results name the failing node.
    A cancelled run leaves the thread at its last saved step (with ``exit``
    durability, the checkpoint the run started from).
    """
    requested = set(modes)
    failed: str | None = None
    if recursion_limit is not None:
        config = {**config, "recursion_limit": recursion_limit}
    if configurable:
        config = {**config, "configurable": {**configurable, **config["configurable"]}}
    try:
        async for part in graph.astream(
            input,
            config,
            stream_mode=[*modes, *(() if "tasks" in requested else ("tasks",))],
            version="v2",
            subgraphs=True,
            durability=durability,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            context=context,
        ):
            if part["type"] == "tasks":
                if running is not None:
                    running.update(part["ns"], part["data"])
                if failed is None and part["data"].get("error"):
                    failed = _node_path(part["ns"], part["data"]["name"])
            if part["type"] in requested:
                yield _event(part)
    except asyncio.CancelledError:
        if isinstance(graph.checkpointer, BaseCheckpointSaver):
            await settle_saver_writes(graph.checkpointer)
        raise
    except GraphRecursionError as exc:
        limit = config.get("recursion_limit", DEFAULT_RECURSION_LIMIT)
        raise RunError(
            f"Run stopped at the recursion limit ({limit} steps) before reaching its end; "
            "raise the limit (--recursion-limit) if the graph needs more steps"
        ) from exc
    except Exception as exc:
        where = f"Node {failed!r} failed" if failed else "Run failed"
        raise RunError(f"{where}: {error_line(exc)}", node=failed) from exc


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


def _event(part: Mapping[str, Any]) -> StreamEvent:
    kind, ns, data = part["type"], tuple(part["ns"]), part["data"]
    if kind == "messages":
        message, metadata = data
        is_message = isinstance(message, BaseMessage)
        return StreamEvent(
            type=kind,
            ns=ns,
            data={"message": to_jsonable(message), "metadata": to_jsonable(metadata)},
            token=message.text if is_message else None,
            node=metadata.get("langgraph_node"),
            message_id=message.id if is_message else None,
        )
    if kind == "tasks" and isinstance(data.get("error"), BaseException):
        data = {**data, "error": error_line(data["error"])}
    return StreamEvent(type=kind, ns=ns, data=to_jsonable(data))


def _is_interrupt_id(key: Any) -> bool:
    return isinstance(key, str) and _INTERRUPT_ID.fullmatch(key) is not None


def _node_path(ns: Sequence[str], name: str) -> str:
    return "/".join([*(part.split(":", 1)[0] for part in ns), name])


async def _thread_status(graph: Pregel, saver: BaseCheckpointSaver, thread_id: str) -> ThreadStatus:
    latest = await _require_thread(saver, thread_id)
    with reading_checkpoint(latest.config):
        snapshot = await graph.aget_state(checkpoint_config(thread_id), subgraphs=True)
    interrupts: dict[str, WaitingInterrupt] = {}
    errors: list[FailedTask] = []
    _collect_tasks(snapshot, (), interrupts, errors)
    metadata = snapshot.metadata or {}
    return ThreadStatus(
        thread_id=thread_id,
        checkpoint_id=str(snapshot.config["configurable"]["checkpoint_id"]),
        next_nodes=tuple(snapshot.next),
        interrupts=tuple(interrupts.values()),
        errors=tuple(errors),
        source=metadata.get("source") if isinstance(metadata.get("source"), str) else None,
        step=metadata.get("step") if isinstance(metadata.get("step"), int) else None,
    )


def _collect_tasks(
    snapshot: StateSnapshot,
    path: tuple[str, ...],
    interrupts: dict[str, WaitingInterrupt],
    errors: list[FailedTask],
) -> None:
    """Walk the tasks (and subgraph states); an interrupt belongs to the deepest task."""
    for task in snapshot.tasks:
        node = "/".join([*path, task.name])
        for item in task.interrupts:
            interrupts[item.id] = WaitingInterrupt(item.id, to_jsonable(item.value), node)
        if task.error:
            error = task.error
            text = error_line(error) if isinstance(error, BaseException) else str(error)
            errors.append(FailedTask(node, text))
        if isinstance(task.state, StateSnapshot):
            _collect_tasks(task.state, (*path, task.name), interrupts, errors)


def _resume_input(
    status: ThreadStatus, value: Any, answers: Sequence[str] | None = None
) -> Command | None:
    thread = status.thread_id
    ids = [item.id for item in status.interrupts]
    answered = list(answers or ())
    if isinstance(value, Mapping) and value and all(_is_interrupt_id(k) for k in value):
        answered += [k for k in value if k not in answered]
    gone = [i for i in answered if i not in ids]
    if gone:
        now = (
            f"it now waits at {', '.join(ids)}"
            if ids
            else f"its head is now {status.checkpoint_id}"
        )
        raise RewindError(
            f"Interrupt {', '.join(gone)} of thread {thread!r} is no longer pending "
            f"(another run answered it); {now}"
        )
    if status.interrupts:
        if value is NO_VALUE:
            raise RewindError(
                f"Thread {thread!r} is waiting at interrupt(s) {', '.join(ids)}; "
                "resume it with a value"
            )
        if len(ids) > 1 and not (isinstance(value, Mapping) and value and set(value) <= set(ids)):
            raise RewindError(
                f"Thread {thread!r} has {len(ids)} pending interrupts; give the value as a "
                f"JSON object keyed by interrupt id ({', '.join(ids)})"
            )
        return Command(resume=value)
    if not status.next_nodes:
        raise RewindError(f"Thread {thread!r} has nothing to resume: its last run finished")
    if value is not NO_VALUE:
        raise RewindError(
            f"Thread {thread!r} has no pending interrupt to take a value; "
            "resume it without a value to continue its run"
        )
    return None
