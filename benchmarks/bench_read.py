"""Read-path benchmark: Rewind's metadata-only reads against langgraph's own APIs.

Builds a thread of ~1,200 checkpoints of a tool-calling agent whose message states total
~125 MB and a database of 10,000 threads, then prints wall-clock times and the ratios of
langgraph's ``SqliteSaver.list`` and ``graph.get_state_history`` to Rewind for:

- the timeline of the big thread (``history()`` + ``build_timeline()``);
- one checkpoint's state decoded for display (``load_state``);
- the first page of the thread list of the 10,000-thread database.

Run from the repository root: ``python -m benchmarks.bench_read [--keep DIR]``. The
databases are built in a temporary folder that is removed afterwards, or in ``DIR``,
where they are kept and reused by the next run. Prints ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from desktop.core.history import build_timeline
from desktop.core.sources import open_source
from tests.builders import (
    build_big_thread_db,
    build_many_threads_db,
    read_saver,
    thread_config,
    tool_agent_graph,
)


def timed(func: Callable[[], object], repeat: int = 3) -> float:
    """Best of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def _langgraph_list(path: Path, thread_id: str) -> int:
    """Every checkpoint of the thread through ``SqliteSaver.list`` (decodes each one)."""
    with read_saver(path) as saver:
        return sum(1 for _ in saver.list(thread_config(thread_id)))


def _langgraph_state_history(path: Path, thread_id: str) -> int:
    """Every state snapshot through ``get_state_history`` of the agent graph that fits the
    thread (``MessagesState``), as a LangGraph user would page through the past."""
    with read_saver(path) as saver:
        graph = tool_agent_graph(saver)
        return sum(1 for _ in graph.get_state_history(thread_config(thread_id)))


def run(folder: Path) -> None:
    """Build (or reuse) the databases in ``folder``, then time and print."""
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
    head = source.history(thread_id)[0]
    rewind_state = timed(lambda: source.load_state(head))
    source.close()
    langgraph_list = timed(lambda: _langgraph_list(big, thread_id), repeat=1)
    langgraph_history = timed(lambda: _langgraph_state_history(big, thread_id), repeat=1)

    many_source = open_source(str(many))
    rewind_threads = timed(lambda: many_source.list_threads(limit=200))
    thread_count = many_source.count_threads()
    many_source.close()

    rows = [
        ("timeline of the big thread (Rewind)", rewind_timeline),
        ("SqliteSaver.list over the same thread", langgraph_list),
        ("graph.get_state_history over the same thread", langgraph_history),
        ("one checkpoint state decoded (Rewind)", rewind_state),
        (f"first page of {thread_count} threads (Rewind)", rewind_threads),
    ]
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds * 1000:9.1f} ms")
    print()
    for name, seconds in [
        ("SqliteSaver.list", langgraph_list),
        ("graph.get_state_history", langgraph_history),
    ]:
        print(f"ratio {name} / Rewind timeline: {seconds / rewind_timeline:,.0f}x")


def main() -> None:
    """Parse ``--keep`` and run the benchmark in a kept or a temporary folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="folder to build the databases in and keep")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="rewind-bench-") as folder:
            run(Path(folder))


if __name__ == "__main__":
    main()
