"""Values Rewind derives on read, given by the attached graph's own reducers.

Without a graph Rewind folds delta channels and a checkpoint's pending update
(``Command(update=...)``) with built-in or guessed reducers
(:mod:`desktop.core.shown_values`). When the user attaches their graph (the window, or
``rewind export ... --graph SPEC``), its reducers are the truth: the values of those
channels are read through LangGraph itself (``aget_state`` on a read-only saver, the
graph's code folding the stored writes), then shown in Rewind's JSON shapes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from langgraph.channels.delta import DeltaChannel
from langgraph.checkpoint.base import BaseCheckpointSaver

from desktop.core.errors import RewindError
from desktop.core.forking import fork_live, graph_for_namespace
from desktop.core.graphs import LoadedGraph
from desktop.core.live_json import to_jsonable
from desktop.core.model import CheckpointState
from desktop.core.savers import saver_for
from desktop.core.shown_values import delta_writes, pending_update


def graph_delta_channels(graph: LoadedGraph, checkpoint_ns: str = "") -> frozenset[str]:
    """The ``DeltaChannel``s of the graph (or of its subgraph owning ``checkpoint_ns``);
    empty when no subgraph of the graph owns that namespace."""
    try:
        pregel = graph_for_namespace(graph, checkpoint_ns)
    except RewindError:
        return frozenset()
    return frozenset(k for k, ch in pregel.channels.items() if isinstance(ch, DeltaChannel))


def graph_derived_channels(graph: LoadedGraph, state: CheckpointState) -> frozenset[str]:
    """The state channels of ``state`` whose value Rewind derived and the graph knows
    better: its delta channels (when any was rebuilt), the channels the checkpoint's
    pending update changed, and reducer channels not written yet."""
    try:
        pregel = graph_for_namespace(graph, state.meta.checkpoint_ns)
    except RewindError:
        return frozenset()
    streamed = pregel.stream_channels_asis
    keys = {streamed} if isinstance(streamed, str) else set(streamed)
    derived = set(pending_update(delta_writes(state.meta.checkpoint_id, state.pending_writes)))
    if state.reconstructed or state.unfolded:
        derived.update(k for k, ch in pregel.channels.items() if isinstance(ch, DeltaChannel))
    # Not written yet: a reducer channel starts at its empty value (0, [], {}), which
    # get_state lists and the checkpoint does not store.
    derived.update(
        k
        for k, ch in pregel.channels.items()
        if k not in state.values and not isinstance(ch, DeltaChannel) and ch.is_available()
    )
    return frozenset(derived & keys)


async def fold_with_graph(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    states: Sequence[CheckpointState],
) -> list[CheckpointState]:
    """``states`` with every channel Rewind derived (:func:`graph_derived_channels`)
    valued as LangGraph reports it.

    States with nothing derived are returned as they are; so is one whose namespace
    the graph does not own, or one that could not be decoded.
    """
    out = []
    async with saver_for(graph, target, mode="read") as saver:
        for state in states:
            channels = graph_derived_channels(graph, state)
            if not channels or state.error:
                out.append(state)
                continue
            meta = state.meta
            live = dict(
                await fork_live(
                    graph, saver, meta.thread_id, meta.checkpoint_id, meta.checkpoint_ns
                )
            )
            values = dict(state.values)
            for channel in channels:
                if channel in live:
                    values[channel] = to_jsonable(live[channel])
                else:
                    values.pop(channel, None)
            folded = dataclasses.replace(
                state,
                values=values,
                unfolded=tuple(c for c in state.unfolded if c not in channels),
                guessed=tuple(c for c in state.guessed if c not in channels),
            )
            out.append(folded)
    return out
