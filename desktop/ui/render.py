"""Checkpoint states and diffs turned into the HTML the window shows, without Qt.

Rendering is the slow part of showing a big checkpoint (pretty-printing, syntax
highlighting, escaping), so it lives here, free of Qt, and the controller runs it in a
worker thread (``asyncio.to_thread``); widgets only receive finished documents. The HTML
sticks to the subset ``QTextDocument`` understands: inline styles, ``<pre>``, tables
with ``bgcolor``/``cellpadding``, anchors.

Big values stay fast: strings longer than :data:`STRING_CAP` are cut in the HTML with a
"… (N more characters)" marker, containers show their first items with a "show more"
link (``bounded.py``: a million-item list renders as fast as a small one), a diff shows
its first :data:`DIFF_ENTRIES_SHOWN` changes (the plain text and the copyable JSON,
computed only when asked for, keep everything), each channel (and each item of a list
channel) is highlighted on its own through a cache, so moving along a timeline
re-highlights only what changed, and a value too large to highlight is shown escaped but
uncoloured.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import JsonLexer
from pygments.style import Style
from pygments.token import Error, Keyword, Name, Number, String

from desktop.core.decode import TYPE_KEY, is_message
from desktop.core.diff import DiffEntry, StateDiff, render_diff_text, unreadable_reason
from desktop.core.model import CheckpointState, PendingWrite, is_internal_channel, written_by
from desktop.ui.bounded import (
    MORE_LINK,
    MORE_MARKER,
    SHOW_ITEMS,
    bounded,
    more_link_html,
)
from desktop.ui.state_header import (
    StateHeader,
    delta_note,
    extra_metadata,
    is_cancellation,
    next_shown,
    node_name,
    one_line,
    state_header,
    when,
)

STRING_CAP = 2000
"""Characters of one string shown in HTML before it is cut with a marker."""

MESSAGE_CAP = 6000
"""Characters of one message's content shown in HTML before it is cut."""

HIGHLIGHT_LIMIT = 1_000_000
"""JSON texts (a channel, or one item of a list) longer than this are shown uncoloured."""

EXCERPT_CHARS = 160
"""Characters of a message's content shown in a diff entry."""

BREAK_HINT = "\u200b"
"""A zero-width space: where a long key path may wrap (after its hyphens), never mid-word.
The document browsers leave it out of copies."""

BREAKABLE_CHARS = 24
"""Key paths longer than this get break hints after their hyphens."""

DIFF_ENTRIES_SHOWN = 500
"""Changes of a diff shown in HTML; the rest are counted (``rewind diff`` lists all)."""

JSON_COLORS: dict[str, str] = {
    "text": "#1f2328",
    "key": "#0550ae",
    "string": "#116329",
    "number": "#953800",
    "keyword": "#8250df",
    "punctuation": "#6e7781",
    "error": "#cf222e",
}
"""Colours of JSON token kinds; the JSON editor's highlighter uses the same palette."""


_TEXT = JSON_COLORS["text"]
_DIM = "#8c959f"
_MUTED = "#57606a"
_BORDER = "#d0d7de"
_AMBER_BG = "#fff8c5"
_AMBER_FG = "#7d4e00"
_RED_BG = "#ffebe9"
_RED_FG = "#a40e26"
_GREEN_BG = "#dafbe1"
_GREEN_FG = "#116329"
_MARKER = re.compile(r"… \((\d+) more characters\)")
_MESSAGE_SEARCH_DEPTH = 3
_ROLE_STYLES: dict[str, tuple[str, str, str]] = {
    # type: (label, badge background, badge text)
    "human": ("Human", "#ddf4ff", "#0550ae"),
    "ai": ("AI", "#fbefff", "#6639ba"),
    "tool": ("Tool", "#fff1e5", "#953800"),
    "system": ("System", "#eaeef2", "#424a53"),
    "function": ("Function", "#fff1e5", "#953800"),
    "chat": ("Chat", "#eaeef2", "#424a53"),
    "remove": ("Remove", "#ffebe9", "#a40e26"),
}
_KIND_STYLES: dict[str, tuple[str, str, str]] = {
    # diff kind: (sign, background, text)
    "added": ("+", _GREEN_BG, _GREEN_FG),
    "removed": ("−", _RED_BG, _RED_FG),
    "changed": ("~", _AMBER_BG, _AMBER_FG),
    "edited": ("~", _AMBER_BG, _AMBER_FG),
    "unreadable": ("?", "#eaeef2", "#424a53"),
}


class _JsonStyle(Style):
    """Pygments style built from :data:`JSON_COLORS` so HTML and editor agree."""

    background_color = "#ffffff"
    styles = {
        Name.Tag: JSON_COLORS["key"],
        String: JSON_COLORS["string"],
        Number: JSON_COLORS["number"],
        Keyword.Constant: JSON_COLORS["keyword"],
        Error: JSON_COLORS["error"],
    }


_FORMATTER = HtmlFormatter(nowrap=True, noclasses=True, style=_JsonStyle)


@dataclass(frozen=True, slots=True)
class RenderedState:
    """One checkpoint ready for the state view: HTML per tab plus copyable text.

    ``plain_text`` is everything, uncut (for copying and tests); ``json_text`` is the
    checkpoint as pretty JSON for "Copy JSON". Both are computed when asked for. ``limit``
    is the bounded view's item limit; ``truncated`` says whether it left anything out.
    """

    title: str
    header: StateHeader
    values_html: str
    messages_html: str
    writes_html: str
    message_count: int
    write_count: int
    has_interrupt: bool
    has_error: bool
    error: str | None
    state: CheckpointState
    limit: int = SHOW_ITEMS
    truncated: bool = False

    @property
    def plain_text(self) -> str:
        """The whole checkpoint as readable text (header, state, messages, writes)."""
        state = self.state
        errors = [e for e in (state.meta.metadata_error, state.error) if e]
        return _state_plain_text(state, errors, list(_message_lists(state.values)))

    @property
    def json_text(self) -> str:
        """The whole checkpoint as pretty JSON."""
        return json.dumps(self.state.to_json(), indent=2, ensure_ascii=False)


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


# -- state ---------------------------------------------------------------------------------


def render_state(state: CheckpointState, limit: int = SHOW_ITEMS) -> RenderedState:
    """Render one checkpoint: header, channel values, messages and pending writes, each
    container cut to its first ``limit`` items (see ``bounded.py``)."""
    meta = state.meta
    errors = [e for e in (meta.metadata_error, state.error) if e]
    error_writes = [w for w in state.pending_writes if w.is_error]
    interrupts = state.progress.interrupts
    message_lists = list(_message_lists(state.values))
    message_count = sum(len(messages) for _, messages in message_lists)
    error = "; ".join(errors) if errors else None
    title = f"{meta.thread_id} · step {meta.step if meta.step is not None else '?'}"
    shown, cut_values = bounded(state.values, limit)
    writes_html, cut_writes = _writes_html(state.pending_writes, limit)
    return RenderedState(
        title=title,
        header=state_header(state, errors, interrupts, error_writes),
        values_html=_values_html(state.values, shown, errors),
        messages_html=_messages_html(message_lists, limit),
        writes_html=writes_html,
        message_count=message_count,
        write_count=len(state.pending_writes),
        has_interrupt=bool(interrupts),
        has_error=any(not is_cancellation(w) for w in error_writes)
        or any(w.error for w in state.pending_writes),
        error=error,
        state=state,
        limit=limit,
        truncated=cut_values or cut_writes or any(len(m) > limit for _, m in message_lists),
    )


def document_css(mono_family: str) -> str:
    """Default stylesheet for documents showing this module's HTML.

    Code, ids and key paths are ``<pre>`` or ``class="mono"``. The monospace family is
    the platform's fixed font, which only the UI can ask Qt for, so it is passed in.
    """
    family = mono_family.replace("'", "")
    return (
        f"body {{ color: {_TEXT}; }} "
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
    return f'<pre style="{_pre_style()}">{_json_body_html(shown, cap, links=links)}</pre>'


def _json_body_html(value: Any, cap: int = STRING_CAP, *, links: bool = True) -> str:
    """Highlighted JSON of an already bounded value (markers become links or counts)."""
    shown = capped(value, cap)
    if isinstance(shown, list) and shown:
        items = [_highlight_json(json.dumps(item, indent=2, ensure_ascii=False)) for item in shown]
        body = "[\n" + textwrap.indent(",\n".join(items), "  ") + "\n]"
    else:
        body = _highlight_json(json.dumps(shown, indent=2, ensure_ascii=False))
    return MORE_MARKER.sub(_more_link if links else _more_count, body)


def _more_link(match: re.Match[str]) -> str:
    return more_link_html(match, f"color:{_DIM}; font-style:italic;")


def _more_count(match: re.Match[str]) -> str:
    return (
        f'<span style="color:{_DIM}; font-style:italic;">'
        f"… {int(match.group(1)):,} more {match.group(2)}</span>"
    )


def capped(value: Any, cap: int = STRING_CAP) -> Any:
    """A copy of a JSON-safe value whose long strings end in a "… (N more characters)" marker.

    Values without long strings are returned as they are (no copy).
    """
    if isinstance(value, str):
        return _cap_text(value, cap)
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
    return _MARKER.sub(_marker_html, body.rstrip("\n"))


def _marker_html(match: re.Match[str]) -> str:
    return (
        f'<span style="color:{_DIM}; font-style:italic;">'
        f"… ({int(match.group(1)):,} more characters)</span>"
    )


def _cap_text(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    return f"{text[:cap]}… ({len(text) - cap} more characters)"


def _pre_style(color: str = JSON_COLORS["punctuation"]) -> str:
    """Style of a JSON block; its own colour is the punctuation's, which needs no spans."""
    return f"white-space:pre-wrap; margin:2px 0 10px 0; color:{color};"


def _banner(inner_html: str, tone: str) -> str:
    background, color = {
        "amber": (_AMBER_BG, _AMBER_FG),
        "grey": ("#f6f8fa", _MUTED),
    }.get(tone, (_RED_BG, _RED_FG))
    return (
        f'<table width="100%" cellpadding="6" cellspacing="0" bgcolor="{background}" '
        f'style="margin-top:4px;"><tr><td style="color:{color}; font-weight:600;">'
        f"{inner_html}</td></tr></table>"
    )


def _values_html(values: dict[str, Any], shown: dict[str, Any], errors: list[str]) -> str:
    """The channels of ``shown`` (the bounded view of ``values``, which sizes the notes)."""
    parts = [_banner(_escape(error), "red") for error in errors]
    names = [k for k in shown if k in values]
    user = [k for k in names if not is_internal_channel(k)]
    internal = [k for k in names if is_internal_channel(k)]
    if not values:
        parts.append(f'<p style="color:{_MUTED};">No channel values in this checkpoint.</p>')
    parts.extend(_channel_html(name, shown[name], values[name], internal=False) for name in user)
    if internal:
        parts.append(
            f'<p style="color:{_DIM}; margin-top:14px; border-top:1px solid {_BORDER};">'
            f"<b>Internal channels</b> · LangGraph bookkeeping</p>"
        )
    parts.extend(_channel_html(name, shown[name], values[name], internal=True) for name in internal)
    if len(names) < len(values):
        parts.append(_more_paragraph(len(values) - len(names), "channels"))
    return "\n".join(parts)


def _more_paragraph(count: int, noun: str) -> str:
    return (
        f'<p style="color:{_DIM}; font-style:italic;">… {count:,} more {noun} '
        f'<a href="{MORE_LINK}">show more</a></p>'
    )


def _channel_html(name: str, value: Any, whole: Any, *, internal: bool) -> str:
    """A channel as a JSON member (``"name": value``), noting the size of the ``whole``
    value after the opening (``value`` is its bounded view)."""
    key_color = _DIM if internal else JSON_COLORS["key"]
    key = json.dumps(name, ensure_ascii=False)
    if internal:
        text = _escape(json.dumps(capped(value), indent=2, ensure_ascii=False))
        body = MORE_MARKER.sub(_more_link, text)
    else:
        body = _json_body_html(value)
    value = whole
    first, newline, rest = body.partition("\n")
    note = _describe(value)
    if note:
        first += f'<span style="color:{_DIM}; font-style:italic;">&nbsp;&nbsp;{note}</span>'
    return (
        f'<pre style="{_pre_style(_DIM if internal else JSON_COLORS["punctuation"])}">'
        f'<span style="color:{key_color}; font-weight:600;">{_escape(key)}</span>: '
        f"{first}{newline}{rest}</pre>"
    )


def _channel_heading(name: str, value: Any, color: str) -> str:
    return (
        f'<p style="margin:8px 0 0 0;"><span class="mono" style="'
        f'font-weight:600; color:{color};">{_escape(name)}</span>'
        f'&nbsp;&nbsp;<span style="color:{_DIM}; font-size:small;">{_describe(value)}</span></p>'
    )


def _describe(value: Any) -> str:
    """A short size note for containers and long strings; nothing for other scalars."""
    if isinstance(value, list):
        if value and all(is_message(v) for v in value[:SHOW_ITEMS]):
            return f"{len(value):,} message{'s' * (len(value) != 1)}"
        return f"{len(value):,} item{'s' * (len(value) != 1)}"
    if isinstance(value, dict):
        if TYPE_KEY in value:
            return _escape(str(value[TYPE_KEY]))
        return f"{len(value):,} key{'s' * (len(value) != 1)}"
    if isinstance(value, str) and len(value) > EXCERPT_CHARS:
        return f"{len(value):,} characters"
    return ""


# -- messages ------------------------------------------------------------------------------


def _message_lists(values: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every list of messages in the state with its key path; user channels first."""
    ordered = sorted(values, key=is_internal_channel)
    for name in ordered:
        yield from _find_messages(values[name], name, _MESSAGE_SEARCH_DEPTH)


def _find_messages(value: Any, path: str, depth: int) -> Iterator[tuple[str, list[Any]]]:
    if is_message(value):
        yield path, [value]
    elif isinstance(value, list) and value and all(is_message(v) for v in value):
        yield path, value
    elif isinstance(value, dict) and depth > 0:
        for key, child in value.items():
            if key != TYPE_KEY:
                yield from _find_messages(child, f"{path}.{key}", depth - 1)


def _messages_html(message_lists: list[tuple[str, list[dict[str, Any]]]], limit: int) -> str:
    if not message_lists:
        return f'<p style="color:{_MUTED};">No messages in this checkpoint.</p>'
    answered = {
        m["tool_call_id"]: m
        for _, messages in message_lists
        for m in messages
        if isinstance(m.get("tool_call_id"), str)
    }
    parts = []
    for path, messages in message_lists:
        if len(message_lists) > 1 or path != "messages":
            parts.append(_channel_heading(path, messages, _TEXT))
        parts.extend(_message_card(m, answered) for m in messages[:limit])
        if len(messages) > limit:
            parts.append(_more_paragraph(len(messages) - limit, "messages"))
    return "\n".join(parts)


def _message_card(message: dict[str, Any], answered: dict[str, Any]) -> str:
    kind = str(message.get("type") or "?")
    label, background, color = _ROLE_STYLES.get(kind, (kind.title(), "#eaeef2", "#424a53"))
    head = [_chip(label, background, color)]
    if message.get("name"):
        head.append(f"<b>{_escape(str(message['name']))}</b>")
    call_id = message.get("tool_call_id")
    if isinstance(call_id, str):
        head.append(
            f'<span style="color:{_MUTED};">result of <a href="#{_anchor("call", call_id)}">'
            f"{_mono(call_id)}</a></span>"
        )
    if message.get("status") == "error":
        head.append(_chip("error", _RED_BG, _RED_FG))
    if message.get("id"):
        head.append(
            f'<span style="color:{_DIM}; font-size:small;">id {_escape(str(message["id"]))}</span>'
        )
    body = [_content_html(message.get("content"))]
    for call in message.get("tool_calls") or []:
        body.append(_tool_call_html(call, answered))
    for call in message.get("invalid_tool_calls") or []:
        body.append(_tool_call_html(call, {}, invalid=True))
    anchor = f'<a name="{_anchor("result", call_id)}"></a>' if isinstance(call_id, str) else ""
    card_bg = _RED_BG if message.get("status") == "error" else "#ffffff"
    inner = f"{anchor}{'&nbsp;&nbsp;'.join(head)}{''.join(body)}"
    return _card(color, card_bg, inner, margin="0 0 8px 0", border=True)


def _content_html(content: Any) -> str:
    if content in ("", None, []):
        return ""
    if isinstance(content, str):
        return _text_block(content)
    if isinstance(content, list):
        blocks = []
        for block in content:
            if isinstance(block, str):
                blocks.append(_text_block(block))
            elif isinstance(block, dict) and block.get("type") == "text":
                blocks.append(_text_block(str(block.get("text", ""))))
            else:
                blocks.append(render_json_html(block))
        return "".join(blocks)
    return render_json_html(content)


def _text_block(text: str) -> str:
    shown = _escape(_cap_text(text, MESSAGE_CAP))
    shown = _MARKER.sub(_marker_html, shown)
    return f'<p style="white-space:pre-wrap; margin:6px 0 0 0;">{shown}</p>'


def _tool_call_html(call: Any, answered: dict[str, Any], *, invalid: bool = False) -> str:
    if not isinstance(call, dict):
        return render_json_html(call)
    name = str(call.get("name") or "?")
    args = call.get("args")
    args_text = args if isinstance(args, str) else json.dumps(capped(args), ensure_ascii=False)
    call_id = call.get("id")
    parts = [
        f'<span style="color:{_MUTED};">{"invalid tool call" if invalid else "tool call"}</span> ',
        f'<span class="mono"><b style="color:{JSON_COLORS["key"]};">'
        f"{_escape(name)}</b>({_escape(args_text)})</span>",
    ]
    if isinstance(call_id, str):
        parts.insert(0, f'<a name="{_anchor("call", call_id)}"></a>')
        parts.append(
            f'&nbsp;&nbsp;<span style="color:{_DIM}; font-size:small;">id {_escape(call_id)}</span>'
        )
        if call_id in answered:
            parts.append(
                f'&nbsp;&nbsp;<a href="#{_anchor("result", call_id)}" style="font-size:small;">'
                "result ↓</a>"
            )
        else:
            parts.append(
                f'&nbsp;&nbsp;<span style="color:{_AMBER_FG}; font-size:small;">'
                "no result yet</span>"
            )
    return f'<p style="margin:6px 0 0 0;">{"".join(parts)}</p>'


def _anchor(kind: str, call_id: str) -> str:
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9_-]", "_", call_id)


# -- pending writes ------------------------------------------------------------------------


def _writes_html(writes: list[PendingWrite], limit: int) -> tuple[str, bool]:
    """The pending writes as a table (the first ``limit``, each value bounded), and
    whether anything was left out."""
    if not writes:
        return f'<p style="color:{_MUTED};">No pending writes against this checkpoint.</p>', False
    head = "".join(
        f'<th align="left" style="color:{_MUTED}; font-weight:600;">{h}</th>'
        for h in ("Task", "Node", "Channel", "Value")
    )
    rows = [f'<tr bgcolor="#f6f8fa">{head}</tr>']
    cut = len(writes) > limit
    for write in writes[:limit]:
        background = "#ffffff"
        channel = _mono(write.channel)
        if write.is_interrupt:
            background = _AMBER_BG
            channel += "&nbsp;" + _chip("interrupt", "#f5d90a", "#4d3800")
        elif write.is_error or write.error:
            background = _RED_BG
            channel += "&nbsp;" + _chip("error", "#ffcecb", _RED_FG)
        if write.error:
            value = f'<span style="color:{_RED_FG};">{_escape(write.error)}</span>'
        else:
            shown, cut_value = bounded(write.value, limit)
            cut = cut or cut_value
            value = f'<pre style="{_pre_style()}">{_json_body_html(shown)}</pre>'
        rows.append(
            f'<tr bgcolor="{background}"><td valign="top">{_mono(write.task_id[:8], _MUTED)}</td>'
            f'<td valign="top">{_mono(node_name(write))}</td>'
            f'<td valign="top">{channel}</td><td valign="top">{value}</td></tr>'
        )
    table = (
        f'<table width="100%" cellspacing="0" cellpadding="6" border="1" '
        f'style="border-collapse:collapse; border-color:{_BORDER}; border-style:solid;">'
        f"{''.join(rows)}</table>"
    )
    if len(writes) > limit:
        table += _more_paragraph(len(writes) - limit, "writes")
    return table, cut


# -- plain text ----------------------------------------------------------------------------


def _state_plain_text(
    state: CheckpointState,
    errors: list[str],
    message_lists: list[tuple[str, list[dict[str, Any]]]],
) -> str:
    meta = state.meta
    lines = [
        f"Thread {meta.thread_id} · checkpoint {meta.checkpoint_id}"
        + (f" · subgraph {meta.checkpoint_ns}" if meta.checkpoint_ns else ""),
        f"Step {meta.step if meta.step is not None else '?'} · {meta.source or '?'}"
        + (f" · {when(meta)}" if meta.created_at else ""),
        f"Written by: {written_by(meta, '-')}",
        f"Next: {', '.join(next_shown(state)) or '-'}",
    ]
    extra = extra_metadata(meta.metadata)
    if extra:
        lines.append(f"Metadata: {extra}")
    if note := delta_note(state):
        lines.append(note)
    lines.extend(f"ERROR: {error}" for error in errors)
    lines += ["", "== State =="]
    lines.append(json.dumps(state.values, indent=2, ensure_ascii=False))
    for path, messages in message_lists:
        lines += ["", f"== Messages ({path}) =="]
        lines.extend(_message_plain(m) for m in messages)
    lines += ["", f"== Pending writes ({len(state.pending_writes)}) =="]
    for write in state.pending_writes:
        flag = " INTERRUPT" if write.is_interrupt else " ERROR" if write.is_error else ""
        value = write.error or json.dumps(write.value, ensure_ascii=False)
        lines.append(f"{write.task_id[:8]}  {node_name(write)}  {write.channel}{flag}  {value}")
    return "\n".join(lines)


def _message_plain(message: dict[str, Any]) -> str:
    kind = str(message.get("type") or "?")
    label = _ROLE_STYLES.get(kind, (kind.title(),))[0]
    head = f"[{label}"
    if message.get("name"):
        head += f" {message['name']}"
    if message.get("tool_call_id"):
        head += f" result of {message['tool_call_id']}"
    head += "]"
    content = message.get("content")
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    lines = [f"{head} {text}".rstrip()]
    for call in message.get("tool_calls") or []:
        if isinstance(call, dict):
            args = json.dumps(call.get("args"), ensure_ascii=False)
            lines.append(f"  tool call {call.get('name')}({args}) id={call.get('id')}")
    return "\n".join(lines)


# -- diff ----------------------------------------------------------------------------------


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
        body = f'<p style="color:{_MUTED}; font-size:large;">No changes</p>'
    else:
        blocks = list(_diff_entries_html(user[:DIFF_ENTRIES_SHOWN]))
        if len(user) > DIFF_ENTRIES_SHOWN:
            blocks.append(
                f'<p style="color:{_DIM}; font-style:italic;">… '
                f"{len(user) - DIFF_ENTRIES_SHOWN:,} more changes (`rewind diff` lists all)</p>"
            )
        internal = internal[:DIFF_ENTRIES_SHOWN]
        if internal:
            blocks.append(f'<p style="color:{_DIM}; margin-top:12px;"><b>Internal channels</b></p>')
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
    shown = f" {_escape(text)}" if len(text) <= EXCERPT_CHARS else ""
    return (
        f'<p class="mono" style="color:{_DIM}; margin:0 0 2px 0;">'
        f"{_KIND_STYLES[entry.kind][0]} {_escape(entry.path_text)} {entry.kind}{shown}</p>"
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
        f"&nbsp;{_mono(_breakable(path_text))}&nbsp;&nbsp;{_chip(entry.kind, background, color)}"
    )
    if entry.kind in ("added", "removed") and is_message(value):
        body = _message_excerpt(value, entry.kind)
    elif entry.kind == "edited":
        head += "&nbsp;&nbsp;" + _message_excerpt(entry.new, "edited", inline=True)
        body = ""
    elif entry.kind == "unreadable":
        body = f'<p style="margin:4px 0 0 0;">{_escape(unreadable_reason(entry))}</p>'
    elif entry.kind in ("added", "removed"):
        body = render_json_html(value)
    elif entry.text_diff is not None:
        body = _text_diff_html(entry.text_diff)
    elif not isinstance(entry.old, (dict, list)) and not isinstance(entry.new, (dict, list)):
        body = (
            f'<p style="margin:4px 0 0 0;">{_scalar_html(entry.old, _RED_FG, _RED_BG)}'
            f'&nbsp;<span style="color:{_DIM};">→</span>&nbsp;'
            f"{_scalar_html(entry.new, _GREEN_FG, _GREEN_BG)}</p>"
        )
    else:
        body = (
            f'<table cellspacing="0" cellpadding="2"><tr><td style="color:{_RED_FG};">−&nbsp;</td>'
            f"<td>{render_json_html(entry.old)}</td></tr>"
            f'<tr><td style="color:{_GREEN_FG};">+&nbsp;</td>'
            f"<td>{render_json_html(entry.new)}</td></tr></table>"
        )
    margin = f"0 0 6px {'24px' if nested else '0'}"
    card_bg = "#ffffff" if entry.kind == "changed" else background
    return _card(color, card_bg, f"{head}{body}", margin=margin, border=False)


def _scalar_html(value: Any, color: str, background: str) -> str:
    text = _cap_text(json.dumps(value, ensure_ascii=False), STRING_CAP)
    return (
        f'<span class="mono" style="color:{color}; background-color:{background};">'
        f"&nbsp;{_escape(text)}&nbsp;</span>"
    )


def _message_excerpt(message: Any, kind: str, *, inline: bool = False) -> str:
    if not isinstance(message, dict):
        return ""
    role = str(message.get("type") or "?")
    label, background, color = _ROLE_STYLES.get(role, (role.title(), "#eaeef2", "#424a53"))
    content = message.get("content")
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    excerpt = _escape(one_line(text)[:EXCERPT_CHARS]) if text else ""
    calls = [f"{c.get('name')}(…)" for c in message.get("tool_calls") or [] if isinstance(c, dict)]
    if calls:
        excerpt += f' <span class="mono">{_escape(", ".join(calls))}</span>'
    strike = " text-decoration:line-through;" if kind == "removed" else ""
    shown = f'{_chip(label, background, color)}&nbsp;<span style="{strike}">{excerpt}</span>'
    return shown if inline else f'<p style="margin:4px 0 0 0;">{shown}</p>'


def _text_diff_html(lines: list[str]) -> str:
    rows = []
    for line in lines:
        if line.startswith("@@"):
            style = f"color:{_DIM};"
        elif line.startswith("+"):
            style = f"color:{_GREEN_FG}; background-color:{_GREEN_BG};"
        elif line.startswith("-"):
            style = f"color:{_RED_FG}; background-color:{_RED_BG};"
        else:
            style = f"color:{_MUTED};"
        rows.append(f'<span style="{style}">{_escape(_cap_text(line, STRING_CAP))}</span>')
    body = "\n".join(rows)
    return f'<pre style="{_pre_style()}">{body}</pre>'


# -- small pieces --------------------------------------------------------------------------


def _breakable(text: str) -> str:
    """A long key path that may wrap after its hyphens (ids like UUIDs), not mid-word."""
    return text.replace("-", "-" + BREAK_HINT) if len(text) > BREAKABLE_CHARS else text


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _mono(text: str, color: str | None = None) -> str:
    colour = f' style="color:{color};"' if color else ""
    return f'<span class="mono"{colour}>{_escape(text)}</span>'


def _card(bar: str, background: str, inner_html: str, *, margin: str, border: bool) -> str:
    """A full-width box with a thin coloured bar on its left edge."""
    outline = f" border:1px solid {_BORDER}; border-collapse:collapse;" if border else ""
    return (
        f'<table width="100%" cellspacing="0" cellpadding="0" bgcolor="{background}" '
        f'style="margin:{margin};{outline}"><tr>'
        f'<td width="4" bgcolor="{bar}"></td>'
        f'<td style="padding:6px 10px 8px 10px;">{inner_html}</td></tr></table>'
    )


def _chip(text: str, background: str, color: str) -> str:
    return (
        f'<span style="background-color:{background}; color:{color}; font-weight:600;">'
        f"&nbsp;{_escape(text)}&nbsp;</span>"
    )
