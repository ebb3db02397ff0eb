"""Runs, forks, replays and resumes through LangGraph's own API: the write path.

Everything that changes a checkpoint database goes through here, and only through
``astream(..., version="v2")``, ``aupdate_state`` and ``Command(resume=...)`` on a saver
opened by :mod:`desktop.core.savers` (``AsyncSqliteSaver``, or for a ``postgresql://``
URL ``AsyncPostgresSaver``), never hand-written rows. The CLI and the GUI share these
functions: the CLI prints the :class:`~desktop.core.run_stream.StreamEvent` values, the
GUI's controller consumes the same async iterators inside its qasync loop. Cancelling the
consuming task stops a run cleanly: the thread keeps its last checkpoint and can be
continued. Every argument is checked (:mod:`desktop.core.guards`, the input with the
graph's own reducers) before anything is written.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command, Durability

from desktop.core import inputs
from desktop.core.errors import RewindError, SourceError, error_line
from desktop.core.graphs import LoadedGraph, entrypoint_node
from desktop.core.guards import (
    check_durability,
    check_nodes,
    check_recursion_limit,
    check_settings,
    check_state_keys,
    has_checkpoint_table,
    writing_thread,
)
from desktop.core.model import AS_NODE_KEY
from desktop.core.pgurl import is_postgres_url
from desktop.core.run_status import ThreadStatus, read_thread_status
from desktop.core.run_stream import DEFAULT_MODES, StreamEvent, check_modes, stream_run
from desktop.core.running import RunningNodes
from desktop.core.savers import (
    SaverMode,
    checkpoint_config,
    get_tuple,
    location_text,
    open_read_saver,
    require_checkpoint,
    require_thread,
    run_store,
    saver_for,
)


class _NoValue:
    """Type of :data:`NO_VALUE`."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = _NoValue()
"""``resume`` without a value: continue an unfinished run instead of answering an interrupt."""

_INTERRUPT_ID = re.compile(r"[0-9a-f]{32}")
"""How LangGraph tells a mapping of interrupt ids to values from a plain resume value."""


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

    ``target`` is an open saver (from :func:`~desktop.core.savers.open_saver`) or a
    database path, opened for the duration of the run; only a new turn (an input, no
    ``checkpoint_id``) may create a missing database, and only with ``init`` may a path
    name a SQLite file with other tables. ``input=None`` continues the thread from its
    latest checkpoint, or from ``checkpoint_id`` when given (a replay); an input with a
    ``checkpoint_id`` starts a new branch from that checkpoint. The thread's write
    lock is held throughout (:func:`writing_thread`). ``recursion_limit`` caps the
    steps (LangGraph's default is 25). A failing graph raises
    :class:`~desktop.core.run_stream.RunError` after everything streamed before the
    failure. ``running`` is kept up to date with the nodes running now. ``durability``
    is passed to LangGraph as is: ``None`` runs with LangGraph's own default, as the
    user's app does unless it asks for another mode.
    ``configurable`` is merged into the run's config and ``context`` is LangGraph's
    runtime context (:mod:`desktop.core.run_settings`); both are checked first.
    """
    if not thread_id:
        raise RewindError("The thread id is empty; name the thread the run writes")
    modes = check_modes(stream_modes)
    check_durability(durability)
    limit = check_recursion_limit(recursion_limit)
    check_settings(graph, configurable, context)
    check_nodes(graph, interrupt_before, "interrupt_before")
    check_nodes(graph, interrupt_after, "interrupt_after")
    mode: SaverMode = "create" if input is not None and checkpoint_id is None else "write"
    config = checkpoint_config(thread_id, checkpoint_id)
    async with writing_thread(target, thread_id, action):
        if input is not None:
            await check_input(graph, target, config, input)
        async with saver_for(graph, target, mode=mode, init=init) as saver:
            if checkpoint_id is not None:
                await require_checkpoint(saver, config)
            elif input is None:
                await require_thread(saver, thread_id, location_text(target))
            async for event in stream_run(
                graph.bind(saver, run_store(graph, saver)),
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
    note: Callable[[str], None] | None = None,
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
    interrupt another run answered meanwhile is refused with one line. ``note`` hears
    how an ambiguous value was taken (:func:`_ambiguity`).
    """
    modes = check_modes(stream_modes)
    check_durability(durability)
    limit = check_recursion_limit(recursion_limit)
    check_settings(graph, configurable, context)
    async with writing_thread(target, thread_id, "resume"), saver_for(graph, target) as saver:
        bound = graph.bind(saver, run_store(graph, saver))
        status = await read_thread_status(bound, saver, thread_id, location_text(target))
        command = _resume_input(status, value, answers)
        ambiguity = _ambiguity(status, value) if command is not None else None
        if ambiguity and note is not None:
            note(ambiguity)
        async for event in stream_run(
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
        saved = await require_checkpoint(saver, config)
        if not checkpoint_ns and not functional:
            check_state_keys(graph, values)
        credited = as_node or pregel._infer_as_node(saved.checkpoint.get("versions_seen", {}))
        if credited:
            config = {**config, "metadata": {AS_NODE_KEY: credited}}
        bound = graph.bind(saver, run_store(graph, saver))
        update = dict(values) if isinstance(values, Mapping) else values
        try:
            new_config = await bound.aupdate_state(config, update, as_node=as_node)
        except Exception as exc:
            raise RewindError(f"Cannot fork from {checkpoint_id}: {error_line(exc)}") from exc
    return str(new_config["configurable"]["checkpoint_id"])


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
        saved = await get_tuple(target, config)
    elif is_postgres_url(target):
        try:
            async with open_read_saver(target, allowed_types=graph.msgpack_allowlist) as reader:
                saved = await get_tuple(reader, config)
        except SourceError:
            return {}
    else:
        path = Path(target)
        if not path.is_file() or not await asyncio.to_thread(has_checkpoint_table, path):
            return {}
        async with open_read_saver(path, allowed_types=graph.msgpack_allowlist) as reader:
            saved = await get_tuple(reader, config)
    return saved.checkpoint["channel_values"] if saved is not None else {}


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
    if not status.can_continue:
        raise RewindError(f"Thread {thread!r} has nothing to resume: its last run finished")
    if value is not NO_VALUE:
        raise RewindError(
            f"Thread {thread!r} has no pending interrupt to take a value; "
            "resume it without a value to continue its run"
        )
    return None


def _ambiguity(status: ThreadStatus, value: Any) -> str | None:
    """What an object answering the one pending interrupt was taken as, when it could
    have been meant as ``{interrupt id: value}``: LangGraph reads an object as such a
    map only when every key is an interrupt id, else as the answer itself."""
    if len(status.interrupts) != 1 or not isinstance(value, Mapping) or not value:
        return None
    if all(_is_interrupt_id(k) for k in value):
        return None
    pending = status.interrupts[0].id
    keys = ", ".join(map(str, list(value)[:3])) + (", ..." if len(value) > 3 else "")
    return (
        f"the value is a JSON object whose keys ({keys}) are not interrupt ids: interrupt "
        f"{pending} takes the whole object as its answer, as LangGraph does (to answer by "
        f'id: {{"{pending}": value}})'
    )


def _is_interrupt_id(key: Any) -> bool:
    return isinstance(key, str) and _INTERRUPT_ID.fullmatch(key) is not None
