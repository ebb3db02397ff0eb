"""Delta-channel benchmark: selecting a checkpoint of a 1,000-step deepagents thread.

Builds one thread of a real deepagents agent (scripted model, offline) with at least
1,000 checkpoints, whose ``messages`` and ``files`` live in ``DeltaChannel``s, then
times what selecting a checkpoint in the window costs: its state and its parent's
(delta channels rebuilt from snapshots and writes) and the diff of the two. Two cases:

- *cold*: a fresh source with nothing cached, for checkpoints spread over the thread
  (the farthest from a snapshot included);
- *stepping*: moving to the next checkpoint after the previous one was shown.

Before timing, the modules imported so far are frozen out of full garbage collections,
as the window does after start-up and after attaching a graph (``core/heap.py``);
without that a full collection (80-170 ms here) lands in some selection.

The same questions asked of LangGraph: ``get_state`` of one checkpoint (the state alone)
and ``get_state_history`` over the thread. Prints the times and the ratios; the target
is a selection under 100 ms. Asserts nothing.

Run from the repository root: ``python -m benchmarks.bench_delta [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from desktop.core.diff import diff_states
from desktop.core.heap import freeze_long_lived
from desktop.core.model import CheckpointMeta, user_channels
from desktop.core.sources.sqlite import SqliteCheckpointSource
from tests.builders import read_saver, thread_config
from tests.delta_builders import build_long_deep_thread, deep_agent_graph

_TARGET_MS = 100.0
_SAMPLES = 25


def _seconds(func: Callable[[], object], cpu: list[float] | None = None) -> float:
    """Wall-clock seconds of one call; its CPU seconds are appended to ``cpu``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    func()
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    return time.perf_counter() - start


def _select(source: SqliteCheckpointSource, meta: CheckpointMeta, parent: CheckpointMeta) -> int:
    """What the window does on a selection: both states, then the diff."""
    new = source.load_state(meta)
    old = source.load_state(parent)
    return len(diff_states(user_channels(old.values), user_channels(new.values)).entries)


def run(folder: Path) -> None:
    """Build (or reuse) the thread in ``folder``, then time and print."""
    path = folder / "deep-long.sqlite"
    if not path.exists():
        print("building a 1,000-checkpoint deepagents thread ...", flush=True)
        build_long_deep_thread(path)
    with SqliteCheckpointSource(path) as source:
        thread_id = source.list_threads()[0].thread_id
        history = [m for m in source.history(thread_id) if m.checkpoint_ns == ""]
        head = source.load_state(history[0])
    by_id = {m.checkpoint_id: m for m in history}
    pairs = [(m, by_id[m.parent_checkpoint_id]) for m in history if m.parent_checkpoint_id]
    print(
        f"\nthread {thread_id}: {len(history)} checkpoints, {len(head.values['messages'])} "
        f"messages and {len(head.values['files'])} files at the head, "
        f"database {path.stat().st_size / 1e6:.0f} MB"
    )

    # As the window does after start-up and after attaching a graph (core/heap.py): the
    # imported modules stay out of full collections, which otherwise land in a selection.
    freeze_long_lived(collect=True)
    step = max(1, len(pairs) // _SAMPLES)
    with SqliteCheckpointSource(path) as source:  # warm-up: imports, SQLite page cache
        _select(source, *pairs[len(pairs) // 2])
    cold: list[float] = []
    cold_cpu: list[float] = []
    for meta, parent in pairs[::step]:
        with SqliteCheckpointSource(path) as source:
            cold.append(_seconds(lambda m=meta, p=parent: _select(source, m, p), cold_cpu))
    stepping: list[float] = []
    stepping_cpu: list[float] = []
    with SqliteCheckpointSource(path) as source:
        for meta, parent in reversed(pairs[-200:]):
            select = lambda m=meta, p=parent: _select(source, m, p)  # noqa: E731
            stepping.append(_seconds(select, stepping_cpu))

    config = thread_config(thread_id)
    with read_saver(path) as saver:
        graph = deep_agent_graph(saver)
        one = []
        for meta, _ in pairs[::step]:
            cfg = {"configurable": {**config["configurable"], "checkpoint_id": meta.checkpoint_id}}
            one.append(_seconds(lambda c=cfg: graph.get_state(c)))
        full = _seconds(lambda: sum(1 for _ in graph.get_state_history(config)))

    rows = [
        ("Rewind: select a checkpoint, cold (median)", cold, cold_cpu, statistics.median),
        ("Rewind: select a checkpoint, cold (worst)", cold, cold_cpu, max),
        ("Rewind: step to the next checkpoint (median)", stepping, stepping_cpu, statistics.median),
        ("Rewind: step to the next checkpoint (worst)", stepping, stepping_cpu, max),
        ("LangGraph: get_state of one checkpoint (median)", one, [], statistics.median),
        ("LangGraph: get_state_history over the thread", [full], [], max),
    ]
    width = max(len(row[0]) for row in rows)
    print(f"{'':<{width}}  {'wall':>9}     {'cpu':>9}")
    for name, walls, cpus, pick in rows:
        cpu_text = f"{pick(cpus) * 1000:9.1f} ms" if cpus else ""
        print(f"{name:<{width}}  {pick(walls) * 1000:9.1f} ms  {cpu_text}")
    print(f"(load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for label, walls in (("wall", [*cold, *stepping]), ("cpu", [*cold_cpu, *stepping_cpu])):
        worst = max(walls) * 1000
        verdict = "within" if worst < _TARGET_MS else "OVER"
        print(f"worst selection ({label}) {worst:.1f} ms: {verdict} the {_TARGET_MS:.0f} ms target")
    ratio = full / statistics.median(cold)
    print(f"ratio get_state_history / Rewind cold selection: {ratio:,.0f}x")
    print(
        "ratio get_state (state only) / Rewind cold selection (state + parent + diff): "
        f"{statistics.median(one) / statistics.median(cold):,.1f}x"
    )


def main() -> None:
    """Parse ``--keep`` and run the benchmark in a kept or a temporary folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="folder to build the database in and keep")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="rewind-bench-") as folder:
            run(Path(folder))


if __name__ == "__main__":
    main()
