"""The classes a graph's checkpoints may revive as themselves (the msgpack allowlist).

Checkpoints store pydantic models, dataclasses, enums and named tuples as records that
name their class. Revived are those the state schemas name (of the graph and its
subgraphs, :func:`schema_types`) and those defined in the user's project modules
(:func:`project_types`), which nodes may keep anywhere in the state (a ``dict`` or
``Any`` field); classes of installed libraries come back as plain data.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import sys
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from langgraph.pregel import Pregel

TypeKey = tuple[str, str]
"""A class named as (module, qualified name), the form msgpack allowlists use."""

LIBRARY_FOLDERS = frozenset({"site-packages", "dist-packages"})
"""Folders that hold installed libraries, never the user's project."""


def schema_types(graph: Pregel) -> set[TypeKey]:
    """The records named by the channel types of ``graph`` and of all its subgraphs."""
    found: set[TypeKey] = set()
    seen: set[int] = set()
    graphs = [graph, *(sub for _, sub in graph.get_subgraphs(recurse=True))]
    for each in graphs:
        for channel in each.channels.values():
            for attr in ("ValueType", "UpdateType"):
                try:
                    hint = getattr(channel, attr)
                except Exception:
                    continue
                _collect_types(hint, found, seen)
    return found


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


def project_types(paths: Iterable[Path]) -> set[TypeKey]:
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
    return file.startswith(prefix) and not LIBRARY_FOLDERS.intersection(inside)


def _is_record(cls: type) -> bool:
    """True for the classes LangGraph stores as records naming their class."""
    return (
        issubclass(cls, (BaseModel, enum.Enum))
        or dataclasses.is_dataclass(cls)
        or (issubclass(cls, tuple) and hasattr(cls, "_fields"))
    )
