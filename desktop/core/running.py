"""What a run is doing right now: its running nodes, and which of them are synchronous.

LangGraph runs a synchronous node (a plain ``def``) in a worker thread, and no thread can
be interrupted inside Python: cancelling the run abandons that thread, which goes on
until the function returns. :class:`RunningNodes` tracks the tasks from the ``tasks``
stream so Stop and Ctrl-C can say which node they abandoned, and whether it is
synchronous (still running) or was cancelled.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.runnables.config import run_in_executor
from langgraph.pregel import Pregel

PATH_SEPARATOR = " › "


def node_path(ns: Sequence[str], name: str) -> str:
    """``parent › child`` for a node ``name`` running in subgraph namespace ``ns``."""
    return PATH_SEPARATOR.join([*(part.split(":", 1)[0] for part in ns), name])


class RunningNodes:
    """The tasks of a run that started and have not finished, by node path.

    ``graph`` (the compiled graph being run) tells synchronous nodes apart.
    """

    def __init__(self, graph: Pregel | None = None) -> None:
        self._tasks: dict[str, tuple[str, str]] = {}
        self._synchronous = _synchronous_nodes(graph) if graph is not None else frozenset()

    def update(self, ns: Sequence[str], data: Mapping[str, Any]) -> None:
        """Record one ``tasks`` stream part: a task started (has ``input``) or ended."""
        task_id = data.get("id")
        if task_id is None:
            return
        if "input" in data:
            name = str(data.get("name", "?"))
            self._tasks[str(task_id)] = (node_path(ns, name), name)
        else:
            self._tasks.pop(str(task_id), None)

    def clear(self) -> None:
        """Forget every task (a new run starts)."""
        self._tasks.clear()

    def paths(self) -> list[str]:
        """The running node paths, innermost only (a subgraph's node, not also its parent)."""
        unique = list(dict.fromkeys(path for path, _ in self._tasks.values()))
        return [p for p in unique if not any(o.startswith(p + PATH_SEPARATOR) for o in unique)]

    def synchronous(self) -> list[str]:
        """The running node paths whose function is synchronous (runs in a thread)."""
        names = {path: name for path, name in self._tasks.values()}
        return [path for path in self.paths() if names.get(path) in self._synchronous]

    def describe(self) -> str:
        """``node X (synchronous)``-style text for the running nodes; "" when none."""
        sync = set(self.synchronous())
        parts = [f"{path} (synchronous)" if path in sync else path for path in self.paths()]
        if not parts:
            return ""
        return ("node " if len(parts) == 1 else "nodes ") + ", ".join(parts)


def _synchronous_nodes(graph: Pregel) -> frozenset[str]:
    """Names of the nodes (of ``graph`` and its subgraphs) that are plain ``def``s."""
    graphs = [graph]
    with contextlib.suppress(Exception):
        graphs += [sub for _, sub in graph.get_subgraphs(recurse=True)]
    found: set[str] = set()
    for each in graphs:
        for name, node in each.nodes.items():
            if _is_synchronous(node.bound):
                found.add(name)
    return frozenset(found)


def _is_synchronous(runnable: Any) -> bool:
    """True for LangGraph's wrapper of a sync function, which runs it in an executor."""
    afunc = getattr(runnable, "afunc", None)
    return getattr(runnable, "func", None) is not None and (
        afunc is None or getattr(afunc, "func", None) is run_in_executor
    )
