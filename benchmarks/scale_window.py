"""Helper of ``bench_scale``: open the window on a database in this fresh process and
print, as one JSON line, the time from Qt being up to the first screen of threads and
the resident memory at that moment. ``python -m benchmarks.scale_window DB``.

The window is started as ``rewind DB`` starts it (:func:`desktop.ui.app.start_window`:
the database is read while the window is built), without saved settings."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import qasync
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


async def first_screen(path: str, qt_up: float) -> dict[str, float]:
    options = build_gui_parser().parse_args([path])
    controller, window = start_window(options, None, error_dialogs=False)
    window.resize(1280, 800)
    window.show()
    shown = asyncio.Event()
    model = controller.threads_model
    model.rowsInserted.connect(lambda *_: shown.set())
    model.modelReset.connect(lambda: model.rowCount() and shown.set())
    await shown.wait()
    await asyncio.sleep(0)
    elapsed = time.perf_counter() - qt_up
    result = {"first_screen_ms": elapsed * 1000, "rss_mb": resident_mb(), "rows": model.rowCount()}
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
    qt_up = time.perf_counter()
    result = qasync.run(first_screen(sys.argv[1], qt_up))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
