"""The Graph menu: attach, reload and detach a graph, and keep it with its database.

A graph belongs to the database it was attached for. Opening another database detaches
it (saying so in the banner) and re-attaches the graph last used with that database,
remembered per database in the settings; so a run never starts with another
database's graph unseen. Reload imports the graph's code again and keeps the database
and the selection; a reload or attach that fails keeps the graph that was attached and
says why. Warnings of a load (a langgraph.json ``env`` file that is missing) go to the
banner.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from desktop.core.errors import RewindError
from desktop.core.heap import freeze_long_lived
from desktop.core.pgurl import redact

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph
    from desktop.ui.controller import Controller
    from desktop.ui.settings import RewindSettings

log = logging.getLogger(__name__)
_SETTINGS_KEY = "graphs/{path}"


def _load(spec: str | None, config: str | None, graph_id: str | None) -> LoadedGraph:
    import desktop.core.runner  # noqa: F401  (warm the import before the first run)
    from desktop.core.graphs import load_graph

    return load_graph(spec, config_path=Path(config) if config else None, graph_id=graph_id)


def _reload(graph: LoadedGraph) -> LoadedGraph:
    from desktop.core.graph_reload import reload_graph

    return reload_graph(graph)


def graph_origin(graph: LoadedGraph) -> dict[str, str | None]:
    """How to load ``graph`` again: its spec, or its langgraph.json and graph id."""
    if graph.config_path is not None:
        return {"spec": None, "config": str(graph.config_path), "graph_id": graph.graph_id}
    return {"spec": graph.spec, "config": None, "graph_id": None}


class GraphAttachController(QObject):
    """Owns Attach graph…, Reload and Detach, and which database the graph belongs to."""

    message = Signal(str)
    """A line for the banner (detached, re-attached, warnings); "" hides it."""

    failed = Signal(str)
    """An attach or reload failed (one line); the previous graph stays attached."""

    def __init__(
        self,
        controller: Controller,
        settings: RewindSettings | None,
        *,
        claim_first_database: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.settings = settings
        self.owner: str | None = None
        """The database (resolved path, or URL) the attached graph belongs to."""
        self._claim_next = claim_first_database
        self._task: asyncio.Task[None] | None = None
        self._warned: LoadedGraph | None = None
        self.attach_action = QAction("&Attach graph…", self)
        self.attach_action.setObjectName("attachGraphAction")
        self.reload_action = QAction("&Reload graph", self)
        self.reload_action.setObjectName("reloadGraphAction")
        self.reload_action.setShortcut("Ctrl+Shift+R")
        self.reload_action.setToolTip("Import the graph's code again (after editing it)")
        self.reload_action.triggered.connect(self.reload)
        self.detach_action = QAction("&Detach graph", self)
        self.detach_action.setObjectName("detachGraphAction")
        self.detach_action.triggered.connect(self.detach)
        runs = controller.runs
        runs.graph_changed.connect(self._graph_changed)
        runs.running_changed.connect(lambda _running: self._update_actions())
        controller.database_opened.connect(self._database_opened)
        self._update_actions()

    @property
    def graph(self) -> LoadedGraph | None:
        """The attached graph."""
        return self.controller.runs.graph

    @property
    def is_loading(self) -> bool:
        """True while an attach or reload is under way."""
        return self._task is not None and not self._task.done()

    # -- intents -------------------------------------------------------------------------

    def attach(
        self, spec: str | None, config: str | None = None, graph_id: str | None = None
    ) -> None:
        """Load and attach a graph for the open database (the old one stays on failure)."""
        named = spec or str(config)
        self._start(
            self._attach(spec, config, graph_id), f"{named} ({graph_id})" if graph_id else named
        )

    def reload(self) -> None:
        """Import the attached graph's code again; keep database and selection."""
        graph = self.graph
        if graph is not None:
            self._start(self._reload(graph), graph.name)

    def detach(self) -> None:
        """Detach the graph: the database is browsed read-only (graph inferred from history)."""
        if self.graph is None or self.controller.runs.is_running:
            return
        self._remember(_database_key(self.controller.path), None)
        self.controller.runs.set_graph(None)

    # -- work ----------------------------------------------------------------------------

    def _start(self, coro: Any, named: str) -> None:
        if self.controller.runs.is_running or self.is_loading:
            coro.close()
            return
        self.controller.runs.graph_loading.emit(named)
        self._task = asyncio.get_running_loop().create_task(coro)
        self._update_actions()

    async def _attach(self, spec: str | None, config: str | None, graph_id: str | None) -> None:
        previous = self.graph
        try:
            graph = await asyncio.to_thread(_load, spec, config, graph_id)
        except RewindError as error:
            self._failed(f"Cannot attach the graph: {error}", previous)
            return
        except Exception as error:
            log.exception("attaching a graph failed")
            self._failed(f"Cannot attach the graph: {type(error).__name__}: {error}", previous)
            return
        self._task = None
        freeze_long_lived(collect=True)  # the graph's modules live as long as the window
        self.owner = _database_key(self.controller.path)
        self._remember(self.owner, graph)
        self.controller.runs.set_graph(graph)

    async def _reload(self, old: LoadedGraph) -> None:
        try:
            graph = await asyncio.to_thread(_reload, old)
        except RewindError as error:
            self._failed(f"Reload failed; {old.name} stays attached: {error}", old)
            return
        except Exception as error:
            log.exception("reloading a graph failed")
            self._failed(f"Reload failed; {old.name} stays attached: {error}", old)
            return
        self._task = None
        self.controller.runs.set_graph(graph)

    def _failed(self, message: str, previous: LoadedGraph | None) -> None:
        self._task = None
        self.controller.runs.set_graph(previous)
        self.failed.emit(message)
        self.controller.error_occurred.emit(message)

    # -- the graph belongs to a database -------------------------------------------------

    def _graph_changed(self, graph: LoadedGraph | None) -> None:
        if graph is not None and self.owner is None and not self._claim_next:
            self.owner = _database_key(self.controller.path)
        if graph is not None and graph.warnings and graph is not self._warned:
            self._warned = graph
            self.message.emit("; ".join(graph.warnings))
        self._update_actions()

    def _database_opened(self, path: str) -> None:
        opened = _database_key(path) or path
        if self._claim_next:
            self._claim_next = False
            self.owner = opened
            if self.graph is not None:
                self._remember(opened, self.graph)
            return
        graph = self.graph
        if graph is not None and self.owner in (opened, None):
            self.owner = opened
            self._remember(opened, graph)
            return
        if graph is not None:
            self.controller.runs.set_graph(None)
            self.message.emit(
                f"Graph {graph.name} was detached: it was attached for "
                f"{_display(self.owner) if self.owner else 'another database'}. "
                "Attach a graph for this database from Graph > Attach graph…"
            )
        self.owner = opened
        remembered = self._remembered(opened)
        if remembered is not None:
            self.message.emit(f"Re-attaching the graph last used with {_display(opened)}…")
            self.attach(
                remembered.get("spec"), remembered.get("config"), remembered.get("graph_id")
            )

    def _remember(self, path: str | None, graph: LoadedGraph | None) -> None:
        if self.settings is None or path is None:
            return
        key = _SETTINGS_KEY.format(path=_settings_name(path))
        if graph is None:
            self.settings.qsettings.remove(key)
        else:
            self.settings.qsettings.setValue(key, json.dumps(graph_origin(graph)))

    def _remembered(self, path: str) -> dict[str, str | None] | None:
        if self.settings is None:
            return None
        stored = self.settings.qsettings.value(_SETTINGS_KEY.format(path=_settings_name(path)))
        try:
            origin = json.loads(stored) if isinstance(stored, str) else None
        except json.JSONDecodeError:
            return None
        return origin if isinstance(origin, dict) else None

    def _update_actions(self) -> None:
        idle = not self.controller.runs.is_running and not self.is_loading
        self.attach_action.setEnabled(idle)
        self.reload_action.setEnabled(idle and self.graph is not None)
        self.detach_action.setEnabled(idle and self.graph is not None)


def _database_key(location: str | Path | None) -> str | None:
    """One name per database: a file's resolved path (``./a.db`` is ``/work/a.db``), a URL
    without its password (never stored in the settings)."""
    if location is None:
        return None
    text = str(location)
    if "://" in text:
        return redact(text)
    return str(Path(text).expanduser().resolve())


def _display(key: str) -> str:
    """A database named for a message: a file's name, a URL without its credentials."""
    if "://" not in key:
        return Path(key).name
    parts = urlsplit(key)
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"


def _settings_name(key: str) -> str:
    """A settings key part for a database (QSettings treats ``/`` as groups)."""
    return key.replace("/", "|").replace("\\", "|")
