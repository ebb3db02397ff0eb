"""Group threads named the way apps name them: ``prefix-{id}-…`` (for example
``user-{user_id}-session-{session_id}``) groups by ``prefix-{id}`` (user → sessions)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SHAPE = re.compile(r"^([^-]+-[^-]+)-.")


def group_key(thread_id: str) -> str | None:
    """``user-42`` for ``user-42-session-7``; None for ids without that shape."""
    match = _SHAPE.match(thread_id)
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class ThreadGroup:
    """Threads sharing a key, in list order; ``key`` None is one ungrouped thread."""

    key: str | None
    thread_ids: tuple[str, ...]


def group_threads(thread_ids: Iterable[str]) -> list[ThreadGroup]:
    """Groups in the order of their newest thread (``thread_ids`` come newest first)."""
    members: dict[str, list[str]] = {}
    order: list[tuple[str | None, str]] = []
    for thread_id in thread_ids:
        key = group_key(thread_id)
        if key is None:
            order.append((None, thread_id))
        elif key in members:
            members[key].append(thread_id)
        else:
            members[key] = [thread_id]
            order.append((key, thread_id))
    return [
        ThreadGroup(key, tuple(members[key]) if key is not None else (first,))
        for key, first in order
    ]
