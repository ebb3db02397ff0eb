"""What the window says about the attached graph: its name, where it comes from.

The built-in demo is always labelled as the built-in demo, so a screenshot never passes
it off as the user's agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph

DEMO_DESCRIPTION: Final = "built-in scripted demo agent · offline, no API key"


def describe_graph(graph: LoadedGraph) -> str:
    """What the window says is attached: the demo is labelled as the built-in demo."""
    from desktop.core.graphs import DEMO_SPEC

    if graph.spec == DEMO_SPEC:
        return f"Graph: {graph.name} — {DEMO_DESCRIPTION}"
    if graph.config_path is not None:
        return f"Graph: {graph.name} · {graph.graph_id or graph.spec} from {graph.config_path.name}"
    return f"Graph: {graph.name} · {graph.spec}"


def short_graph_label(graph: LoadedGraph) -> str:
    """The graph's name for the status bar, with "(built-in demo)" for the demo."""
    from desktop.core.graphs import DEMO_SPEC

    return f"Graph: {graph.name}" + (" (built-in demo)" if graph.spec == DEMO_SPEC else "")
