"""Headless write commands (run, fork, replay, resume, status), checked with langgraph."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from desktop.cli import main
from tests.builders import open_saver, review_graph, steps_graph, thread_config

DATA = Path(__file__).resolve().parents[1] / "data"
STEPS_SPEC = f"{DATA / 'builder_graphs.py'}:steps"
REVIEW_SPEC = f"{DATA / 'builder_graphs.py'}:review"


def cli(capsys, *args) -> tuple[int, list[dict], str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


def test_run_demo_streams_tokens_then_pauses_for_approval(capsys, tmp_path):
    db = tmp_path / "demo.sqlite"
    code, parts, err = cli(
        capsys, "run", db, "--graph", "demo", "--thread", "t", "--input", "What is 6*7?"
    )
    assert code == 0, err
    kinds = {p["type"] for p in parts}
    assert {"messages", "updates", "custom", "tasks", "checkpoints"} <= kinds
    tokens = [p for p in parts if p["type"] == "messages"]
    assert len(tokens) > 10
    assert any(p["ns"] and p["ns"][0].startswith("researcher:") for p in parts)
    interrupt = [p for p in parts if p["type"] == "updates" and "__interrupt__" in p["data"]]
    assert interrupt, "the demo pauses for approval and the stream shows it"

    code, status, _ = cli(capsys, "status", db, "--graph", "demo", "--thread", "t")
    assert status[0]["next"] == ["approve"] and status[0]["interrupts"]

    code, parts, err = cli(
        capsys, "resume", db, "--graph", "demo", "--thread", "t", "--value", "yes"
    )
    assert code == 0, err
    code, status, _ = cli(capsys, "status", db, "--graph", "demo", "--thread", "t")
    assert status[0]["next"] == [] and not status[0]["interrupts"]


def test_run_with_stream_mode_and_json_input_from_a_file_spec(capsys, tmp_path):
    db = tmp_path / "steps.sqlite"
    code, parts, err = cli(
        capsys,
        "run",
        db,
        "--graph",
        STEPS_SPEC,
        "--thread",
        "s",
        "--input-json",
        '{"value": 3, "log": []}',
        "--stream-mode",
        "values",
    )
    assert code == 0, err
    assert {p["type"] for p in parts} == {"values"}
    assert parts[-1]["data"]["value"] == 49


def test_langgraph_json_project(capsys, tmp_path):
    db = tmp_path / "lg.sqlite"
    config = DATA / "lg_project" / "langgraph.json"
    code, parts, err = cli(
        capsys,
        "run",
        db,
        "--config",
        config,
        "--graph-id",
        "greeter",
        "--thread",
        "g",
        "--input-json",
        '{"name": "Ada"}',
        "--stream-mode",
        "updates",
    )
    assert code == 0, err
    assert "Ada" in json.dumps(parts[-1]["data"])


def test_fork_writes_a_checkpoint_and_runs_nothing(capsys, tmp_path, fork_db):
    db = tmp_path / "fork.sqlite"
    shutil.copy(fork_db.path, db)
    code, parts, err = cli(
        capsys,
        "fork",
        db,
        "--graph",
        STEPS_SPEC,
        "--thread",
        fork_db.thread_id,
        "--checkpoint",
        fork_db.fork_parent_id,
        "--values",
        '{"value": 100}',
        "--as-node",
        "double",
    )
    assert code == 0, err
    new_id = parts[0]["checkpoint_id"]
    with open_saver(db) as saver:
        history = list(steps_graph(saver).get_state_history(thread_config(fork_db.thread_id)))
    forked = next(s for s in history if s.config["configurable"]["checkpoint_id"] == new_id)
    assert forked.metadata["source"] == "update"
    assert forked.parent_config["configurable"]["checkpoint_id"] == fork_db.fork_parent_id
    assert forked.values["value"] == 100
    assert forked.next == ("increment",)

    code, parts, err = cli(
        capsys,
        "run",
        db,
        "--graph",
        STEPS_SPEC,
        "--thread",
        fork_db.thread_id,
        "--checkpoint",
        new_id,
        "--stream-mode",
        "values",
    )
    assert code == 0, err
    assert parts[-1]["data"]["value"] == 101**2


def test_replay_reruns_only_after_the_checkpoint(capsys, tmp_path, fork_db):
    db = tmp_path / "replay.sqlite"
    shutil.copy(fork_db.path, db)
    code, parts, err = cli(
        capsys,
        "replay",
        db,
        "--graph",
        STEPS_SPEC,
        "--thread",
        fork_db.thread_id,
        "--checkpoint",
        fork_db.replay_from_id,
        "--stream-mode",
        "updates",
    )
    assert code == 0, err
    ran = [node for p in parts for node in p["data"]]
    assert ran == ["square"]


def test_resume_interrupt_with_json_value(capsys, tmp_path, interrupt_db):
    db = tmp_path / "review.sqlite"
    shutil.copy(interrupt_db.path, db)
    code, _, err = cli(
        capsys,
        "resume",
        db,
        "--graph",
        REVIEW_SPEC,
        "--thread",
        interrupt_db.thread_id,
        "--value",
        '"approved"',
    )
    assert code == 0, err
    with open_saver(db) as saver:
        state = review_graph(saver).get_state(thread_config(interrupt_db.thread_id))
    assert state.next == ()
    assert state.values["draft"].endswith("(approved)")


def fast_write_saved(db: Path) -> bool:
    """True once the finished ``fast`` task's write is committed (read-only look)."""
    if not db.exists():
        return False
    try:
        with closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)) as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM writes WHERE task_path LIKE '%fast%'"
            ).fetchone()
    except sqlite3.OperationalError:
        return False
    return row[0] > 0


def test_resume_continues_a_crashed_run(capsys, tmp_path):
    db = tmp_path / "crash.sqlite"
    log = tmp_path / "ran.log"
    env = {**os.environ, "CRASH_LOG": str(log), "CRASH_SLEEP": "60"}
    script = DATA / "crash_graph.py"
    proc = subprocess.Popen([sys.executable, str(script), str(db), "crash"], env=env)
    deadline = time.monotonic() + 30
    while not (log.exists() and "slow" in log.read_text() and fast_write_saved(db)):
        assert time.monotonic() < deadline, "the crash graph never reached its slow node"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    os.environ["CRASH_LOG"] = str(log)
    os.environ["CRASH_SLEEP"] = "0"
    try:
        spec = f"{script}:graph"
        code, status, err = cli(capsys, "status", db, "--graph", spec, "--thread", "crash")
        assert code == 0, err
        assert status[0]["can_continue"]
        code, _, err = cli(capsys, "resume", db, "--graph", spec, "--thread", "crash")
        assert code == 0, err
    finally:
        del os.environ["CRASH_LOG"], os.environ["CRASH_SLEEP"]
    ran = log.read_text().split()
    assert ran.count("a") == 1 and ran.count("fast") == 1
    assert ran.count("slow") == 2 and ran.count("end") == 1


def test_write_command_errors_are_one_line(capsys, tmp_path):
    db = tmp_path / "e.sqlite"
    code, _, err = cli(capsys, "run", db, "--thread", "t", "--input", "hi")
    assert code == 1 and "--graph" in err and err.count("\n") == 1
    code, _, err = cli(capsys, "run", db, "--graph", "nope.module:graph", "--thread", "t")
    assert code == 1 and "nope" in err and "Traceback" not in err
    code, _, err = cli(
        capsys, "run", db, "--graph", "demo", "--thread", "t", "--input-json", "{bad"
    )
    assert code == 1 and "not valid JSON" in err
    code, _, err = cli(capsys, "resume", db, "--graph", "demo", "--thread", "never-ran")
    assert code == 1 and err.count("\n") == 1
    code, _, err = cli(
        capsys,
        "fork",
        db,
        "--graph",
        "demo",
        "--thread",
        "t",
        "--checkpoint",
        "x",
        "--values",
        "[1]",
    )
    assert code == 1 and err.count("\n") == 1
