"""Which task of a checkpoint's step made each saved write, from its task path.

LangGraph saves each write with the path of its task (``checkpoint_writes.task_path``):
``~__pregel_pull, node`` for a node triggered by its channels, ``~__pregel_push, 2, ...``
for the third pending ``Send``, ``~__pregel_push, ~__pregel_pull, main, ...`` for a
functional-API ``@task`` called by the entrypoint ``main``, and ``~__interrupt__, i`` for
the writes of an ``update_state``. :func:`writes_by_task` groups a checkpoint's writes
by the task of its step (:class:`TaskRef`) that made them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from desktop.core.delta import NULL_TASK_ID

if TYPE_CHECKING:
    from desktop.core.progress import WriteRecord

PULL_PREFIX: Final = "~__pregel_pull, "
PUSH_PREFIX: Final = "~__pregel_push, "
UPDATE_PREFIX: Final = "~__interrupt__, "
"""Task path of the writes ``update_state`` saves on the checkpoint it builds on."""
INTERRUPT: Final = "__interrupt__"

TaskKey = tuple[str, int | str]
"""``("push", index)`` for a ``Send`` task, ``("pull", name)`` for a triggered node."""


@dataclass(frozen=True, slots=True)
class TaskRef:
    """A task of a checkpoint's step: a pending ``Send`` (``index``) or a triggered node."""

    name: str
    index: int | None = None

    @property
    def is_send(self) -> bool:
        return self.index is not None

    @property
    def key(self) -> TaskKey:
        """The key :func:`writes_by_task` files this task's writes under."""
        return ("push", self.index) if self.index is not None else ("pull", self.name)


def pull_node(task_path: str) -> str | None:
    """The node of a pull task (``~__pregel_pull, node``), else ``None``."""
    if task_path.startswith(PULL_PREFIX):
        return task_path[len(PULL_PREFIX) :].split(",")[0].strip() or None
    return None


def send_index(task_path: str) -> int | None:
    """The index into the pending ``Send``s of a push task (``~__pregel_push, 2, ...``)."""
    if not task_path.startswith(PUSH_PREFIX):
        return None
    first = task_path[len(PUSH_PREFIX) :].split(",")[0].strip()
    return int(first) if first.isdigit() else None


def call_parent(task_path: str) -> str | None:
    """For a functional-API ``@task`` call (``~__pregel_push, ~__pregel_pull, main, ...``),
    the node that made the call; ``None`` for any other task."""
    if task_path.startswith(PUSH_PREFIX):
        return pull_node(task_path[len(PUSH_PREFIX) :])
    return None


def node_of_task_path(task_path: str) -> str | None:
    """The node a task ran, when its path names it (pull tasks: ``~__pregel_pull, node``;
    a functional-API ``@task`` call is named by the entrypoint that made it)."""
    return pull_node(task_path) or call_parent(task_path)


def writes_by_task(
    writes: Sequence[WriteRecord], tasks: Sequence[TaskRef]
) -> dict[TaskKey, list[WriteRecord]]:
    """Writes grouped by the step task that made them (:attr:`TaskRef.key`); a
    functional-API call's writes go with the entrypoint that called it only for
    interrupts (its own results do not finish the entrypoint)."""
    pulls = {t.name for t in tasks if t.index is None}
    grouped: dict[TaskKey, list[WriteRecord]] = {}
    for write in writes:
        if write.task_id == NULL_TASK_ID:
            continue
        node = pull_node(write.task_path)
        index = send_index(write.task_path)
        caller = call_parent(write.task_path)
        if node is not None and node in pulls:
            grouped.setdefault(("pull", node), []).append(write)
        elif index is not None:
            grouped.setdefault(("push", index), []).append(write)
        elif caller in pulls and write.channel == INTERRUPT:
            grouped.setdefault(("pull", caller), []).append(write)
    return grouped
