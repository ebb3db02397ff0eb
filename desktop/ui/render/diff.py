"""State diffs turned into the HTML the diff view shows, without Qt.

One coloured card per change, message-aware (an added or removed message shows as an
excerpt, an edited one nests its field changes), the first :data:`DIFF_ENTRIES_SHOWN`
changes only (the plain text and ``rewind diff`` keep everything). Changes to LangGraph's
internal channels come last, dimmed, and are counted apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from desktop.core.diff_model import DiffEntry, StateDiff, render_diff_text, unreadable_reason
from desktop.core.model import is_internal_channel
from desktop.core.value_shapes import is_message
from desktop.ui.palette import (
    BACKGROUND,
    CANVAS_INSET,
    ERROR_BG,
    ERROR_TEXT,
    INTERRUPTED_BG,
    INTERRUPTED_TEXT,
    SUCCESS_BG,
    SUCCESS_TEXT,
    TEXT_DISABLED,
    TEXT_MUTED,
    TEXT_NEUTRAL,
)
from desktop.ui.render.markup import (
    BREAK_HINT,
    EXCERPT_CHARS,
    STRING_CAP,
    cap_text,
    card,
    chip,
    escape,
    mono,
    pre_style,
    render_json_html,
)
from desktop.ui.render.messages import message_excerpt

BREAKABLE_CHARS = 24
"""Key paths longer than this get break hints after their hyphens."""

DIFF_ENTRIES_SHOWN = 500
"""Changes of a diff shown in HTML; the rest are counted (``rewind diff`` lists all)."""

_KIND_STYLES: dict[str, tuple[str, str, str]] = {
    # diff kind: (sign, background, text)
    "added": ("+", SUCCESS_BG, SUCCESS_TEXT),
    "removed": ("−", ERROR_BG, ERROR_TEXT),
    "changed": ("~", INTERRUPTED_BG, INTERRUPTED_TEXT),
    "edited": ("~", INTERRUPTED_BG, INTERRUPTED_TEXT),
    "unreadable": ("?", CANVAS_INSET, TEXT_NEUTRAL),
}


@dataclass(frozen=True, slots=True)
class RenderedDiff:
    """A diff ready for the diff view: HTML, its one-line summary and plain text.

    ``summary`` reads "2 added · 1 edited" (or "No changes"); ``summary_parts`` are its
    parts as ``(text, kind)``, kind being a diff kind, ``none`` or ``internal``, for the
    view to colour.
    """

    title: str
    summary: str
    summary_parts: tuple[tuple[str, str], ...]
    html: str
    diff: StateDiff
    is_empty: bool

    @property
    def plain_text(self) -> str:
        """Every change as text, as ``rewind diff`` prints it."""
        return render_diff_text(self.diff)


def render_diff(diff: StateDiff, *, title: str) -> RenderedDiff:
    """Render a state diff: one coloured block per entry, message-aware, "No changes" if empty.

    Changes to LangGraph's internal channels (``branch:to:x`` appearing and vanishing at
    every step) are listed last, dimmed, and counted apart as "N internal" so the summary
    speaks about the user's state.
    """
    user = [e for e in diff.entries if not _is_internal_entry(e)]
    internal = [e for e in diff.entries if _is_internal_entry(e)]
    counts = StateDiff(user).counts()
    parts = [(f"{n} {kind}", kind) for kind, n in counts.items()]
    if not counts:
        parts.append(("No changes", "none"))
    if internal:
        parts.append((f"{len(internal)} internal", "internal"))
    if diff.is_empty:
        body = f'<p style="color:{TEXT_MUTED}; font-size:large;">No changes</p>'
    else:
        blocks = list(_diff_entries_html(user[:DIFF_ENTRIES_SHOWN]))
        if len(user) > DIFF_ENTRIES_SHOWN:
            blocks.append(
                f'<p style="color:{TEXT_DISABLED}; font-style:italic;">… '
                f"{len(user) - DIFF_ENTRIES_SHOWN:,} more changes (`rewind diff` lists all)</p>"
            )
        internal = internal[:DIFF_ENTRIES_SHOWN]
        if internal:
            blocks.append(
                f'<p style="color:{TEXT_DISABLED}; margin-top:12px;"><b>Internal channels</b></p>'
            )
            blocks.extend(_internal_entry_html(entry) for entry in internal)
        body = "\n".join(blocks)
    return RenderedDiff(
        title=title,
        summary=" · ".join(text for text, _kind in parts),
        summary_parts=tuple(parts),
        html=body,
        diff=diff,
        is_empty=diff.is_empty,
    )


def _is_internal_entry(entry: DiffEntry) -> bool:
    return (
        bool(entry.path) and isinstance(entry.path[0], str) and is_internal_channel(entry.path[0])
    )


def _internal_entry_html(entry: DiffEntry) -> str:
    value = entry.old if entry.kind == "removed" else entry.new
    text = json.dumps(value, ensure_ascii=False, default=str)
    shown = f" {escape(text)}" if len(text) <= EXCERPT_CHARS else ""
    return (
        f'<p class="mono" style="color:{TEXT_DISABLED}; margin:0 0 2px 0;">'
        f"{_KIND_STYLES[entry.kind][0]} {escape(entry.path_text)} {entry.kind}{shown}</p>"
    )


def _diff_entries_html(entries: list[DiffEntry]) -> Iterator[str]:
    """Entries in order; the field changes of an edited message nest under it."""
    edited: DiffEntry | None = None
    for entry in entries:
        inside = edited is not None and entry.path[: len(edited.path)] == edited.path
        if not inside:
            edited = entry if entry.kind == "edited" else None
            yield _diff_entry_html(entry, entry.path_text, nested=False)
            continue
        prefix = edited.path_text if edited else ""
        shown = entry.path_text
        yield _diff_entry_html(entry, shown.removeprefix(prefix) or shown, nested=True)


def _diff_entry_html(entry: DiffEntry, path_text: str, *, nested: bool) -> str:
    sign, background, color = _KIND_STYLES[entry.kind]
    value = entry.new if entry.kind != "removed" else entry.old
    head = (
        f'<span class="mono" style="color:{color}; font-weight:700;">{sign}</span>'
        f"&nbsp;{mono(_breakable(path_text))}&nbsp;&nbsp;{chip(entry.kind, background, color)}"
    )
    if entry.kind in ("added", "removed") and is_message(value):
        body = message_excerpt(value, entry.kind)
    elif entry.kind == "edited":
        head += "&nbsp;&nbsp;" + message_excerpt(entry.new, "edited", inline=True)
        body = ""
    elif entry.kind == "unreadable":
        body = f'<p style="margin:4px 0 0 0;">{escape(unreadable_reason(entry))}</p>'
    elif entry.kind in ("added", "removed"):
        body = render_json_html(value)
    elif entry.text_diff is not None:
        body = _text_diff_html(entry.text_diff)
    elif not isinstance(entry.old, (dict, list)) and not isinstance(entry.new, (dict, list)):
        body = (
            f'<p style="margin:4px 0 0 0;">{_scalar_html(entry.old, ERROR_TEXT, ERROR_BG)}'
            f'&nbsp;<span style="color:{TEXT_DISABLED};">→</span>&nbsp;'
            f"{_scalar_html(entry.new, SUCCESS_TEXT, SUCCESS_BG)}</p>"
        )
    else:
        body = (
            f'<table cellspacing="0" cellpadding="2">'
            f'<tr><td style="color:{ERROR_TEXT};">−&nbsp;</td>'
            f"<td>{render_json_html(entry.old)}</td></tr>"
            f'<tr><td style="color:{SUCCESS_TEXT};">+&nbsp;</td>'
            f"<td>{render_json_html(entry.new)}</td></tr></table>"
        )
    margin = f"0 0 6px {'24px' if nested else '0'}"
    card_bg = BACKGROUND if entry.kind == "changed" else background
    return card(color, card_bg, f"{head}{body}", margin=margin, border=False)


def _scalar_html(value: Any, color: str, background: str) -> str:
    text = cap_text(json.dumps(value, ensure_ascii=False), STRING_CAP)
    return (
        f'<span class="mono" style="color:{color}; background-color:{background};">'
        f"&nbsp;{escape(text)}&nbsp;</span>"
    )


def _text_diff_html(lines: list[str]) -> str:
    rows = []
    for line in lines:
        if line.startswith("@@"):
            style = f"color:{TEXT_DISABLED};"
        elif line.startswith("+"):
            style = f"color:{SUCCESS_TEXT}; background-color:{SUCCESS_BG};"
        elif line.startswith("-"):
            style = f"color:{ERROR_TEXT}; background-color:{ERROR_BG};"
        else:
            style = f"color:{TEXT_MUTED};"
        rows.append(f'<span style="{style}">{escape(cap_text(line, STRING_CAP))}</span>')
    body = "\n".join(rows)
    return f'<pre style="{pre_style()}">{body}</pre>'


def _breakable(text: str) -> str:
    """A long key path that may wrap after its hyphens (ids like UUIDs), not mid-word."""
    return text.replace("-", "-" + BREAK_HINT) if len(text) > BREAKABLE_CHARS else text
