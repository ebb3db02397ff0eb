"""The graph a thread's history shows, for a database without its graph attached.

Every node that wrote a checkpoint, and an edge for each transition from one step's
writers to the next step's; subgraph namespaces are expanded the way LangGraph's xray
picture expands subgraph nodes. It cannot see conditional edges or nodes that never
ran, so the window labels it "inferred from history".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from desktop.core.graph_view import (
    END,
    SEPARATOR,
    START,
    CheckpointActivity,
    GraphEdge,
    GraphNode,
    GraphPicture,
    node_kind,
    xray_prefix,
)
from desktop.core.model import CheckpointMeta


def infer_picture(
    history: Sequence[CheckpointMeta],
    finished: Iterable[str] = (),
    head: CheckpointActivity | None = None,
    head_meta: CheckpointMeta | None = None,
) -> GraphPicture:
    """The graph a thread's history shows: every node that wrote a checkpoint and an edge
    for each transition from one step's writers to the next step's.

    Subgraph checkpoints (``checkpoint_ns``) add their inner nodes under the subgraph
    node, joined like LangGraph's xray picture. ``finished`` names root checkpoints
    that end a run (nothing next): their writers get an edge to ``__end__``. ``head``
    (the activity at root checkpoint ``head_meta``) adds the nodes still to run or
    that failed there, reached from its writers.
    """
    history = sorted(history, key=lambda meta: meta.checkpoint_id)
    ended = set(finished)
    by_key = {meta.key: meta for meta in history}
    levels: dict[str, _Level] = defaultdict(_Level)
    for meta in history:
        level = levels[xray_prefix(meta.checkpoint_ns)]
        writers = meta.writers
        level.nodes.update(dict.fromkeys(writers))
        parent = by_key.get((meta.checkpoint_ns, meta.parent_checkpoint_id or ""))
        before = parent.writers if parent is not None else ()
        for source in before:
            for target in writers:
                level.edges.setdefault((source, target))
        if not writers:
            continue
        if meta.checkpoint_ns == "" and meta.checkpoint_id in ended:
            level.nodes.setdefault(END)
            for source in writers:
                level.edges.setdefault((source, END))
    if head is not None and head_meta is not None and not head.namespace:
        pending = [*head.next, *head.interrupted, *head.errors]
        levels[""].nodes.update(dict.fromkeys(n for n in pending if n != START))
        for source in head_meta.writers:
            for target in pending:
                if target != START:
                    levels[""].edges.setdefault((source, target))
    root = levels.pop("", _Level())
    nodes = {START: None, **root.nodes} if root.nodes else dict(root.nodes)
    edges = dict(root.edges)
    for prefix in sorted(levels, key=lambda p: -p.count(SEPARATOR)):
        _expand_level(prefix, levels[prefix], nodes, edges, levels)
    order = [n for n in nodes if n not in (START, END)]
    ids = ([START] if START in nodes else []) + order + ([END] if END in nodes else [])
    return GraphPicture(
        nodes=tuple(
            GraphNode(id=n, name=n.rsplit(SEPARATOR, 1)[-1], kind=node_kind(n)) for n in ids
        ),
        edges=tuple(GraphEdge(source=s, target=t) for s, t in edges),
        inferred=True,
    )


@dataclass
class _Level:
    """Nodes and transitions seen in one namespace level of a thread."""

    nodes: dict[str, None] = field(default_factory=dict)
    edges: dict[tuple[str, str], None] = field(default_factory=dict)


def _expand_level(
    prefix: str,
    level: _Level,
    nodes: dict[str, None],
    edges: dict[tuple[str, str], None],
    levels: Mapping[str, _Level],
) -> None:
    """Replace the subgraph node ``prefix`` by its inner nodes, as xray does: edges into
    it go to the nodes its ``__start__`` led to, edges out of it leave from its sinks."""
    sub = prefix.rstrip(SEPARATOR)
    parent_prefix = sub.rsplit(SEPARATOR, 1)[0] + SEPARATOR if SEPARATOR in sub else ""
    holder = levels.get(parent_prefix) if parent_prefix else None
    container_nodes = holder.nodes if holder is not None else nodes
    container_edges = holder.edges if holder is not None else edges
    local = sub.rsplit(SEPARATOR, 1)[-1] if parent_prefix else sub
    inner = [n for n in level.nodes if n != START]
    if not inner:
        return
    entries = [t for s, t in level.edges if s == START] or inner[:1]
    has_out = {s for s, _ in level.edges}
    exits = [n for n in inner if n not in has_out] or inner[-1:]
    renamed = {n: prefix + n for n in inner}
    position = list(container_nodes).index(local) if local in container_nodes else None
    items = list(container_nodes)
    if position is not None:
        items[position : position + 1] = list(renamed.values())
    else:
        items.extend(renamed.values())
    container_nodes.clear()
    container_nodes.update(dict.fromkeys(items))
    rewired: dict[tuple[str, str], None] = {}
    for source, target in container_edges:
        sources = [renamed[n] for n in exits] if source == local else [source]
        targets = [renamed[n] for n in entries] if target == local else [target]
        for s in sources:
            for t in targets:
                rewired.setdefault((s, t))
    for source, target in level.edges:
        if source != START:
            rewired.setdefault((renamed[source], renamed[target]))
    container_edges.clear()
    container_edges.update(rewired)
