"""Fault benchmark: what faulty or hostile files cost Rewind, against langgraph's own APIs.

Each case builds its fault for real, then runs Rewind and the matching langgraph call in
child processes and prints wall-clock time and each child's own peak memory (``wait4``):

- **generated columns**: a ~30 KB SQLite file whose ``writes.value`` column is a
  generated column computing 300 MB per row. ``rewind export`` of a thread against
  ``SqliteSaver.get_tuple`` + ``list`` of the same thread (langgraph fetches every value).
- **hot journal**: a rollback-journal database whose writer was SIGKILLed
  mid-transaction. ``rewind threads`` (reads a private snapshot) against langgraph's
  ``get_state_history`` of one thread on a rolled-back copy.
- **damaged checkpoint**: a 2,000-message checkpoint blob with one invalid string inside
  one message. Rewind's ``decode_checkpoint`` of the damaged blob (the price of per-value
  isolation) against the healthy one and against langgraph's ``loads_typed`` of the
  healthy one (langgraph cannot read the damaged one at all), in process.

Run from the repository root: ``python -m benchmarks.bench_faults``. Prints numbers and
ratios; asserts nothing. The langgraph side of the generated-column case is capped at
6 GB of address space and reported as failed when it hits the cap.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from desktop.core.isolate import decode_checkpoint
from tests.faults import (
    ROOT,
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


def damaged_checkpoint() -> None:
    """A 2,000-message checkpoint with one invalid UTF-8 string inside one message: the
    whole-blob unpack fails, so the isolation path splits it down to that string."""
    from langchain_core.messages import AIMessage, HumanMessage
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    serde = JsonPlusSerializer()
    messages = [
        (HumanMessage if i % 2 else AIMessage)(f"message {i} " + "lorem ipsum " * 40, id=str(i))
        for i in range(2000)
    ]
    messages[1234] = HumanMessage("BROKEN-TEXT", id="1234")
    kind, healthy = serde.dumps_typed({"v": 4, "channel_values": {"messages": messages}})
    damaged = healthy.replace(b"BROKEN-TEXT", b"\xff\xfeBROKEN-T\xc3")
    assert decode_checkpoint(kind, damaged).error, "the damage must be detected"

    def best(func: Callable[[], object], repeat: int = 20) -> float:
        fastest = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            func()
            fastest = min(fastest, time.perf_counter() - start)
        return fastest

    langgraph = best(lambda: serde.loads_typed((kind, healthy)))
    rewind_healthy = best(lambda: decode_checkpoint(kind, healthy))
    rewind_damaged = best(lambda: decode_checkpoint(kind, damaged))
    size = len(healthy) / 1e6
    print(f"\ndamaged checkpoint: {size:.1f} MB blob, 2,000 messages, one invalid string")
    print(f"  langgraph loads_typed (healthy)    {langgraph * 1e3:7.1f} ms")
    print(f"  rewind decode_checkpoint (healthy) {rewind_healthy * 1e3:7.1f} ms")
    print(f"  rewind decode_checkpoint (damaged) {rewind_damaged * 1e3:7.1f} ms")
    print(
        f"  ratio damaged / healthy {rewind_damaged / rewind_healthy:.1f}x, "
        f"rewind damaged / langgraph healthy {rewind_damaged / langgraph:.1f}x "
        "(langgraph cannot read the damaged blob at all)"
    )


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="rewind-bench-faults-"))
    try:
        generated_columns(folder)
        hot_journal(folder)
        damaged_checkpoint()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
