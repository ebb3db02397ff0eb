"""The HTML pieces the state and diff documents are made of, without Qt.

The HTML sticks to the subset ``QTextDocument`` understands: inline styles, ``<pre>``,
tables with ``bgcolor``/``cellpadding``, anchors. Strings longer than :data:`STRING_CAP`
are cut with a "… (N more characters)" marker and containers show their first items
with a "show more" link (``bounded.py``). JSON is highlighted through a cache, each
channel (and each item of a list) on its own, so moving along a timeline re-highlights
only what changed; a text too large to highlight is shown escaped but uncoloured.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from functools import lru_cache
from typing import Any

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import JsonLexer
from pygments.style import Style
from pygments.token import Error, Keyword, Name, Number, String

from desktop.core.value_shapes import TYPE_KEY, is_message
from desktop.ui.bounded import MORE_LINK, MORE_MARKER, SHOW_ITEMS, bounded, more_link_html
from desktop.ui.palette import (
    ACCENT_EMPHASIS,
    BACKGROUND,
    BORDER,
    ERROR,
    FAINT,
    SEVERE_TEXT,
    SUBGRAPH,
    SUCCESS_TEXT,
    TEXT,
    TEXT_DISABLED,
)

STRING_CAP = 2000
"""Characters of one string shown in HTML before it is cut with a marker."""

HIGHLIGHT_LIMIT = 1_000_000
"""JSON texts (a channel, or one item of a list) longer than this are shown uncoloured."""

EXCERPT_CHARS = 160
"""Characters of a message's content shown in a diff entry."""

BREAK_HINT = "\u200b"
"""A zero-width space: where a long key path may wrap (after its hyphens), never mid-word.
The document browsers leave it out of copies."""

JSON_COLORS: dict[str, str] = {
    "text": TEXT,
    "key": ACCENT_EMPHASIS,
    "string": SUCCESS_TEXT,
    "number": SEVERE_TEXT,
    "keyword": SUBGRAPH,
    "punctuation": FAINT,
    "error": ERROR,
}
"""Colours of JSON token kinds; the JSON editor's highlighter uses the same palette."""

_MARKER = re.compile(r"… \((\d+) more characters\)")


class _JsonStyle(Style):
    """Pygments style built from :data:`JSON_COLORS` so HTML and editor agree."""

    background_color = BACKGROUND
    styles = {
        Name.Tag: JSON_COLORS["key"],
        String: JSON_COLORS["string"],
        Number: JSON_COLORS["number"],
        Keyword.Constant: JSON_COLORS["keyword"],
        Error: JSON_COLORS["error"],
    }


_FORMATTER = HtmlFormatter(nowrap=True, noclasses=True, style=_JsonStyle)


def document_css(mono_family: str) -> str:
    """Default stylesheet for documents showing this module's HTML.

    Code, ids and key paths are ``<pre>`` or ``class="mono"``. The monospace family is
    the platform's fixed font, which only the UI can ask Qt for, so it is passed in.
    """
    family = mono_family.replace("'", "")
    return (
        f"body {{ color: {TEXT}; }} "
        f"pre, .mono {{ font-family: '{family}', monospace; }} "
        f"a {{ color: {JSON_COLORS['key']}; text-decoration: none; }}"
    )


def render_json_html(
    value: Any, *, cap: int = STRING_CAP, limit: int = SHOW_ITEMS, links: bool = False
) -> str:
    """Pretty, syntax-highlighted JSON of a JSON-safe value as a ``<pre>`` block.

    Strings longer than ``cap`` are cut with a "… (N more characters)" marker, containers
    after ``limit`` items (a "show more" link with ``links``, else a count). The items of
    a top-level list are highlighted one by one through the cache, so a message list
    that grew by one message costs one message of highlighting.
    """
    shown, _cut = bounded(value, limit)
    return f'<pre style="{pre_style()}">{json_body_html(shown, cap, links=links)}</pre>'


def json_body_html(value: Any, cap: int = STRING_CAP, *, links: bool = True) -> str:
    """Highlighted JSON of an already bounded value (markers become links or counts)."""
    shown = capped(value, cap)
    if isinstance(shown, list) and shown:
        items = [_highlight_json(json.dumps(item, indent=2, ensure_ascii=False)) for item in shown]
        body = "[\n" + textwrap.indent(",\n".join(items), "  ") + "\n]"
    else:
        body = _highlight_json(json.dumps(shown, indent=2, ensure_ascii=False))
    return MORE_MARKER.sub(more_link if links else _more_count, body)


def more_link(match: re.Match[str]) -> str:
    """A ``bounded.py`` marker as a "show more" link."""
    return more_link_html(match, f"color:{TEXT_DISABLED}; font-style:italic;")


def _more_count(match: re.Match[str]) -> str:
    return (
        f'<span style="color:{TEXT_DISABLED}; font-style:italic;">'
        f"… {int(match.group(1)):,} more {match.group(2)}</span>"
    )


def capped(value: Any, cap: int = STRING_CAP) -> Any:
    """A copy of a JSON-safe value whose long strings end in a "… (N more characters)" marker.

    Values without long strings are returned as they are (no copy).
    """
    if isinstance(value, str):
        return cap_text(value, cap)
    if isinstance(value, dict):
        items = {k: capped(v, cap) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    if isinstance(value, list):
        out = [capped(v, cap) for v in value]
        return value if all(a is b for a, b in zip(out, value, strict=True)) else out
    return value


@lru_cache(maxsize=4096)
def _highlight_json(text: str) -> str:
    """Coloured HTML spans for a JSON text (cached: unchanged channels cost nothing)."""
    if len(text) > HIGHLIGHT_LIMIT:
        body = html.escape(text, quote=False)
    else:
        body = highlight(text, JsonLexer(), _FORMATTER)
    return marker_spans(body.rstrip("\n"))


def marker_spans(text: str) -> str:
    """Escaped ``text`` with its "… (N more characters)" markers as dim italic spans."""
    return _MARKER.sub(_marker_html, text)


def _marker_html(match: re.Match[str]) -> str:
    return (
        f'<span style="color:{TEXT_DISABLED}; font-style:italic;">'
        f"… ({int(match.group(1)):,} more characters)</span>"
    )


def cap_text(text: str, cap: int) -> str:
    """``text`` cut after ``cap`` characters with a "… (N more characters)" marker."""
    if len(text) <= cap:
        return text
    return f"{text[:cap]}… ({len(text) - cap} more characters)"


def pre_style(color: str = JSON_COLORS["punctuation"]) -> str:
    """Style of a JSON block; its own colour is the punctuation's, which needs no spans."""
    return f"white-space:pre-wrap; margin:2px 0 10px 0; color:{color};"


def more_paragraph(count: int, noun: str) -> str:
    """ "… N more <noun>" and a "show more" link, as a paragraph."""
    return (
        f'<p style="color:{TEXT_DISABLED}; font-style:italic;">… {count:,} more {noun} '
        f'<a href="{MORE_LINK}">show more</a></p>'
    )


def describe(value: Any) -> str:
    """A short size note for containers and long strings; nothing for other scalars."""
    if isinstance(value, list):
        if value and all(is_message(v) for v in value[:SHOW_ITEMS]):
            return f"{len(value):,} message{'s' * (len(value) != 1)}"
        return f"{len(value):,} item{'s' * (len(value) != 1)}"
    if isinstance(value, dict):
        if TYPE_KEY in value:
            return escape(str(value[TYPE_KEY]))
        return f"{len(value):,} key{'s' * (len(value) != 1)}"
    if isinstance(value, str) and len(value) > EXCERPT_CHARS:
        return f"{len(value):,} characters"
    return ""


def escape(text: str) -> str:
    """``text`` as HTML text (quotes left as they are)."""
    return html.escape(text, quote=False)


def mono(text: str, color: str | None = None) -> str:
    """``text`` escaped, in the monospace font."""
    colour = f' style="color:{color};"' if color else ""
    return f'<span class="mono"{colour}>{escape(text)}</span>'


def card(bar: str, background: str, inner_html: str, *, margin: str, border: bool) -> str:
    """A full-width box with a thin coloured bar on its left edge."""
    outline = f" border:1px solid {BORDER}; border-collapse:collapse;" if border else ""
    return (
        f'<table width="100%" cellspacing="0" cellpadding="0" bgcolor="{background}" '
        f'style="margin:{margin};{outline}"><tr>'
        f'<td width="4" bgcolor="{bar}"></td>'
        f'<td style="padding:6px 10px 8px 10px;">{inner_html}</td></tr></table>'
    )


def chip(text: str, background: str, color: str) -> str:
    """A small coloured label (a role, a change kind, "error")."""
    return (
        f'<span style="background-color:{background}; color:{color}; font-weight:600;">'
        f"&nbsp;{escape(text)}&nbsp;</span>"
    )
