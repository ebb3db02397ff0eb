"""Import the user's code a graph spec names, and call a graph factory.

``package.module:attr`` is imported with the working folder on ``sys.path``;
``path/to/file.py:attr`` is run from its file under a module name of its own. Only a
function written in Python is called as a factory (sync or async, taking nothing or one
``RunnableConfig``). Every failure is a :class:`GraphLoadError` with a one-line reason.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import StateGraph
from langgraph.pregel import Pregel

from desktop.core.errors import GraphLoadError, error_line
from desktop.core.graph_types import LIBRARY_FOLDERS

SPEC_FORMS = "package.module:attr, path/to/file.py:attr or demo"
"""The spec forms, as every message about a spec names them."""


def resolve_spec(spec: str, *, base_dir: Path) -> tuple[Any, Path]:
    """The object a spec names and where the user's project lives."""
    location, sep, attr = spec.rpartition(":")
    if not sep or not location or not attr:
        raise GraphLoadError(f"Graph spec {spec!r} must look like {SPEC_FORMS}")
    if _is_file_location(location):
        path = (base_dir / location).resolve()
        module = _import_file(path)
        project = path.parent
    else:
        add_sys_path(base_dir)
        module = import_module(location)
        project = _package_path(sys.modules[location.split(".")[0]])
    return get_attr(module, location, attr), project


def _package_path(top: types.ModuleType) -> Path:
    """The folder of a top-level package; for a lone module its folder, or the file itself
    when that folder holds installed libraries."""
    file = Path(os.path.abspath(getattr(top, "__file__", None) or ""))
    if hasattr(top, "__path__") or file.parent.name not in LIBRARY_FOLDERS:
        return file.parent
    return file


def _is_file_location(location: str) -> bool:
    return location.endswith(".py") or "/" in location or os.sep in location


def import_module(name: str) -> types.ModuleType:
    """Import ``name``; whatever its code raises (or exits with) is a one-line error."""
    try:
        return importlib.import_module(name)
    except (Exception, SystemExit) as exc:
        raise GraphLoadError(f"Cannot import {name}: {error_line(exc)}") from exc


def _import_file(path: Path) -> types.ModuleType:
    if not path.is_file():
        raise GraphLoadError(f"Graph file not found: {path}")
    add_sys_path(path.parent)
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


def get_attr(module: types.ModuleType, location: str, attr: str) -> Any:
    """``module``'s (dotted) attribute ``attr``; when missing, the error lists the
    module's graph-like names."""
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


def is_factory(obj: Any) -> bool:
    """True for a function written in Python (``def``, ``async def``, a lambda, or such a
    method): the only callables Rewind calls as graph factories. Builtins (``os:system``,
    ``sys:exit``), classes and other callable objects are never called."""
    function = obj.__func__ if inspect.ismethod(obj) else obj
    return inspect.isfunction(function)


def call_factory(factory: Callable[..., Any], spec: str) -> Any:
    """What a graph factory returns, awaited when it is async."""
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


def add_sys_path(folder: Path) -> None:
    """Put ``folder`` first on ``sys.path`` unless it is there already."""
    entry = str(folder)
    if entry not in sys.path:
        sys.path.insert(0, entry)
