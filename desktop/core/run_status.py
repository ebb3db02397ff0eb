"""Where a thread stands, as LangGraph's ``aget_state`` tells it: :class:`ThreadStatus`.

What runs next, the interrupts waiting for a value and the tasks that failed, at the
thread's latest checkpoint (subgraph states included). Asking opens a path read-only
and never changes the file; ``resume`` reads the same status with the thread's write
lock held before it answers anything. :func:`detect_unfinished` badges a thread by
its status, as the thread list shows it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.pregel import Pregel
from langgraph.types import StateSnapshot

from desktop.core.errors import error_line
from desktop.core.graphs import LoadedGraph
from desktop.core.live_json import to_jsonable
from desktop.core.progress import FailedTask, WaitingInterrupt, is_cancellation
from desktop.core.savers import (
    ReadSaver,
    checkpoint_config,
    location_text,
    reading_checkpoint,
    require_thread,
    run_store,
    saver_for,
)

ThreadCondition = Literal["interrupted", "crashed", "forked", "error", "finished"]
"""Where a thread's last run stands, as badged in the thread list."""


@dataclass(frozen=True, slots=True)
class ThreadStatus:
    """Where a thread stands: what runs next and what it waits for.

    ``can_continue`` is true for a run that stopped before its end (crash, cancel,
    error, ``interrupt_before``/``after``), or a fork not run yet, and can go on without
    a value; ``interrupts`` need a value (:func:`~desktop.core.runner.resume` with one).
    ``source`` and ``step`` are the latest checkpoint's metadata: ``forked`` tells a fork
    that no run continued yet from a run that stopped.

    ``unsaved_step`` names the tasks of the latest checkpoint when every one of them
    finished (LangGraph saved their writes) but the checkpoint after them never was: the
    run was killed in between, as LangGraph saves a step's checkpoint and its tasks'
    writes on separate background threads. ``get_state().next`` is then empty, yet the
    run is not over: continuing it (``invoke(None)``) applies those writes without
    running the tasks again, saves the step and goes on.

    ``errors`` are the tasks that raised; ``stopped`` the nodes whose tasks were
    cancelled (Ctrl-C, Stop): LangGraph records a cancellation as the task's error, but
    the run was stopped, nothing failed (``ThreadSummary.stopped``, "stopped" in the
    window).
    """

    thread_id: str
    checkpoint_id: str
    next_nodes: tuple[str, ...]
    interrupts: tuple[WaitingInterrupt, ...] = ()
    errors: tuple[FailedTask, ...] = ()
    source: str | None = None
    step: int | None = None
    note: str | None = None
    """Set when the status was read from a private snapshot (as the read commands say)."""
    unsaved_step: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()

    @property
    def forked(self) -> bool:
        """The latest checkpoint is a fork (``update_state``) that no run has continued; a
        ``fork``-source checkpoint is LangGraph's copy a replay starts from: a run."""
        return self.source == "update"

    @property
    def can_continue(self) -> bool:
        """True when the thread can go on without a value (see the class docstring)."""
        return bool(self.next_nodes or self.unsaved_step) and not self.interrupts

    def to_json(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "checkpoint_id": self.checkpoint_id,
            "next": list(self.next_nodes),
            "interrupts": [i.to_json() for i in self.interrupts],
            "errors": [e.to_json() for e in self.errors],
            "stopped": list(self.stopped),
            "can_continue": self.can_continue,
            "unsaved_step": list(self.unsaved_step),
            "source": self.source,
            "step": self.step,
        }


async def thread_status(
    graph: LoadedGraph, target: BaseCheckpointSaver | str | Path, thread_id: str
) -> ThreadStatus:
    """Next nodes, pending interrupts and failed tasks of a thread's latest checkpoint.

    A path is opened read-only (:func:`~desktop.core.savers.open_read_saver`): asking
    never changes the file.
    """
    async with saver_for(graph, target, mode="read") as saver:
        status = await read_thread_status(
            graph.bind(saver, run_store(graph, saver)), saver, thread_id, location_text(target)
        )
    note = saver.note if isinstance(saver, ReadSaver) else None
    return dataclasses.replace(status, note=note) if note else status


async def read_thread_status(
    graph: Pregel, saver: BaseCheckpointSaver, thread_id: str, where: str = "the database"
) -> ThreadStatus:
    """The status of ``thread_id`` through ``graph`` bound to an open ``saver`` (at
    ``where``, as a missing thread's message names it)."""
    latest = await require_thread(saver, thread_id, where)
    with reading_checkpoint(latest.config):
        snapshot = await graph.aget_state(checkpoint_config(thread_id), subgraphs=True)
    interrupts: dict[str, WaitingInterrupt] = {}
    errors: list[FailedTask] = []
    stopped: list[str] = []
    _collect_tasks(snapshot, (), interrupts, errors, stopped)
    metadata = snapshot.metadata or {}
    # Tasks but none left to run: they all wrote, and the checkpoint after them is missing.
    stalled = snapshot.tasks and not snapshot.next and not (interrupts or errors or stopped)
    return ThreadStatus(
        thread_id=thread_id,
        checkpoint_id=str(snapshot.config["configurable"]["checkpoint_id"]),
        next_nodes=tuple(snapshot.next),
        interrupts=tuple(interrupts.values()),
        errors=tuple(errors),
        stopped=tuple(dict.fromkeys(stopped)),
        source=metadata.get("source") if isinstance(metadata.get("source"), str) else None,
        step=metadata.get("step") if isinstance(metadata.get("step"), int) else None,
        unsaved_step=tuple(dict.fromkeys(t.name for t in snapshot.tasks)) if stalled else (),
    )


def _collect_tasks(
    snapshot: StateSnapshot,
    path: tuple[str, ...],
    interrupts: dict[str, WaitingInterrupt],
    errors: list[FailedTask],
    stopped: list[str],
) -> None:
    """Walk the tasks (and subgraph states); an interrupt belongs to the deepest task; a
    cancelled task is ``stopped``, not an error."""
    for task in snapshot.tasks:
        node = "/".join([*path, task.name])
        for item in task.interrupts:
            interrupts[item.id] = WaitingInterrupt(item.id, to_jsonable(item.value), node)
        if task.error:
            error = task.error
            text = error_line(error) if isinstance(error, BaseException) else str(error)
            if is_cancellation(text):
                stopped.append(node)
            else:
                errors.append(FailedTask(node, text))
        if isinstance(task.state, StateSnapshot):
            _collect_tasks(task.state, (*path, task.name), interrupts, errors, stopped)


def detect_unfinished(status: ThreadStatus) -> ThreadCondition:
    """Badge a thread by its latest checkpoint.

    ``interrupted``: waits for a value at an ``interrupt()``; ``error``: a task of the
    last step raised; ``forked``: the latest checkpoint is a fork (``update_state``)
    with tasks to run and no run has continued it (not a stopped run); ``crashed``:
    tasks are left to run but nothing failed or asked (process killed, run cancelled,
    static breakpoint); ``finished``: nothing to run. A task that was only cancelled did
    not fail: its run stopped, so it is ``crashed``.
    """
    if status.interrupts:
        return "interrupted"
    if status.errors:
        return "error"
    if status.can_continue:
        return "forked" if status.forked else "crashed"
    return "finished"
