"""What happened and what will run, said in LangGraph's terms (no Qt, no I/O).

A fork that no run continued is not a stopped run; a run the user stopped is not an
error; replaying re-executes every node after the chosen checkpoint. These helpers turn
a :class:`~desktop.core.run_status.ThreadStatus` or a timeline position into the sentences
the resume panel, the toolbar and the state header show.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.core.history import ThreadTimeline
from desktop.core.model import CheckpointMeta
from desktop.core.run_status import ThreadStatus, detect_unfinished


@dataclass(frozen=True, slots=True)
class Situation:
    """Where a thread stands, in words: a ``kind`` (``interrupted``, ``forked``,
    ``stopped``, ``error``, ``crashed``, ``finished``), a title and a detail line."""

    kind: str
    title: str
    detail: str


def situation(status: ThreadStatus) -> Situation:
    """Describe ``status`` for the resume panel."""
    condition = detect_unfinished(status)
    nodes = ", ".join(status.next_nodes) or "—"
    step = "?" if status.step is None else str(status.step)
    stopped = status.stopped
    if condition in ("forked", "crashed") and stopped:
        return Situation(
            "stopped",
            f"Stopped by you at {', '.join(stopped)}; Continue picks up from here",
            f"Continue re-runs: {nodes}; tasks that finished are not run again.",
        )
    if condition in ("forked", "crashed") and status.unsaved_step:
        # A fork whose continuing run was killed before its first step was saved too.
        done = ", ".join(status.unsaved_step)
        after = "?" if status.step is None else str(status.step + 1)
        return Situation(
            "crashed",
            f"Stopped before step {after} was saved",
            f"Finished: {done}. LangGraph saved what they wrote, not the checkpoint after "
            "them; Continue applies those writes without running them again, then runs on.",
        )
    if condition == "forked":
        return Situation(
            "forked",
            f"Forked at step {step}; the next run continues from here",
            f"Continue runs: {nodes} (LangGraph executes what the fork left to run).",
        )
    if condition == "error":
        first = status.errors[0]
        return Situation(
            "error",
            f"This run stopped before it finished (next: {nodes})",
            f"{first.node} failed: {first.error}. Continue runs the unfinished tasks again "
            f"from the last checkpoint (re-runs: {nodes}); tasks that finished are not re-run.",
        )
    if condition == "crashed":
        return Situation(
            "crashed",
            f"This run stopped before it finished (next: {nodes})",
            f"Continue re-runs: {nodes} from the last checkpoint; tasks that finished are "
            "not run again.",
        )
    return Situation(condition, "", "")


def reruns_after(timeline: ThreadTimeline, meta: CheckpointMeta) -> tuple[str, ...]:
    """The nodes that ran after ``meta`` on its line (to the head, or to the tip of its
    branch), in order: what a replay from ``meta`` executes again."""
    for tip in _tips_first_head(timeline):
        line = timeline.lineage(tip)
        keys = [m.key for m in line]
        if meta.key in keys:
            later = line[keys.index(meta.key) + 1 :]
            return tuple(dict.fromkeys(w for m in later for w in m.writers))
    return ()


def _tips_first_head(timeline: ThreadTimeline) -> list[CheckpointMeta]:
    head = timeline.head
    tips = [t for t in timeline.branch_tips() if head is None or t.key != head.key]
    return ([head] if head is not None else []) + tips


def replay_explanation(step: int | None, nodes: tuple[str, ...]) -> str:
    """``Replay from step 3 re-runs: tools, agent``."""
    where = "?" if step is None else str(step)
    if not nodes:
        return f"Replay from step {where}: runs on from there (no node ran after it yet)"
    return f"Replay from step {where} re-runs: {', '.join(nodes)}"
