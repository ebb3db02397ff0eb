"""HTML of one Store item for the Store view (pure function, run in a worker thread).

The value is highlighted JSON with long strings cut (:func:`render_json_html`). A
deepagents memory (a file-shaped value) reads as the file first: its text highlighted
by the key's file name, capped at :data:`FILE_CHARS`. Everything from the database is
escaped: it is shown as text, never interpreted as markup.
"""

from __future__ import annotations

import html

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

from desktop.core.store import NAMESPACE_SEPARATOR, StoreItem
from desktop.ui import palette
from desktop.ui.models.threads import full_time
from desktop.ui.render.markup import render_json_html

FILE_CHARS = 200_000
"""Characters of a file shown highlighted; the rest is summarized."""

HIGHLIGHT_CHARS = 100_000
"""Longer files are shown as plain text (highlighting them would stall the view)."""

_FORMATTER = HtmlFormatter(nowrap=True, noclasses=True, style="friendly")
_PRE = "white-space:pre-wrap; margin:2px 0 10px 0;"


def render_store_item(item: StoreItem) -> tuple[str, str]:
    """``(title, html)``: the item's place, times and kind, then its value."""
    where = NAMESPACE_SEPARATOR.join(item.namespace)
    title = f"{where} / {item.key}"
    parts = [_header(item)]
    if item.error:
        parts.append(
            f'<p style="color:{palette.ERROR_TEXT}; background:{palette.ERROR_BG}; padding:4px;">'
            f"{html.escape(item.error)}</p>"
        )
    text = item.file_text
    if text is not None:
        lines = text.count("\n") + 1 if text else 0
        parts.append(_section(f"File · {lines:,} line{'s' * (lines != 1)}"))
        parts.append(f'<pre style="{_PRE}">{_file_html(item.key, text)}</pre>')
        parts.append(_section("Stored value"))
    parts.append(render_json_html(item.value))
    return title, "".join(parts)


def _header(item: StoreItem) -> str:
    rows = [
        ("Namespace", NAMESPACE_SEPARATOR.join(item.namespace)),
        ("Key", item.key),
        ("Created", full_time(item.created_at)),
        ("Updated", full_time(item.updated_at)),
        ("Expires", _expires(item)),
    ]
    if item.has_embedding:
        rows.append(("Embedding", "has embedding (store_vectors)"))
    cells = "".join(
        f'<tr><td style="color:{palette.TEXT_MUTED}; padding-right:12px;">{name}</td>'
        f'<td class="mono">{html.escape(value)}</td></tr>'
        for name, value in rows
    )
    return f'<table style="margin-bottom:8px;">{cells}</table>'


def _expires(item: StoreItem) -> str:
    if item.expires_at is None:
        return "never"
    text = full_time(item.expires_at)
    if item.ttl_minutes is not None:
        text += f" (TTL {item.ttl_minutes:g} min)"
    return text


def _section(title: str) -> str:
    return (
        f'<p style="color:{palette.TEXT_MUTED}; font-weight:600; margin:6px 0 2px 0;">{title}</p>'
    )


def _file_html(name: str, text: str) -> str:
    shown, rest = text[:FILE_CHARS], len(text) - FILE_CHARS
    if len(shown) > HIGHLIGHT_CHARS:
        body = html.escape(shown, quote=False)
    else:
        try:
            lexer = get_lexer_for_filename(name, stripnl=False)
        except ClassNotFound:
            lexer = TextLexer(stripnl=False)
        body = highlight(shown, lexer, _FORMATTER).rstrip("\n")
    if rest > 0:
        body += f'\n<span style="color:{palette.TEXT_MUTED};">… ({rest:,} more characters)</span>'
    return body
