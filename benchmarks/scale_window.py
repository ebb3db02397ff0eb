"""Helper of ``bench_scale``: open the window on a database in this fresh process and
print, as one JSON line, the time from Qt being up to the first screen of threads and
the resident memory at that moment. ``python -m benchmarks.scale_window DB``.

The window is started as ``rewind DB`` starts it (:func:`desktop.ui.app.start_window`:
the database is read while the window is built), without saved settings. The first
screen is the end of the first paint of the thread list holding rows (the moment the
user sees threads), not the moment the model has them. Also printed: the CPU time the
process used until then (``cpu_ms``, both threads: less sensitive to the machine's
load than the wall clock) and the load average (``load``)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import qasync
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from desktop.cli import build_gui_parser
from desktop.ui.app import apply_theme, start_window


def resident_mb() -> float:
    """Current resident set size (Linux ``/proc``), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class FirstRowsPainted(QObject):
    """Sets ``done`` once the list viewport has finished a paint with rows in its model."""

    def __init__(self, model: object, done: asyncio.Event) -> None:
        super().__init__()
        self._model = model
        self._done = done
        self._seen = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._seen and self._model.rowCount():
            self._seen = True
            QTimer.singleShot(0, self._done.set)  # runs once this paint is over
        return False


async def first_screen(path: str, qt_up: float, cpu_up: float) -> dict[str, float]:
    options = build_gui_parser().parse_args([path])
    controller, window = start_window(options, None, error_dialogs=False)
    window.resize(1280, 800)
    painted = asyncio.Event()
    watcher = FirstRowsPainted(controller.threads_model, painted)
    window.thread_pane.list_view.viewport().installEventFilter(watcher)
    window.show()
    await painted.wait()
    elapsed = time.perf_counter() - qt_up
    result = {
        "first_screen_ms": elapsed * 1000,
        "cpu_ms": (time.process_time() - cpu_up) * 1000,
        "rss_mb": resident_mb(),
        "rows": controller.threads_model.rowCount(),
        "load": os.getloadavg()[0],
    }
    settled = asyncio.Event()
    controller.settled.connect(settled.set)
    await asyncio.wait_for(settled.wait(), 120)
    result["settled_rss_mb"] = resident_mb()
    window.close()
    await controller.shutdown()
    return result


def main() -> None:
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    qt_up, cpu_up = time.perf_counter(), time.process_time()
    result = qasync.run(first_screen(sys.argv[1], qt_up, cpu_up))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
