"""Fault benchmark: what faulty or hostile files cost Rewind, against langgraph's own APIs.

Each case builds its fault for real, then runs Rewind and the matching langgraph call in
child processes and prints wall-clock time and each child's own peak memory (``wait4``):

- **generated columns**: a ~20 KB SQLite file whose ``writes.value`` column is a
  generated column computing 300 MB per row. ``rewind export`` of a thread against
  ``SqliteSaver.get_tuple`` + ``list`` of the same thread (langgraph fetches every value).
- **hot journal**: a rollback-journal database whose writer was SIGKILLed
  mid-transaction. ``rewind threads`` (reads a private snapshot) against langgraph's
  ``get_state_history`` of one thread on a rolled-back copy.
- **damaged checkpoint**: one message of a checkpoint replaced by an unknown extension
  record. Rewind's ``load_state`` of the damaged checkpoint against the same call on the
  healthy one (the price of per-value isolation), in process.

Run from the repository root: ``python -m benchmarks.bench_faults``. Prints numbers and
ratios; asserts nothing. The langgraph side of the generated-column case is capped at
6 GB of address space and reported as failed when it hits the cap.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from desktop.core.sources import open_source
from tests.builders import open_saver, tool_agent_graph
from tests.faults import (
    ROOT,
    build_damaged_message_db,
    build_generated_column_db,
    kill_writer_mid_write,
    run_measured,
)

_LANGGRAPH_LIST = """
import sqlite3, sys
from langgraph.checkpoint.sqlite import SqliteSaver
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
saver = SqliteSaver(conn)
saver.is_setup = True
config = {"configurable": {"thread_id": sys.argv[2]}}
print(sum(len(t.pending_writes or []) for t in saver.list(config)))
"""

_LANGGRAPH_HISTORY = """
import shutil, sqlite3, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from langgraph.checkpoint.sqlite import SqliteSaver
from tests.builders import notes_graph
db = Path(sys.argv[1])
copy = Path(tempfile.mkdtemp()) / db.name
for suffix in ("", "-journal"):
    if Path(str(db) + suffix).exists():
        shutil.copyfile(str(db) + suffix, str(copy) + suffix)
conn = sqlite3.connect(copy, check_same_thread=False)
graph = notes_graph(SqliteSaver(conn))
print(len(list(graph.get_state_history({"configurable": {"thread_id": sys.argv[2]}}))))
conn.close()
shutil.rmtree(copy.parent)
"""


def _timed_child(args: list[str]) -> tuple[float, float, int, str]:
    start = time.perf_counter()
    result = run_measured(args, cwd=ROOT, memory_cap_gb=6)
    seconds = time.perf_counter() - start
    return seconds, result.max_rss_mb, result.returncode, result.stderr.strip()[-120:]


def _row(name: str, seconds: float, peak_mb: float, code: int, err: str) -> None:
    status = "ok" if code == 0 else f"FAILED (exit {code}: {err})"
    print(f"  {name:<34} {seconds:7.2f} s  peak {peak_mb:8.0f} MB  {status}")


def generated_columns(folder: Path) -> None:
    db = build_generated_column_db(folder / "crafted.sqlite")
    print(f"\ngenerated columns: {db.stat().st_size / 1024:.0f} KB file, 300 MB per value")
    rewind = _timed_child(
        [sys.executable, "-m", "desktop", "export", str(db), "--thread", "crafted-0"]
    )
    langgraph = _timed_child([sys.executable, "-c", _LANGGRAPH_LIST, str(db), "crafted-0"])
    _row("rewind export", *rewind)
    _row("langgraph SqliteSaver.list", *langgraph)
    print(
        f"  ratio langgraph / Rewind: time {langgraph[0] / rewind[0]:.1f}x, "
        f"peak memory {langgraph[1] / rewind[1]:.1f}x"
    )


def hot_journal(folder: Path) -> None:
    db = folder / "hot" / "agent.sqlite"
    db.parent.mkdir()
    kill_writer_mid_write("journal", db)
    journal = db.with_name(db.name + "-journal").stat().st_size
    size = db.stat().st_size
    print(f"\nhot journal: database {size / 1024:.0f} KB, journal {journal / 1024:.0f} KB")
    rewind = _timed_child(
        [sys.executable, "-m", "desktop", "history", str(db), "--thread", "kept-0"]
    )
    langgraph = _timed_child(
        [sys.executable, "-c", _LANGGRAPH_HISTORY, str(db), "kept-0", str(ROOT)]
    )
    _row("rewind history (private snapshot)", *rewind)
    _row("langgraph get_state_history (copy)", *langgraph)
    print(f"  ratio langgraph / Rewind: time {langgraph[0] / rewind[0]:.1f}x")


def damaged_checkpoint(folder: Path) -> None:
    damaged = build_damaged_message_db(folder / "damaged.sqlite")
    healthy = folder / "healthy.sqlite"
    with open_saver(healthy) as saver:
        graph = tool_agent_graph(saver)
        from langchain_core.messages import HumanMessage

        graph.invoke(
            {"messages": [HumanMessage("What is the weather in Paris?")]},
            {"configurable": {"thread_id": damaged.thread_id}},
        )
    times = {}
    for name, path in (("healthy", healthy), ("damaged", damaged.path)):
        with open_source(path) as source:
            head = source.history(damaged.thread_id)[0]
            best = float("inf")
            for _ in range(200):
                start = time.perf_counter()
                source.load_state(head)
                best = min(best, time.perf_counter() - start)
        times[name] = best
    print("\ndamaged checkpoint (one message an unknown extension record), best of 200:")
    print(
        f"  load_state healthy {times['healthy'] * 1e3:.2f} ms, "
        f"damaged {times['damaged'] * 1e3:.2f} ms, "
        f"ratio damaged / healthy {times['damaged'] / times['healthy']:.1f}x"
    )


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="rewind-bench-faults-"))
    try:
        generated_columns(folder)
        hot_journal(folder)
        damaged_checkpoint(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
