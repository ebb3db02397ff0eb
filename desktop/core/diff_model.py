"""A state diff as data: its entries, summary, JSON shape and plain text.

:func:`desktop.core.diff.diff_states` builds a :class:`StateDiff`; the CLI prints
:func:`render_diff_text` of it, ``rewind diff --json`` its :meth:`StateDiff.to_json`, and
the window's diff view renders its entries (``ui/render/diff.py``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from desktop.core.value_shapes import is_unreadable

DiffKind = Literal["added", "removed", "changed", "edited", "unreadable"]
PathSegment = str | int

_SUMMARY_ORDER: tuple[DiffKind, ...] = ("added", "edited", "removed", "changed", "unreadable")
_PREFIX: dict[DiffKind, str] = {
    "added": "+",
    "removed": "-",
    "changed": "~",
    "edited": "~",
    "unreadable": "?",
}


@dataclass(frozen=True, slots=True)
class DiffEntry:
    """One difference between two states, addressed by its key path.

    ``path`` leads from the state root to the value: dict keys and list indexes. For an
    item of a message list (or of a message's ``tool_calls``) the index is its position
    in the new list, or in the old list when the item was removed. ``matched_ids`` holds
    ``(position in path, id)`` for each such item that was matched by its id, so the path
    can be shown as ``messages[id=abc]``. ``old`` is ``None`` for ``added`` and ``new`` is
    ``None`` for ``removed``; ``kind`` tells that apart from a real ``None`` value.
    ``edited`` marks a message whose fields changed; the entries for those fields follow
    it directly. ``text_diff`` is set for changed long strings: unified-style lines that
    start with ``@@`` (a hunk header), a space (context), ``-`` or ``+``.

    ``unreadable`` marks a value that one side could not read (its unreadable marker is
    ``old`` or ``new``), or a value of one side where the other side's data is unknown:
    it was not compared; :func:`unreadable_reason` says why.

    ``order`` marks the ``changed`` entry of a list matched by id whose common items
    changed places: ``path`` is the list's own, and ``old`` / ``new`` are those items in
    their old and new order, each named by its id, or by its index in the old list when
    it has no id of its own. Items only in one list are left out (they have their own
    ``added`` / ``removed`` entries).
    """

    path: tuple[PathSegment, ...]
    kind: DiffKind
    old: Any
    new: Any
    text_diff: list[str] | None = None
    matched_ids: tuple[tuple[int, str], ...] = ()
    order: bool = False

    @property
    def path_text(self) -> str:
        """The path as a reader writes it: ``messages[id=abc].tool_calls[0].args.query``,
        ``messages[order]`` for an order entry."""
        suffix = "[order]" if self.order else ""
        if not self.path:
            return f"(root){suffix}"
        ids = dict(self.matched_ids)
        parts: list[str] = []
        for position, segment in enumerate(self.path):
            if isinstance(segment, int):
                item_id = ids.get(position)
                parts.append(f"[{segment}]" if item_id is None else f"[id={item_id}]")
            elif segment.isidentifier():
                parts.append(segment if position == 0 else f".{segment}")
            else:
                parts.append(f"[{json.dumps(segment, ensure_ascii=False)}]")
        return "".join(parts) + suffix

    def to_json(self) -> dict[str, Any]:
        """JSON shape for ``rewind diff --json``: only the sides that exist."""
        out: dict[str, Any] = {"kind": self.kind, "path": list(self.path)}
        out["path_text"] = self.path_text
        if self.order:
            out["order"] = True
        if self.kind != "added":
            out["old"] = self.old
        if self.kind != "removed":
            out["new"] = self.new
        if self.text_diff is not None:
            out["text_diff"] = self.text_diff
        return out


@dataclass(frozen=True, slots=True)
class StateDiff:
    """Every difference between two states, in reading order."""

    entries: list[DiffEntry]

    @property
    def is_empty(self) -> bool:
        """True when the two states are equal."""
        return not self.entries

    def outline(self) -> list[tuple[DiffEntry, bool]]:
        """Each entry with ``True`` when it is a field change of the edited message above it,
        so a view can indent it under that message."""
        out: list[tuple[DiffEntry, bool]] = []
        edited: tuple[PathSegment, ...] = ()
        for entry in self.entries:
            inside = (
                bool(edited)
                and len(entry.path) > len(edited)
                and entry.path[: len(edited)] == edited
            )
            if not inside:
                edited = entry.path if entry.kind == "edited" else ()
            out.append((entry, inside))
        return out

    def counts(self) -> dict[DiffKind, int]:
        """How many top-level changes of each kind; field changes of an edited message
        are part of that edit and are not counted on their own."""
        counts = Counter(entry.kind for entry, inside in self.outline() if not inside)
        return {kind: counts[kind] for kind in _SUMMARY_ORDER if counts[kind]}

    def summary(self) -> str:
        """One line for a status bar or the CLI: ``2 added, 1 edited, 1 removed``."""
        counts = self.counts()
        if not counts:
            return "no changes"
        return ", ".join(f"{count} {kind}" for kind, count in counts.items())

    def to_json(self) -> dict[str, Any]:
        """JSON shape for ``rewind diff --json``."""
        return {
            "summary": self.summary(),
            "counts": self.counts(),
            "entries": [entry.to_json() for entry in self.entries],
        }


def render_diff_text(diff: StateDiff) -> str:
    """Plain text of a diff: one block per entry, ``+``/``-``/``~`` first, values as JSON.

    Text diffs follow their entry's line, indented by four spaces.
    """
    if diff.is_empty:
        return "no changes"
    lines: list[str] = []
    for entry in diff.entries:
        head = f"{_PREFIX[entry.kind]} {entry.path_text}"
        if entry.kind == "added":
            lines.append(f"{head}: {_compact(entry.new)}")
        elif entry.kind == "removed":
            lines.append(f"{head}: {_compact(entry.old)}")
        elif entry.kind == "edited":
            lines.append(f"{head}: {entry.new.get('type')} message edited")
        elif entry.kind == "unreadable":
            lines.append(f"{head}: {unreadable_reason(entry)}")
        elif entry.text_diff is not None:
            lines.append(f"{head}:")
            lines.extend(f"    {line}" for line in entry.text_diff)
        else:
            lines.append(f"{head}: {_compact(entry.old)} -> {_compact(entry.new)}")
    return "\n".join(lines)


def unreadable_reason(entry: DiffEntry) -> str:
    """Why an ``unreadable`` entry was not compared (the marker's error)."""
    for side in (entry.new, entry.old):
        if is_unreadable(side):
            return f"could not be read ({side['error']}); not compared"
    return "the other side could not be read here; not compared"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
