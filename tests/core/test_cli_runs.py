"""Headless write commands (run, fork, replay, resume, status), checked with langgraph."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.sources import open_source
from tests.builders import (
    BATCH_ERROR,
    open_saver,
    read_saver,
    review_graph,
    steps_graph,
    thread_config,
)
from tests.faults import (
    CRASH_GRAPH,
    CRASH_THREAD,
    continue_crash_as_langgraph,
    crash_history,
    kill_agent_in_slow_node,
)

DATA = Path(__file__).resolve().parents[1] / "data"
STEPS_SPEC = f"{DATA / 'builder_graphs.py'}:steps"
REVIEW_SPEC = f"{DATA / 'builder_graphs.py'}:review"
NOTES_SPEC = f"{DATA / 'builder_graphs.py'}:notes"
FANOUT_SPEC = f"{DATA / 'builder_graphs.py'}:fanout"
BATCH_SPEC = f"{DATA / 'builder_graphs.py'}:batch"


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


def test_resume_continues_a_crashed_run(capsys, tmp_path, monkeypatch, crash_db):
    db = crash_db.target
    log = tmp_path / "ran.log"
    kill_agent_in_slow_node(db, log)

    monkeypatch.setenv("CRASH_LOG", str(log))
    monkeypatch.setenv("CRASH_SLEEP", "0")
    spec = f"{CRASH_GRAPH}:graph"
    code, status, err = cli(capsys, "status", db, "--graph", spec, "--thread", CRASH_THREAD)
    assert code == 0, err
    assert status[0]["can_continue"] and status[0]["next"] == ["slow"]
    code, _, err = cli(capsys, "resume", db, "--graph", spec, "--thread", CRASH_THREAD)
    assert code == 0, err
    ran = log.read_text().split()
    assert ran.count("a") == 1 and ran.count("fast") == 1
    assert ran.count("slow") == 2 and ran.count("end") == 1


def test_resume_continues_a_run_killed_before_its_step_was_saved(
    capsys, tmp_path, monkeypatch, crash_db
):
    """Killed after ``a``'s write was saved but before the checkpoint after it (LangGraph
    saves the two on separate background threads): ``get_state().next`` is empty, yet
    LangGraph's own ``invoke(None)`` continues the run. ``status`` says it can continue,
    and ``resume`` ends where LangGraph's own continuation of a copy ends, with the same
    history."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    db = crash_db.target
    log = tmp_path / "ran.log"
    kill_agent_in_slow_node(db, log, step_unsaved=True)
    twin = crash_db.copy()

    monkeypatch.setenv("CRASH_LOG", str(log))
    monkeypatch.setenv("CRASH_SLEEP", "0")
    spec = f"{CRASH_GRAPH}:graph"
    code, status, err = cli(capsys, "status", db, "--graph", spec, "--thread", CRASH_THREAD)
    assert code == 0, err
    assert (status[0]["next"], status[0]["unsaved_step"]) == ([], ["a"])
    assert status[0]["can_continue"]
    with open_source(db) as source:
        assert source.thread(CRASH_THREAD).run_state == "unfinished", "as the thread list badges it"
    code, _, err = cli(capsys, "resume", db, "--graph", spec, "--thread", CRASH_THREAD)
    assert code == 0, err
    ran = log.read_text().split()
    assert ran.count("a") == 1, "a finished and its write was saved: it is not run again"
    assert (ran.count("fast"), ran.count("slow"), ran.count("end")) == (2, 2, 1)

    theirs = continue_crash_as_langgraph(twin, tmp_path / "twin.log")
    assert sorted(theirs) == ["end", "fast", "slow"], "LangGraph too runs all but a"
    resumed, truth = crash_history(db), crash_history(twin)
    assert resumed == truth
    assert truth[0][3] == () and sorted(truth[0][2]["log"]) == ["a", "end", "fast", "slow"]


def test_write_command_errors_are_one_line(capsys, tmp_path):
    db = tmp_path / "e.sqlite"
    code, _, err = cli(capsys, "run", db, "--thread", "t", "--input", "hi")
    assert code == 1 and "--graph" in err and err.count("\n") == 1
    code, _, err = cli(
        capsys, "run", db, "--graph", "demo", "--config", "x.json", "--thread", "t", "--input", "hi"
    )
    assert code == 1 and err == (
        "rewind: error: Give either a graph spec (--graph) or a langgraph.json (--config), "
        "not both\n"
    )
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


def test_only_run_with_an_input_creates_a_missing_database(capsys, tmp_path):
    db = tmp_path / "missing.sqlite"
    graph = ("--graph", STEPS_SPEC, "--thread", "t")
    attempts = [
        ("status", db, *graph),
        ("resume", db, *graph),
        ("run", db, *graph),
        ("run", db, *graph, "--checkpoint", "1f0"),
        ("replay", db, *graph, "--checkpoint", "1f0"),
        ("fork", db, *graph, "--checkpoint", "1f0", "--values", '{"value": 1}'),
    ]
    for args in attempts:
        code, parts, err = cli(capsys, *args)
        assert (code, parts, err) == (1, [], f"rewind: error: {db}: no such file\n"), args
        assert list(tmp_path.iterdir()) == [], f"{args[0]} created {list(tmp_path.iterdir())}"

    code, _, err = cli(capsys, "run", db, *graph, "--input-json", '{"value": 1}')
    assert code == 0, err
    assert db.exists()


def test_status_leaves_the_database_byte_for_byte(capsys, tmp_path, interrupt_db):
    db = tmp_path / "review.sqlite"
    shutil.copy(interrupt_db.path, db)
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        tables = conn.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall()
    digest = hashlib.sha256(db.read_bytes()).hexdigest()

    code, status, err = cli(
        capsys, "status", db, "--graph", REVIEW_SPEC, "--thread", interrupt_db.thread_id
    )

    assert code == 0, err
    assert status[0]["interrupts"][0]["value"] == interrupt_db.interrupt_value
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    with closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)) as conn:
        assert conn.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall() == tables
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_unreadable_checkpoints_are_one_line_errors(capsys, tmp_path, hostile_db):
    db = tmp_path / "hostile.sqlite"
    shutil.copy(hostile_db.path, db)
    garbage, broken = hostile_db.garbage_checkpoint, hostile_db.bad_metadata_checkpoint
    at_garbage = ("--graph", NOTES_SPEC, "--thread", garbage.thread_id, "--checkpoint")
    at_broken = ("--graph", NOTES_SPEC, "--thread", broken.thread_id)
    prefix = garbage.checkpoint_id[:-4]
    garbage_line = f"Checkpoint {garbage.checkpoint_id} of thread {garbage.thread_id!r}"
    attempts = [
        (("replay", db, *at_garbage, garbage.checkpoint_id), garbage_line),
        (("run", db, *at_garbage, garbage.checkpoint_id), garbage_line),
        (("run", db, *at_garbage, prefix, "--input-json", "{}"), garbage_line),
        (("fork", db, *at_garbage, prefix, "--values", "{}"), garbage_line),
        (("status", db, *at_broken), "The latest checkpoint"),
        (("resume", db, *at_broken), "The latest checkpoint"),
    ]
    for args, named in attempts:
        code, parts, err = cli(capsys, *args)
        assert code == 1 and parts == [], args
        assert err.startswith(f"rewind: error: {named}") and "cannot be read: " in err, err
        assert err.count("\n") == 1 and "unexpected" not in err
    assert not hostile_db.marker.exists()


def unique_prefix(checkpoint_id: str, ids: list[str]) -> str:
    return next(
        checkpoint_id[:n]
        for n in range(4, len(checkpoint_id))
        if sum(other.startswith(checkpoint_id[:n]) for other in ids) == 1
    )


def test_fork_by_prefix_in_a_subgraph_namespace(capsys, tmp_path, fanout_db):
    db = tmp_path / "fanout.sqlite"
    shutil.copy(fanout_db.path, db)
    ns = fanout_db.subgraph_namespaces[0]
    with open_source(db) as source:
        history = source.history(fanout_db.thread_id)
    chosen = next(m for m in history if m.checkpoint_ns == ns and m.writers == ("gather",))
    prefix = unique_prefix(chosen.checkpoint_id, [m.checkpoint_id for m in history])
    assert len(prefix) < len(chosen.checkpoint_id)

    code, parts, err = cli(
        capsys,
        "fork",
        db,
        "--graph",
        FANOUT_SPEC,
        "--thread",
        fanout_db.thread_id,
        "--checkpoint",
        prefix,
        "--values",
        '{"notes": ["rewritten"]}',
    )

    assert code == 0, err
    new_id = parts[0]["checkpoint_id"]
    with read_saver(db) as saver:
        forked = saver.get_tuple(
            {
                "configurable": {
                    "thread_id": fanout_db.thread_id,
                    "checkpoint_ns": ns,
                    "checkpoint_id": new_id,
                }
            }
        )
    assert forked.metadata["source"] == "update"
    assert forked.parent_config["configurable"]["checkpoint_id"] == chosen.checkpoint_id
    assert forked.checkpoint["channel_values"]["notes"] == ["rewritten"]


def test_replay_by_prefix_and_refusal_inside_a_subgraph(capsys, tmp_path, fork_db, fanout_db):
    db = tmp_path / "replay.sqlite"
    shutil.copy(fork_db.path, db)
    with open_source(db) as source:
        ids = [m.checkpoint_id for m in source.history(fork_db.thread_id)]
    prefix = unique_prefix(fork_db.replay_from_id, ids)
    args = ("--graph", STEPS_SPEC, "--thread", fork_db.thread_id, "--stream-mode", "updates")
    code, parts, err = cli(capsys, "replay", db, *args, "--checkpoint", prefix)
    assert code == 0, err
    assert [node for p in parts for node in p["data"]] == ["square"]
    code, _, err = cli(capsys, "replay", db, *args, "--checkpoint", prefix[:4])
    assert code == 1 and "is ambiguous" in err

    fanout = tmp_path / "fanout.sqlite"
    shutil.copy(fanout_db.path, fanout)
    with open_source(fanout) as source:
        inner = next(m for m in source.history(fanout_db.thread_id) if m.checkpoint_ns)
    root = inner.metadata["parents"][""]
    for command in ("replay", "run"):
        code, parts, err = cli(
            capsys,
            command,
            fanout,
            "--graph",
            FANOUT_SPEC,
            "--thread",
            fanout_db.thread_id,
            "--checkpoint",
            inner.checkpoint_id,
        )
        assert (code, parts) == (1, [])
        assert err == (
            f"rewind: error: Checkpoint {inner.checkpoint_id} is inside subgraph "
            f"{inner.checkpoint_ns!r}: LangGraph runs a thread only from a root checkpoint; "
            f"run from root checkpoint {root} instead\n"
        )


def test_write_commands_never_import_qt(tmp_path):
    db = str(tmp_path / "review.sqlite")
    graph = ["--graph", REVIEW_SPEC, "--thread", "t"]
    script = (
        "import io, json, sys\n"
        "from contextlib import redirect_stdout\n"
        "from desktop.cli import main\n"
        f"db, graph = {db!r}, {graph!r}\n"
        "assert main(['run', db, *graph, '--input-json', '{\"request\": \"x\"}']) == 0\n"
        "out = io.StringIO()\n"
        "with redirect_stdout(out):\n"
        "    assert main(['status', db, *graph]) == 0\n"
        "checkpoint = json.loads(out.getvalue())['checkpoint_id']\n"
        "assert main(['fork', db, *graph, '--checkpoint', checkpoint, '--values', '{}']) == 0\n"
        "assert main(['resume', db, *graph]) == 0\n"
        "assert main(['resume', db, *graph, '--value', 'ok']) == 0\n"
        "qt = ('PySide6', 'qasync', 'shiboken6')\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in qt]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    with read_saver(Path(db)) as saver:
        state = review_graph(saver).get_state(thread_config("t"))
    assert state.values["draft"].endswith("(ok)")


def test_a_failing_graph_prints_one_line_and_exits_1(tmp_path):
    db = tmp_path / "batch.sqlite"
    args = ["--graph", BATCH_SPEC, "--thread", "b", "--input-json", '{"items": []}']
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "run", str(db), *args, "--stream-mode", "updates"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == f"rewind: error: Node 'explode' failed: ValueError: {BATCH_ERROR}\n"
    assert [list(json.loads(line)["data"]) for line in result.stdout.splitlines()] == [["load"]]


def test_resume_value_is_json_or_plain_text_but_never_broken_json():
    from desktop.cli_runs import parse_value
    from desktop.core.errors import RewindError

    assert parse_value('{"a": 1}') == {"a": 1}
    assert parse_value("yes") == "yes"
    assert parse_value("Team is $29 per seat") == "Team is $29 per seat"
    with pytest.raises(RewindError, match="looks like JSON"):
        parse_value("{bad")
