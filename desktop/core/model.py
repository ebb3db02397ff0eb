"""Plain data records shared by the read path, the CLI and the UI.

They carry only JSON-safe values so that the headless commands can print them and
the UI can show them without knowing anything about LangGraph's own classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from desktop.core.progress import CheckpointProgress, RunStatus

INTERRUPT_CHANNEL = "__interrupt__"
ERROR_CHANNEL = "__error__"
AS_NODE_KEY = "rewind_as_node"
"""Metadata key of the node a Rewind fork was credited to (LangGraph does not store it)."""
_INTERNAL_CHANNELS = frozenset({"__start__", "__pregel_tasks"})


def is_internal_channel(name: str) -> bool:
    """Channels LangGraph uses for scheduling (``branch:to:node``, ``__pregel_tasks``...)."""
    return name in _INTERNAL_CHANNELS or name.startswith(("branch:", "join:", "__pregel_"))


EMPTY_THREAD_ID_LABEL = '"" (empty thread id)'
"""How a thread stored with the empty string as its id is named on screen."""


def thread_label(thread_id: str) -> str:
    """``thread_id`` as shown: itself, or a visible name when it is empty."""
    return thread_id if thread_id else EMPTY_THREAD_ID_LABEL


def user_channels(values: dict[str, Any]) -> dict[str, Any]:
    """The channel values a person cares about: internal scheduling channels left out."""
    return {k: v for k, v in values.items() if not is_internal_channel(k)}


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """One row of the thread list: built from metadata and the latest root checkpoint.

    ``progress`` is the step after the latest root checkpoint (what ``get_state`` of
    the thread says); ``head_source`` / ``head_step`` are that checkpoint's metadata, so
    a thread whose head is a fork not run yet (``update``) can be told from a run that
    stopped.
    """

    thread_id: str
    checkpoints: int
    updated_at: datetime | None
    latest_checkpoint_id: str
    progress: CheckpointProgress = field(default_factory=CheckpointProgress)
    head_source: str | None = None
    head_step: int | None = None

    @property
    def has_interrupt(self) -> bool:
        return bool(self.progress.interrupts)

    @property
    def has_error(self) -> bool:
        return bool(self.progress.errors)

    @property
    def stopped(self) -> bool:
        """The last run was cancelled (Stop): unfinished, not failed."""
        return self.progress.stopped

    @property
    def next_nodes(self) -> tuple[str, ...]:
        """``get_state(thread).next``: the tasks still to run."""
        return self.progress.remaining

    @property
    def forked(self) -> bool:
        """The head is a fork (``update_state``) that no run has continued yet; a
        ``fork``-source checkpoint is LangGraph's copy a replay starts from: a run."""
        return self.head_source == "update"

    @property
    def run_state(self) -> RunStatus:
        """``interrupted``, ``error``, ``unfinished`` (tasks left: crash, Stop,
        breakpoint, or a fork not run yet, see :attr:`forked`) or ``finished``."""
        return self.progress.status

    def to_json(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "checkpoints": self.checkpoints,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "status": self.run_state,
            "next": list(self.next_nodes),
        }


@dataclass(frozen=True, slots=True)
class CheckpointMeta:
    """One checkpoint as the timeline sees it: no blob is decoded to build it.

    ``writers`` are the nodes whose writes produced this checkpoint, as LangGraph would
    name them: for a ``loop`` checkpoint the tasks of its parent's step (``Send`` tasks
    by target, one entry per task), for an ``update`` the node a Rewind fork was
    credited to, for ``input`` and ``fork`` none. ``steps_folded`` counts the steps
    after that one that ran before this checkpoint was saved, none of them saved on
    their own (``durability="exit"``): LangGraph still credits only the parent's tasks.
    ``metadata_error`` is set when the stored metadata is not valid JSON; the checkpoint
    is still listed.
    """

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str | None
    step: int | None
    source: str | None
    created_at: datetime | None
    metadata: dict[str, Any]
    writers: tuple[str, ...] = ()
    metadata_error: str | None = None
    steps_folded: int = 0

    @property
    def key(self) -> tuple[str, str]:
        """Identity of a checkpoint within a thread: namespace and id."""
        return (self.checkpoint_ns, self.checkpoint_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "checkpoint_id": self.checkpoint_id,
            "parent_checkpoint_id": self.parent_checkpoint_id,
            "checkpoint_ns": self.checkpoint_ns,
            "step": self.step,
            "source": self.source,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


@dataclass(frozen=True, slots=True)
class PendingWrite:
    """A write a task made against a checkpoint, decoded to JSON-safe data."""

    task_id: str
    task_path: str
    channel: str
    value: Any
    error: str | None = None

    @property
    def is_interrupt(self) -> bool:
        return self.channel == INTERRUPT_CHANNEL

    @property
    def is_error(self) -> bool:
        return self.channel == ERROR_CHANNEL

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "task_id": self.task_id,
            "channel": self.channel,
            "value": self.value,
        }
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True)
class CheckpointState:
    """A checkpoint with its decoded channel values and pending writes.

    ``values`` is every entry of ``channel_values``, JSON-safe, with each delta channel
    rebuilt (``reconstructed`` names those; ``unfolded`` the ones whose reducer Rewind
    cannot know, shown as seed plus writes; ``delta_notes`` the writes left out of a
    rebuild because they could not be decoded; ``guessed`` the channels the checkpoint's
    pending update (``Command(update=...)``) changed with a reducer Rewind guessed from the
    data, without the graph). ``progress`` is the step after the
    checkpoint as ``get_state`` of it reports (next, finished, interrupts, errors).
    ``error`` says why the blob could not be decoded; what could be read is still present.
    """

    meta: CheckpointMeta
    values: dict[str, Any]
    pending_writes: list[PendingWrite] = field(default_factory=list)
    progress: CheckpointProgress = field(default_factory=CheckpointProgress)
    error: str | None = None
    reconstructed: tuple[str, ...] = ()
    unfolded: tuple[str, ...] = ()
    delta_notes: tuple[str, ...] = ()
    guessed: tuple[str, ...] = ()

    @property
    def next_nodes(self) -> tuple[str, ...]:
        """``get_state(config with this checkpoint).next``: every task of the next step."""
        return self.progress.next

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "checkpoint_id": self.meta.checkpoint_id,
            "checkpoint_ns": self.meta.checkpoint_ns,
            "parent_checkpoint_id": self.meta.parent_checkpoint_id,
            "created_at": self.meta.created_at.isoformat() if self.meta.created_at else None,
            "metadata": self.meta.metadata,
            "values": user_channels(self.values),
            "internal_channels": {k: v for k, v in self.values.items() if is_internal_channel(k)},
            "pending_writes": [w.to_json() for w in self.pending_writes],
            "reconstructed": list(self.reconstructed),
        }
        if self.guessed:
            out["guessed"] = list(self.guessed)
        errors = [e for e in (self.meta.metadata_error, self.error, *self.delta_notes) if e]
        if errors:
            out["error"] = "; ".join(errors)
        return out


def written_by(meta: CheckpointMeta, nothing: str = "—") -> str:
    """``meta``'s writers for display (``nothing`` when none), saying so when later
    steps ran unsaved before it was saved (:attr:`CheckpointMeta.steps_folded`)."""
    text = ", ".join(meta.writers) or nothing
    if meta.steps_folded:
        steps = "step" if meta.steps_folded == 1 else "steps"
        text += f" (+{meta.steps_folded} {steps} not saved on their own)"
    return text
