"""Faulty situations built for real: a writer killed mid-transaction, a read-only folder,
crafted files. Shared by the read-fault tests and ``benchmarks/bench_faults.py``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ormsgpack
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.types import StateSnapshot

from tests.builders import (
    notes_graph,
    open_saver,
    read_saver,
    thread_config,
    tool_agent_graph,
)

ROOT = Path(__file__).resolve().parents[1]
WRITER = ROOT / "tests" / "data" / "fault_writer.py"
SIDE_SUFFIXES = ("", "-journal", "-wal", "-shm")


def digests(path: Path) -> dict[str, str]:
    """SHA-256 of the database and of each side file next to it."""
    out = {}
    for suffix in SIDE_SUFFIXES:
        file = path.with_name(path.name + suffix)
        if file.exists():
            out[suffix or "db"] = hashlib.sha256(file.read_bytes()).hexdigest()
    return out


def kill_writer_mid_write(mode: str, db: Path, timeout: float = 120) -> None:
    """Run ``tests/data/fault_writer.py MODE DB`` and SIGKILL it once it is ready."""
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), mode, str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if line.strip() != "ready":
            proc.wait(timeout=timeout)
            raise RuntimeError(f"fault writer failed: {proc.stderr.read() if proc.stderr else ''}")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=timeout)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


CRASH_GRAPH = ROOT / "tests" / "data" / "crash_graph.py"
CRASH_THREAD = "crash"


@dataclass(frozen=True)
class CrashDb:
    """Where the crash graph's agent runs (``target``: a SQLite file or a
    ``postgresql://`` URL); ``copy()`` makes an independent copy of it as it is now."""

    target: Path | str
    copy: Callable[[], Path | str]


def kill_agent_in_slow_node(
    db: Path | str, log: Path, *, step_unsaved: bool = False, timeout: float = 120
) -> None:
    """Run ``tests/data/crash_graph.py`` as the user's agent on ``db`` (a SQLite file or a
    ``postgresql://`` URL; thread ``crash``, node executions appended to ``log``) and
    SIGKILL it while its ``slow`` node sleeps.

    It is killed once ``slow`` has started and LangGraph's own ``get_state`` says only
    ``slow`` is left (``next == ("slow",)``): the checkpoint after ``a`` is saved *and*
    ``fast``'s write is saved on it. ``fast``'s write alone is not enough: LangGraph saves
    a step's checkpoint and its tasks' writes on separate background threads, in no fixed
    order, and killed in between the checkpoint is lost.

    ``step_unsaved`` makes that loss certain (the agent's saver holds the checkpoint after
    ``a``): it is killed once ``get_state`` shows ``a`` finished, its write saved, and
    nothing left to run (``next == ()``). ``timeout`` only bounds a broken run; the wait
    ends as soon as the state is reached.
    """
    builder = _crash_builder()

    def only_slow_left() -> bool:
        if not (log.exists() and "slow" in log.read_text().split()):
            return False
        state = _crash_state(db, builder)
        if state is None:
            return False
        if step_unsaved:
            return state.next == () and [t.name for t in state.tasks] == ["a"]
        return state.next == ("slow",)

    env = {**os.environ, "CRASH_LOG": str(log), "CRASH_SLEEP": "600"}
    if step_unsaved:
        env["CRASH_HOLD_CHECKPOINT"] = "1"
    proc = subprocess.Popen([sys.executable, str(CRASH_GRAPH), str(db), CRASH_THREAD], env=env)
    try:
        deadline = time.monotonic() + timeout
        while not only_slow_left():
            assert proc.poll() is None, f"the crash graph exited early ({proc.returncode})"
            assert time.monotonic() < deadline, "the crash graph never reached its slow node"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=timeout)
    assert proc.returncode == -signal.SIGKILL


def _crash_builder() -> Any:
    """The crash graph's ``StateGraph`` builder, loaded from its file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("rewind_tests_crash_graph", CRASH_GRAPH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.builder


def _crash_state(db: Path | str, builder: Any) -> StateSnapshot | None:
    """LangGraph's ``get_state`` of the crash thread in ``db``, read without writing;
    ``None`` while the agent has not created its tables yet."""
    import psycopg

    if isinstance(db, Path) and not db.exists():
        return None
    try:
        with read_saver(db) as saver:
            return builder.compile(checkpointer=saver).get_state(thread_config(CRASH_THREAD))
    except (sqlite3.OperationalError, psycopg.errors.UndefinedTable):
        return None


def crash_history(db: Path | str) -> list[tuple]:
    """The crash thread's history as LangGraph's ``get_state_history`` reports it (source,
    step, values, next, task names), without the ids that differ per database."""
    with read_saver(db) as saver:
        graph = _crash_builder().compile(checkpointer=saver)
        history = list(graph.get_state_history(thread_config(CRASH_THREAD)))
    return [
        (s.metadata["source"], s.metadata["step"], s.values, s.next, [t.name for t in s.tasks])
        for s in history
    ]


def continue_crash_as_langgraph(db: Path | str, log: Path) -> list[str]:
    """Continue the crash thread in ``db`` (a copy) with LangGraph's own ``invoke(None)``;
    the nodes it ran, as appended to ``log``."""
    from unittest import mock

    env = {"CRASH_LOG": str(log), "CRASH_SLEEP": "0"}
    with mock.patch.dict(os.environ, env), open_saver(db) as saver:
        _crash_builder().compile(checkpointer=saver).invoke(None, thread_config(CRASH_THREAD))
    return log.read_text().split() if log.exists() else []


def committed_threads(db: Path, scratch: Path) -> dict[str, list[str]]:
    """LangGraph's own answer on a scratch copy of ``db`` and its side files (SQLite rolls
    back or recovers the copy): every thread's root checkpoint ids, newest first."""
    scratch.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-journal", "-wal"):
        file = db.with_name(db.name + suffix)
        if file.exists():
            shutil.copyfile(file, scratch / file.name)
    copy = scratch / db.name
    with open_saver(copy) as saver:
        rows = saver.conn.execute("SELECT DISTINCT thread_id FROM checkpoints").fetchall()
        graph = notes_graph(saver)
        return {
            thread_id: [
                s.config["configurable"]["checkpoint_id"]
                for s in graph.get_state_history(thread_config(thread_id))
            ]
            for (thread_id,) in rows
        }


@dataclass(frozen=True)
class Measured:
    """A finished child process: exit code, output, and its own peak memory."""

    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float


def run_measured(
    args: Sequence[str], cwd: Path, *, timeout: float = 300, memory_cap_gb: float = 8
) -> Measured:
    """Run ``args`` and report the child's own peak RSS (``wait4``), never a sibling's.

    ``memory_cap_gb`` caps the child's address space so that a regression fails the test
    instead of exhausting the machine.
    """
    import resource
    import tempfile

    cap = int(memory_cap_gb * (1 << 30))

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(list(args), stdout=out, stderr=err, cwd=cwd, preexec_fn=limit)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(proc.returncode, out.read(), err.read(), usage.ru_maxrss / 1024)


# --- a read-only place ------------------------------------------------------------------


def read_only_command(folder: Path, args: Sequence[str]) -> list[str] | None:
    """``args`` wrapped so they run with ``folder`` really read-only, even for root: a
    private mount namespace where ``folder`` is bind-mounted onto itself read-only (the
    mount disappears with the process). ``None`` when this machine does not allow it.

    The wrapper first proves the folder is read-only (creating a file must fail).
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    namespace = [unshare, "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        namespace.insert(1, "--map-root-user")
    script = (
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 96; '
        'if touch "$1/.rewind-write-probe" 2>/dev/null; then exit 97; fi; '
        'shift; exec "$@"'
    )
    probe = subprocess.run(
        [*namespace, "sh", "-c", script, "sh", str(folder), "true"],
        capture_output=True,
        timeout=30,
    )
    if probe.returncode != 0:
        return None
    return [*namespace, "sh", "-c", script, "sh", str(folder), *args]


# --- crafted files ----------------------------------------------------------------------

GENERATED_BYTES = 300_000_000
"""Size of each value the crafted file's generated columns compute on every read."""


_TABLES = {
    "checkpoints": (
        (
            ("thread_id", "TEXT NOT NULL"),
            ("checkpoint_ns", "TEXT NOT NULL DEFAULT ''"),
            ("checkpoint_id", "TEXT NOT NULL"),
            ("parent_checkpoint_id", "TEXT"),
            ("type", "TEXT"),
            ("checkpoint", "BLOB"),
            ("metadata", "BLOB"),
        ),
        "thread_id, checkpoint_ns, checkpoint_id",
    ),
    "writes": (
        (
            ("thread_id", "TEXT NOT NULL"),
            ("checkpoint_ns", "TEXT NOT NULL DEFAULT ''"),
            ("checkpoint_id", "TEXT NOT NULL"),
            ("task_id", "TEXT NOT NULL"),
            ("idx", "INTEGER NOT NULL"),
            ("channel", "TEXT NOT NULL"),
            ("type", "TEXT"),
            ("value", "BLOB"),
            ("task_path", "TEXT NOT NULL DEFAULT ''"),
        ),
        "thread_id, checkpoint_ns, checkpoint_id, task_id, idx",
    ),
}


def build_generated_column_db(path: Path, generated: Sequence[str] = ("writes.value",)) -> Path:
    """A ~30 KB file whose ``generated`` columns (``table.column``) compute 300 MB each on
    every read (``zeroblob``): a tiny file that asks its reader for gigabytes.

    Made from a real ``notes_graph`` database: each table is rebuilt with the same rows
    and the named columns replaced by that expression, then the file is vacuumed.
    """
    with open_saver(path) as saver:
        graph = notes_graph(saver)
        for index in range(3):
            graph.invoke({"note": f"n{index}"}, thread_config(f"crafted-{index}"))
    script = ["BEGIN;"]
    for table, (columns, key) in _TABLES.items():
        kept = [name for name, _ in columns if f"{table}.{name}" not in generated]
        defs = [
            f"{name} BLOB GENERATED ALWAYS AS (zeroblob({GENERATED_BYTES})) VIRTUAL"
            if f"{table}.{name}" in generated
            else f"{name} {kind}"
            for name, kind in columns
        ]
        script += [
            f"ALTER TABLE {table} RENAME TO old_{table};",
            f"CREATE TABLE {table} ({', '.join(defs)}, PRIMARY KEY ({key}));",
            f"INSERT INTO {table} ({', '.join(kept)}) SELECT {', '.join(kept)} FROM old_{table};",
            f"DROP TABLE old_{table};",
        ]
    script.append("COMMIT;")
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.executescript("\n".join(script))
        conn.execute("VACUUM")
    return path


@dataclass(frozen=True)
class DamagedMessageDb:
    """A tool-agent thread whose newest checkpoint has one message replaced by an
    extension record LangGraph never writes (code 99); ``messages`` is what LangGraph
    read for that checkpoint before the damage, ``damaged_index`` the broken one."""

    path: Path
    thread_id: str
    checkpoint_id: str
    messages: list
    damaged_index: int


def build_damaged_message_db(path: Path) -> DamagedMessageDb:
    """Run the tool agent, then replace one message of its newest checkpoint in place."""
    thread_id = "damaged"
    with open_saver(path) as saver:
        graph = tool_agent_graph(saver)
        graph.invoke(
            {"messages": [HumanMessage("What is the weather in Paris?")]},
            thread_config(thread_id),
        )
        state = graph.get_state(thread_config(thread_id))
        checkpoint_id = state.config["configurable"]["checkpoint_id"]
        tuple_ = saver.get_tuple(state.config)
        checkpoint = tuple_.checkpoint
        messages = list(checkpoint["channel_values"]["messages"])
        damaged_index = next(
            i for i, m in enumerate(messages) if isinstance(m, (AIMessage, ToolMessage))
        )
        broken = list(messages)
        broken[damaged_index] = ormsgpack.Ext(99, ormsgpack.packb({"content": "?"}))
        checkpoint["channel_values"]["messages"] = broken
        kind, blob = saver.serde.dumps_typed(checkpoint)
        with saver.conn:
            saver.conn.execute(
                "UPDATE checkpoints SET type = ?, checkpoint = ? "
                "WHERE thread_id = ? AND checkpoint_ns = '' AND checkpoint_id = ?",
                (kind, blob, thread_id, checkpoint_id),
            )
    return DamagedMessageDb(path, thread_id, checkpoint_id, messages, damaged_index)
