"""Structural, message-aware diff of two JSON-safe checkpoint states.

A checkpoint's state is a dict of channel -> value as produced by the read path. The
diff walks both values by key path and reports what was added, removed or changed.
Lists of LangChain messages are special: messages are matched by ``id`` (so appending,
deleting or rewriting one message is reported as exactly that, not as a shift of every
later index), and an edited message is followed by the changes to its fields, with tool
calls matched by their own ids. When matched items change places, one ``changed`` entry
at ``messages[order]`` gives their old and new order. Long strings carry a line diff, or
a word diff when they are a single long line.

Equality is strict about types: ``1``, ``1.0`` and ``True`` are different values. To stay
fast on long threads, messages are paired through id maps and an unchanged message costs
one strict equality walk; ``difflib`` only ever sees strings that differ, with their
common head and tail trimmed first. Diffs are pure data; :func:`render_diff_text` turns
one into the plain text the CLI prints and the UI shows.

A value that could not be read (an unreadable marker, see :mod:`desktop.core.isolate`)
is never compared and never makes its neighbours look removed: it is one ``unreadable``
entry, and so is every value the other side has where this side's data is unknown.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from desktop.core.decode import MESSAGE_TYPES, is_unreadable
from desktop.core.isolate import REST_KEY

DiffKind = Literal["added", "removed", "changed", "edited", "unreadable"]
PathSegment = str | int

LONG_TEXT_CHARS = 80
"""Strings longer than this (or spanning several lines) get a text diff."""

LINE_CONTEXT = 3
"""Unchanged lines shown around each change in a line diff."""

WORD_CONTEXT = 5
"""Unchanged words shown around each change in a word diff."""

_SUMMARY_ORDER: tuple[DiffKind, ...] = ("added", "edited", "removed", "changed", "unreadable")
_PREFIX: dict[DiffKind, str] = {
    "added": "+",
    "removed": "-",
    "changed": "~",
    "edited": "~",
    "unreadable": "?",
}
_CHUNK = 256
_MISSING = object()
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


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


def diff_states(old: Any, new: Any) -> StateDiff:
    """Diff two JSON-safe values (usually two checkpoints' channel values)."""
    entries: list[DiffEntry] = []
    _diff_value(old, new, (), (), entries)
    return StateDiff(entries)


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


def _diff_value(
    old: Any,
    new: Any,
    path: tuple[PathSegment, ...],
    ids: tuple[tuple[int, str], ...],
    out: list[DiffEntry],
) -> None:
    if old is new:
        return
    if is_unreadable(old) or is_unreadable(new):
        if old != new:
            out.append(DiffEntry(path, "unreadable", old, new, None, ids))
        return
    if isinstance(old, dict) and isinstance(new, dict):
        _diff_dict(old, new, path, ids, out)
    elif isinstance(old, list) and isinstance(new, list):
        if _is_message_list(old, new):
            _diff_by_id(old, new, path, ids, out, messages=True)
        else:
            _diff_by_index(old, new, path, ids, out)
    elif type(old) is not type(new):
        out.append(DiffEntry(path, "changed", old, new, None, ids))
    elif isinstance(old, str):
        if old != new:
            out.append(DiffEntry(path, "changed", old, new, _text_diff(old, new), ids))
    elif old != new and not (old != old and new != new):
        out.append(DiffEntry(path, "changed", old, new, None, ids))


def _unchanged_scalar(old: Any, new: Any) -> bool:
    """Cheap pre-check that lets the walk skip equal leaves without building a path."""
    value_type = type(old)
    return value_type is type(new) and value_type in _SCALAR_TYPES and old == new


def _same(old: Any, new: Any) -> bool:
    """Strict deep equality (``1``, ``1.0`` and ``True`` differ), to skip equal items early."""
    if old is new:
        return True
    if type(old) is not type(new):
        return False
    if isinstance(old, dict):
        if len(old) != len(new):
            return False
        for key, value in old.items():
            other = new.get(key, _MISSING)
            if value is other:
                continue
            value_type = type(value)
            if value_type is not type(other):
                return False
            if value_type in _SCALAR_TYPES:
                if value != other:
                    return False
            elif not _same(value, other):
                return False
        return True
    if isinstance(old, list):
        return len(old) == len(new) and all(map(_same, old, new))
    return bool(old == new)


def _diff_dict(
    old: dict[str, Any],
    new: dict[str, Any],
    path: tuple[PathSegment, ...],
    ids: tuple[tuple[int, str], ...],
    out: list[DiffEntry],
    *,
    in_message: bool = False,
) -> None:
    new_rest = new.get(REST_KEY)
    for key, old_value in old.items():
        if key not in new:
            unknown = new_rest is not None or is_unreadable(old_value)
            kind: DiffKind = "unreadable" if unknown else "removed"
            out.append(DiffEntry((*path, key), kind, old_value, new_rest, None, ids))
            continue
        new_value = new[key]
        if old_value is new_value or _unchanged_scalar(old_value, new_value):
            continue
        if in_message and key == "tool_calls" and _all_dicts(old_value) and _all_dicts(new_value):
            _diff_by_id(old_value, new_value, (*path, key), ids, out, messages=False)
        else:
            _diff_value(old_value, new_value, (*path, key), ids, out)
    old_rest = old.get(REST_KEY)
    for key, new_value in new.items():
        if key not in old:
            kind = "unreadable" if old_rest is not None or is_unreadable(new_value) else "added"
            out.append(DiffEntry((*path, key), kind, old_rest, new_value, None, ids))


def _diff_by_index(
    old: list[Any],
    new: list[Any],
    path: tuple[PathSegment, ...],
    ids: tuple[tuple[int, str], ...],
    out: list[DiffEntry],
) -> None:
    common = min(len(old), len(new))
    for index in range(common):
        old_value = old[index]
        new_value = new[index]
        if old_value is not new_value and not _unchanged_scalar(old_value, new_value):
            _diff_value(old_value, new_value, (*path, index), ids, out)
    gone: DiffKind = "unreadable" if any(map(is_unreadable, new)) else "removed"
    for index in range(common, len(old)):
        out.append(DiffEntry((*path, index), gone, old[index], None, None, ids))
    for index in range(common, len(new)):
        kind: DiffKind = "unreadable" if is_unreadable(new[index]) else "added"
        out.append(DiffEntry((*path, index), kind, None, new[index], None, ids))


def _diff_by_id(
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    path: tuple[PathSegment, ...],
    ids: tuple[tuple[int, str], ...],
    out: list[DiffEntry],
    *,
    messages: bool,
) -> None:
    """Match items by ``id`` (items without one by their order among id-less items).

    A change in the order of the matched items comes first, as one ``order`` entry. A
    removed item is reported right after the item that preceded it in the old list, so
    the entries read top to bottom like the new list, removals before additions.
    """
    old_keys = _match_keys(old)
    new_keys = _match_keys(new)
    old_at = {key: index for index, key in enumerate(old_keys)}
    new_at = {key: index for index, key in enumerate(new_keys)}
    ambiguous = {key[0] for key in (*old_keys, *new_keys) if key[1] and key[0] is not None}
    position = len(path)
    # Where the new list holds unreadable items, an old item it lacks may be one of them.
    gone: DiffKind = "unreadable" if any(map(is_unreadable, new)) else "removed"

    old_order = [key for key in old_keys if key in new_at]
    new_order = [key for key in new_keys if key in old_at]
    if old_order != new_order:
        names = {key: _order_name(key, old_at, ambiguous) for key in old_order}
        out.append(
            DiffEntry(
                path,
                "changed",
                [names[key] for key in old_order],
                [names[key] for key in new_order],
                None,
                ids,
                order=True,
            )
        )

    removed_after: dict[int, list[int]] = {}
    anchor = 0
    for old_index, key in enumerate(old_keys):
        new_index = new_at.get(key)
        if new_index is None:
            removed_after.setdefault(anchor, []).append(old_index)
        else:
            anchor = new_index + 1

    for new_index in range(len(new) + 1):
        for old_index in removed_after.get(new_index, ()):
            labels = _labels(ids, position, old_keys[old_index], ambiguous)
            kind: DiffKind = "unreadable" if is_unreadable(old[old_index]) else gone
            out.append(DiffEntry((*path, old_index), kind, old[old_index], None, None, labels))
        if new_index == len(new):
            break
        key = new_keys[new_index]
        item = new[new_index]
        old_index = old_at.get(key)
        previous = None if old_index is None else old[old_index]
        if previous is not None and _same(previous, item):
            continue
        item_path = (*path, new_index)
        labels = _labels(ids, position, key, ambiguous)
        if previous is None:
            added: DiffKind = "unreadable" if is_unreadable(item) else "added"
            out.append(DiffEntry(item_path, added, None, item, None, labels))
        elif not messages or is_unreadable(previous) or is_unreadable(item):
            _diff_value(previous, item, item_path, labels, out)
        else:
            fields: list[DiffEntry] = []
            _diff_dict(previous, item, item_path, labels, fields, in_message=True)
            if fields:
                out.append(DiffEntry(item_path, "edited", previous, item, None, labels))
                out.extend(fields)


def _match_keys(items: list[dict[str, Any]]) -> list[tuple[str | None, int]]:
    """``(id, n)`` for the n-th item with that id; ``(None, n)`` for the n-th without one."""
    seen: dict[str | None, int] = {}
    keys: list[tuple[str | None, int]] = []
    for item in items:
        item_id = item.get("id")
        if not isinstance(item_id, str) or not item_id:
            item_id = None
        occurrence = seen.get(item_id, 0)
        seen[item_id] = occurrence + 1
        keys.append((item_id, occurrence))
    return keys


def _order_name(
    key: tuple[str | None, int],
    old_at: dict[tuple[str | None, int], int],
    ambiguous: set[str | None],
) -> str | int:
    """How an order entry names an item: its id, or its old index when that is not unique."""
    item_id = key[0]
    if item_id is None or item_id in ambiguous:
        return old_at[key]
    return item_id


def _labels(
    ids: tuple[tuple[int, str], ...],
    position: int,
    key: tuple[str | None, int],
    ambiguous: set[str | None],
) -> tuple[tuple[int, str], ...]:
    """``ids`` plus this item's id, unless it has none or several items share it."""
    item_id = key[0]
    if item_id is None or item_id in ambiguous:
        return ids
    return (*ids, (position, item_id))


def _is_message_list(old: list[Any], new: list[Any]) -> bool:
    if not (old or new):
        return False
    try:
        return all(
            isinstance(item, dict) and (item.get("type") in MESSAGE_TYPES or is_unreadable(item))
            for items in (old, new)
            for item in items
        )
    except TypeError:
        return False


def _all_dicts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _text_diff(old: str, new: str) -> list[str] | None:
    """Line diff for multi-line text, word diff for one long line, nothing for short text."""
    if "\n" in old or "\n" in new:
        return _hunks(old.splitlines(keepends=True), new.splitlines(keepends=True), words=False)
    if len(old) > LONG_TEXT_CHARS or len(new) > LONG_TEXT_CHARS:
        return _hunks(old.split(" "), new.split(" "), words=True)
    return None


def _hunks(old: list[str], new: list[str], *, words: bool) -> list[str]:
    """Unified-style hunks over lines, or over space-separated words of one line.

    The common head and tail are trimmed (keeping the context around the change) before
    ``SequenceMatcher`` runs, so a small edit in a long text stays cheap. Each line of a
    line diff is one output line; a word diff puts each run of equal, removed or added
    words on one output line.
    """
    context = WORD_CONTEXT if words else LINE_CONTEXT
    head = _common_head(old, new)
    tail = _common_head(old[head:][::-1], new[head:][::-1])
    start = max(0, head - context)
    dropped_tail = max(0, tail - context)
    old_mid = old[start : len(old) - dropped_tail]
    new_mid = new[start : len(new) - dropped_tail]
    unit = " (words)" if words else ""
    out: list[str] = []
    for group in SequenceMatcher(None, old_mid, new_mid).get_grouped_opcodes(context):
        i1, j1 = group[0][1], group[0][3]
        i2, j2 = group[-1][2], group[-1][4]
        out.append(f"@@ -{start + i1 + 1},{i2 - i1} +{start + j1 + 1},{j2 - j1} @@{unit}")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out.extend(_runs(" ", old_mid[a1:a2], words))
                continue
            out.extend(_runs("-", old_mid[a1:a2], words))
            out.extend(_runs("+", new_mid[b1:b2], words))
    return out


def _common_head(old: list[str], new: list[str]) -> int:
    """Length of the common prefix: whole chunks compared in C, then item by item."""
    limit = min(len(old), len(new))
    head = 0
    while head < limit:
        stop = min(head + _CHUNK, limit)
        if old[head:stop] != new[head:stop]:
            break
        head = stop
    while head < limit and old[head] == new[head]:
        head += 1
    return head


def _runs(prefix: str, items: list[str], words: bool) -> list[str]:
    if not items:
        return []
    if words:
        return [prefix + " ".join(items)]
    return [prefix + item.rstrip("\r\n") for item in items]
