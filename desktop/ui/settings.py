"""What the window remembers between sessions: recent files and Postgres URLs (never a
password), geometry, splitter sizes, each graph's run settings.

Everything goes through one ``QSettings`` object, so tests can hand in a settings file
of their own (``RewindSettings(QSettings(path, QSettings.Format.IniFormat))``) and never
touch the user's real settings.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from desktop.core.pgurl import is_postgres_url, redact
from desktop.core.run_settings import RunSettings

MAX_RECENT_FILES = 10

_RECENT_KEY = "recentFiles"
_GEOMETRY_KEY = "window/geometry"
_STATE_KEY = "window/state"
_SPLITTER_KEY = "window/splitters/{name}"
_RUN_SETTINGS_KEY = "runSettings/{graph}"


class RewindSettings:
    """Typed access to the few things Rewind persists."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.qsettings = settings if settings is not None else QSettings()

    def recent_files(self) -> list[str]:
        """Recently opened databases, newest first; files that no longer exist are dropped."""
        stored = self.qsettings.value(_RECENT_KEY, [])
        if isinstance(stored, str):
            stored = [stored]
        existing = [
            p
            for p in stored or []
            if isinstance(p, str) and (is_postgres_url(p) or Path(p).is_file())
        ]
        if existing != list(stored or []):
            self.qsettings.setValue(_RECENT_KEY, existing)
        return existing[:MAX_RECENT_FILES]

    def add_recent_file(self, path: str | Path) -> list[str]:
        """Put ``path`` first in the recent list (at most :data:`MAX_RECENT_FILES`); a
        ``postgresql://`` URL is remembered without its password."""
        if isinstance(path, str) and is_postgres_url(path):
            resolved = redact(path)
        else:
            resolved = str(Path(path).expanduser().resolve())
        recent = [p for p in self.recent_files() if p != resolved]
        recent.insert(0, resolved)
        recent = recent[:MAX_RECENT_FILES]
        self.qsettings.setValue(_RECENT_KEY, recent)
        return recent

    def save_window(self, window: QMainWindow, splitters: dict[str, QSplitter]) -> None:
        """Remember the window's geometry, toolbar/dock state and splitter positions."""
        self.qsettings.setValue(_GEOMETRY_KEY, window.saveGeometry())
        self.qsettings.setValue(_STATE_KEY, window.saveState())
        for name, splitter in splitters.items():
            self.qsettings.setValue(_SPLITTER_KEY.format(name=name), splitter.saveState())
        self.qsettings.sync()

    def restore_window(self, window: QMainWindow) -> bool:
        """Restore the geometry and state :meth:`save_window` stored; False if there is none."""
        geometry = self.qsettings.value(_GEOMETRY_KEY)
        restored = isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)
        state = self.qsettings.value(_STATE_KEY)
        if isinstance(state, QByteArray):
            window.restoreState(state)
        return bool(restored)

    def restore_splitters(self, splitters: dict[str, QSplitter]) -> bool:
        """Restore splitter positions; call once the window has its final size (first show),
        or the splitters redistribute the restored sizes. True if any was restored."""
        restored = False
        for name, splitter in splitters.items():
            sizes = self.qsettings.value(_SPLITTER_KEY.format(name=name))
            if isinstance(sizes, QByteArray):
                restored = splitter.restoreState(sizes) or restored
        return restored

    def run_settings(self, graph_key: str) -> RunSettings:
        """The run settings remembered for a graph (:func:`graph_settings_key`), or
        LangGraph's defaults; stored values Rewind would refuse are dropped."""
        stored = self.qsettings.value(_RUN_SETTINGS_KEY.format(graph=_key_part(graph_key)))
        try:
            data = json.loads(stored) if isinstance(stored, str) else None
        except json.JSONDecodeError:
            data = None
        return RunSettings.from_json(data)

    def save_run_settings(self, graph_key: str, settings: RunSettings) -> None:
        """Remember ``settings`` for a graph; LangGraph's defaults forget it."""
        key = _RUN_SETTINGS_KEY.format(graph=_key_part(graph_key))
        if settings.is_default:
            self.qsettings.remove(key)
        else:
            self.qsettings.setValue(key, json.dumps(settings.to_json(), ensure_ascii=False))
        self.qsettings.sync()


def _key_part(key: str) -> str:
    """A settings key part for any text (QSettings treats ``/`` and ``\\`` as groups)."""
    return key.replace("/", "|").replace("\\", "|")
