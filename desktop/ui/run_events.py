"""One run's stream read part by part, as the run controller's signals.

:class:`RunEvents` keeps what a run's parts have said so far: the nodes running now
(``tasks`` parts; a subgraph's node, not its running parent too), the interrupts
waiting (``__interrupt__`` updates) and whether the run paused at a static breakpoint,
and emits :class:`~desktop.ui.run_controller.RunController`'s ``node_changed``,
``checkpoint_saved`` and ``event_received`` for each part, in that order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from desktop.ui.widgets.event_log import PATH_SEPARATOR, node_path

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from desktop.core.run_stream import StreamEvent


def innermost(paths: Iterable[str]) -> list[str]:
    """The running node paths without their running parents (a subgraph's node, not both)."""
    unique = list(dict.fromkeys(paths))
    return [p for p in unique if not any(o.startswith(p + PATH_SEPARATOR) for o in unique)]


class RunEvents:
    """The parts of one run on ``thread_id`` so far; :meth:`read` emits what each stands for.

    ``node_changed(str)`` names the node(s) running now, ``checkpoint_saved(thread_id,
    checkpoint_ns, checkpoint_id)`` each checkpoint LangGraph saved, and
    ``event_received(StreamEvent)`` every part.
    """

    def __init__(
        self,
        thread_id: str,
        node_changed: SignalInstance,
        checkpoint_saved: SignalInstance,
        event_received: SignalInstance,
    ) -> None:
        self.thread_id = thread_id
        self.interrupts: dict[str, Any] = {}
        """The interrupts waiting, by id: their values, in the order they came."""
        self.paused = False
        """True once the run paused at a breakpoint (an empty root ``__interrupt__``)."""
        self._running: dict[str, str] = {}
        self._node_changed = node_changed
        self._checkpoint_saved = checkpoint_saved
        self._event_received = event_received

    def read(self, event: StreamEvent) -> None:
        """Emit the signals ``event`` stands for, and note its interrupts or pause."""
        data = event.data
        if event.type == "tasks" and isinstance(data, dict) and "id" in data:
            task_id = str(data["id"])
            if "input" in data:
                self._running[task_id] = node_path(event.ns, str(data.get("name", "?")))
            else:
                self._running.pop(task_id, None)
            self._node_changed.emit(", ".join(innermost(self._running.values())))
        elif event.type == "updates" and isinstance(data, dict) and "__interrupt__" in data:
            self.paused = (not data["__interrupt__"] and not event.ns) or self.paused
            for item in data["__interrupt__"] or ():
                if isinstance(item, dict):
                    interrupts = self.interrupts
                    interrupts.setdefault(str(item.get("id", len(interrupts))), item.get("value"))
        elif event.type == "checkpoints" and isinstance(data, dict):
            configurable = (data.get("config") or {}).get("configurable") or {}
            checkpoint_id = configurable.get("checkpoint_id")
            if checkpoint_id:
                ns = str(configurable.get("checkpoint_ns", ""))
                self._checkpoint_saved.emit(self.thread_id, ns, str(checkpoint_id))
        self._event_received.emit(event)

    def stop(self) -> None:
        """The run ended: no node runs any more (``node_changed("")``)."""
        self._running.clear()
        self._node_changed.emit("")
