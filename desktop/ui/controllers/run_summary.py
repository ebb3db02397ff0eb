"""One line per run: how long it took, how many steps it saved, how many tokens the chat
model reported (``usage_metadata``), from the parts the run streams.

:class:`RunTally` is fed every :class:`~desktop.core.runner.StreamEvent` of one run;
:meth:`RunTally.summary` reads ``12.3 s · 4 steps · 1,234 tokens`` (tokens only when a
model reported them). Qt-free.
"""

from __future__ import annotations

import time
from typing import Any

from desktop.core.runner import StreamEvent


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
            self._add_usage(event.data)

    def _add_usage(self, data: Any) -> None:
        message = data.get("message") if isinstance(data, dict) else None
        usage = message.get("usage_metadata") if isinstance(message, dict) else None
        if not isinstance(usage, dict):
            return
        total = usage.get("total_tokens")
        if not isinstance(total, int):
            total = sum(v for k, v in usage.items() if k.endswith("_tokens") and isinstance(v, int))
        key = f"{message.get('id')}:{total}"
        if key not in self._counted:
            self._counted.add(key)
            self.tokens += total

    def summary(self) -> str:
        """``12.3 s · 4 steps · 1,234 tokens``."""
        seconds = time.monotonic() - self.started
        parts = [f"{seconds:.1f} s", f"{self.steps} step{'s' * (self.steps != 1)}"]
        if self.tokens:
            parts.append(f"{self.tokens:,} tokens")
        return " · ".join(parts)
