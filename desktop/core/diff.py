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
common head and tail trimmed first (:mod:`desktop.core.text_diff`). Diffs are pure data
(:mod:`desktop.core.diff_model`); its ``render_diff_text`` turns one into the plain text
the CLI prints and the UI shows.

A value that could not be read (an unreadable marker, see :mod:`desktop.core.isolate`)
is never compared and never makes its neighbours look removed: it is one ``unreadable``
entry, and so is every value the other side has where this side's data is unknown.
"""

from __future__ import annotations

from typing import Any

from desktop.core.diff_model import DiffEntry, DiffKind, PathSegment, StateDiff
from desktop.core.isolate import REST_KEY
from desktop.core.text_diff import text_diff
from desktop.core.value_shapes import MESSAGE_TYPES, is_unreadable

_MISSING = object()
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def diff_states(old: Any, new: Any) -> StateDiff:
    """Diff two JSON-safe values (usually two checkpoints' channel values)."""
    entries: list[DiffEntry] = []
    _diff_value(old, new, (), (), entries)
    return StateDiff(entries)


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
            out.append(DiffEntry(path, "changed", old, new, text_diff(old, new), ids))
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
