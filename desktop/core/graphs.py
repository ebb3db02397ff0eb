"""Load the user's LangGraph graph so Rewind can run it against the database being debugged.

A graph is named the way the LangGraph CLI names it: ``package.module:attr``,
``path/to/file.py:attr``, a graph id in a ``langgraph.json``, or ``demo`` for the
built-in offline agent. The attribute may be a compiled graph, an uncompiled
``StateGraph`` or a factory returning either (sync or async, taking no argument or
one ``RunnableConfig``). Whatever checkpointer the user compiled in, Rewind runs the
graph with its own (:meth:`LoadedGraph.bind`). The spec is imported by
:mod:`desktop.core.graph_import`, a ``langgraph.json`` read by
:mod:`desktop.core.graph_config`; the classes a checkpoint may revive are found by
:mod:`desktop.core.graph_types`.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.constants import END, START
from langgraph.graph import StateGraph
from langgraph.pregel import Pregel
from langgraph.store.base import BaseStore

from desktop.core.errors import GraphLoadError, error_line
from desktop.core.graph_config import (
    add_dependencies,
    config_graph_spec,
    load_env,
    read_config,
)
from desktop.core.graph_import import (
    SPEC_FORMS,
    call_factory,
    get_attr,
    import_module,
    is_factory,
    resolve_spec,
)
from desktop.core.graph_types import TypeKey, project_types, schema_types

DEMO_SPEC = "demo"
_DEMO_MODULE = "desktop.core.demo.agent"
_DEMO_FACTORY = "build_demo_graph"
_DEFAULT_PREGEL_NAME = "LangGraph"


@dataclass(frozen=True)
class LoadedGraph:
    """A user's graph ready to run: the compiled graph plus where it came from.

    ``graph`` is compiled without Rewind's checkpointer; :meth:`bind` attaches one.
    ``builder`` is kept when the user exported an uncompiled ``StateGraph``.
    ``project_paths`` is the spec file's folder, the ``langgraph.json`` folder or the
    top package of a ``package.module`` spec.
    """

    graph: Pregel
    spec: str
    name: str
    builder: StateGraph | None = None
    graph_id: str | None = None
    config_path: Path | None = None
    project_paths: tuple[Path, ...] = ()
    """Where the user's code lives (folders, or a lone module file): its classes revive."""
    warnings: tuple[str, ...] = ()
    """Problems that did not stop the load (a langgraph.json ``env`` file that is missing)."""

    @classmethod
    def from_object(cls, obj: Any, *, spec: str, name: str | None = None) -> LoadedGraph:
        """Wrap a graph-like object (compiled graph, ``StateGraph`` or factory)."""
        value = call_factory(obj, spec) if is_factory(obj) else obj
        builder = value if isinstance(value, StateGraph) else None
        if builder is not None:
            try:
                value = builder.compile()
            except Exception as exc:
                raise GraphLoadError(
                    f"Cannot compile the StateGraph {spec}: {error_line(exc)}"
                ) from exc
        if not isinstance(value, Pregel):
            raise GraphLoadError(
                f"{spec} is not a LangGraph graph but {type(value).__name__!r} (expected a "
                "compiled graph, a StateGraph, or a Python function returning one)"
            )
        attr = spec.rsplit(":", 1)[-1]
        display = name or (value.name if value.name != _DEFAULT_PREGEL_NAME else attr)
        return cls(graph=value, spec=spec, name=display, builder=builder)

    @property
    def node_names(self) -> tuple[str, ...]:
        """The graph's nodes in definition order, without the ``__start__`` pseudo-node."""
        return tuple(name for name in self.graph.nodes if name != START)

    @property
    def msgpack_allowlist(self) -> frozenset[TypeKey]:
        """Classes a checkpoint of this graph may revive as themselves.

        Checkpoints store pydantic models, dataclasses, enums and named tuples as records
        that name their class. Revived are LangGraph's own safe types plus the classes
        named by the state schemas (of the graph and its subgraphs) and those defined in
        the user's project modules (:attr:`project_paths`), which nodes may keep anywhere
        in the state (a ``dict`` or ``Any`` field); classes of installed libraries come
        back as plain data.
        """
        found = schema_types(self.graph)
        found.update(project_types(self.project_paths))
        return frozenset(found)

    def for_namespace(self, checkpoint_ns: str = "") -> Pregel:
        """The compiled graph that owns the checkpoints of ``checkpoint_ns`` (root: ``""``)."""
        if not checkpoint_ns:
            return self.graph
        path = "|".join(
            part.split(":", 1)[0] for part in checkpoint_ns.split("|") if not part.isdigit()
        )
        for _, subgraph in self.graph.get_subgraphs(namespace=path, recurse=True):
            return subgraph
        raise GraphLoadError(
            f"Graph {self.name!r} has no subgraph at {path!r} (namespace {checkpoint_ns})"
        )

    def bind(self, checkpointer: BaseCheckpointSaver, store: BaseStore | None = None) -> Pregel:
        """A copy of the graph that persists to ``checkpointer`` and uses ``store``.

        A ``StateGraph`` is recompiled. A compiled graph is shallow-copied and keeps
        everything else it was compiled with (interrupts, name, retry policies);
        ``Pregel.copy`` is not used because it drops attributes set after compile.
        """
        if self.builder is not None:
            return self.builder.compile(checkpointer=checkpointer, store=store, name=self.name)
        bound = copy.copy(self.graph)
        bound.checkpointer = checkpointer
        bound.store = store
        return bound


def entrypoint_node(pregel: Pregel) -> str | None:
    """The entrypoint of a functional-API graph (``@entrypoint``), ``None`` for a
    ``StateGraph``: its one node, and it streams the ``__end__`` channel (the return)."""
    nodes = [name for name in pregel.nodes if name != START]
    if pregel.stream_channels == END and len(nodes) == 1:
        return nodes[0]
    return None


def load_graph(
    spec: str | None = None,
    *,
    config_path: Path | None = None,
    graph_id: str | None = None,
) -> LoadedGraph:
    """Load a graph from a spec or from a LangGraph CLI ``langgraph.json``.

    With ``config_path``, its ``dependencies`` are added to ``sys.path`` and its ``env``
    is loaded into ``os.environ`` (existing variables win) before the graph is
    imported; ``graph_id`` picks one of its ``graphs`` and may be omitted when there
    is only one. Raises :class:`GraphLoadError` with a one-line reason.
    """
    if config_path is not None:
        if spec is not None:
            raise GraphLoadError(
                "Give either a graph spec (--graph) or a langgraph.json (--config), not both"
            )
        return _load_from_config(Path(config_path), graph_id)
    if graph_id is not None:
        raise GraphLoadError("A graph id can only be used with a langgraph.json")
    if not spec or not spec.strip():
        raise GraphLoadError(
            f"No graph given: name one as {SPEC_FORMS} (--graph), or a langgraph.json (--config)"
        )
    spec = spec.strip()
    if spec == DEMO_SPEC:
        return _load_demo()
    return _load_spec(spec, base_dir=Path.cwd())


def _load_demo() -> LoadedGraph:
    factory = get_attr(import_module(_DEMO_MODULE), _DEMO_MODULE, _DEMO_FACTORY)
    return LoadedGraph.from_object(factory, spec=DEMO_SPEC, name=DEMO_SPEC)


def _load_spec(spec: str, *, base_dir: Path) -> LoadedGraph:
    value, project = resolve_spec(spec, base_dir=base_dir)
    loaded = LoadedGraph.from_object(value, spec=spec)
    return dataclasses.replace(loaded, project_paths=(project,))


def _load_from_config(config_path: Path, graph_id: str | None) -> LoadedGraph:
    path, config = read_config(config_path)
    graph_id, entry = config_graph_spec(path, config, graph_id)
    base_dir = path.parent
    add_dependencies(config.get("dependencies", []), base_dir, path)
    warnings = load_env(config.get("env"), base_dir, path)
    loaded = _load_spec(entry, base_dir=base_dir)
    return dataclasses.replace(
        loaded,
        name=graph_id,
        graph_id=graph_id,
        config_path=path,
        project_paths=(base_dir, *loaded.project_paths),
        warnings=warnings,
    )
