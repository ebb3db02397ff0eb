"""Forks of any graph, from the window's editor or from ``rewind fork --values``.

Both turn JSON (as Rewind shows and exports it) into the update ``aupdate_state`` takes
through :func:`desktop.core.writable.writable_json`, with the checkpoint's live
values, so an enum stays an enum and a pydantic model a model whichever way the fork
was made.

A functional-API graph (``@entrypoint``) has no state keys: its state is the value the
entrypoint returned (the ``__end__`` channel), and ``update_state`` replaces that value
as if the entrypoint had returned the update. :func:`entrypoint_node` tells such a graph
apart (:func:`desktop.core.graphs.entrypoint_node`); :func:`fork_original` is what a
fork of it edits.

What the graph tells a fork is here too: each state key's kind (:func:`channel_kinds`),
the nodes an update can be credited to and the one langgraph picks by itself
(:func:`infer_as_node`, the same rule as ``aupdate_state``), and the checkpoint's
values as langgraph revives them (:func:`fork_live`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal

from langgraph.channels.binop import BinaryOperatorAggregate
from langgraph.channels.delta import DeltaChannel
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.constants import END, START
from langgraph.pregel import Pregel

from desktop.core.errors import NotFoundError, RewindError
from desktop.core.graphs import LoadedGraph, entrypoint_node
from desktop.core.model import user_channels
from desktop.core.savers import checkpoint_config, reading_checkpoint, saver_for
from desktop.core.writable import MISSING, OVERWRITE_KEY, to_message, writable_json

ChannelKind = Literal["messages", "reducer", "value"]
"""How a state key takes an update: ``add_messages``, another reducer, or plain replace."""

RETURN_VALUE: Final = "return value"
"""How a functional-API graph's state is named in messages."""


def fork_original(pregel: Pregel, values: Mapping[str, Any]) -> Any:
    """What a fork of a checkpoint edits, from its stored (JSON-safe) channel values: the
    state keys, or a functional-API graph's return value."""
    if entrypoint_node(pregel) is not None:
        return values.get(END)
    return user_channels(values)


async def fork_live(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    thread_id: str,
    checkpoint_id: str,
    checkpoint_ns: str = "",
) -> Any:
    """The checkpoint's state as langgraph revives it for ``graph`` (read-only): a dict of
    state keys, or a functional-API graph's return value.

    The ``live`` argument of :func:`update_from_values` and
    :func:`desktop.core.fork_edit.fork_values_from_edit`: the objects the graph's nodes
    would see (enums, dataclasses, datetimes...), which Rewind's JSON only shows.
    """
    config = checkpoint_config(thread_id, checkpoint_id, checkpoint_ns)
    async with saver_for(graph, target, mode="read") as saver:
        bound = graph.bind(saver)
        with reading_checkpoint(config):
            snapshot = await bound.aget_state(config)
    if snapshot.metadata is None:
        raise NotFoundError(f"Thread {thread_id!r} has no checkpoint {checkpoint_id!r}")
    if entrypoint_node(graph.for_namespace(checkpoint_ns)) is not None:
        return snapshot.values
    return dict(snapshot.values)


def update_from_values(
    graph: LoadedGraph, values: Any, live: Any = MISSING, checkpoint_ns: str = ""
) -> Any:
    """The ``update_state`` values for ``rewind fork --values``: ``values`` is an update
    in the forms ``rewind export`` prints (``{"__type__": ...}`` records, messages as
    objects, times as ISO text); each key goes through its reducer as LangGraph applies
    an update. Records and plain values are rebuilt as the live types found at the
    checkpoint (``live``, from :func:`fork_live`); unknown keys are refused.
    """
    pregel = graph.for_namespace(checkpoint_ns)
    if entrypoint_node(pregel) is not None:
        return writable_json(values, RETURN_VALUE, MISSING, live, typed=live is not MISSING)
    if not isinstance(values, Mapping):
        raise RewindError(
            f"Fork values must be a JSON object of state keys, not {type(values).__name__}"
        )
    kinds = channel_kinds(graph, checkpoint_ns)
    unknown = [str(key) for key in values if key not in kinds]
    if unknown:
        raise RewindError(
            f"Unknown state key(s) {', '.join(unknown)}; the state has {', '.join(kinds)}"
        )
    known = live if isinstance(live, Mapping) else {}
    update: dict[str, Any] = {}
    for key, value in values.items():
        alive = known.get(key, MISSING)
        typed = alive is not MISSING and alive is not None
        if kinds[key] == "messages" and isinstance(value, list):
            update[key] = [
                item if not isinstance(item, Mapping) else to_message(item, f"{key}[{i}]")
                for i, item in enumerate(value)
            ]
        elif kinds[key] == "messages" and isinstance(value, Mapping) and OVERWRITE_KEY not in value:
            update[key] = [to_message(value, key)]
        else:
            update[key] = writable_json(value, key, MISSING, alive, typed=typed)
    return update


def channel_kinds(graph: LoadedGraph, checkpoint_ns: str = "") -> dict[str, ChannelKind]:
    """Each state key of the graph (or of the subgraph at ``checkpoint_ns``) and its kind."""
    pregel = graph_for_namespace(graph, checkpoint_ns)
    kinds: dict[str, ChannelKind] = {}
    for name, channel in pregel.channels.items():
        if name.startswith("__") or ":" in name:
            continue
        if isinstance(channel, BinaryOperatorAggregate):
            kinds[name] = "messages" if _is_add_messages(channel.operator) else "reducer"
        elif isinstance(channel, DeltaChannel):
            kinds[name] = "messages" if _is_messages_delta(channel.reducer) else "reducer"
        else:
            kinds[name] = "value"
    return kinds


def fork_target_nodes(graph: LoadedGraph, checkpoint_ns: str = "") -> tuple[str, ...]:
    """The nodes an update can be credited to (``as_node``): the graph's nodes, then its input.

    ``__start__`` (the graph's input) is listed last: langgraph infers it for the first
    checkpoint of a thread, and updating as it re-enters the graph at its start.
    """
    nodes = tuple(graph_for_namespace(graph, checkpoint_ns).nodes)
    return (*(name for name in nodes if name != START), *((START,) if START in nodes else ()))


def graph_for_namespace(graph: LoadedGraph, checkpoint_ns: str = "") -> Pregel:
    """The compiled graph that owns the checkpoints of ``checkpoint_ns`` (root: ``""``)."""
    return graph.for_namespace(checkpoint_ns)


async def infer_as_node(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    thread_id: str,
    checkpoint_id: str,
    checkpoint_ns: str = "",
) -> str | None:
    """The node langgraph credits an ``update_state`` at this checkpoint to, when none is named.

    ``None`` means langgraph would refuse the update as ambiguous (two nodes wrote last,
    or nothing ran yet and the graph has no single input node): the user must choose.
    Uses the same rule as ``aupdate_state`` (``Pregel._infer_as_node`` on the stored
    checkpoint's ``versions_seen``), so the default shown is the one langgraph applies.
    """
    config = checkpoint_config(thread_id, checkpoint_id, checkpoint_ns)
    pregel = graph_for_namespace(graph, checkpoint_ns)
    async with saver_for(graph, target, mode="read") as saver:
        with reading_checkpoint(config):
            saved = await saver.aget_tuple(config)
    if saved is None:
        raise NotFoundError(f"Thread {thread_id!r} has no checkpoint {checkpoint_id!r}")
    return pregel._infer_as_node(saved.checkpoint.get("versions_seen", {}))


def _is_messages_delta(reducer: Any) -> bool:
    """True for the messages reducers of ``DeltaChannel`` (langgraph's and deepagents'
    ``_messages_delta_reducer``): by id, ``RemoveMessage``, ``REMOVE_ALL_MESSAGES``."""
    while isinstance(reducer, functools.partial):
        reducer = reducer.func
    return getattr(reducer, "__name__", "") == "_messages_delta_reducer"


def _is_add_messages(operator: Any) -> bool:
    """True for langgraph's ``add_messages`` reducer, also when configured (a ``partial``)."""
    while isinstance(operator, functools.partial):
        operator = operator.func
    return getattr(operator, "__module__", "") == "langgraph.graph.message" and getattr(
        operator, "__name__", ""
    ) in ("add_messages", "_add_messages")
