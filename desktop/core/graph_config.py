"""A LangGraph CLI ``langgraph.json``: its graphs, local dependencies and environment.

``graphs`` maps graph ids to ``path/to/file.py:attr`` specs (or objects with a ``path``);
``dependencies`` that are local folders go on ``sys.path`` (package names are left to
pip); ``env``, a ``.env`` file or an object, is loaded into ``os.environ`` with the
variables already set winning. Every problem is a :class:`GraphLoadError` in one line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from desktop.core.errors import GraphLoadError, error_line
from desktop.core.graph_import import add_sys_path


def read_config(config_path: Path) -> tuple[Path, dict[str, Any]]:
    """The resolved path of a ``langgraph.json`` (or of its folder) and its JSON object."""
    path = Path(config_path).resolve()
    if path.is_dir():
        path = path / "langgraph.json"
    if not path.is_file():
        raise GraphLoadError(f"langgraph.json not found: {path}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise GraphLoadError(f"Cannot read {path}: {error_line(exc)}") from exc
    except json.JSONDecodeError as exc:
        raise GraphLoadError(
            f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    if not isinstance(config, dict):
        raise GraphLoadError(f"{path} must contain a JSON object")
    return path, config


def config_graph_ids(config_path: Path) -> list[str]:
    """The graph ids a ``langgraph.json`` defines, in its order (for a picker).

    Raises :class:`GraphLoadError` when the file is unreadable or has no graphs.
    """
    path, config = read_config(config_path)
    return [str(graph_id) for graph_id in _graphs(path, config)]


def config_graph_spec(path: Path, config: dict[str, Any], graph_id: str | None) -> tuple[str, str]:
    """``(graph id, spec)`` of the graph ``graph_id`` names, or of the only graph when
    ``graph_id`` is ``None``."""
    graphs = _graphs(path, config)
    if graph_id is None:
        if len(graphs) > 1:
            raise GraphLoadError(
                f"{path} defines several graphs; choose one with --graph-id: {', '.join(graphs)}"
            )
        graph_id = next(iter(graphs))
    elif graph_id not in graphs:
        raise GraphLoadError(
            f"{path} has no graph {graph_id!r}; its graphs are: {', '.join(graphs)}"
        )
    entry = graphs[graph_id]
    if isinstance(entry, Mapping):
        entry = entry.get("path")
    if not isinstance(entry, str):
        raise GraphLoadError(f'{path}: graph {graph_id!r} must be a "path/to/file.py:attr" string')
    return graph_id, entry


def _graphs(path: Path, config: dict[str, Any]) -> dict[Any, Any]:
    graphs = config.get("graphs")
    if not isinstance(graphs, dict) or not graphs:
        raise GraphLoadError(f'{path} has no "graphs" mapping of graph ids to specs')
    return graphs


def add_dependencies(dependencies: Any, base_dir: Path, config_path: Path) -> None:
    """Put local dependency folders on ``sys.path``; package names are left to pip."""
    if not isinstance(dependencies, list):
        raise GraphLoadError(f'{config_path}: "dependencies" must be a list')
    for dependency in dependencies:
        if isinstance(dependency, str) and dependency.startswith((".", "/")):
            folder = (base_dir / dependency).resolve()
            if folder.is_dir():
                add_sys_path(folder)


def load_env(env: Any, base_dir: Path, config_path: Path) -> tuple[str, ...]:
    """Load ``env`` into ``os.environ``. A missing ``.env`` file is a warning (returned as
    one line), not a failure: the graph may well import without it."""
    if env is None:
        return ()
    if isinstance(env, str):
        env_path = (base_dir / env).resolve()
        if not env_path.is_file():
            return (f"{config_path}: env file not found: {env_path} (loaded without it)",)
        values = _parse_dotenv(env_path.read_text(encoding="utf-8"))
    elif isinstance(env, dict):
        values = {str(key): str(value) for key, value in env.items()}
    else:
        raise GraphLoadError(f'{config_path}: "env" must be a path to a .env file or an object')
    for key, value in values.items():
        os.environ.setdefault(key, value)
    return ()


def _parse_dotenv(text: str) -> dict[str, str]:
    """Parse ``.env`` text: ``KEY=value`` lines, optional ``export``, quotes, ``#`` comments."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace("\\n", "\n").replace('\\"', '"')
        elif len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values
