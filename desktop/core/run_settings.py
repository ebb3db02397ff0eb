"""A run's settings as LangGraph takes them: ``configurable``, ``context``, recursion limit
and durability.

``configurable`` is merged into the run's config (``config["configurable"]``, which
nodes read and LangGraph copies into each checkpoint's metadata when a value is a
string, number or boolean); Rewind's own keys (the thread and checkpoint it names)
cannot be set through it. ``context`` is LangGraph's runtime context (``context=`` of
``astream``, ``runtime.context`` in a node of a graph with a ``context_schema``).
Both are JSON objects, checked here before anything runs or is written. No LangGraph
import: the window reads and remembers these without loading it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from desktop.core.errors import RewindError

RESERVED_CONFIGURABLE: Final = ("thread_id", "checkpoint_id", "checkpoint_ns", "checkpoint_map")
"""Keys Rewind sets itself (the thread and checkpoint a run writes to)."""

DURABILITIES: Final = ("sync", "async", "exit")
"""LangGraph's durability modes; ``None`` is LangGraph's default (``async``)."""


def parse_object(text: str | None, what: str) -> dict[str, Any] | None:
    """The JSON object in ``text``; None for no text (or only spaces).

    ``what`` names the setting in the one-line error (``--configurable``, ``Context``).
    """
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RewindError(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    check_object(value, what)
    return value


def check_object(value: Any, what: str) -> None:
    """Refuse a parsed JSON value that is not an object."""
    if not isinstance(value, dict):
        kind = "null" if value is None else type(value).__name__
        raise RewindError(f"{what} must be a JSON object ({{...}}), not {kind}")


def check_configurable(value: Mapping[str, Any] | None, what: str = "configurable") -> None:
    """Refuse keys Rewind sets itself, and LangGraph's internal ``__`` keys."""
    if not value:
        return
    refused = [k for k in value if k in RESERVED_CONFIGURABLE or str(k).startswith("__")]
    if refused:
        raise RewindError(
            f"{what} may not set {', '.join(map(repr, refused))}: Rewind names the thread "
            "and checkpoint of a run itself (--thread, --checkpoint, or the window's choice)"
        )


def parse_configurable(text: str | None, what: str = "--configurable") -> dict[str, Any] | None:
    """``--configurable`` text: a JSON object without Rewind's own keys, or None."""
    value = parse_object(text, what)
    check_configurable(value, what)
    return value


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What the next runs, replays and resumes are given (None/empty: LangGraph's defaults)."""

    configurable: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] | None = None
    recursion_limit: int | None = None
    durability: str | None = None

    def __post_init__(self) -> None:
        check_configurable(self.configurable)
        if self.recursion_limit is not None and self.recursion_limit < 1:
            raise RewindError(f"Recursion limit must be at least 1, not {self.recursion_limit}")
        if self.durability is not None and self.durability not in DURABILITIES:
            raise RewindError(
                f"Unknown durability {self.durability!r}; choose from {', '.join(DURABILITIES)}"
            )

    @property
    def is_default(self) -> bool:
        """True when nothing departs from LangGraph's defaults."""
        return self == RunSettings()

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form, as remembered in the window's settings."""
        return {
            "configurable": dict(self.configurable),
            "context": None if self.context is None else dict(self.context),
            "recursion_limit": self.recursion_limit,
            "durability": self.durability,
        }

    @classmethod
    def from_json(cls, data: Any) -> RunSettings:
        """Settings stored by :meth:`to_json`; anything unusable is LangGraph's default."""
        if not isinstance(data, Mapping):
            return cls()
        configurable = data.get("configurable")
        context = data.get("context")
        limit = data.get("recursion_limit")
        durability = data.get("durability")
        try:
            return cls(
                configurable=configurable if isinstance(configurable, Mapping) else {},
                context=context if isinstance(context, Mapping) else None,
                recursion_limit=limit if isinstance(limit, int) and limit >= 1 else None,
                durability=durability if durability in DURABILITIES else None,
            )
        except RewindError:
            return cls(recursion_limit=limit if isinstance(limit, int) and limit >= 1 else None)

    def describe(self) -> str:
        """One short line, e.g. ``limit 40 · durability exit · configurable: user_id``."""
        parts = []
        if self.recursion_limit is not None:
            parts.append(f"limit {self.recursion_limit}")
        if self.durability is not None:
            parts.append(f"durability {self.durability}")
        if self.configurable:
            parts.append("configurable: " + ", ".join(map(str, self.configurable)))
        if self.context is not None:
            parts.append("context: " + (", ".join(map(str, self.context)) or "{}"))
        return " · ".join(parts) or "LangGraph's defaults"
