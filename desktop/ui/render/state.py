"""Checkpoint states turned into the HTML the state view shows, without Qt.

Rendering is the slow part of showing a big checkpoint (pretty-printing, syntax
highlighting, escaping), so it lives here, free of Qt, and the controller runs it in a
worker thread (``asyncio.to_thread``); widgets only receive finished documents: one per
tab (state, messages, pending writes) and the checkpoint as plain text and JSON, computed
only when asked for. The HTML pieces are :mod:`desktop.ui.render.markup`'s, the message
cards :mod:`desktop.ui.render.messages`'; diffs are :mod:`desktop.ui.render.diff`'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from desktop.core.model import CheckpointState, PendingWrite, is_internal_channel, written_by
from desktop.ui.bounded import MORE_MARKER, SHOW_ITEMS, bounded
from desktop.ui.palette import (
    BACKGROUND,
    BORDER,
    CANVAS,
    ERROR_BG,
    ERROR_BG_STRONG,
    ERROR_TEXT,
    INTERRUPTED_BG,
    INTERRUPTED_CHIP,
    INTERRUPTED_CHIP_TEXT,
    INTERRUPTED_TEXT,
    TEXT_DISABLED,
    TEXT_MUTED,
)
from desktop.ui.render.markup import (
    JSON_COLORS,
    capped,
    chip,
    describe,
    escape,
    json_body_html,
    mono,
    more_link,
    more_paragraph,
    pre_style,
)
from desktop.ui.render.messages import message_lists_in, message_plain, messages_html
from desktop.ui.state_header import (
    StateHeader,
    delta_note,
    extra_metadata,
    is_cancellation,
    next_shown,
    node_name,
    state_header,
    when,
)


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
        return _state_plain_text(state, errors, list(message_lists_in(state.values)))

    @property
    def json_text(self) -> str:
        """The whole checkpoint as pretty JSON."""
        return json.dumps(self.state.to_json(), indent=2, ensure_ascii=False)


def render_state(state: CheckpointState, limit: int = SHOW_ITEMS) -> RenderedState:
    """Render one checkpoint: header, channel values, messages and pending writes, each
    container cut to its first ``limit`` items (see ``bounded.py``)."""
    meta = state.meta
    errors = [e for e in (meta.metadata_error, state.error) if e]
    error_writes = [w for w in state.pending_writes if w.is_error]
    interrupts = state.progress.interrupts
    message_lists = list(message_lists_in(state.values))
    message_count = sum(len(messages) for _, messages in message_lists)
    error = "; ".join(errors) if errors else None
    title = f"{meta.thread_id} · step {meta.step if meta.step is not None else '?'}"
    shown, cut_values = bounded(state.values, limit)
    writes_html, cut_writes = _writes_html(state.pending_writes, limit)
    return RenderedState(
        title=title,
        header=state_header(state, errors, interrupts, error_writes),
        values_html=_values_html(state.values, shown, errors),
        messages_html=messages_html(message_lists, limit),
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


def _banner(inner_html: str, tone: str) -> str:
    background, color = {
        "amber": (INTERRUPTED_BG, INTERRUPTED_TEXT),
        "grey": (CANVAS, TEXT_MUTED),
    }.get(tone, (ERROR_BG, ERROR_TEXT))
    return (
        f'<table width="100%" cellpadding="6" cellspacing="0" bgcolor="{background}" '
        f'style="margin-top:4px;"><tr><td style="color:{color}; font-weight:600;">'
        f"{inner_html}</td></tr></table>"
    )


def _values_html(values: dict[str, Any], shown: dict[str, Any], errors: list[str]) -> str:
    """The channels of ``shown`` (the bounded view of ``values``, which sizes the notes)."""
    parts = [_banner(escape(error), "red") for error in errors]
    names = [k for k in shown if k in values]
    user = [k for k in names if not is_internal_channel(k)]
    internal = [k for k in names if is_internal_channel(k)]
    if not values:
        parts.append(f'<p style="color:{TEXT_MUTED};">No channel values in this checkpoint.</p>')
    parts.extend(_channel_html(name, shown[name], values[name], internal=False) for name in user)
    if internal:
        parts.append(
            f'<p style="color:{TEXT_DISABLED}; margin-top:14px; border-top:1px solid {BORDER};">'
            f"<b>Internal channels</b> · LangGraph bookkeeping</p>"
        )
    parts.extend(_channel_html(name, shown[name], values[name], internal=True) for name in internal)
    if len(names) < len(values):
        parts.append(more_paragraph(len(values) - len(names), "channels"))
    return "\n".join(parts)


def _channel_html(name: str, value: Any, whole: Any, *, internal: bool) -> str:
    """A channel as a JSON member (``"name": value``), noting the size of the ``whole``
    value after the opening (``value`` is its bounded view)."""
    key_color = TEXT_DISABLED if internal else JSON_COLORS["key"]
    key = json.dumps(name, ensure_ascii=False)
    if internal:
        text = escape(json.dumps(capped(value), indent=2, ensure_ascii=False))
        body = MORE_MARKER.sub(more_link, text)
    else:
        body = json_body_html(value)
    value = whole
    first, newline, rest = body.partition("\n")
    note = describe(value)
    if note:
        first += (
            f'<span style="color:{TEXT_DISABLED}; font-style:italic;">&nbsp;&nbsp;{note}</span>'
        )
    return (
        f'<pre style="{pre_style(TEXT_DISABLED if internal else JSON_COLORS["punctuation"])}">'
        f'<span style="color:{key_color}; font-weight:600;">{escape(key)}</span>: '
        f"{first}{newline}{rest}</pre>"
    )


def _writes_html(writes: list[PendingWrite], limit: int) -> tuple[str, bool]:
    """The pending writes as a table (the first ``limit``, each value bounded), and
    whether anything was left out."""
    if not writes:
        none = f'<p style="color:{TEXT_MUTED};">No pending writes against this checkpoint.</p>'
        return none, False
    head = "".join(
        f'<th align="left" style="color:{TEXT_MUTED}; font-weight:600;">{h}</th>'
        for h in ("Task", "Node", "Channel", "Value")
    )
    rows = [f'<tr bgcolor="{CANVAS}">{head}</tr>']
    cut = len(writes) > limit
    for write in writes[:limit]:
        background = BACKGROUND
        channel = mono(write.channel)
        if write.is_interrupt:
            background = INTERRUPTED_BG
            channel += "&nbsp;" + chip("interrupt", INTERRUPTED_CHIP, INTERRUPTED_CHIP_TEXT)
        elif write.is_error or write.error:
            background = ERROR_BG
            channel += "&nbsp;" + chip("error", ERROR_BG_STRONG, ERROR_TEXT)
        if write.error:
            value = f'<span style="color:{ERROR_TEXT};">{escape(write.error)}</span>'
        else:
            shown, cut_value = bounded(write.value, limit)
            cut = cut or cut_value
            value = f'<pre style="{pre_style()}">{json_body_html(shown)}</pre>'
        rows.append(
            f'<tr bgcolor="{background}">'
            f'<td valign="top">{mono(write.task_id[:8], TEXT_MUTED)}</td>'
            f'<td valign="top">{mono(node_name(write))}</td>'
            f'<td valign="top">{channel}</td><td valign="top">{value}</td></tr>'
        )
    table = (
        f'<table width="100%" cellspacing="0" cellpadding="6" border="1" '
        f'style="border-collapse:collapse; border-color:{BORDER}; border-style:solid;">'
        f"{''.join(rows)}</table>"
    )
    if len(writes) > limit:
        table += more_paragraph(len(writes) - limit, "writes")
    return table, cut


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
        lines.extend(message_plain(m) for m in messages)
    lines += ["", f"== Pending writes ({len(state.pending_writes)}) =="]
    for write in state.pending_writes:
        flag = " INTERRUPT" if write.is_interrupt else " ERROR" if write.is_error else ""
        value = write.error or json.dumps(write.value, ensure_ascii=False)
        lines.append(f"{write.task_id[:8]}  {node_name(write)}  {write.channel}{flag}  {value}")
    return "\n".join(lines)
