"""What the state pane's header says about one checkpoint, as plain strings.

Built off the UI thread with the rest of :func:`desktop.ui.render.state.render_state`; the
header widget (``widgets/state_header.py``) shows each string in a plain-text label, so
a thread id, node name or metadata value from the database is never read as markup.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desktop.core import progress
from desktop.core.model import (
    CheckpointMeta,
    CheckpointState,
    PendingWrite,
    thread_label,
    written_by,
)
from desktop.core.progress import WaitingInterrupt
from desktop.core.task_paths import node_of_task_path
from desktop.core.value_shapes import TYPE_KEY

EXCERPT_CHARS = 160
"""Characters of an interrupt's payload quoted in its banner."""

METADATA_CHARS = 300
"""Characters of the extra metadata shown in the header (its tooltip holds it all)."""


@dataclass(frozen=True, slots=True)
class Banner:
    """A line that stands out: ``tone`` is ``amber`` (interrupt), ``grey`` (Stop), ``red``."""

    text: str
    tone: str


@dataclass(frozen=True, slots=True)
class StateHeader:
    """``Step 3`` · ``loop`` · checkpoint id · time, then who wrote it and what runs next."""

    step: str
    source: str
    checkpoint_id: str
    when: str
    facts: str
    metadata: str
    note: str
    banners: tuple[Banner, ...]
    thread: str = ""
    """The thread id as ``facts`` names it (kept on one line there, elided in the middle)."""

    @property
    def text(self) -> str:
        """Everything the header says, one line per part (what a reader sees, uncut)."""
        first = " · ".join(p for p in (self.step, self.source, self.checkpoint_id, self.when) if p)
        lines = [first, self.facts, self.metadata, self.note]
        lines.extend(banner.text for banner in self.banners)
        return "\n".join(line for line in lines if line)


def state_header(
    state: CheckpointState,
    errors: Sequence[str],
    interrupts: Sequence[WaitingInterrupt],
    error_writes: Sequence[PendingWrite],
) -> StateHeader:
    """The header of ``state``; ``errors`` are its read errors, ``error_writes`` the
    ``__error__`` writes of its step."""
    meta = state.meta
    facts = [f"thread {thread_label(meta.thread_id)}"]
    if meta.checkpoint_ns:
        facts.append(f"subgraph {meta.checkpoint_ns}")
    if meta.writers or meta.steps_folded:
        facts.append("written by " + written_by(meta))
    facts.append("next " + (", ".join(next_shown(state)) or "—"))
    extra = extra_metadata(meta.metadata)
    banners = [
        Banner(
            f"Interrupted in {item.node}: waiting for input{interrupt_excerpt(item.value)}", "amber"
        )
        for item in interrupts
    ]
    for write in error_writes:
        node = node_name(write)
        if is_cancellation(write):
            banners.append(Banner(f"Stopped by you at {node}; Continue picks up from here", "grey"))
        else:
            banners.append(Banner(f"{node} raised {one_line(write.value)}", "red"))
    banners.extend(Banner(error, "red") for error in errors)
    return StateHeader(
        step=f"Step {meta.step if meta.step is not None else '?'}",
        source=meta.source or "",
        checkpoint_id=meta.checkpoint_id,
        when=when(meta),
        facts=" · ".join(facts),
        metadata=f"metadata {extra}" if extra else "",
        note=delta_note(state),
        banners=tuple(banners),
        thread=thread_label(meta.thread_id),
    )


def next_shown(state: CheckpointState) -> tuple[str, ...]:
    """The step's tasks still due, as ``get_state`` of the thread says when a step stopped
    part-way (finished tasks are not run again); every task of a step that completed."""
    progress = state.progress
    return progress.remaining or progress.next


def interrupt_excerpt(value: Any) -> str:
    """What an interrupt asked, as `` — {...}`` (empty when it carried nothing)."""
    items = value if isinstance(value, list) else [value]
    asked = [
        item.get("value") if isinstance(item, dict) and item.get(TYPE_KEY) == "Interrupt" else item
        for item in items
    ]
    shown = [one_line(a) for a in asked if a is not None]
    return f" — {'; '.join(shown)[:EXCERPT_CHARS]}" if shown else ""


def when(meta: CheckpointMeta) -> str:
    """The checkpoint's creation time in UTC, or "" when unknown."""
    return meta.created_at.strftime("%Y-%m-%d %H:%M:%S UTC") if meta.created_at else ""


def delta_note(state: CheckpointState) -> str:
    """Which delta channels were rebuilt, and which could not be folded (reducer unknown)."""
    notes = []
    if state.reconstructed:
        notes.append("Rebuilt from delta writes: " + ", ".join(state.reconstructed))
    if state.unfolded:
        notes.append(
            "reducer unknown, shown as seed + ordered writes: " + ", ".join(state.unfolded)
        )
    if state.guessed:
        notes.append(
            "pending update applied with a reducer guessed without the graph: "
            + ", ".join(state.guessed)
        )
    notes.extend(state.delta_notes)
    return "; ".join(notes)


def extra_metadata(metadata: dict[str, Any]) -> str:
    """The checkpoint's metadata beyond step and source, as one line of JSON."""
    rest = {
        k: v for k, v in metadata.items() if k not in ("step", "source") and v not in ({}, [], None)
    }
    return json.dumps(rest, ensure_ascii=False, default=str) if rest else ""


def is_cancellation(write: PendingWrite) -> bool:
    """An error write that only records a cancelled task (the user's Stop), by the rule
    the run state uses (:func:`desktop.core.progress.is_cancellation`)."""
    return progress.is_cancellation(one_line(write.value))


def node_name(write: PendingWrite) -> str:
    """The node a pending write came from (``send`` for a ``Send`` task)."""
    node = node_of_task_path(write.task_path)
    if node:
        return node
    if write.task_path.startswith("~__pregel_push"):
        return "send"
    return write.task_path or "?"


def one_line(value: Any) -> str:
    """A value as one line of text (JSON unless it is a string)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return " ".join(text.split())
