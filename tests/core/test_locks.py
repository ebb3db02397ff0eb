"""Thread write locks in Rewind's data folder (desktop.core.locks), and the resume check."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.core.errors import RewindError
from desktop.core.graphs import LoadedGraph
from desktop.core.locks import ThreadBusyError, database_identity, lock_path, thread_lock
from desktop.core.runner import resume
from tests.builders import InterruptDb, read_saver, review_graph, thread_config

HOLD = """
import sys, time
from desktop.core.locks import thread_lock
with thread_lock(sys.argv[1], sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_every_spelling_of_a_database_shares_one_identity(tmp_path, monkeypatch):
    db = tmp_path / "a.sqlite"
    db.touch()
    (tmp_path / "link.sqlite").symlink_to(db)
    monkeypatch.chdir(tmp_path)
    assert database_identity("a.sqlite") == database_identity(db) == f"sqlite:{db.resolve()}"
    assert database_identity(tmp_path / "link.sqlite") == database_identity(db)

    url = "postgresql://alice:s3cret@db.example:5432/agents?sslmode=require"
    same = "postgres://alice:other@db.example/agents"
    assert database_identity(url) == database_identity(same)
    assert database_identity(url) == "postgresql://alice@db.example:5432/agents"
    assert "s3cret" not in database_identity(url)
    dsn = "host=db.example port=5432 dbname=agents user=alice password=s3cret"
    assert database_identity(dsn) == database_identity(url)
    assert database_identity("postgresql://alice@db.example:5433/agents") != database_identity(url)


def test_a_second_holder_is_refused_with_the_pid_and_the_lock_frees_on_exit(tmp_path):
    database = database_identity(tmp_path / "x.sqlite")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, database, "t1"],
        cwd=Path(__file__).resolve().parents[2],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ThreadBusyError) as busy, thread_lock(database, "t1"):
            pass
        assert str(busy.value) == f"thread t1 is being run by another Rewind (pid {holder.pid})"
        assert busy.value.pid == holder.pid
        # other threads, and the same thread id in another database, are free
        with thread_lock(database, "t2"), thread_lock(database_identity(tmp_path / "y"), "t1"):
            pass
    finally:
        holder.kill()
        holder.wait()
    with thread_lock(database, "t1") as lock:
        assert json.loads(lock.path.read_bytes()[1:])["pid"] == os.getpid()
    assert not lock.path.exists(), "a released lock leaves no file behind"


def test_one_process_cannot_take_a_thread_twice(tmp_path):
    database = database_identity(tmp_path / "x.sqlite")
    with thread_lock(database, "t"), pytest.raises(ThreadBusyError), thread_lock(database, "t"):
        pass


def test_a_lock_file_left_by_a_dead_pid_is_taken_over(tmp_path):
    database = database_identity(tmp_path / "x.sqlite")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    path = lock_path(database, "t")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b" " + json.dumps({"pid": int(dead.stdout)}).encode())
    with thread_lock(database, "t", action="resume") as lock:
        record = json.loads(lock.path.read_bytes()[1:])
    assert record["pid"] == os.getpid() and record["action"] == "resume"


def test_resume_refuses_an_interrupt_answered_meanwhile(interrupt_db: InterruptDb, tmp_path):
    db = tmp_path / "interrupt.sqlite"
    shutil.copy(interrupt_db.path, db)
    graph = LoadedGraph.from_object(review_graph(None), spec="review")
    with read_saver(db) as saver:
        (pending,) = graph.bind(saver).get_state(thread_config(interrupt_db.thread_id)).interrupts

    async def answer(value, answers):
        async for _ in resume(graph, db, interrupt_db.thread_id, value, answers=answers):
            pass

    asyncio.run(answer("first", [pending.id]))
    before = db.read_bytes()
    with pytest.raises(
        RewindError, match=f"Interrupt {pending.id} of thread .* is no longer pending"
    ):
        asyncio.run(answer("second", [pending.id]))
    assert db.read_bytes() == before
