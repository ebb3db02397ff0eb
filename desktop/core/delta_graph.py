"""Delta channels folded by the attached graph's own reducers.

Without a graph Rewind folds delta channels with built-in reducers
(:mod:`desktop.core.delta`). When the user attaches their graph (the window, or
``rewind export ... --graph SPEC``), its reducers are the truth: the values of its
``DeltaChannel``s are read through LangGraph itself (``aget_state`` on a read-only
saver, the graph's code folding the stored writes), then shown in Rewind's JSON shapes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from langgraph.channels.delta import DeltaChannel
from langgraph.checkpoint.base import BaseCheckpointSaver

from desktop.core.decode import to_jsonable
from desktop.core.errors import RewindError
from desktop.core.graphs import LoadedGraph
from desktop.core.model import CheckpointState
from desktop.core.runner import saver_for
from desktop.core.timetravel import graph_for_namespace, live_values


def graph_delta_channels(graph: LoadedGraph, checkpoint_ns: str = "") -> frozenset[str]:
    """The ``DeltaChannel``s of the graph (or of its subgraph owning ``checkpoint_ns``);
    empty when no subgraph of the graph owns that namespace."""
    try:
        pregel = graph_for_namespace(graph, checkpoint_ns)
    except RewindError:
        return frozenset()
    return frozenset(k for k, ch in pregel.channels.items() if isinstance(ch, DeltaChannel))


async def fold_with_graph(
    graph: LoadedGraph,
    target: BaseCheckpointSaver | str | Path,
    states: Sequence[CheckpointState],
) -> list[CheckpointState]:
    """``states`` with every delta channel of ``graph`` valued as LangGraph reports it.

    States without delta channels to rebuild are returned as they are; so is one whose
    namespace the graph does not own.
    """
    out = []
    async with saver_for(graph, target, mode="read") as saver:
        for state in states:
            channels = graph_delta_channels(graph, state.meta.checkpoint_ns)
            if not channels or state.error or not (state.reconstructed or state.unfolded):
                out.append(state)
                continue
            meta = state.meta
            live = await live_values(
                graph, saver, meta.thread_id, meta.checkpoint_id, meta.checkpoint_ns
            )
            values = dict(state.values)
            for channel in channels:
                if channel in live:
                    values[channel] = to_jsonable(live[channel])
                else:
                    values.pop(channel, None)
            out.append(dataclasses.replace(state, values=values, unfolded=()))
    return out
