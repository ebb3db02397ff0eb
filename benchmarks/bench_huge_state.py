"""Open a checkpoint holding a 1,000,000-item list in the real window: the longest
event-loop stall and the process's peak memory.

A real graph (``tests/builders_huge.py``) writes the list with ``SqliteSaver``. The
benchmark opens the database in the main window, waits until the thread's head (the
huge checkpoint) is shown with its diff, clicks "show more" once, and reports:

- the longest gap of a 5 ms heartbeat ``QTimer`` while that happens (target < 100 ms),
- the peak resident memory of the process (target < 500 MB); the list is written and
  LangGraph's read is made in child processes, so this process holds what the app would,
- the time to the first render against ``graph.get_state`` on the same database
  (LangGraph's own read of the same checkpoint, without any rendering).

Run from the repository root: ``python -m benchmarks.bench_huge_state [ITEMS]``.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtWidgets import QApplication

from benchmarks.bench_stream_view import Heartbeat
from desktop.core.heap import freeze_long_lived
from desktop.ui.app import apply_theme
from desktop.ui.bounded import next_limit
from desktop.ui.controller import Controller
from desktop.ui.main_window import MainWindow
from tests.builders import open_saver, thread_config
from tests.builders_huge import build_huge_db, huge_graph

ITEMS = 1_000_000
STALL_TARGET_MS = 100.0
MEMORY_TARGET_MB = 500.0


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def langgraph_get_state_seconds(path: Path) -> float:
    """LangGraph's own read of the same checkpoint (``graph.get_state``)."""
    with open_saver(path) as saver:
        started = time.perf_counter()
        snapshot = huge_graph(saver).get_state(thread_config("huge"))
        elapsed = time.perf_counter() - started
    if len(snapshot.values["items"]) != ITEMS:
        raise SystemExit("LangGraph read a different list")
    return elapsed


async def open_and_measure(path: Path) -> tuple[float, float, float]:
    """(longest stall ms, seconds to the first render, seconds for "show more")."""
    controller = Controller()
    window = MainWindow(controller, None, error_dialogs=False)
    window.resize(1280, 800)
    # As the app does after start-up (core/heap.py): modules and the window stay out of
    # the collector's reach.
    freeze_long_lived(collect=True)
    window.show()
    await asyncio.sleep(0.2)
    heartbeat = Heartbeat()
    heartbeat.start()
    settled = asyncio.Event()
    controller.settled.connect(settled.set)
    started = time.perf_counter()
    controller.open_database(path, thread_id="huge")
    await settled.wait()
    first = time.perf_counter() - started
    rendered = window.state_view.rendered
    if rendered is None or not rendered.truncated:
        raise SystemExit("the huge checkpoint was not shown")
    settled.clear()
    started = time.perf_counter()
    window.state_view.show_more_requested.emit(next_limit(rendered.limit))
    await settled.wait()
    more = time.perf_counter() - started
    await asyncio.sleep(0.1)
    heartbeat.stop()
    window.close()
    await controller.shutdown()
    return max(heartbeat.gaps), first, more


def main() -> int:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else ITEMS
    folder = Path(tempfile.mkdtemp(prefix="rewind-bench-huge-"))
    try:
        path = folder / "huge.sqlite"
        print(f"writing a {items:,}-item list with SqliteSaver…")
        # Writing the list and LangGraph's own read run in child processes: the peak
        # memory measured here is then what the window needs, as in the app, and not
        # the benchmark's copies of the list.
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as child:
            child.submit(build_huge_db, path, items).result()
        lg = float("nan")
        if items == ITEMS:
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as child:
                lg = child.submit(langgraph_get_state_seconds, path).result()
        baseline = peak_mb()
        app = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(app, QApplication)
        app.setQuitOnLastWindowClosed(False)
        apply_theme(app)
        stall, first, more = qasync.run(open_and_measure(path))
        peak = peak_mb()
        print(f"open the {items:,}-item checkpoint in the window: {first:.2f} s to first render")
        print(f"  LangGraph graph.get_state of it: {lg:.2f} s · ratio {first / lg:.2f}x")
        print(f"  show more (x10 items): {more:.2f} s")
        print(
            f"  longest event-loop stall {stall:.1f} ms "
            f"({stall / STALL_TARGET_MS:.2f}x the {STALL_TARGET_MS:.0f} ms target)"
        )
        print(
            f"  peak memory {peak:.0f} MB (before the window: {baseline:.0f} MB) "
            f"({peak / MEMORY_TARGET_MB:.2f}x the {MEMORY_TARGET_MB:.0f} MB target)"
        )
        ok = stall < STALL_TARGET_MS and peak < MEMORY_TARGET_MB
        print("within targets" if ok else "OVER target")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
