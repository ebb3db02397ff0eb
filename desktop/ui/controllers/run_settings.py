"""Run settings in the window: the run panel's Settings… button, the dialog, and memory
per graph.

Each graph (its spec, or its ``langgraph.json`` and graph id) has its own
:class:`~desktop.core.run_settings.RunSettings`, remembered in Rewind's settings and
given to the :class:`~desktop.ui.run_controller.RunController` whenever that graph is
attached again (after a restart, a detach, another database). Without a graph the
button is disabled: settings belong to a graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from desktop.core.run_settings import RunSettings
from desktop.ui.widgets.run_settings_dialog import NO_CONTEXT_SCHEMA, RunSettingsDialog

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph
    from desktop.ui.main_window import MainWindow


def graph_settings_key(graph: LoadedGraph) -> str:
    """Which graph settings belong to: its ``langgraph.json`` (resolved) and graph id, or
    its spec with a file path resolved (``./agent.py:graph`` and ``/work/agent.py:graph``
    are one graph)."""
    if graph.config_path is not None:
        return f"{graph.config_path.expanduser().resolve()}#{graph.graph_id or ''}"
    where, _, attr = graph.spec.rpartition(":")
    if where.endswith(".py"):
        return f"{Path(where).expanduser().resolve()}:{attr}"
    return graph.spec


def context_hint(graph: LoadedGraph) -> str:
    """The graph's ``context_schema`` in one line: ``Persona: user_name (required), tone``."""
    schema = getattr(graph.graph, "context_schema", None)
    if schema is None:
        return NO_CONTEXT_SCHEMA
    try:
        described = graph.graph.get_context_jsonschema() or {}
    except Exception:
        described = {}
    required = set(described.get("required") or ())
    fields = [
        f"{name} (required)" if name in required else name
        for name in (described.get("properties") or {})
    ]
    name = getattr(schema, "__name__", "context")
    return f"context_schema {name}: " + (", ".join(fields) or "no fields")


class RunSettingsUi(QObject):
    """Opens the dialog from the run panel and keeps each graph's settings."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.runs = window.controller.runs
        self.dialog: RunSettingsDialog | None = None
        self.button = window.run_panel.settings_button
        self.button.clicked.connect(self.open_dialog)
        self.runs.graph_changed.connect(self._graph_changed)
        self._graph_changed(self.runs.graph)

    def open_dialog(self) -> None:
        """Show the dialog for the attached graph (window-modal)."""
        graph = self.runs.graph
        if graph is None:
            return
        self.dialog = RunSettingsDialog(
            self.runs.settings,
            graph_name=graph.name,
            context_hint=context_hint(graph),
            context_problem=lambda value: _context_problem(graph, value),
            parent=self.window,
        )
        self.dialog.accepted.connect(self._accepted)
        self.dialog.finished.connect(self._closed)
        self.dialog.open()

    def apply(self, settings: RunSettings) -> None:
        """Use ``settings`` for the attached graph's next runs and remember them."""
        graph = self.runs.graph
        self.runs.set_settings(settings)
        if graph is not None and self.window.settings is not None:
            self.window.settings.save_run_settings(graph_settings_key(graph), settings)
        self._show(settings)

    def _accepted(self) -> None:
        if self.dialog is not None:
            self.apply(self.dialog.settings())

    def _closed(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def _graph_changed(self, graph: LoadedGraph | None) -> None:
        stored = self.window.settings
        if graph is None or stored is None:
            settings = RunSettings()
        else:
            settings = stored.run_settings(graph_settings_key(graph))
        self.runs.set_settings(settings)
        self._show(settings)

    def _show(self, settings: RunSettings) -> None:
        self.window.run_panel.show_settings(settings)


def _context_problem(graph: LoadedGraph, value: Any) -> str | None:
    from desktop.core.inputs import context_problem

    return context_problem(graph.graph, value)


def install_run_settings(window: MainWindow) -> RunSettingsUi:
    """Wire the run panel's Settings… button to the dialog and the per-graph memory."""
    return RunSettingsUi(window)
