"""What a checkpoint's step runs and what became of it, read the way LangGraph reads it.

LangGraph decides the tasks of the step after a checkpoint (``StateSnapshot.next`` /
``.tasks``) from the checkpoint itself: every pending ``Send`` in ``__pregel_tasks`` is a
task (one per ``Send``, in order), then every node with a trigger channel that is
available and newer than the version that node last saw (``branch:to:node``, a full
``join:a+b:node`` barrier, ``__start__`` for the input). The writes saved against the
checkpoint tell what each task did: a task with an output write finished, one with an
``__interrupt__`` write and no output waits for an answer, one with an ``__error__``
write failed (``pregel/_task_status.py``).

Everything here works on decoded data (no graph, no SQL), so the window, the headless
commands and the graph view share one answer: :func:`checkpoint_progress`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from xxhash import xxh3_128_hexdigest

from desktop.core.task_paths import (
    INTERRUPT,
    UPDATE_PREFIX,
    TaskRef,
    node_of_task_path,
    writes_by_task,
)
from desktop.core.value_shapes import TYPE_KEY

RunStatus = Literal["finished", "interrupted", "error", "unfinished"]
"""Where a thread's run stands, judged at its latest root checkpoint."""

START: Final = "__start__"
TASKS_CHANNEL: Final = "__pregel_tasks"
ERROR: Final = "__error__"
CONTROL_WRITES: Final = frozenset({ERROR, "__error_source_node__", INTERRUPT, "__resume__"})
"""Writes that say what happened to a task rather than what it produced."""
_NOT_NODES: Final = frozenset({"__input__", INTERRUPT, START})
_CANCELLATIONS: Final = ("CancelledError(", "NodeCancelledError(")


def is_cancellation(error: str) -> bool:
    """True for the error LangGraph records for a task that was cancelled (Ctrl-C, Stop,
    a cancelled ``astream``): the run stopped there, the task did not fail."""
    return error.startswith(_CANCELLATIONS)


@dataclass(frozen=True, slots=True)
class WriteRecord:
    """One saved write against a checkpoint: the task that made it, where, and the value.

    ``value`` only matters for ``__interrupt__`` and ``__error__`` writes (decoded,
    JSON-safe); other writes may leave it ``None``.
    """

    task_id: str
    task_path: str
    channel: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class WaitingInterrupt:
    """An ``interrupt()`` of the step still waiting for its answer."""

    id: str
    value: Any
    node: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "value": self.value, "node": self.node}


@dataclass(frozen=True, slots=True)
class FailedTask:
    """A task of the step that raised; ``cancelled`` when it was only stopped."""

    node: str
    error: str
    cancelled: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "error": self.error}


@dataclass(frozen=True, slots=True)
class CheckpointProgress:
    """The step after one checkpoint, as LangGraph reports it.

    ``next`` equals ``get_state(config with this checkpoint_id).next``: every task of
    the step (``Send`` tasks by target, one entry each, then triggered nodes).
    ``remaining`` drops the tasks that already finished: it equals
    ``get_state(thread config).next`` when this checkpoint is the thread's latest.
    ``finished`` are the tasks with output writes; ``interrupts`` the questions still
    waiting (one per interrupt id); ``failures`` the tasks that raised.
    """

    next: tuple[str, ...] = ()
    remaining: tuple[str, ...] = ()
    finished: tuple[str, ...] = ()
    interrupts: tuple[WaitingInterrupt, ...] = ()
    failures: tuple[FailedTask, ...] = ()

    @property
    def errors(self) -> tuple[FailedTask, ...]:
        """Failures that are real errors (a task that was only cancelled is left out)."""
        return tuple(f for f in self.failures if not f.cancelled)

    @property
    def stopped(self) -> bool:
        """A task was cancelled (the user pressed Stop): the run can be continued."""
        return any(f.cancelled for f in self.failures)

    @property
    def status(self) -> RunStatus:
        """``interrupted`` (an ``interrupt()`` waits), ``error`` (a task raised),
        ``unfinished`` (the step has tasks: crash, Stop, breakpoint, a fork not run yet,
        or a step whose tasks all finished but whose checkpoint was never saved) or
        ``finished``, for a thread whose latest checkpoint this is."""
        if self.interrupts:
            return "interrupted"
        if self.errors:
            return "error"
        return "unfinished" if self.next else "finished"

    def to_json(self) -> dict[str, Any]:
        return {
            "next": list(self.next),
            "remaining": list(self.remaining),
            "finished": list(self.finished),
            "interrupts": [i.to_json() for i in self.interrupts],
            "errors": [e.to_json() for e in self.errors],
            "status": self.status,
        }


def checkpoint_progress(
    checkpoint: Mapping[str, Any],
    writes: Iterable[WriteRecord] = (),
    *,
    node_order: Sequence[str] | None = None,
) -> CheckpointProgress:
    """The step after a decoded checkpoint blob and what its saved ``writes`` tell.

    ``checkpoint`` is the decoded blob (``channel_values``, ``channel_versions``,
    ``versions_seen``), JSON-safe as :func:`desktop.core.decode.decode_typed` gives it.
    Triggered nodes are listed in ``node_order`` (the graph's node order, as LangGraph
    lists them) when given, else in the order the checkpoint stores their channels,
    which on SQLite is that same graph order.
    """
    writes = list(writes)
    tasks = step_tasks(checkpoint, writes, node_order=node_order)
    by_task = writes_by_task(writes, tasks)
    finished: list[str] = []
    remaining: list[str] = []
    waiting: dict[str, WaitingInterrupt] = {}
    failures: list[FailedTask] = []
    for task in tasks:
        own = by_task.get(task.key, [])
        done = any(w.channel not in CONTROL_WRITES for w in own)
        (finished if done else remaining).append(task.name)
        for write in own:
            if write.channel == ERROR:
                text = _error_text(write.value)
                failures.append(FailedTask(task.name, text, is_cancellation(text)))
            elif write.channel == INTERRUPT and not done:
                for item in _interrupt_items(write.value):
                    waiting.setdefault(item[0], WaitingInterrupt(item[0], item[1], task.name))
    return CheckpointProgress(
        next=tuple(t.name for t in tasks),
        remaining=tuple(remaining),
        finished=tuple(finished),
        interrupts=tuple(waiting.values()),
        failures=tuple(failures),
    )


def writes_matter(checkpoint: Mapping[str, Any], without: CheckpointProgress) -> bool:
    """Whether the saved writes can change :func:`checkpoint_progress` of ``checkpoint``
    (``without`` is its progress read without writes): only when its step has tasks, or
    when the input waits on ``__start__`` (writes may name the functional-API entrypoint
    that reads it). A listing skips the writes of every other head (a finished
    thread's, most of them)."""
    values = checkpoint.get("channel_values")
    return bool(without.next) or (isinstance(values, Mapping) and START in values)


def step_tasks(
    checkpoint: Mapping[str, Any],
    writes: Sequence[WriteRecord] = (),
    *,
    node_order: Sequence[str] | None = None,
) -> list[TaskRef]:
    """The tasks of the step after ``checkpoint``: pending ``Send``s, then triggered nodes."""
    values = checkpoint.get("channel_values")
    values = values if isinstance(values, Mapping) else {}
    tasks = [TaskRef(target, i) for i, target in enumerate(send_targets(values))]
    versions = checkpoint.get("channel_versions")
    versions = versions if isinstance(versions, Mapping) else {}
    seen_all = checkpoint.get("versions_seen")
    seen_all = seen_all if isinstance(seen_all, Mapping) else {}
    start = start_node(seen_all, writes)
    # A checkpoint stores its channels in the graph's order (LangGraph builds
    # ``channel_values`` from the compiled graph's channels, one ``branch:to:<node>``
    # per node as the nodes were added), and ``get_state`` lists triggered nodes in
    # that same node order: without ``node_order``, the stored order is the graph's.
    triggered: list[str] = []
    for channel, value in values.items():
        node = _trigger_target(str(channel), value, start)
        if node is None or node in triggered:
            continue
        seen = seen_all.get(node)
        seen_version = seen.get(channel) if isinstance(seen, Mapping) else None
        if seen_version is None or _newer(versions.get(channel), seen_version):
            triggered.append(node)
    if node_order:
        order = {name: i for i, name in enumerate(node_order)}
        triggered.sort(key=lambda n: order.get(n, len(order)))
    return tasks + [TaskRef(name) for name in triggered]


def send_targets(channel_values: Mapping[str, Any]) -> list[str]:
    """Target node of each pending ``Send`` of a checkpoint, in order."""
    sends = channel_values.get(TASKS_CHANNEL)
    targets = []
    for send in sends if isinstance(sends, list) else ():
        node = send.get("node") if isinstance(send, Mapping) else None
        targets.append(str(node) if node is not None else "")
    return targets


def start_node(versions_seen: Mapping[str, Any], writes: Sequence[WriteRecord] = ()) -> str:
    """The node LangGraph starts a run with: ``__start__`` for a ``StateGraph``, the
    entrypoint of a functional-API graph (the node that reads ``__start__`` itself)."""
    for node, seen in versions_seen.items():
        if node not in _NOT_NODES and isinstance(seen, Mapping) and START in seen:
            return str(node)
    for write in writes:
        name = node_of_task_path(write.task_path)
        if name:
            return name
    return START


def step_writers(tasks: Sequence[TaskRef], writes: Iterable[WriteRecord]) -> tuple[str, ...]:
    """The tasks of a step that finished (an output write), in step order: the nodes
    that wrote the checkpoint the step ended at."""
    by_task = writes_by_task(list(writes), tasks)
    return tuple(
        task.name
        for task in tasks
        if any(w.channel not in CONTROL_WRITES for w in by_task.get(task.key, []))
    )


def update_credit(
    checkpoint: Mapping[str, Any],
    checkpoint_ns: str,
    step: int,
    writes: Iterable[WriteRecord],
) -> str | None:
    """The node an ``update_state`` made on ``checkpoint`` was credited to, as its saved
    writes tell, or ``None`` when they do not.

    LangGraph does not store ``as_node``. When the node was one of the checkpoint's next
    tasks, the update reused that task's id for its writes (path ``~__interrupt__, i``),
    and LangGraph's task id is a hash of the checkpoint id, namespace, step, node name
    and the node's trigger channels: recomputing it for each triggered node names the
    node with certainty. Otherwise the id is a counter and nothing can be told. ``step``
    is the checkpoint's own metadata step.
    """
    writes = list(writes)
    update_ids = {w.task_id for w in writes if w.task_path.startswith(UPDATE_PREFIX)}
    checkpoint_id = checkpoint.get("id")
    if not update_ids or not isinstance(checkpoint_id, str):
        return None
    try:
        id_bytes = bytes.fromhex(checkpoint_id.replace("-", ""))
    except ValueError:
        return None
    versions = checkpoint.get("channel_versions")
    channels = [str(c) for c in versions] if isinstance(versions, Mapping) else []
    seen = checkpoint.get("versions_seen")
    start = start_node(seen if isinstance(seen, Mapping) else {}, writes)
    for task in step_tasks(checkpoint, writes):
        if task.is_send:
            continue
        ns = f"{checkpoint_ns}|{task.name}" if checkpoint_ns else task.name
        for triggers in _trigger_sets(task.name, start, channels):
            parts = (ns, str(step + 1), task.name, "__pregel_pull", *triggers)
            digest = xxh3_128_hexdigest(id_bytes + "".join(parts).encode())
            task_id = "-".join(
                (digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32])
            )
            if task_id in update_ids:
                return task.name
    return None


def _trigger_sets(node: str, start: str, channels: Sequence[str]) -> list[list[str]]:
    """The trigger channels a node may have (LangGraph hashes them into its task id):
    ``__start__`` for the input node; else ``branch:to:node`` plus its waiting-edge
    barriers, with or without those (a barrier no writer has touched is not stored)."""
    if node == start:
        return [[START]]
    branch = f"branch:to:{node}"
    joins = [c for c in channels if c.startswith("join:") and c.rpartition(":")[2] == node]
    return [sorted({branch, *joins}), [branch]] if joins else [[branch]]


def _trigger_target(channel: str, value: Any, start: str) -> str | None:
    """The node an available trigger channel starts, or ``None`` (not a trigger, or a
    barrier still waiting for some of its nodes)."""
    if channel == START:
        return start
    if channel.startswith("branch:to:"):
        if _after_finish(value) is False:
            return None
        return channel.removeprefix("branch:to:") or None
    if channel.startswith("join:"):
        starts, _, node = channel.removeprefix("join:").rpartition(":")
        seen = value
        finished = _after_finish(value)
        if finished is not None:
            if not finished:
                return None
            seen = value[0]
        if not isinstance(seen, list) or set(map(str, seen)) != set(starts.split("+")):
            return None
        return node or None
    return None


def _after_finish(value: Any) -> bool | None:
    """The ``finished`` flag of a deferred node's channel (stored as ``[value, finished]``)."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], bool):
        return value[1]
    return None


def _newer(version: Any, seen: Any) -> bool:
    try:
        return version is not None and version > seen
    except TypeError:
        return str(version) > str(seen)


def _error_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("repr"), str):
        return value["repr"]
    return str(value)


def _interrupt_items(value: Any) -> list[tuple[str, Any]]:
    """(id, value) of each ``Interrupt`` in an ``__interrupt__`` write."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, Mapping) and item.get(TYPE_KEY) == "Interrupt":
            out.append((str(item.get("id", "")), item.get("value")))
    return out
