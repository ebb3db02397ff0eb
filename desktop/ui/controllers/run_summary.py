"""What a run cost, from the parts it streams: one line per run (time, steps, tokens) and,
per task, how long it ran and the tokens its chat model reported.

:class:`RunTally` is fed every :class:`~desktop.core.run_stream.StreamEvent` of one run;
:meth:`RunTally.summary` reads ``12.3 s · 4 steps · 1,234 tokens`` (tokens only when a
model reported them). :class:`TaskClock` times each task from its ``tasks`` start part
to its result part, as they arrive, and adds up the ``usage_metadata`` of the messages
streamed inside it (a subgraph task also counts its inner tasks' tokens). Qt-free.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop.core.run_stream import StreamEvent


def reported_usage(data: Any) -> tuple[str, int] | None:
    """``(key, tokens)`` of a ``messages`` part whose chat model reported usage, else None.

    The key (message id and total) tells a report seen again (the same message streamed
    once more at the node's end) from a new one (another chunk's part of the usage).
    """
    message = data.get("message") if isinstance(data, dict) else None
    usage = message.get("usage_metadata") if isinstance(message, dict) else None
    if not isinstance(usage, dict):
        return None
    total = usage.get("total_tokens")
    if not isinstance(total, int):
        total = sum(v for k, v in usage.items() if k.endswith("_tokens") and isinstance(v, int))
    return f"{message.get('id')}:{total}", total


class RunTally:
    """Counts one run's time, root-graph checkpoints and reported tokens."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.steps = 0
        self.tokens = 0
        self._counted: set[str] = set()

    def add(self, event: StreamEvent) -> None:
        """Take one streamed part."""
        if event.type == "checkpoints" and not event.ns:
            self.steps += 1
        elif event.type == "messages":
            usage = reported_usage(event.data)
            if usage is not None and usage[0] not in self._counted:
                self._counted.add(usage[0])
                self.tokens += usage[1]

    def summary(self) -> str:
        """``12.3 s · 4 steps · 1,234 tokens``."""
        seconds = time.monotonic() - self.started
        parts = [f"{seconds:.1f} s", f"{self.steps} step{'s' * (self.steps != 1)}"]
        if self.tokens:
            parts.append(f"{self.tokens:,} tokens")
        return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class TaskCost:
    """How long a task ran (None when its start was not seen) and the tokens reported in it."""

    seconds: float | None
    tokens: int = 0

    def describe(self) -> str:
        """``412 ms · 57 tokens``, ``1.24 s``, ``2 min 5 s``."""
        parts = [] if self.seconds is None else [format_duration(self.seconds)]
        if self.tokens:
            parts.append(f"{self.tokens:,} token{'s' * (self.tokens != 1)}")
        return " · ".join(parts)


def format_duration(seconds: float) -> str:
    """A task's time as people read it: ``8 ms``, ``1.24 s``, ``12.3 s``, ``2 min 5 s``."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))} ms"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


class TaskClock:
    """Times the tasks of one run as their ``tasks`` parts arrive; counts their tokens."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}
        self._tokens: dict[str, int] = {}
        self._counted: set[tuple[str, str]] = set()

    def add(self, event: StreamEvent) -> TaskCost | None:
        """Take one part; for a task's result (finished, failed, interrupted) its cost."""
        data = event.data
        if event.type == "messages":
            self._add_tokens(data)
        elif event.type == "tasks" and isinstance(data, dict) and "id" in data:
            task_id = str(data["id"])
            if "input" in data:
                self._started[task_id] = time.monotonic()
                return None
            started = self._started.pop(task_id, None)
            seconds = None if started is None else time.monotonic() - started
            return TaskCost(seconds, self._tokens.pop(task_id, 0))
        return None

    def _add_tokens(self, data: Any) -> None:
        usage = reported_usage(data)
        metadata = data.get("metadata") if isinstance(data, dict) else None
        path = metadata.get("langgraph_checkpoint_ns") if isinstance(metadata, dict) else None
        if usage is None or not isinstance(path, str):
            return
        key, tokens = usage
        for part in path.split("|"):
            task_id = part.rpartition(":")[2]
            if task_id and (task_id, key) not in self._counted:
                self._counted.add((task_id, key))
                self._tokens[task_id] = self._tokens.get(task_id, 0) + tokens
