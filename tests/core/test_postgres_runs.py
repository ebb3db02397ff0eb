"""Write commands on a postgresql:// URL, each checked against doing the same through
LangGraph's own API on a twin database built the same way (AsyncPostgresSaver path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from langgraph.types import Command

from desktop.cli import main
from desktop.core.sources import open_source
from tests.builders import (
    build_fork_db,
    build_interrupt_db,
    open_saver,
    review_graph,
    steps_graph,
    thread_config,
)

DATA = Path(__file__).resolve().parents[1] / "data"
STEPS_SPEC = f"{DATA / 'builder_graphs.py'}:steps"
REVIEW_SPEC = f"{DATA / 'builder_graphs.py'}:review"


def cli(capsys, *args) -> tuple[int, list[dict], str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


def config_of(thread_id: str, checkpoint_id: str) -> dict:
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": "",
            "checkpoint_id": checkpoint_id,
        }
    }


def trail(url: str, factory, thread_id: str) -> list[tuple]:
    """A thread's history as LangGraph reports it, without the ids that differ per run."""
    with open_saver(url) as saver:
        history = list(factory(saver).get_state_history(thread_config(thread_id)))
    return [
        (s.metadata["source"], s.metadata["step"], s.values, s.next, len(s.interrupts))
        for s in history
    ]


def test_run_on_an_empty_database_equals_langgraphs_own_run(capsys, pg_database_factory):
    ours, theirs = pg_database_factory(), pg_database_factory()
    code, parts, err = cli(
        capsys,
        "run",
        ours.url,
        "--graph",
        STEPS_SPEC,
        "--thread",
        "s",
        "--input-json",
        '{"value": 3, "log": []}',
        "--stream-mode",
        "updates,values",
    )
    assert code == 0, err
    assert [p["type"] for p in parts].count("updates") == 3
    assert parts[-1]["data"] == {"value": 49, "log": ["double", "increment", "square"]}
    with open_saver(theirs.url) as saver:
        steps_graph(saver).invoke({"value": 3, "log": []}, thread_config("s"))
    assert trail(ours.url, steps_graph, "s") == trail(theirs.url, steps_graph, "s")


def test_fork_replay_and_continue_equal_langgraphs(capsys, pg_database_factory):
    ours, theirs = (
        build_fork_db(pg_database_factory().url),
        build_fork_db(pg_database_factory().url),
    )
    thread = ours.thread_id
    code, parts, err = cli(
        capsys,
        "fork",
        ours.path,
        "--graph",
        STEPS_SPEC,
        "--thread",
        thread,
        "--checkpoint",
        ours.fork_parent_id[:30],
        "--values",
        '{"value": 100}',
        "--as-node",
        "double",
    )
    assert code == 0, err
    with open_saver(theirs.path) as saver:
        graph = steps_graph(saver)
        forked = graph.update_state(
            config_of(thread, theirs.fork_parent_id), {"value": 100}, as_node="double"
        )
        expected = graph.get_state(forked)
    with open_saver(ours.path) as saver:
        got = steps_graph(saver).get_state(config_of(thread, parts[0]["checkpoint_id"]))
    assert got.values == expected.values and got.next == expected.next
    assert got.parent_config["configurable"]["checkpoint_id"] == ours.fork_parent_id
    assert (got.metadata["source"], got.metadata["step"]) == ("update", expected.metadata["step"])

    code, parts, err = cli(
        capsys,
        "run",
        ours.path,
        "--graph",
        STEPS_SPEC,
        "--thread",
        thread,
        "--checkpoint",
        got.config["configurable"]["checkpoint_id"],
        "--stream-mode",
        "values",
    )
    assert code == 0, err
    with open_saver(theirs.path) as saver:
        final = list(steps_graph(saver).stream(None, forked, stream_mode="values"))[-1]
    assert parts[-1]["data"] == final == {"value": 101**2, "log": ["double", "increment", "square"]}

    code, parts, err = cli(
        capsys,
        "replay",
        ours.path,
        "--graph",
        STEPS_SPEC,
        "--thread",
        thread,
        "--checkpoint",
        ours.replay_from_id,
        "--stream-mode",
        "updates",
    )
    assert code == 0, err
    with open_saver(theirs.path) as saver:
        replayed = list(
            steps_graph(saver).stream(
                None, config_of(thread, theirs.replay_from_id), stream_mode="updates"
            )
        )
    assert [p["data"] for p in parts] == replayed
    assert trail(ours.path, steps_graph, thread) == trail(theirs.path, steps_graph, thread)


def test_resume_and_status_equal_langgraphs(capsys, pg_database_factory):
    ours = build_interrupt_db(pg_database_factory().url)
    theirs = build_interrupt_db(pg_database_factory().url)
    thread = ours.thread_id
    code, status, err = cli(capsys, "status", ours.path, "--graph", REVIEW_SPEC, "--thread", thread)
    assert code == 0, err
    assert status[0]["next"] == ["review"]
    assert [i["value"] for i in status[0]["interrupts"]] == [ours.interrupt_value]

    code, _, err = cli(
        capsys,
        "resume",
        ours.path,
        "--graph",
        REVIEW_SPEC,
        "--thread",
        thread,
        "--value",
        '"approved"',
    )
    assert code == 0, err
    with open_saver(theirs.path) as saver:
        review_graph(saver).invoke(Command(resume="approved"), thread_config(thread))
    assert trail(ours.path, review_graph, thread) == trail(theirs.path, review_graph, thread)
    code, status, err = cli(capsys, "status", ours.path, "--graph", REVIEW_SPEC, "--thread", thread)
    assert status[0]["next"] == [] and status[0]["interrupts"] == []


def test_status_needs_only_select_and_writes_are_refused_in_one_line(capsys, pg_graphs):
    reader, thread = pg_graphs.reader_url, pg_graphs.interrupt.thread_id
    code, status, err = cli(capsys, "status", reader, "--graph", REVIEW_SPEC, "--thread", thread)
    assert code == 0, err
    with open_saver(pg_graphs.url) as saver:
        truth = review_graph(saver).get_state(thread_config(thread))
    assert status[0]["next"] == list(truth.next)
    assert [i["id"] for i in status[0]["interrupts"]] == [i.id for i in truth.interrupts]
    with open_source(reader) as source:
        before = [m.checkpoint_id for m in source.history(thread)]
    code, parts, err = cli(
        capsys, "resume", reader, "--graph", REVIEW_SPEC, "--thread", thread, "--value", '"no"'
    )
    assert code == 1 and parts == []
    assert "permission denied" in err and err.count("\n") == 1
    with open_source(reader) as source:
        assert [m.checkpoint_id for m in source.history(thread)] == before


def test_a_database_without_tables_is_only_set_up_by_a_run_with_input(capsys, pg_db):
    code, _, err = cli(
        capsys, "replay", pg_db.url, "--graph", STEPS_SPEC, "--thread", "x", "--checkpoint", "1"
    )
    assert code == 1 and "has no LangGraph checkpoint tables" in err and err.count("\n") == 1
    with pg_db.connect() as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    assert tables == 0


HOLD = """
import sys
from desktop.core.locks import database_identity, thread_lock
with thread_lock(database_identity(sys.argv[1]), sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_one_writer_per_thread_on_a_url(capsys, pg_database_factory):
    db = build_interrupt_db(pg_database_factory().url)
    with open_source(db.path) as source:
        before = [m.checkpoint_id for m in source.history(db.thread_id)]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, db.path, db.thread_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        code, _, err = cli(
            capsys,
            "resume",
            db.path,
            "--graph",
            REVIEW_SPEC,
            "--thread",
            db.thread_id,
            "--value",
            '"approved"',
        )
    finally:
        holder.communicate("", timeout=30)
    assert code == 1 and err.count("\n") == 1
    assert f"is being run by another Rewind (pid {holder.pid})" in err
    with open_source(db.path) as source:
        assert [m.checkpoint_id for m in source.history(db.thread_id)] == before
