"""Read-path benchmark: Rewind's metadata-only reads against langgraph's own APIs.

Builds (once, cached in a temp folder) a thread of ~1,200 checkpoints whose states
total ~125 MB and a database of 10,000 threads, then prints wall-clock times and the
ratio against ``SqliteSaver.list`` for:

- the timeline of the big thread (``history()`` + ``build_timeline()``);
- one checkpoint's state decoded for display (``load_state``);
- the first page of the thread list of the 10,000-thread database.

Run from the repository root: ``python -m benchmarks.bench_read [--keep DIR]``.
Prints ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

from desktop.core.history import build_timeline
from desktop.core.sources import open_source
from tests.builders import build_big_thread_db, build_many_threads_db


def timed(func: Callable[[], object], repeat: int = 3) -> float:
    """Best of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def _langgraph_list(path: Path, thread_id: str) -> int:
    conn = sqlite3.connect(path, check_same_thread=False)
    try:
        saver = SqliteSaver(conn)
        return sum(1 for _ in saver.list({"configurable": {"thread_id": thread_id}}))
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="folder to keep the built databases in")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="rewind-bench-"))
    folder.mkdir(parents=True, exist_ok=True)

    big = folder / "big-thread.sqlite"
    many = folder / "many-threads.sqlite"
    if not big.exists():
        print("building the 1,200-checkpoint thread ...", flush=True)
        build_big_thread_db(big)
    if not many.exists():
        print("building the 10,000-thread database ...", flush=True)
        build_many_threads_db(many)

    source = open_source(str(big))
    thread_id = source.list_threads()[0].thread_id
    history = source.history(thread_id)
    size_mb = big.stat().st_size / 1e6
    print(f"\nthread {thread_id}: {len(history)} checkpoints, database {size_mb:.0f} MB")

    rewind_timeline = timed(lambda: build_timeline(thread_id, source.history(thread_id)))
    langgraph_list = timed(lambda: _langgraph_list(big, thread_id), repeat=1)
    head = source.history(thread_id)[0]
    rewind_state = timed(lambda: source.load_state(head))
    source.close()

    many_source = open_source(str(many))
    rewind_threads = timed(lambda: many_source.list_threads(limit=200))
    thread_count = many_source.count_threads()
    many_source.close()

    rows = [
        ("timeline of the big thread (Rewind)", rewind_timeline),
        ("SqliteSaver.list over the same thread", langgraph_list),
        ("one checkpoint state decoded (Rewind)", rewind_state),
        (f"first page of {thread_count} threads (Rewind)", rewind_threads),
    ]
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds * 1000:9.1f} ms")
    print(f"\nratio SqliteSaver.list / Rewind timeline: {langgraph_list / rewind_timeline:,.0f}x")


if __name__ == "__main__":
    main()
