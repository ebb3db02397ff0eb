"""Forks of any graph, from the window's editor or from ``rewind fork --values``.

Both turn JSON (as Rewind shows and exports it) into the update ``aupdate_state`` takes
through :func:`desktop.core.timetravel.writable_json`, with the checkpoint's live
values, so an enum stays an enum and a pydantic model a model whichever way the fork
was made.

A functional-API graph (``@entrypoint``) has no state keys: its state is the value the
entrypoint returned (the ``__end__`` channel), and ``update_state`` replaces that value
as if the entrypoint had returned the update. :func:`entrypoint_node` tells such a graph
apart (:func:`desktop.core.graphs.entrypoint_node`); :func:`fork_original` is what a
fork of it edits.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.constants import END
from langgraph.pregel import Pregel

from desktop.core.errors import NotFoundError, RewindError
from desktop.core.graphs import LoadedGraph, entrypoint_node
from desktop.core.model import user_channels
from desktop.core.savers import checkpoint_config, reading_checkpoint, saver_for
from desktop.core.timetravel import (
    MISSING,
    OVERWRITE_KEY,
    channel_kinds,
    to_message,
    writable_json,
)

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
    target: AsyncSqliteSaver | str | Path,
    thread_id: str,
    checkpoint_id: str,
    checkpoint_ns: str = "",
) -> Any:
    """The checkpoint's state as langgraph revives it for ``graph`` (read-only): a dict of
    state keys, or a functional-API graph's return value."""
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
