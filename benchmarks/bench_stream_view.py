"""Stream 10,000 tokens through the stream view and report the longest event-loop stall.

A coroutine on the qasync loop feeds the :class:`~desktop.ui.widgets.stream_view.StreamView`
of the real main window as fast as it can, the way a run does: ``messages`` parts from
the root graph and from a subgraph (a new message block every 400 tokens), and a
``tasks``/``updates``/``checkpoints`` part every 50 tokens for the event log. A 5 ms
heartbeat ``QTimer`` records the gaps between its ticks; the longest gap is how long
the window could not react to the user. Two feeds are measured: one token per loop
turn, and bursts of 250 tokens per loop turn (a provider delivering many chunks at
once). The target is a stall under 50 ms.

Run from the repository root: ``python -m benchmarks.bench_stream_view``
(offscreen unless ``QT_QPA_PLATFORM`` says otherwise).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from desktop.core.run_stream import StreamEvent
from desktop.ui.app import apply_theme
from desktop.ui.controller import Controller
from desktop.ui.main_window import MainWindow

TOKENS = 10_000
HEARTBEAT_MS = 5
TARGET_MS = 50.0
BLOCK_TOKENS = 400
EVENT_EVERY = 50
WORDS = ("the ", "agent ", "streams ", "token ", "after ", "token, ", "quickly ", "and ")


def token_event(index: int) -> StreamEvent:
    """A ``messages`` part as the runner yields it."""
    block = index // BLOCK_TOKENS
    in_subgraph = block % 3 == 2
    text = WORDS[index % len(WORDS)] + ("\n" if index % 97 == 96 else "")
    node = "write_note" if in_subgraph else "agent"
    message_id = f"msg-{block}"
    return StreamEvent(
        type="messages",
        ns=("researcher:5d1c",) if in_subgraph else (),
        data={
            "message": {"type": "AIMessageChunk", "id": message_id, "content": text},
            "metadata": {"langgraph_node": node, "langgraph_step": block},
        },
        token=text,
        node=node,
        message_id=message_id,
    )


def log_event(index: int) -> StreamEvent:
    """One of the parts the event log shows."""
    kind = (index // EVENT_EVERY) % 3
    if kind == 0:
        return StreamEvent("tasks", (), {"id": f"task-{index}", "name": "agent", "input": {}})
    if kind == 1:
        return StreamEvent(
            "updates", (), {"agent": {"messages": [{"type": "ai", "content": "ok"}]}}
        )
    return StreamEvent(
        "checkpoints",
        (),
        {
            "config": {"configurable": {"checkpoint_id": f"1f0-{index:08d}", "checkpoint_ns": ""}},
            "metadata": {"step": index, "source": "loop"},
            "next": ["tools"],
        },
    )


class Heartbeat:
    """A precise timer that remembers the gaps between its ticks."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now


async def stream(window: MainWindow, burst: int) -> tuple[float, float, float]:
    """Feed every token (``burst`` per loop turn); return (max stall, p99 gap, seconds)."""
    view = window.stream_view
    view.clear()
    view.begin_run(f"benchmark · {burst} token(s) per loop turn")
    heartbeat = Heartbeat()
    heartbeat.start()
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    for index in range(TOKENS):
        view.add_event(token_event(index))
        if index % EVENT_EVERY == 0:
            view.add_event(log_event(index))
        if index % burst == burst - 1:
            await asyncio.sleep(0)
    view.end_run("benchmark finished")
    elapsed = time.perf_counter() - started
    await asyncio.sleep(0.1)
    heartbeat.stop()
    if view.token_count != TOKENS:
        raise SystemExit(f"only {view.token_count} of {TOKENS} tokens reached the view")
    gaps = heartbeat.gaps
    p99 = statistics.quantiles(gaps, n=100)[98] if len(gaps) > 1 else gaps[0]
    return max(gaps), p99, elapsed


async def main() -> int:
    controller = Controller()
    window = MainWindow(controller, None)
    window.show()
    await asyncio.sleep(0.2)
    print(f"{TOKENS:,} tokens through the stream view; heartbeat every {HEARTBEAT_MS} ms")
    worst = 0.0
    for burst in (1, 250):
        stall, p99, seconds = await stream(window, burst)
        worst = max(worst, stall)
        print(
            f"  {burst:>3} token(s) per loop turn: longest stall {stall:6.1f} ms "
            f"(p99 gap {p99:5.1f} ms) · {TOKENS / seconds:,.0f} tokens/s · "
            f"{stall / TARGET_MS:.2f}x the {TARGET_MS:.0f} ms target"
        )
    print(f"longest stall {worst:.1f} ms: {'within' if worst < TARGET_MS else 'OVER'} target")
    window.close()
    await controller.shutdown()
    return 0


if __name__ == "__main__":
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    sys.exit(qasync.run(main()))
