"""A checkpoint's messages as HTML cards and plain text, without Qt.

Every list of messages in the state is found (user channels first, a few levels deep);
each message is a card with its role, name and content, tool calls linked to the
messages that answer them. A diff shows a message as a one-line excerpt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from desktop.core.model import is_internal_channel
from desktop.core.value_shapes import TYPE_KEY, is_message
from desktop.ui.palette import (
    ACCENT_BG,
    ACCENT_EMPHASIS,
    BACKGROUND,
    CANVAS_INSET,
    ERROR_BG,
    ERROR_TEXT,
    INTERRUPTED_TEXT,
    SEVERE_BG,
    SEVERE_TEXT,
    SUBGRAPH_BG,
    SUBGRAPH_TEXT,
    TEXT,
    TEXT_DISABLED,
    TEXT_MUTED,
    TEXT_NEUTRAL,
)
from desktop.ui.render.markup import (
    EXCERPT_CHARS,
    JSON_COLORS,
    cap_text,
    capped,
    card,
    chip,
    describe,
    escape,
    marker_spans,
    mono,
    more_paragraph,
    render_json_html,
)
from desktop.ui.state_header import one_line

MESSAGE_CAP = 6000
"""Characters of one message's content shown in HTML before it is cut."""

_MESSAGE_SEARCH_DEPTH = 3

_ROLE_STYLES: dict[str, tuple[str, str, str]] = {
    # type: (label, badge background, badge text)
    "human": ("Human", ACCENT_BG, ACCENT_EMPHASIS),
    "ai": ("AI", SUBGRAPH_BG, SUBGRAPH_TEXT),
    "tool": ("Tool", SEVERE_BG, SEVERE_TEXT),
    "system": ("System", CANVAS_INSET, TEXT_NEUTRAL),
    "function": ("Function", SEVERE_BG, SEVERE_TEXT),
    "chat": ("Chat", CANVAS_INSET, TEXT_NEUTRAL),
    "remove": ("Remove", ERROR_BG, ERROR_TEXT),
}


def message_lists_in(values: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
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


def messages_html(message_lists: list[tuple[str, list[dict[str, Any]]]], limit: int) -> str:
    """The Messages tab: a card per message, the first ``limit`` of each list."""
    if not message_lists:
        return f'<p style="color:{TEXT_MUTED};">No messages in this checkpoint.</p>'
    answered = {
        m["tool_call_id"]: m
        for _, messages in message_lists
        for m in messages
        if isinstance(m.get("tool_call_id"), str)
    }
    parts = []
    for path, messages in message_lists:
        if len(message_lists) > 1 or path != "messages":
            parts.append(_channel_heading(path, messages, TEXT))
        parts.extend(_message_card(m, answered) for m in messages[:limit])
        if len(messages) > limit:
            parts.append(more_paragraph(len(messages) - limit, "messages"))
    return "\n".join(parts)


def _channel_heading(name: str, value: Any, color: str) -> str:
    return (
        f'<p style="margin:8px 0 0 0;"><span class="mono" style="'
        f'font-weight:600; color:{color};">{escape(name)}</span>'
        f'&nbsp;&nbsp;<span style="color:{TEXT_DISABLED}; font-size:small;">'
        f"{describe(value)}</span></p>"
    )


def _message_card(message: dict[str, Any], answered: dict[str, Any]) -> str:
    kind = str(message.get("type") or "?")
    label, background, color = _ROLE_STYLES.get(kind, (kind.title(), CANVAS_INSET, TEXT_NEUTRAL))
    head = [chip(label, background, color)]
    if message.get("name"):
        head.append(f"<b>{escape(str(message['name']))}</b>")
    call_id = message.get("tool_call_id")
    if isinstance(call_id, str):
        head.append(
            f'<span style="color:{TEXT_MUTED};">result of <a href="#{_anchor("call", call_id)}">'
            f"{mono(call_id)}</a></span>"
        )
    if message.get("status") == "error":
        head.append(chip("error", ERROR_BG, ERROR_TEXT))
    if message.get("id"):
        head.append(
            f'<span style="color:{TEXT_DISABLED}; font-size:small;">'
            f"id {escape(str(message['id']))}</span>"
        )
    body = [_content_html(message.get("content"))]
    for call in message.get("tool_calls") or []:
        body.append(_tool_call_html(call, answered))
    for call in message.get("invalid_tool_calls") or []:
        body.append(_tool_call_html(call, {}, invalid=True))
    anchor = f'<a name="{_anchor("result", call_id)}"></a>' if isinstance(call_id, str) else ""
    card_bg = ERROR_BG if message.get("status") == "error" else BACKGROUND
    inner = f"{anchor}{'&nbsp;&nbsp;'.join(head)}{''.join(body)}"
    return card(color, card_bg, inner, margin="0 0 8px 0", border=True)


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
    shown = escape(cap_text(text, MESSAGE_CAP))
    shown = marker_spans(shown)
    return f'<p style="white-space:pre-wrap; margin:6px 0 0 0;">{shown}</p>'


def _tool_call_html(call: Any, answered: dict[str, Any], *, invalid: bool = False) -> str:
    if not isinstance(call, dict):
        return render_json_html(call)
    name = str(call.get("name") or "?")
    args = call.get("args")
    args_text = args if isinstance(args, str) else json.dumps(capped(args), ensure_ascii=False)
    call_id = call.get("id")
    parts = [
        f'<span style="color:{TEXT_MUTED};">'
        f"{'invalid tool call' if invalid else 'tool call'}</span> ",
        f'<span class="mono"><b style="color:{JSON_COLORS["key"]};">'
        f"{escape(name)}</b>({escape(args_text)})</span>",
    ]
    if isinstance(call_id, str):
        parts.insert(0, f'<a name="{_anchor("call", call_id)}"></a>')
        parts.append(
            f'&nbsp;&nbsp;<span style="color:{TEXT_DISABLED}; font-size:small;">'
            f"id {escape(call_id)}</span>"
        )
        if call_id in answered:
            parts.append(
                f'&nbsp;&nbsp;<a href="#{_anchor("result", call_id)}" style="font-size:small;">'
                "result ↓</a>"
            )
        else:
            parts.append(
                f'&nbsp;&nbsp;<span style="color:{INTERRUPTED_TEXT}; font-size:small;">'
                "no result yet</span>"
            )
    return f'<p style="margin:6px 0 0 0;">{"".join(parts)}</p>'


def _anchor(kind: str, call_id: str) -> str:
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9_-]", "_", call_id)


def message_plain(message: dict[str, Any]) -> str:
    """A message as plain text: ``[Role name] content`` and its tool calls."""
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


def message_excerpt(message: Any, kind: str, *, inline: bool = False) -> str:
    """A message in a diff: its role chip and one line of its content (struck if removed)."""
    if not isinstance(message, dict):
        return ""
    role = str(message.get("type") or "?")
    label, background, color = _ROLE_STYLES.get(role, (role.title(), CANVAS_INSET, TEXT_NEUTRAL))
    content = message.get("content")
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    excerpt = escape(one_line(text)[:EXCERPT_CHARS]) if text else ""
    calls = [f"{c.get('name')}(…)" for c in message.get("tool_calls") or [] if isinstance(c, dict)]
    if calls:
        excerpt += f' <span class="mono">{escape(", ".join(calls))}</span>'
    strike = " text-decoration:line-through;" if kind == "removed" else ""
    shown = f'{chip(label, background, color)}&nbsp;<span style="{strike}">{excerpt}</span>'
    return shown if inline else f'<p style="margin:4px 0 0 0;">{shown}</p>'
