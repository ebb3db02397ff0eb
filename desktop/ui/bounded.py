"""Huge values shown lazily: the first items of every container, then a "show more" marker.

A checkpoint may hold a list of a million items. Laying all of it out (pretty-printing,
highlighting, a 50 MB ``QTextDocument``) froze the window for many seconds and took
gigabytes, so the window renders a *bounded view*: :func:`bounded` copies a JSON-safe
value keeping at most ``limit`` items of each list or dict and at most
``limit * NODE_FACTOR`` containers and scalars overall; what is left out becomes one
marker string, ``"… (N more items)"`` (``keys`` for dicts), which the renderer turns into
a "show more" link. Showing more re-renders with a larger limit
(:func:`next_limit`). Copy JSON and the headless commands always give everything.

Qt-free, like ``render/``: it runs in a worker thread.
"""

from __future__ import annotations

import re
from typing import Any

SHOW_ITEMS = 200
"""Items of one list (or keys of one dict) shown before "show more"."""

NODE_FACTOR = 25
"""The whole value shows at most ``limit * NODE_FACTOR`` values (nested containers)."""

GROWTH = 10
""""Show more" multiplies the limit by this."""

MORE_LINK = "rewind:show-more"
"""Anchor of the "show more" links in rendered documents."""

_MORE_TEXT = "… ({count} more {noun})"
MORE_MARKER = re.compile(r"(?:&quot;|\")… \((\d+) more (items|keys|messages)\)(?:&quot;|\")")
"""A marker as it appears in escaped or highlighted HTML (with its JSON quotes)."""

MORE_KEY = "…"
"""Key under which a dict's marker stands."""


def cut_middle(text: str, limit: int) -> str:
    """``text`` with its middle replaced by ``…`` when it is longer than ``limit``."""
    if len(text) <= limit:
        return text
    keep = max(1, limit - 1)
    head = (keep + 1) // 2
    return f"{text[:head]}…{text[len(text) - (keep - head) :]}"


def more_marker(count: int, noun: str) -> str:
    """The marker string standing for ``count`` left-out items/keys/messages."""
    return _MORE_TEXT.format(count=count, noun=noun)


def next_limit(limit: int) -> int:
    """The limit after one "show more"."""
    return limit * GROWTH


class _Budget:
    __slots__ = ("cut", "left")

    def __init__(self, nodes: int) -> None:
        self.left = nodes
        self.cut = False


def bounded(value: Any, limit: int = SHOW_ITEMS) -> tuple[Any, bool]:
    """``value`` cut to a bounded view, and whether anything was left out.

    Returns ``value`` itself (no copy) when it is within the bounds.
    """
    budget = _Budget(limit * NODE_FACTOR)
    shown = _bound(value, limit, budget)
    return shown, budget.cut


def _bound(value: Any, limit: int, budget: _Budget) -> Any:
    budget.left -= 1
    if isinstance(value, list):
        return _bound_list(value, limit, budget)
    if isinstance(value, dict):
        return _bound_dict(value, limit, budget)
    return value


def _bound_list(value: list[Any], limit: int, budget: _Budget) -> list[Any]:
    out: list[Any] = []
    changed = False
    for index, item in enumerate(value):
        if index >= limit or budget.left <= 0:
            out.append(more_marker(len(value) - index, "items"))
            budget.cut = True
            return out
        shown = _bound(item, limit, budget)
        changed = changed or shown is not item
        out.append(shown)
    return out if changed else value


def _bound_dict(value: dict[Any, Any], limit: int, budget: _Budget) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    changed = False
    for index, (key, item) in enumerate(value.items()):
        if index >= limit or budget.left <= 0:
            out[MORE_KEY] = more_marker(len(value) - index, "keys")
            budget.cut = True
            return out
        shown = _bound(item, limit, budget)
        changed = changed or shown is not item
        out[key] = shown
    return out if changed else value


def more_link_html(match: re.Match[str], style: str) -> str:
    """HTML of a marker found by :data:`MORE_MARKER`: the count and a "show more" link."""
    count, noun = int(match.group(1)), match.group(2)
    return (
        f'<span style="{style}">… {count:,} more {noun}</span> <a href="{MORE_LINK}">show more</a>'
    )
