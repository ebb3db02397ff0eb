"""What the timeline's rows say: its columns, cell text, tooltips and badge kinds.

Plain text for :class:`~desktop.ui.models.timeline.TimelineModel`'s display and tooltip
roles: a checkpoint's step, source, writers, time and short id; a branch or subgraph
group's tooltip and, for a branch, its tip.
"""

from __future__ import annotations

from desktop.core.history import TimelineItem
from desktop.core.model import CheckpointMeta, written_by
from desktop.ui.bounded import cut_middle
from desktop.ui.models.threads import full_time

COLUMNS = ("Checkpoint", "Nodes", "Time", "Id")
CHECKPOINT_COLUMN, NODES_COLUMN, TIME_COLUMN, ID_COLUMN = range(len(COLUMNS))
SHORT_ID_CHARS = 8
DESCRIBE_MAX_CHARS = 200

BADGES = ("error", "interrupt")
"""Badge kinds: a task failed (or was stopped) here; an ``interrupt()`` waits here."""
BADGE_TOOLTIPS = {
    "error": "a task failed or was stopped at this step (see Pending writes)",
    "interrupt": "waiting on an interrupt() for a human answer",
}


def checkpoint_cell(meta: CheckpointMeta, column: int) -> str | None:
    """A checkpoint row's text in ``column``."""
    if column == CHECKPOINT_COLUMN:
        step = "?" if meta.step is None else str(meta.step)
        return f"step {step} · {meta.source or '?'}"
    if column == NODES_COLUMN:
        return ", ".join(meta.writers) or "—"
    if column == TIME_COLUMN:
        if meta.created_at is None:
            return "—"
        return meta.created_at.astimezone().strftime("%H:%M:%S.%f")[:-3]
    if column == ID_COLUMN:
        return meta.checkpoint_id[-SHORT_ID_CHARS:]
    return None


def checkpoint_tooltip(meta: CheckpointMeta, is_head: bool) -> str:
    """A checkpoint row's tooltip: its id, step, writers, time, namespace, errors."""
    lines = [
        f"checkpoint {meta.checkpoint_id}" + ("  (head)" if is_head else ""),
        f"step {meta.step if meta.step is not None else '?'} · {meta.source or '?'}",
        f"written by {written_by(meta)}",
        f"created {full_time(meta.created_at)}",
    ]
    if meta.checkpoint_ns:
        lines.append(f"subgraph namespace {meta.checkpoint_ns}")
    if meta.metadata_error:
        lines.append(f"metadata error: {meta.metadata_error}")
    return "\n".join(lines)


def group_tooltip(item: TimelineItem, tip: CheckpointMeta | None) -> str:
    """A branch or subgraph group row's tooltip; a branch names its tip."""
    if item.kind == "branch":
        ends = f", ending at {short_name(tip)} ({tip.checkpoint_id})" if tip else ""
        return (
            f"{item.label}{ends}: checkpoints that are not on the way to the thread's head.\n"
            "Select one and Continue from this checkpoint (C) to run that branch on, or "
            "Diff branch tips (D) to compare its tip with the head."
        )
    return f"{item.label}: checkpoints written inside a subgraph"


def branch_tip(item: TimelineItem) -> CheckpointMeta | None:
    """The last checkpoint of a branch's own line (nested branches fork off it earlier)."""
    line = [child.meta for child in item.children if child.meta is not None]
    return line[-1] if line else None


def short_name(meta: CheckpointMeta) -> str:
    """A checkpoint in a few characters: its step and the end of its id."""
    step = "?" if meta.step is None else str(meta.step)
    return f"step {step} · …{meta.checkpoint_id[-SHORT_ID_CHARS:]}"


def describe_checkpoint(meta: CheckpointMeta, *, full: bool = False) -> str:
    """A checkpoint named in one line: ``step 3 · loop · …1a2b3c4d`` (the diff base line).

    ``full`` (the rows of "Compare with…") also names the nodes that wrote it and its
    subgraph namespace: ``step 3 · loop · agent · …1a2b3c4d · in sub:…``. An unknown step
    or source reads ``?``; the line is cut in the middle past 200 characters."""
    step = "?" if meta.step is None else str(meta.step)
    parts = [f"step {step}", meta.source or "?"]
    if full and meta.writers:
        parts.append(", ".join(meta.writers))
    parts.append(f"…{meta.checkpoint_id[-SHORT_ID_CHARS:]}")
    if full and meta.checkpoint_ns:
        parts.append(f"in {meta.checkpoint_ns}")
    return cut_middle(" · ".join(parts), DESCRIBE_MAX_CHARS)
