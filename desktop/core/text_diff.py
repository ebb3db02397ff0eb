"""Line and word diffs of long strings, for a changed string in a state diff.

A multi-line string gets a line diff, a single long line a word diff, in unified-style
hunks. ``difflib`` only ever sees what differs: the common head and tail are trimmed
first (keeping the context around the change), so a small edit in a long text stays cheap.
"""

from __future__ import annotations

from difflib import SequenceMatcher

LONG_TEXT_CHARS = 80
"""Strings longer than this (or spanning several lines) get a text diff."""

LINE_CONTEXT = 3
"""Unchanged lines shown around each change in a line diff."""

WORD_CONTEXT = 5
"""Unchanged words shown around each change in a word diff."""

_CHUNK = 256


def text_diff(old: str, new: str) -> list[str] | None:
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
