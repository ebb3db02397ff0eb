"""The graph as a picture: nodes, edges and what each node did at one checkpoint.

:func:`picture_of` reads an attached graph the way LangGraph draws it
(``get_graph(xray=True)``: subgraph nodes expanded in place, ids like
``researcher:gather``); :mod:`desktop.core.graph_infer` rebuilds a picture from a
thread's history when no graph is attached.
:func:`node_states` tells each node's state at a checkpoint, from the same facts
LangGraph's ``StateSnapshot`` reports: the tasks that wrote it, ``next``, pending
interrupts and failed tasks. Qt-free: the window, ``rewind graph`` and its ``--png``
all draw from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from desktop.core.errors import RewindError
from desktop.core.model import CheckpointMeta, CheckpointState

START: Final = "__start__"
END: Final = "__end__"
SEPARATOR: Final = ":"
"""Joins a subgraph node's name and an inner node's name in xray ids (as LangGraph does)."""

IDLE: Final = "idle"
WROTE: Final = "wrote"
NEXT: Final = "next"
INTERRUPTED: Final = "interrupted"
ERROR: Final = "error"
STATE_ORDER: Final = (ERROR, INTERRUPTED, NEXT, WROTE, IDLE)
"""Node states, strongest first: a node that is both next and wrote shows ``next``."""

NodeKind = Literal["start", "end", "node"]


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A node of the picture; ``id`` is LangGraph's xray id (``sub:inner`` inside subgraphs)."""

    id: str
    name: str
    kind: NodeKind = "node"

    @property
    def path(self) -> tuple[str, ...]:
        """The subgraph nodes this node sits in, outermost first (empty at the top level)."""
        return tuple(self.id.split(SEPARATOR)[:-1])


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """An edge; ``conditional`` edges come from a router, ``label`` is LangGraph's edge data."""

    source: str
    target: str
    conditional: bool = False
    label: str | None = None


@dataclass(frozen=True)
class GraphPicture:
    """What is drawn: nodes and edges, and whether they were inferred from history.

    ``collapsed`` names the subgraph nodes drawn as one box (their inner nodes folded in).
    """

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    inferred: bool = False
    collapsed: frozenset[str] = frozenset()
    _index: dict[str, GraphNode] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({node.id: node for node in self.nodes})

    def node(self, node_id: str) -> GraphNode | None:
        """The node with this id, if drawn."""
        return self._index.get(node_id)

    @property
    def subgraphs(self) -> tuple[str, ...]:
        """Ids of the subgraph nodes that have inner nodes in the full picture, outermost
        first; a collapsed one is drawn as a node, an expanded one as a frame."""
        found: dict[str, None] = {}
        for node in self.nodes:
            for depth in range(1, len(node.path) + 1):
                found.setdefault(SEPARATOR.join(node.path[:depth]))
        found.update(dict.fromkeys(sorted(self.collapsed)))
        return tuple(sorted(found, key=lambda sid: (sid.count(SEPARATOR), sid)))

    @property
    def top_level_nodes(self) -> tuple[str, ...]:
        """Ids of the nodes of the graph itself (no subgraph inner node, no start/end)."""
        names = dict.fromkeys(node.path[0] if node.path else node.id for node in self.nodes)
        return tuple(n for n in names if n not in (START, END))


@dataclass(frozen=True)
class NodeState:
    """A node's state at a checkpoint and, for ``error``, the failure text."""

    state: str = IDLE
    error: str | None = None


@dataclass(frozen=True)
class CheckpointActivity:
    """What the nodes of one graph level did at a checkpoint, in LangGraph's terms.

    ``namespace`` is the checkpoint's ``checkpoint_ns`` (``""`` for the root graph);
    names are node names of that level. ``errors`` maps a failed node to its error text.
    """

    namespace: str = ""
    wrote: tuple[str, ...] = ()
    next: tuple[str, ...] = ()
    interrupted: tuple[str, ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)


# -- the picture of an attached graph --------------------------------------------------


def picture_of(graph: Any, *, xray: bool = True) -> GraphPicture:
    """The picture of a compiled graph: ``graph.get_graph(xray=xray)``, ids as there.

    Raises :class:`RewindError` when LangGraph cannot draw the graph.
    """
    try:
        drawable = graph.get_graph(xray=xray)
    except Exception as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise RewindError(f"LangGraph cannot draw this graph: {text}") from exc
    nodes = tuple(
        GraphNode(id=str(node.id), name=str(node.name), kind=node_kind(str(node.id)))
        for node in drawable.nodes.values()
    )
    edges = tuple(
        GraphEdge(
            source=str(edge.source),
            target=str(edge.target),
            conditional=bool(edge.conditional),
            label=None if edge.data is None else str(edge.data),
        )
        for edge in drawable.edges
    )
    return GraphPicture(nodes=nodes, edges=edges)


def node_kind(node_id: str) -> NodeKind:
    """``start``, ``end`` or ``node``: how LangGraph's drawing kinds a node id."""
    if node_id == START:
        return "start"
    if node_id == END:
        return "end"
    return "node"


def collapse(picture: GraphPicture, subgraphs: Iterable[str]) -> GraphPicture:
    """The picture with these subgraph nodes folded: one node stands for all its inner
    nodes, edges to and from them attach to it, edges inside it disappear."""
    folded = {sid for sid in subgraphs if sid in picture.subgraphs}
    if not folded:
        return picture

    def owner(node_id: str) -> str:
        parts = node_id.split(SEPARATOR)
        for depth in range(1, len(parts)):
            prefix = SEPARATOR.join(parts[:depth])
            if prefix in folded:
                return prefix
        return node_id

    nodes: dict[str, GraphNode] = {}
    for node in picture.nodes:
        top = owner(node.id)
        if top == node.id:
            nodes[node.id] = node
        elif top not in nodes:
            nodes[top] = GraphNode(id=top, name=top.rsplit(SEPARATOR, 1)[-1])
    edges: dict[tuple[str, str], GraphEdge] = {}
    for edge in picture.edges:
        source, target = owner(edge.source), owner(edge.target)
        if source == target:
            continue
        known = edges.get((source, target))
        if known is None:
            edges[(source, target)] = replace(edge, source=source, target=target)
        else:
            edges[(source, target)] = replace(
                known,
                conditional=known.conditional or edge.conditional,
                label=known.label or edge.label,
            )
    return GraphPicture(
        nodes=tuple(nodes.values()),
        edges=tuple(edges.values()),
        inferred=picture.inferred,
        collapsed=frozenset(folded) | picture.collapsed,
    )


def xray_prefix(checkpoint_ns: str) -> str:
    """``researcher:1a2b|inner:3c4d`` -> ``researcher:inner:``: where a namespace's nodes
    sit in an xray picture (``""`` for the root graph)."""
    if not checkpoint_ns:
        return ""
    names = [part.split(SEPARATOR, 1)[0] for part in checkpoint_ns.split("|") if part]
    return "".join(name + SEPARATOR for name in names)


def running_node_id(namespace: Sequence[str], name: str) -> str:
    """The xray id of a task named ``name`` streaming from subgraph ``namespace``."""
    return xray_prefix("|".join(namespace)) + name


# -- node states -----------------------------------------------------------------------


def checkpoint_activity(state: CheckpointState) -> CheckpointActivity:
    """What the nodes did at ``state``'s checkpoint, from the shared reading of LangGraph's
    step (:mod:`desktop.core.progress`): who wrote it, ``next``, which task waits on an
    unanswered interrupt and which failed (a task stopped by the user is not a failure)."""
    progress = state.progress
    return CheckpointActivity(
        namespace=state.meta.checkpoint_ns,
        wrote=state.meta.writers,
        next=progress.next,
        interrupted=tuple(dict.fromkeys(item.node for item in progress.interrupts)),
        errors={failure.node: failure.error for failure in reversed(progress.errors)},
    )


def node_states(picture: GraphPicture, activity: CheckpointActivity | None) -> dict[str, NodeState]:
    """Each drawn node's state; every node is ``idle`` without a checkpoint.

    Names of ``activity`` are matched at its namespace's level; a node inside a
    subgraph takes the state of the subgraph node it sits in (at that level), and a
    collapsed subgraph node its own. ``__end__`` is always idle.
    """
    if activity is None:
        return {node.id: NodeState() for node in picture.nodes}
    prefix = xray_prefix(activity.namespace)
    by_name: dict[str, NodeState] = {}
    for name in activity.wrote:
        by_name[name] = NodeState(WROTE)
    for name in activity.next:
        by_name[name] = NodeState(NEXT)
    for name in activity.interrupted:
        by_name[name] = NodeState(INTERRUPTED)
    for name, text in activity.errors.items():
        by_name[name] = NodeState(ERROR, text)
    states: dict[str, NodeState] = {}
    for node in picture.nodes:
        states[node.id] = NodeState()
        if node.kind == "end" or not node.id.startswith(prefix):
            continue
        local = node.id[len(prefix) :].split(SEPARATOR, 1)[0]
        if local in by_name:
            states[node.id] = by_name[local]
    return states


def graph_json(
    picture: GraphPicture, states: Mapping[str, NodeState] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The shape ``rewind graph`` prints: nodes with kind, state and error; edges."""
    states = states or {}
    return {
        "nodes": [
            {
                "id": node.id,
                "name": node.name,
                "kind": node.kind,
                "state": states.get(node.id, NodeState()).state,
                "error": states.get(node.id, NodeState()).error,
            }
            for node in picture.nodes
        ],
        "edges": [
            {
                "source": edge.source,
                "target": edge.target,
                "conditional": edge.conditional,
                "label": edge.label,
            }
            for edge in picture.edges
        ],
    }


def checkpoints_written_by(history: Iterable[CheckpointMeta], node_id: str) -> list[CheckpointMeta]:
    """The checkpoints a node wrote, oldest first: those of its graph level (an inner
    node's subgraph namespace) whose writers name it."""
    parts = node_id.split(SEPARATOR)
    found = []
    for meta in history:
        prefix = xray_prefix(meta.checkpoint_ns)
        level = prefix.rstrip(SEPARATOR).split(SEPARATOR) if prefix else []
        writers = meta.writers
        if level == parts[:-1] and parts[-1] in writers:
            found.append(meta)
    return sorted(found, key=lambda m: m.checkpoint_id)
