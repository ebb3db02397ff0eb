"""Load the user's LangGraph graph so Rewind can run it against the database being debugged.

A graph is named the way the LangGraph CLI names it: ``package.module:attr``,
``path/to/file.py:attr``, a graph id in a ``langgraph.json``, or ``demo`` for the
built-in offline agent. The attribute may be a compiled graph, an uncompiled
``StateGraph`` or a factory returning either (sync or async, taking no argument or
one ``RunnableConfig``). Whatever checkpointer the user compiled in, Rewind runs the
graph with its own (:meth:`LoadedGraph.bind`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import dataclasses
import enum
import hashlib
import importlib
import importlib.util
import inspect
import json
import os
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.constants import END, START
from langgraph.graph import StateGraph
from langgraph.pregel import Pregel
from langgraph.store.base import BaseStore
from pydantic import BaseModel

from desktop.core.errors import GraphLoadError

DEMO_SPEC = "demo"
_DEMO_MODULE = "desktop.core.demo.agent"
_DEMO_FACTORY = "build_demo_graph"
_DEFAULT_PREGEL_NAME = "LangGraph"
_SPEC_FORMS = "package.module:attr, path/to/file.py:attr or demo"
_LIBRARY_FOLDERS = frozenset({"site-packages", "dist-packages"})

TypeKey = tuple[str, str]
"""A class named as (module, qualified name), the form msgpack allowlists use."""


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
        value = _call_factory(obj, spec) if _is_factory(obj) else obj
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
        found: set[TypeKey] = set()
        seen: set[int] = set()
        graphs = [self.graph, *(sub for _, sub in self.graph.get_subgraphs(recurse=True))]
        for graph in graphs:
            for channel in graph.channels.values():
                for attr in ("ValueType", "UpdateType"):
                    try:
                        hint = getattr(channel, attr)
                    except Exception:
                        continue
                    _collect_types(hint, found, seen)
        found.update(_project_types(self.project_paths))
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
            f"No graph given: name one as {_SPEC_FORMS} (--graph), or a langgraph.json (--config)"
        )
    spec = spec.strip()
    if spec == DEMO_SPEC:
        return _load_demo()
    return _load_spec(spec, base_dir=Path.cwd())


def _load_demo() -> LoadedGraph:
    factory = _get_attr(_import_module(_DEMO_MODULE), _DEMO_MODULE, _DEMO_FACTORY)
    return LoadedGraph.from_object(factory, spec=DEMO_SPEC, name=DEMO_SPEC)


def _load_spec(spec: str, *, base_dir: Path) -> LoadedGraph:
    value, project = _resolve_spec(spec, base_dir=base_dir)
    loaded = LoadedGraph.from_object(value, spec=spec)
    return dataclasses.replace(loaded, project_paths=(project,))


def _resolve_spec(spec: str, *, base_dir: Path) -> tuple[Any, Path]:
    """The object a spec names and where the user's project lives."""
    location, sep, attr = spec.rpartition(":")
    if not sep or not location or not attr:
        raise GraphLoadError(f"Graph spec {spec!r} must look like {_SPEC_FORMS}")
    if _is_file_location(location):
        path = (base_dir / location).resolve()
        module = _import_file(path)
        project = path.parent
    else:
        _add_sys_path(base_dir)
        module = _import_module(location)
        project = _package_path(sys.modules[location.split(".")[0]])
    return _get_attr(module, location, attr), project


def _package_path(top: types.ModuleType) -> Path:
    """The folder of a top-level package; for a lone module its folder, or the file itself
    when that folder holds installed libraries."""
    file = Path(os.path.abspath(getattr(top, "__file__", None) or ""))
    if hasattr(top, "__path__") or file.parent.name not in _LIBRARY_FOLDERS:
        return file.parent
    return file


def _is_file_location(location: str) -> bool:
    return location.endswith(".py") or "/" in location or os.sep in location


def _import_module(name: str) -> types.ModuleType:
    try:
        return importlib.import_module(name)
    except (Exception, SystemExit) as exc:
        raise GraphLoadError(f"Cannot import {name}: {error_line(exc)}") from exc


def _import_file(path: Path) -> types.ModuleType:
    if not path.is_file():
        raise GraphLoadError(f"Graph file not found: {path}")
    _add_sys_path(path.parent)
    name = _module_name_for(path)
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise GraphLoadError(f"Cannot import {path}: not a Python source file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise GraphLoadError(f"Cannot import {path}: {error_line(exc)}") from exc
    return module


def _module_name_for(path: Path) -> str:
    """The file's stem, so its classes keep a natural module name in checkpoints,
    unless that name already belongs to another module."""
    stem = path.stem
    existing = sys.modules.get(stem)
    if stem.isidentifier() and (existing is None or _module_file(existing) == path):
        return stem
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
    return f"rewind_graph_{stem if stem.isidentifier() else 'file'}_{digest}"


def _module_file(module: types.ModuleType) -> Path | None:
    file = getattr(module, "__file__", None)
    return Path(file).resolve() if file else None


def _get_attr(module: types.ModuleType, location: str, attr: str) -> Any:
    value: Any = module
    for part in attr.split("."):
        if not hasattr(value, part):
            graphs = _graph_like_names(module)
            hint = f" (graph-like names: {', '.join(graphs)})" if graphs else ""
            raise GraphLoadError(f"{location} has no attribute {attr!r}{hint}")
        value = getattr(value, part)
    return value


def _graph_like_names(module: types.ModuleType) -> list[str]:
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and isinstance(value, (Pregel, StateGraph))
    )


def _is_factory(obj: Any) -> bool:
    """True for a function written in Python (``def``, ``async def``, a lambda, or such a
    method): the only callables Rewind calls as graph factories. Builtins (``os:system``,
    ``sys:exit``), classes and other callable objects are never called."""
    function = obj.__func__ if inspect.ismethod(obj) else obj
    return inspect.isfunction(function)


def _call_factory(factory: Callable[..., Any], spec: str) -> Any:
    try:
        params = [
            p
            for p in inspect.signature(factory).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    required = [p for p in params if p.default is p.empty]
    if len(required) > 1:
        raise GraphLoadError(
            f"{spec} is a function taking {len(required)} arguments; a graph factory takes "
            "none or a single RunnableConfig"
        )
    args: tuple[Any, ...] = (RunnableConfig(configurable={}),) if required else ()
    try:
        value = factory(*args)
        if inspect.isawaitable(value):
            value = _await(value)
    except GraphLoadError:
        raise
    except (Exception, SystemExit) as exc:
        raise GraphLoadError(f"Graph factory {spec} failed: {error_line(exc)}") from exc
    return value


def _await(awaitable: Any) -> Any:
    """Run an async factory to completion from synchronous code.

    When this thread already runs an event loop (the GUI), a helper thread runs it.
    """

    async def wait() -> Any:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wait())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, wait()).result()


def _load_from_config(config_path: Path, graph_id: str | None) -> LoadedGraph:
    path, config = _read_config(config_path)
    graphs = config.get("graphs")
    if not isinstance(graphs, dict) or not graphs:
        raise GraphLoadError(f'{path} has no "graphs" mapping of graph ids to specs')
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
    base_dir = path.parent
    _add_dependencies(config.get("dependencies", []), base_dir, path)
    warnings = _load_env(config.get("env"), base_dir, path)
    loaded = _load_spec(entry, base_dir=base_dir)
    return dataclasses.replace(
        loaded,
        name=graph_id,
        graph_id=graph_id,
        config_path=path,
        project_paths=(base_dir, *loaded.project_paths),
        warnings=warnings,
    )


def config_graph_ids(config_path: Path) -> list[str]:
    """The graph ids a ``langgraph.json`` defines, in its order (for a picker).

    Raises :class:`GraphLoadError` when the file is unreadable or has no graphs.
    """
    path, config = _read_config(config_path)
    graphs = config.get("graphs")
    if not isinstance(graphs, dict) or not graphs:
        raise GraphLoadError(f'{path} has no "graphs" mapping of graph ids to specs')
    return [str(graph_id) for graph_id in graphs]


def _read_config(config_path: Path) -> tuple[Path, dict[str, Any]]:
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


def _add_dependencies(dependencies: Any, base_dir: Path, config_path: Path) -> None:
    """Put local dependency folders on ``sys.path``; package names are left to pip."""
    if not isinstance(dependencies, list):
        raise GraphLoadError(f'{config_path}: "dependencies" must be a list')
    for dependency in dependencies:
        if isinstance(dependency, str) and dependency.startswith((".", "/")):
            folder = (base_dir / dependency).resolve()
            if folder.is_dir():
                _add_sys_path(folder)


def _load_env(env: Any, base_dir: Path, config_path: Path) -> tuple[str, ...]:
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


def _add_sys_path(folder: Path) -> None:
    entry = str(folder)
    if entry not in sys.path:
        sys.path.insert(0, entry)


def error_line(exc: BaseException) -> str:
    """``Type: first line of the message``: how an exception from user code is reported."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _collect_types(hint: Any, found: set[TypeKey], seen: set[int]) -> None:
    """Add every pydantic model, dataclass, enum and named tuple reachable from ``hint``."""
    if id(hint) in seen:
        return
    seen.add(id(hint))
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return
    if origin is typing.Annotated:
        _collect_types(typing.get_args(hint)[0], found, seen)
        return
    if origin is not None:
        for arg in typing.get_args(hint):
            _collect_types(arg, found, seen)
        return
    if not isinstance(hint, type) or hint.__module__ == "builtins":
        return
    if typing.is_typeddict(hint):
        _collect_field_types(_field_hints(hint).values(), found, seen)
        return
    key = (hint.__module__, hint.__qualname__)
    if issubclass(hint, BaseModel):
        found.add(key)
        fields = [f.annotation for f in hint.model_fields.values()]
        _collect_field_types(fields, found, seen)
    elif dataclasses.is_dataclass(hint) or (issubclass(hint, tuple) and hasattr(hint, "_fields")):
        found.add(key)
        _collect_field_types(_field_hints(hint).values(), found, seen)
    elif issubclass(hint, enum.Enum):
        found.add(key)


def _collect_field_types(hints: Iterable[Any], found: set[TypeKey], seen: set[int]) -> None:
    for hint in hints:
        _collect_types(hint, found, seen)


def _field_hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except Exception:
        return dict(getattr(cls, "__annotations__", {}))


def _project_types(paths: Iterable[Path]) -> set[TypeKey]:
    """Pydantic models, dataclasses, enums and named tuples of the user's loaded modules.

    A module is the user's when its file lies under one of ``paths`` and not inside an
    installed-library folder there (a project's own ``.venv``).
    """
    roots = [str(path) for path in paths]
    found: set[TypeKey] = set()
    if not roots:
        return found
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and _is_project_file(os.path.abspath(file), roots):
            for value in list(vars(module).values()):
                if isinstance(value, type) and value.__module__ == name and _is_record(value):
                    found.add((name, value.__qualname__))
    return found


def _is_project_file(file: str, roots: list[str]) -> bool:
    return any(_is_inside(file, root) for root in roots)


def _is_inside(file: str, root: str) -> bool:
    if file == root:
        return True
    prefix = root.rstrip(os.sep) + os.sep
    inside = Path(file[len(prefix) :]).parts
    return file.startswith(prefix) and not _LIBRARY_FOLDERS.intersection(inside)


def _is_record(cls: type) -> bool:
    """True for the classes LangGraph stores as records naming their class."""
    return (
        issubclass(cls, (BaseModel, enum.Enum))
        or dataclasses.is_dataclass(cls)
        or (issubclass(cls, tuple) and hasattr(cls, "_fields"))
    )
