"""Create the demo database a first-time user opens: a few finished demo threads.

Everything is written by running the demo graph through LangGraph's own API on
``AsyncSqliteSaver`` and ``AsyncSqliteStore`` (same file), exactly as a real agent
would write it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.store.sqlite.aio import AsyncSqliteStore
from langgraph.types import Command

from desktop.core.datadir import data_dir
from desktop.core.demo.agent import build_demo_graph
from desktop.core.errors import RewindError
from desktop.core.savers import stop_store_batching

DEMO_DB_NAME = "demo.sqlite"


class DemoSeedError(RewindError):
    """The demo database cannot be created at the requested path."""


@dataclass(frozen=True, slots=True)
class DemoTurn:
    """One user question and the reviewer's answer to the approval interrupt."""

    question: str
    decision: str


DEMO_THREADS: dict[str, tuple[DemoTurn, ...]] = {
    "demo-research-pricing": (
        DemoTurn("What does our pricing research say about the Pro plan?", "yes"),
        DemoTurn(
            "How does the Team plan compare?",
            "Team is $29 per seat without SSO; Pro adds SSO and audit logs.",
        ),
    ),
    "demo-calculator": (DemoTurn("What do 12 seats cost at 49 per seat: 12 * 49?", "yes"),),
    "demo-declined": (DemoTurn("Summarize the latency report for the status page.", "no"),),
}
"""The threads seeded into a new demo database, in order, with their turns."""


def default_demo_path() -> Path:
    """Where the demo database lives: ``$REWIND_DATA_DIR`` or the user's data dir."""
    return data_dir() / DEMO_DB_NAME


def _existing_threads(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            if "checkpoints" not in tables:
                return []
            rows = conn.execute(
                "SELECT thread_id FROM checkpoints WHERE checkpoint_ns = '' "
                "GROUP BY thread_id ORDER BY MIN(checkpoint_id)"
            ).fetchall()
    except sqlite3.DatabaseError as error:
        raise DemoSeedError(
            f"Cannot create the demo database: {path} exists and is not a usable "
            f"SQLite database ({error})"
        ) from None
    return [row[0] for row in rows]


async def seed_demo_database(path: Path, *, token_delay: float = 0.0) -> list[str]:
    """Fill ``path`` with finished demo threads unless it already has threads.

    Returns the thread ids in the database: the seeded ones, or the existing ones
    when the file already holds threads (it is then left untouched).
    """
    path = Path(path)
    existing = _existing_threads(path)
    if existing:
        return existing
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DemoSeedError(f"Cannot create the folder for the demo database: {error}") from None
    partial = path.with_name(f".{path.name}.seeding")
    for leftover in (partial, *_sidecars(partial)):
        leftover.unlink(missing_ok=True)
    await _write_demo_threads(partial, token_delay)
    for sidecar in _sidecars(partial):
        sidecar.unlink(missing_ok=True)
    partial.replace(path)
    return list(DEMO_THREADS)


def _sidecars(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


async def _write_demo_threads(path: Path, token_delay: float) -> None:
    """Run the demo turns into ``path``; the caller renames it into place only when done,
    so an interrupted first launch never leaves a half-seeded demo behind."""
    async with (
        AsyncSqliteSaver.from_conn_string(str(path)) as saver,
        AsyncSqliteStore.from_conn_string(str(path)) as store,
    ):
        await saver.setup()
        await store.setup()
        graph = build_demo_graph(checkpointer=saver, store=store, token_delay=token_delay)
        for thread_id, turns in DEMO_THREADS.items():
            config = {"configurable": {"thread_id": thread_id}}
            for turn in turns:
                await graph.ainvoke({"messages": [HumanMessage(turn.question)]}, config)
                await graph.ainvoke(Command(resume=turn.decision), config)
        await stop_store_batching(store)
        await saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
