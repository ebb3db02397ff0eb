"""Time how fast ``rewind run`` stops under the write-path faults of issue 8.

1. Ctrl-C while a synchronous node is blocked (``time.sleep(60)`` in a worker thread):
   seconds from SIGINT to the process's exit (target < 1 s; before the fix it waited
   for the node to return), printed as a ratio to the node's remaining sleep.
2. A graph that never ends, with ``--recursion-limit 25``: seconds and steps until it
   stops (LangGraph's default limit is 25; without a limit the issue measured 10,007
   steps in 51 s when a graph raised its own limit).

Real processes on a real SQLite file. Run from the repository root:
``python -m benchmarks.bench_run_faults``
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRAPHS = ROOT / "tests" / "data" / "fault_graphs.py"
NODE_SLEEP = 60.0
RUNS = 3


def _rewind(_folder: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "desktop", *args]


def ctrl_c_latency(folder: Path, index: int) -> float:
    trace = folder / f"trace-{index}.txt"
    env = {
        **os.environ,
        "REWIND_DATA_DIR": str(folder / "data"),
        "REWIND_TEST_SLEEP": str(NODE_SLEEP),
        "REWIND_TEST_TRACE": str(trace),
    }
    db = folder / f"stop-{index}.sqlite"
    args = ["run", str(db), "--graph", f"{GRAPHS}:sleepy", "--thread", "t"]
    proc = subprocess.Popen(
        [*_rewind(folder), *args, "--input-json", '{"log": []}'],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not trace.exists() or "slow-start" not in trace.read_text():
        if proc.poll() is not None:
            raise SystemExit(f"run ended early: {proc.communicate()[1]}")
        time.sleep(0.02)
    time.sleep(0.2)
    asked = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=NODE_SLEEP * 2)
    took = time.perf_counter() - asked
    print(f"  run {index + 1}: exit {proc.returncode} after {took:.3f} s: {err.strip()}")
    return took


def endless(folder: Path) -> tuple[float, int]:
    env = {**os.environ, "REWIND_DATA_DIR": str(folder / "data")}
    db = folder / "endless.sqlite"
    started = time.perf_counter()
    result = subprocess.run(
        [
            *_rewind(folder),
            "run",
            str(db),
            "--graph",
            f"{GRAPHS}:endless",
            "--thread",
            "t",
            "--input-json",
            '{"log": []}',
            "--stream-mode",
            "updates",
            "--recursion-limit",
            "25",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return time.perf_counter() - started, len(result.stdout.splitlines())


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="rewind-bench-faults-") as name:
        folder = Path(name)
        print(f"Ctrl-C with a synchronous node blocked for {NODE_SLEEP:.0f} s:")
        worst = max(ctrl_c_latency(folder, i) for i in range(RUNS))
        print(
            f"worst exit after Ctrl-C: {worst:.3f} s (target < 1 s; "
            f"ratio to waiting for the node: {worst / NODE_SLEEP:.4f})"
        )
        seconds, steps = endless(folder)
        print(f"endless graph, --recursion-limit 25: {steps} steps, stopped in {seconds:.2f} s")


if __name__ == "__main__":
    main()
