"""The write path under faults and hostile input, with real processes (issue 8).

Two ``rewind run`` processes on one thread, two resumes on one interrupt, a synchronous
node sleeping while Ctrl-C arrives, a graph that prints, a graph that never ends, input
the graph rejects, a SQLite file that is not a checkpoint database, ``--graph`` naming a
builtin. Every outcome is checked against LangGraph's own ``get_state`` /
``get_state_history`` on the same file.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from desktop.core.graphs import load_graph
from tests.builders import read_saver, thread_config

ROOT = Path(__file__).resolve().parents[2]
GRAPHS = ROOT / "tests" / "data" / "fault_graphs.py"
SLEEPY = f"{GRAPHS}:sleepy"
APPROVAL = f"{GRAPHS}:approval"
CHATTY = f"{GRAPHS}:chatty"
ENDLESS = f"{GRAPHS}:endless"
START = '{"log": []}'
WAIT = 30.0


def env(tmp_path: Path, sleep: float) -> dict[str, str]:
    return {
        **os.environ,
        "REWIND_TEST_SLEEP": str(sleep),
        "REWIND_TEST_TRACE": str(tmp_path / "trace.txt"),
    }


def rewind(tmp_path: Path, *args: object, sleep: float = 0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *map(str, args)],
        cwd=ROOT,
        env=env(tmp_path, sleep),
        capture_output=True,
        text=True,
        timeout=120,
    )


def start(tmp_path: Path, *args: object, sleep: float = 0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", *map(str, args)],
        cwd=ROOT,
        env=env(tmp_path, sleep),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def trace(tmp_path: Path) -> list[str]:
    path = tmp_path / "trace.txt"
    return path.read_text().splitlines() if path.exists() else []


def wait_for_trace(tmp_path: Path, line: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT
    while line not in trace(tmp_path):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{line!r} never traced: {trace(tmp_path)}"
        time.sleep(0.05)


def history(spec: str, db: Path, thread_id: str) -> list:
    with read_saver(db) as saver:
        return list(load_graph(spec).bind(saver).get_state_history(thread_config(thread_id)))


def state(spec: str, db: Path, thread_id: str):
    with read_saver(db) as saver:
        return load_graph(spec).bind(saver).get_state(thread_config(thread_id))


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and "stdout noise" not in line]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def file_hashes(db: Path) -> dict[str, str]:
    """The database and its WAL, byte for byte (the ``-shm`` index and an empty WAL are
    SQLite's reader bookkeeping, not data)."""
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-journal")]
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files
        if p.exists() and p.stat().st_size
    }


# -- one writer per thread ---------------------------------------------------------------


def test_second_writer_on_a_thread_is_refused_and_ctrl_c_abandons_the_sync_node(tmp_path):
    db = tmp_path / "runs.sqlite"
    # every step saved before the next starts, so the file is still while "slow" sleeps
    durable = ("--input-json", START, "--durability", "sync")
    first = start(tmp_path, "run", db, "--graph", SLEEPY, "--thread", "t1", *durable, sleep=60)
    try:
        wait_for_trace(tmp_path, "slow-start", first)
        before = len(history(SLEEPY, db, "t1"))
        first_checkpoint = history(SLEEPY, db, "t1")[-1].config["configurable"]["checkpoint_id"]
        hashes = file_hashes(db)
        attempts = [
            ("run", "--input-json", START),
            ("replay", "--checkpoint", first_checkpoint),
            ("resume",),
            ("fork", "--checkpoint", first_checkpoint, "--values", '{"log": ["x"]}'),
        ]
        for command, *extra in attempts:
            second = rewind(tmp_path, command, db, "--graph", SLEEPY, "--thread", "t1", *extra)
            assert second.returncode == 1, (command, second.stderr)
            line = one_line(second.stderr)
            assert line == (
                f"rewind: error: thread t1 is being run by another Rewind (pid {first.pid})"
            ), command
            assert second.stdout == ""
        # nothing was written to the user's database for the refused ones
        assert file_hashes(db) == hashes
        assert len(history(SLEEPY, db, "t1")) == before
        assert trace(tmp_path) == ["first", "slow-start"]

        # another thread of the same database is not locked
        other = rewind(
            tmp_path, "run", db, "--graph", SLEEPY, "--thread", "t2", "--input-json", START
        )
        assert other.returncode == 0, other.stderr

        # Ctrl-C: out long before the node returns (benchmarks/bench_faults.py times it),
        # with one line naming the abandoned node and no traceback
        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 130
    assert one_line(err) == (
        "rewind: stopped; abandoned node slow (synchronous) mid-step (it runs again on resume)"
    )
    assert all(json.loads(line) for line in out.splitlines())
    assert trace(tmp_path).count("slow-end") == 1, "only thread t2's slow node returned"

    # the thread can go on: the lock died with the process, LangGraph re-runs slow
    snapshot = state(SLEEPY, db, "t1")
    assert snapshot.next == ("slow",)
    resumed = rewind(tmp_path, "resume", db, "--graph", SLEEPY, "--thread", "t1")
    assert resumed.returncode == 0, resumed.stderr
    assert state(SLEEPY, db, "t1").values["log"] == ["first", "slow"]


def test_second_ctrl_c_exits_at_once_without_traceback(tmp_path):
    db = tmp_path / "runs.sqlite"
    proc = start(
        tmp_path, "run", db, "--graph", SLEEPY, "--thread", "t", "--input-json", START, sleep=60
    )
    try:
        wait_for_trace(tmp_path, "slow-start", proc)
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    assert "abandoned node slow (synchronous)" in one_line(err)


def test_two_resumes_on_one_interrupt_answer_it_once(tmp_path):
    db = tmp_path / "approval.sqlite"
    ran = rewind(tmp_path, "run", db, "--graph", APPROVAL, "--thread", "t", "--input-json", START)
    assert ran.returncode == 0, ran.stderr
    (pending,) = state(APPROVAL, db, "t").interrupts
    procs = [
        start(
            tmp_path, "resume", db, "--graph", APPROVAL, "--thread", "t", "--value", answer, sleep=2
        )
        for answer in ("yes", "no")
    ]
    results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    refused = next(err for code, _, err in results if code == 1)
    line = one_line(refused)
    assert "is being run by another Rewind" in line or "nothing to resume" in line, line
    answered = [t for t in trace(tmp_path) if t.startswith("approve:")]
    assert len(answered) == 1, trace(tmp_path)
    snapshot = state(APPROVAL, db, "t")
    assert snapshot.next == () and not snapshot.interrupts
    assert [v for v in snapshot.values["log"] if v.startswith("approved:")] == [
        answered[0].replace("approve:", "approved:")
    ]

    # answering the interrupt by id once it was answered: one line, nothing written
    hashes = file_hashes(db)
    late = rewind(
        tmp_path,
        "resume",
        db,
        "--graph",
        APPROVAL,
        "--thread",
        "t",
        "--value",
        json.dumps({pending.id: "late"}),
    )
    assert late.returncode == 1
    assert one_line(late.stderr) == (
        f"rewind: error: Interrupt {pending.id} of thread 't' is no longer pending "
        f"(another run answered it); its head is now "
        f"{snapshot.config['configurable']['checkpoint_id']}"
    )
    assert file_hashes(db) == hashes


def test_a_stale_lock_of_a_dead_process_is_ignored(tmp_path):
    db = tmp_path / "runs.sqlite"
    # killed mid-run: what survives is what LangGraph saved, so save before each step
    durable = ("--input-json", START, "--durability", "sync")
    victim = start(tmp_path, "run", db, "--graph", SLEEPY, "--thread", "t", *durable, sleep=60)
    try:
        wait_for_trace(tmp_path, "slow-start", victim)
    finally:
        victim.kill()  # SIGKILL: no clean-up, the lock file stays with its pid
        victim.communicate()
    locks = list((Path(os.environ["REWIND_DATA_DIR"]) / "locks").glob("*.lock"))
    assert any(json.loads(p.read_bytes()[1:])["pid"] == victim.pid for p in locks)
    resumed = rewind(tmp_path, "resume", db, "--graph", SLEEPY, "--thread", "t")
    assert resumed.returncode == 0, resumed.stderr
    assert state(SLEEPY, db, "t").values["log"] == ["first", "slow"]


# -- input is checked before anything is written ------------------------------------------


def test_input_the_graph_rejects_is_refused_before_the_first_checkpoint(tmp_path):
    db = tmp_path / "demo.sqlite"
    bad = '{"messages": [{"role": "user"}]}'
    refused = rewind(tmp_path, "run", db, "--graph", "demo", "--thread", "t1", "--input-json", bad)
    assert refused.returncode == 1
    assert "Input refused, nothing was written" in one_line(refused.stderr)
    assert "content" in refused.stderr
    assert not db.exists(), "a refused input created the database"

    ok = rewind(tmp_path, "run", db, "--graph", "demo", "--thread", "t1", "--input", "hi")
    assert ok.returncode == 0, ok.stderr
    hashes = file_hashes(db)
    count = len(history("demo", db, "t1"))
    again = rewind(tmp_path, "run", db, "--graph", "demo", "--thread", "t1", "--input-json", bad)
    assert again.returncode == 1
    assert file_hashes(db) == hashes
    assert len(history("demo", db, "t1")) == count
    status = rewind(tmp_path, "status", db, "--graph", "demo", "--thread", "t1")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["next"] == ["approve"]

    for not_an_object in ("[1, 2]", '"hi"', "7"):
        refused = rewind(
            tmp_path, "run", db, "--graph", "demo", "--thread", "t2", "--input-json", not_an_object
        )
        assert refused.returncode == 1
        assert "takes an object of state keys as input" in one_line(refused.stderr)
        assert file_hashes(db) == hashes, "a non-object input wrote an input checkpoint"


def test_run_on_a_sqlite_file_that_is_not_a_checkpoint_database_needs_init(tmp_path):
    db = tmp_path / "recipes.sqlite"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('soup')")
        conn.commit()
    before = file_hashes(db)
    for command in (
        ("run", "--input-json", START),
        ("resume",),
    ):
        refused = rewind(tmp_path, command[0], db, "--graph", SLEEPY, "--thread", "t", *command[1:])
        assert refused.returncode == 1
        assert one_line(refused.stderr) == (
            f"rewind: error: {db} is not a LangGraph checkpoint database (its tables: "
            "recipes); use --init to add the checkpoint tables to it anyway"
        )
        assert file_hashes(db) == before, "the file was changed"

    init = rewind(
        tmp_path, "run", db, "--graph", SLEEPY, "--thread", "t", "--input-json", START, "--init"
    )
    assert init.returncode == 0, init.stderr
    assert state(SLEEPY, db, "t").values["log"] == ["first", "slow"]
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT name FROM recipes").fetchall() == [("soup",)]


@pytest.mark.parametrize("spec", ["os:system", "sys:exit", "builtins:input", "os:abort"])
def test_graph_spec_naming_a_builtin_is_never_called(tmp_path, spec):
    db = tmp_path / "x.sqlite"
    result = rewind(tmp_path, "run", db, "--graph", spec, "--thread", "t", "--input", "hi")
    assert result.returncode == 1, (result.returncode, result.stderr)
    line = one_line(result.stderr)
    assert line == (
        f"rewind: error: {spec} is not a LangGraph graph but 'builtin_function_or_method' "
        "(expected a compiled graph, a StateGraph, or a Python function returning one)"
    )
    assert not db.exists()


def test_recursion_limit_stops_an_endless_graph(tmp_path):
    db = tmp_path / "endless.sqlite"
    result = rewind(
        tmp_path,
        "run",
        db,
        "--graph",
        ENDLESS,
        "--thread",
        "t",
        "--input-json",
        START,
        "--recursion-limit",
        "5",
        "--stream-mode",
        "updates",
    )
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "rewind: error: Run stopped at the recursion limit (5 steps) before reaching its end; "
        "raise the limit (--recursion-limit) if the graph needs more steps"
    )
    assert len(result.stdout.splitlines()) == 5
    steps = [s.metadata["step"] for s in history(ENDLESS, db, "t")]
    assert max(steps) <= 5
    again = rewind(
        tmp_path,
        "resume",
        db,
        "--graph",
        ENDLESS,
        "--thread",
        "t",
        "--recursion-limit",
        "3",
        "--stream-mode",
        "updates",
    )
    assert again.returncode == 1 and "(3 steps)" in again.stderr
    for bad in ("0", "-2", "many"):
        refused = rewind(
            tmp_path,
            "replay",
            db,
            "--graph",
            ENDLESS,
            "--thread",
            "t",
            "--checkpoint",
            "x",
            "--recursion-limit",
            bad,
        )
        assert refused.returncode == 2 and "--recursion-limit" in refused.stderr


def test_what_the_graph_prints_goes_to_stderr_and_stdout_stays_json_lines(tmp_path):
    db = tmp_path / "chatty.sqlite"
    result = rewind(tmp_path, "run", db, "--graph", CHATTY, "--thread", "t", "--input-json", START)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(isinstance(json.loads(line), dict) for line in lines)
    for noise in (
        "fault_graphs imported (stdout noise)",
        "a node printing to stdout",
        "a child process writing to stdout",
        "raw bytes on file descriptor 1",
    ):
        assert noise in result.stderr
        assert noise not in result.stdout
    assert state(CHATTY, db, "t").values["log"] == ["chatty"]


def test_an_input_key_the_graph_does_not_take_is_refused_not_dropped(tmp_path):
    """LangGraph drops input keys its input schema lacks and runs the turn anyway: a
    mistyped ``mesages`` would re-run the agent on the old state. Refused, one line."""
    db = tmp_path / "demo.sqlite"
    typo = '{"mesages": [{"role": "user", "content": "hi"}]}'
    refused = rewind(tmp_path, "run", db, "--graph", "demo", "--thread", "t1", "--input-json", typo)
    assert refused.returncode == 1
    assert one_line(refused.stderr) == (
        "rewind: error: Input refused, nothing was written: unknown input key(s) mesages; "
        "the graph's input keys are messages, approval"
    )
    assert not db.exists(), "a refused input created the database"

    ok = rewind(tmp_path, "run", db, "--graph", "demo", "--thread", "t1", "--input", "hi")
    assert ok.returncode == 0, ok.stderr
    hashes = file_hashes(db)
    count = len(history("demo", db, "t1"))
    again = rewind(tmp_path, "run", db, "--graph", "demo", "--thread", "t1", "--input-json", typo)
    assert again.returncode == 1 and "unknown input key(s) mesages" in again.stderr
    assert file_hashes(db) == hashes
    assert len(history("demo", db, "t1")) == count


def test_an_empty_thread_id_is_refused_before_anything_is_written(tmp_path):
    """``--thread ""`` would start a thread LangGraph stores with an empty id."""
    db = tmp_path / "demo.sqlite"
    empty = ("run", db, "--graph", "demo", "--thread", "", "--input", "hi")
    refused = rewind(tmp_path, *empty)
    assert refused.returncode == 1 and refused.stdout == ""
    assert one_line(refused.stderr) == (
        "rewind: error: The thread id is empty; name the thread the run writes"
    )
    assert not db.exists()
    ok = rewind(tmp_path, "run", db, "--graph", "demo", "--thread", "t1", "--input", "hi")
    assert ok.returncode == 0, ok.stderr
    hashes = file_hashes(db)
    for args in (empty, ("replay", db, "--graph", "demo", "--thread", "", "--checkpoint", "x")):
        again = rewind(tmp_path, *args)
        assert again.returncode == 1, args
        assert one_line(again.stderr).startswith("rewind: error: "), again.stderr
    assert file_hashes(db) == hashes
    with read_saver(db) as saver:
        assert {t.config["configurable"]["thread_id"] for t in saver.list(None)} == {"t1"}


def test_a_database_another_process_holds_locked_is_refused_before_any_node_runs(tmp_path):
    """A write transaction held elsewhere (a DB browser, a stuck app) made every save of
    the run fail: nodes ran, their checkpoints streamed, none was stored. Now: one line,
    nothing run, the file unchanged."""
    db = tmp_path / "demo.sqlite"
    ok = rewind(tmp_path, "run", db, "--graph", "demo", "--thread", "t1", "--input", "hi")
    assert ok.returncode == 0, ok.stderr
    count = len(history("demo", db, "t1"))
    hashes = file_hashes(db)
    # no file_hashes() while the lock is held: closing any descriptor of the file in this
    # process would drop the holder's POSIX locks
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        for args in (
            ("run", db, "--graph", "demo", "--thread", "t2", "--input", "hi"),
            ("resume", db, "--graph", "demo", "--thread", "t1", "--value", "yes"),
        ):
            refused = rewind(tmp_path, *args)
            assert refused.returncode == 1, args
            assert refused.stdout == "", "a node ran"
            assert one_line(refused.stderr) == (
                f"rewind: error: {db}: cannot write (database is locked; another process "
                "holds it); nothing was run"
            )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert file_hashes(db) == hashes
    assert len(history("demo", db, "t1")) == count
    resumed = rewind(tmp_path, "resume", db, "--graph", "demo", "--thread", "t1", "--value", "yes")
    assert resumed.returncode == 0, resumed.stderr
