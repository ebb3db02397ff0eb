"""Scale benchmark: 10,000 threads and about 1,000,000 checkpoints in one SQLite file.

The database is built from one real thread: a tool-calling agent (``tool_agent_graph``,
scripted model) talks for ``--turns`` turns through ``SqliteSaver``; its rows
(checkpoints and writes, every namespace) are then copied in SQL under 10,000 thread
ids. Prints, against plain SQL and langgraph's own API:

- ``rewind threads DB`` as a process, against a bare ``GROUP BY`` query process
  (target: within 3x): best of three runs each, the file in the page cache; and, with
  ``--cold`` (root on Linux: it empties the whole machine's page cache, which slows
  everything else running), both again from a cold cache;
- the window: time from Qt being up to the first screen of threads, and the resident
  memory then (targets: 200 ms, 300 MB), measured in a fresh process;
- the first page of threads in-process against ``SqliteSaver.list`` of one thread.

Run from the repository root: ``python -m benchmarks.bench_scale [--keep DIR]``. Without
``--keep`` the ~10 GB database is built in a temporary folder and removed afterwards.
Prints measurements and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from langchain_core.messages import HumanMessage

from tests.builders import open_saver, read_saver, thread_config, tool_agent_graph

ROOT = Path(__file__).resolve().parents[1]
SEED = "seed"

_QUESTIONS = (
    "What is the weather in Paris?",
    "Please add 2 and 40",
    "And in Oslo?",
    "What about adding 17.5 and 3?",
    "Is it raining in Lima?",
)


def build_seed(path: Path, turns: int) -> int:
    """One real agent thread of ``turns`` turns; returns its checkpoint count."""
    with open_saver(path) as saver:
        graph = tool_agent_graph(saver)
        config = thread_config(SEED)
        for turn in range(turns):
            question = f"{_QUESTIONS[turn % len(_QUESTIONS)]} (turn {turn})"
            graph.invoke({"messages": [HumanMessage(question)]}, config)
        return sum(1 for _ in saver.list(config))


def multiply(path: Path, threads: int, batch: int = 250) -> None:
    """Copy the seed thread's rows under ``threads`` ids (``user-{n}-session-{m}``).

    Batches commit on their own, so an interrupted build resumes where it stopped;
    the seed thread is removed once every copy exists.
    """
    ids = [f"user-{n // 10}-session-{n % 10}" for n in range(threads)]
    with closing(sqlite3.connect(path)) as conn:
        done = {row[0] for row in conn.execute("SELECT DISTINCT thread_id FROM checkpoints")}
        todo = [thread_id for thread_id in ids if thread_id not in done]
        conn.execute("CREATE TEMP TABLE ids (thread_id TEXT)")
        for start in range(0, len(todo), batch):
            conn.execute("DELETE FROM ids")
            conn.executemany(
                "INSERT INTO ids VALUES (?)", [(t,) for t in todo[start : start + batch]]
            )
            for table, columns in _COPIED:
                conn.execute(
                    f"INSERT INTO {table} (thread_id, {columns}) SELECT ids.thread_id, {columns} "
                    f"FROM {table} CROSS JOIN ids WHERE {table}.thread_id = ?",
                    (SEED,),
                )
            conn.commit()
            if (start // batch) % 8 == 7:
                print(f"  {len(done) + start + batch:,} threads copied", flush=True)
        conn.execute("DELETE FROM checkpoints WHERE thread_id = ?", (SEED,))
        conn.execute("DELETE FROM writes WHERE thread_id = ?", (SEED,))
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


_COPIED = (
    (
        "checkpoints",
        "checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata",
    ),
    ("writes", "checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, value"),
)


def process_seconds(args: list[str], repeat: int = 3, cold: bool = False) -> tuple[float, str]:
    """Best wall time of a fresh process, with its output of the last run (``cold``:
    the page cache emptied before each run)."""
    best, out = float("inf"), ""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    for _ in range(repeat):
        if cold:
            drop_page_cache()
        start = time.perf_counter()
        result = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
        best = min(best, time.perf_counter() - start)
        out = result.stdout
    return best, out


DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def drop_page_cache() -> None:
    """Write dirty pages out, then empty the page cache: the next read of the file
    comes from the disk. Raises ``OSError`` where the kernel does not allow it."""
    subprocess.run(["sync"], check=True)
    DROP_CACHES.write_text("3\n")


_GROUP_BY = (
    "import json, sqlite3, sys\n"
    "conn = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n"
    "rows = conn.execute('SELECT thread_id, COUNT(*), MAX(checkpoint_id) FROM checkpoints '\n"
    "                    'GROUP BY thread_id ORDER BY MAX(checkpoint_id) DESC').fetchall()\n"
    "print(json.dumps(rows))\n"
)


def run(folder: Path, threads: int, turns: int, cold: bool = False) -> None:
    db = folder / "scale.sqlite"
    done = folder / "scale.done"
    if not done.exists():
        if not db.exists():
            print(f"building one agent thread of {turns} turns ...", flush=True)
            build_seed(db, turns)
        print(f"copying the seed thread under {threads:,} thread ids ...", flush=True)
        start = time.perf_counter()
        multiply(db, threads)
        done.touch()
        print(f"\n  built in {time.perf_counter() - start:.0f} s", flush=True)
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()
        (thread_count,) = conn.execute(
            "SELECT COUNT(DISTINCT thread_id) FROM checkpoints"
        ).fetchone()
    print(f"\n{thread_count:,} threads, {count:,} checkpoints, {db.stat().st_size / 1e9:.1f} GB")

    bare_args = [sys.executable, "-c", _GROUP_BY, str(db)]
    rewind_args = [sys.executable, "-m", "desktop", "threads", str(db)]
    first, _ = process_seconds(rewind_args, repeat=1)
    bare, bare_out = process_seconds(bare_args)
    rewind, rewind_out = process_seconds(rewind_args)
    assert len(json.loads(rewind_out)) == len(json.loads(bare_out)) == thread_count
    print("\nrewind threads (all threads, with status) as a process, best of 3 each")
    print(f"  bare GROUP BY process   {bare * 1000:8.0f} ms   (reads the key index only)")
    print(
        f"  rewind threads          {rewind * 1000:8.0f} ms   ratio {rewind / bare:5.2f}x"
        "   (target <= 3x)"
    )
    print(
        f"  its first run           {first * 1000:8.0f} ms"
        "   (the head checkpoints, ~250 MB, may not have been in the page cache)"
    )

    window = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale_window", str(db)],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "QT_QPA_PLATFORM": "offscreen",
            "REWIND_DATA_DIR": str(folder / "data"),
            "XDG_CONFIG_HOME": str(folder / "cfg"),
        },
        check=True,
    )
    shown = json.loads(window.stdout.strip().splitlines()[-1])
    print("\nwindow, fresh process, Qt up -> first screen of threads")
    print(f"  first screen            {shown['first_screen_ms']:8.0f} ms   (target < 200 ms)")
    print(f"  resident memory         {shown['rss_mb']:8.0f} MB   (target < 300 MB)")
    print(f"  rows on screen          {shown['rows']:8d}")

    from desktop.core.sources import open_source

    start = time.perf_counter()
    with open_source(str(db)) as source:
        page = source.list_threads(limit=100)
    first_page = time.perf_counter() - start
    start = time.perf_counter()
    with read_saver(db) as saver:
        one = sum(1 for _ in saver.list(thread_config(page[0].thread_id)))
    langgraph_one = time.perf_counter() - start
    print("\nin-process")
    print(f"  Rewind first page (100 threads)        {first_page * 1000:8.0f} ms")
    print(
        f"  SqliteSaver.list of ONE thread ({one})  {langgraph_one * 1000:8.0f} ms   "
        f"ratio {langgraph_one / first_page:6.1f}x"
    )

    if not cold:
        return
    try:
        cold_bare, _ = process_seconds(bare_args, cold=True)
        cold_rewind, _ = process_seconds(rewind_args, cold=True)
    except OSError as exc:
        print(f"\nrewind threads from a cold page cache: skipped ({DROP_CACHES}: {exc.strerror})")
        return
    print("\nrewind threads from a cold page cache (emptied before each run), best of 3 each")
    print(f"  bare GROUP BY process   {cold_bare * 1000:8.0f} ms")
    print(
        f"  rewind threads          {cold_rewind * 1000:8.0f} ms"
        f"   ratio {cold_rewind / cold_bare:5.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the database in DIR")
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=20, help="turns of the seed thread")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="also compare from a cold page cache (root on Linux; empties the machine's cache)",
    )
    args = parser.parse_args()
    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True, exist_ok=True)
        run(folder, args.threads, args.turns, args.cold)
    else:
        with tempfile.TemporaryDirectory(prefix="rewind-scale-") as tmp:
            run(Path(tmp), args.threads, args.turns, args.cold)


if __name__ == "__main__":
    main()
