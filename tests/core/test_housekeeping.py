"""Housekeeping commands on real databases: size, delete, copy, prune.

Truth is LangGraph's own answer on the same file: a copied thread has the same
history as its source, a pruned thread is still read and continued by LangGraph, and
nothing changes without ``--yes`` / ``--apply``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.types import Command

from desktop.cli import main
from tests.builders import (
    fanout_graph,
    open_saver,
    review_graph,
    steps_graph,
    thread_config,
    tool_agent_graph,
)


def run_cli(capsys, *args: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def copy_db(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copy(source, target)
    return target


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def history(graph_factory, path: Path, thread_id: str) -> list[Any]:
    with open_saver(path) as saver:
        return list(graph_factory(saver).get_state_history(thread_config(thread_id)))


def snapshot_view(snapshots: list[Any]) -> list[tuple[Any, ...]]:
    """What LangGraph reports per checkpoint, without the thread id."""
    return [
        (
            s.config["configurable"]["checkpoint_id"],
            s.parent_config["configurable"]["checkpoint_id"] if s.parent_config else None,
            s.values,
            s.next,
            s.metadata,
            [(t.name, t.interrupts) for t in s.tasks],
        )
        for s in snapshots
    ]


def all_rows(path: Path, thread_id: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        checkpoints = conn.execute(
            "SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, "
            "metadata FROM checkpoints WHERE thread_id = ? ORDER BY checkpoint_ns, checkpoint_id",
            (thread_id,),
        ).fetchall()
        writes = conn.execute(
            "SELECT checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, value "
            "FROM writes WHERE thread_id = ? ORDER BY checkpoint_ns, checkpoint_id, task_id, idx",
            (thread_id,),
        ).fetchall()
    return checkpoints + writes


# -- size ---------------------------------------------------------------------------------


def test_size_reports_stored_lengths_per_thread(capsys, agent_db):
    before = digest(agent_db.path)
    code, out, err = run_cli(capsys, "size", agent_db.path)
    assert code == 0, err
    report = json.loads(out)
    with closing(sqlite3.connect(agent_db.path)) as conn:
        expected = {}
        for thread_id in agent_db.thread_ids:
            count, cp_bytes = conn.execute(
                "SELECT COUNT(*), SUM(length(checkpoint) + length(metadata)) FROM checkpoints "
                "WHERE thread_id = ?",
                (thread_id,),
            ).fetchone()
            (w_bytes,) = conn.execute(
                "SELECT COALESCE(SUM(length(value)), 0) FROM writes WHERE thread_id = ?",
                (thread_id,),
            ).fetchone()
            expected[thread_id] = (count, cp_bytes, w_bytes)
    rows = {t["thread_id"]: t for t in report["threads"]}
    assert set(rows) == set(agent_db.thread_ids)
    for thread_id, (count, cp_bytes, w_bytes) in expected.items():
        row = rows[thread_id]
        assert (row["checkpoints"], row["checkpoint_bytes"], row["writes_bytes"]) == (
            count,
            cp_bytes,
            w_bytes,
        )
        assert row["bytes"] == cp_bytes + w_bytes
        with open_saver(agent_db.path) as saver:
            assert count == len(list(saver.list(thread_config(thread_id))))
    assert report["total_bytes"] == sum(t["bytes"] for t in report["threads"])
    sizes = [t["bytes"] for t in report["threads"]]
    assert sizes == sorted(sizes, reverse=True)
    assert digest(agent_db.path) == before


def test_size_of_one_thread_and_largest_checkpoints(capsys, fanout_db):
    code, out, _ = run_cli(
        capsys, "size", fanout_db.path, "--thread", fanout_db.thread_id, "--largest", "3"
    )
    assert code == 0
    report = json.loads(out)
    assert [t["thread_id"] for t in report["threads"]] == [fanout_db.thread_id]
    largest = report["largest_checkpoints"]
    assert len(largest) == 3
    assert [c["bytes"] for c in largest] == sorted((c["bytes"] for c in largest), reverse=True)


def test_size_of_unknown_thread_is_one_line(capsys, agent_db):
    code, _, err = run_cli(capsys, "size", agent_db.path, "--thread", "nope")
    assert code == 1
    assert err.count("\n") == 1 and "nope" in err


# -- delete -------------------------------------------------------------------------------


def test_delete_without_yes_changes_nothing(capsys, agent_db, tmp_path):
    db = copy_db(agent_db.path, tmp_path)
    before = digest(db)
    code, out, err = run_cli(capsys, "delete", db, "--thread", "agent-math")
    assert code == 0
    assert json.loads(out)["deleted"] is False
    assert "--yes" in err
    assert digest(db) == before


def test_delete_with_yes_removes_only_that_thread(capsys, agent_db, tmp_path):
    db = copy_db(agent_db.path, tmp_path)
    kept = snapshot_view(history(tool_agent_graph, db, "agent-weather"))
    code, out, _ = run_cli(capsys, "delete", db, "--thread", "agent-math", "--yes")
    assert code == 0
    assert json.loads(out)["deleted"] is True
    assert history(tool_agent_graph, db, "agent-math") == []
    assert snapshot_view(history(tool_agent_graph, db, "agent-weather")) == kept
    assert all_rows(db, "agent-math") == []


# -- copy ---------------------------------------------------------------------------------


def test_copy_is_the_same_thread_under_a_new_id(capsys, fork_db, tmp_path):
    db = copy_db(fork_db.path, tmp_path)
    code, out, err = run_cli(capsys, "copy", db, "--thread", fork_db.thread_id, "--to", "twin")
    assert code == 0, err
    assert json.loads(out)["checkpoints"] == len(history(steps_graph, db, fork_db.thread_id))
    original = snapshot_view(history(steps_graph, db, fork_db.thread_id))
    copied = snapshot_view(history(steps_graph, db, "twin"))
    assert copied == original
    assert all_rows(db, "twin") == all_rows(db, fork_db.thread_id)


def test_copy_keeps_subgraph_checkpoints_and_writes(capsys, fanout_db, tmp_path):
    db = copy_db(fanout_db.path, tmp_path)
    code, _, err = run_cli(capsys, "copy", db, "--thread", fanout_db.thread_id, "--to", "twin")
    assert code == 0, err
    assert all_rows(db, "twin") == all_rows(db, fanout_db.thread_id)
    with open_saver(db) as saver:
        graph = fanout_graph(saver)
        for thread_id in (fanout_db.thread_id, "twin"):
            config = thread_config(thread_id)
            assert graph.get_state(config, subgraphs=True).values
        assert (
            graph.get_state(thread_config("twin")).values
            == graph.get_state(thread_config(fanout_db.thread_id)).values
        )


def test_copied_interrupted_thread_resumes_on_its_own(capsys, interrupt_db, tmp_path):
    db = copy_db(interrupt_db.path, tmp_path)
    code, _, err = run_cli(capsys, "copy", db, "--thread", interrupt_db.thread_id, "--to", "b")
    assert code == 0, err
    with open_saver(db) as saver:
        graph = review_graph(saver)
        assert graph.get_state(thread_config("b")).next == ("review",)
        result = graph.invoke(Command(resume="yes"), thread_config("b"))
        assert result["draft"].endswith("(yes)")
        assert graph.get_state(thread_config(interrupt_db.thread_id)).next == ("review",)


def test_copy_refuses_an_existing_target(capsys, agent_db, tmp_path):
    db = copy_db(agent_db.path, tmp_path)
    before = digest(db)
    code, _, err = run_cli(capsys, "copy", db, "--thread", "agent-math", "--to", "agent-weather")
    assert code == 1
    assert "already exists" in err and err.count("\n") == 1
    assert digest(db) == before


# -- prune --------------------------------------------------------------------------------


def test_prune_dry_run_lists_removals_and_changes_nothing(capsys, fork_db, tmp_path):
    db = copy_db(fork_db.path, tmp_path)
    before = digest(db)
    code, out, err = run_cli(capsys, "prune", db, "--keep", "2")
    assert code == 0
    (line,) = [json.loads(x) for x in out.splitlines()]
    snapshots = history(steps_graph, db, fork_db.thread_id)
    head = snapshots[0]
    kept = {
        head.config["configurable"]["checkpoint_id"],
        head.parent_config["configurable"]["checkpoint_id"],
    }
    all_ids = {s.config["configurable"]["checkpoint_id"] for s in snapshots}
    assert line["thread_id"] == fork_db.thread_id
    assert set(line["remove"]) == all_ids - kept
    assert "--apply" in err
    assert digest(db) == before


def test_prune_apply_keeps_the_head_line_langgraph_reads(capsys, fork_db, tmp_path):
    db = copy_db(fork_db.path, tmp_path)
    snapshots = snapshot_view(history(steps_graph, db, fork_db.thread_id))
    code, _, err = run_cli(capsys, "prune", db, "--keep", "3", "--apply")
    assert code == 0, err
    after = snapshot_view(history(steps_graph, db, fork_db.thread_id))
    head_line = [snapshots[0]]
    by_id = {s[0]: s for s in snapshots}
    while len(head_line) < 3 and head_line[-1][1] in by_id:
        head_line.append(by_id[head_line[-1][1]])
    assert [s[0] for s in after] == [s[0] for s in head_line]
    assert [s[2:] for s in after] == [s[2:] for s in head_line]
    assert not any(s[0] in fork_db.fork_ids[1:] for s in after)


def test_pruned_threads_continue_under_langgraph(capsys, agent_db, interrupt_db, tmp_path):
    db = copy_db(agent_db.path, tmp_path)
    code, _, err = run_cli(
        capsys, "prune", db, "--thread", "agent-weather", "--keep", "1", "--apply"
    )
    assert code == 0, err
    with open_saver(db) as saver:
        graph = tool_agent_graph(saver)
        config = thread_config("agent-weather")
        before = graph.get_state(config).values["messages"]
        assert len(list(graph.get_state_history(config))) == 1
        result = graph.invoke({"messages": [HumanMessage("What is the weather in Rome?")]}, config)
        assert result["messages"][: len(before)] == before
        assert len(result["messages"]) >= len(before) + 4
        assert "get_weather tool says" in result["messages"][-1].text
        assert len(list(graph.get_state_history(thread_config("agent-math")))) > 1

    (tmp_path / "paused").mkdir()
    paused = copy_db(interrupt_db.path, tmp_path / "paused")
    code, _, err = run_cli(capsys, "prune", paused, "--keep", "1", "--apply")
    assert code == 0, err
    with open_saver(paused) as saver:
        graph = review_graph(saver)
        config = thread_config(interrupt_db.thread_id)
        assert graph.get_state(config).next == ("review",)
        assert graph.invoke(Command(resume="ok"), config)["draft"].endswith("(ok)")


def test_prune_drops_subgraph_checkpoints_of_removed_steps(capsys, fanout_db, tmp_path):
    db = copy_db(fanout_db.path, tmp_path)
    code, _, err = run_cli(capsys, "prune", db, "--keep", "1", "--apply")
    assert code == 0, err
    with closing(sqlite3.connect(db)) as conn:
        namespaces = {
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT checkpoint_ns FROM checkpoints WHERE thread_id = ?",
                (fanout_db.thread_id,),
            )
        }
        (root_count,) = conn.execute(
            "SELECT COUNT(*) FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ''",
            (fanout_db.thread_id,),
        ).fetchone()
    assert namespaces == {""}
    assert root_count == 1
    with open_saver(db) as saver:
        state = fanout_graph(saver).get_state(thread_config(fanout_db.thread_id))
    assert state.values


def test_prune_before_a_date_and_bad_dates(capsys, fork_db, tmp_path):
    db = copy_db(fork_db.path, tmp_path)
    code, out, _ = run_cli(capsys, "prune", db, "--before", "2000-01-01")
    assert code == 0
    head_line_ids = set()
    snapshots = history(steps_graph, db, fork_db.thread_id)
    by_id = {s.config["configurable"]["checkpoint_id"]: s for s in snapshots}
    node = snapshots[0]
    while node is not None:
        head_line_ids.add(node.config["configurable"]["checkpoint_id"])
        parent = node.parent_config
        node = by_id.get(parent["configurable"]["checkpoint_id"]) if parent else None
    assert set(json.loads(out)["remove"]) == set(by_id) - head_line_ids

    code, out, _ = run_cli(capsys, "prune", db, "--before", "2999-01-01")
    assert code == 0
    assert set(json.loads(out)["remove"]) == set(by_id) - {
        snapshots[0].config["configurable"]["checkpoint_id"]
    }

    code, _, err = run_cli(capsys, "prune", db, "--before", "yesterday")
    assert code == 1 and "ISO" in err


@pytest.mark.parametrize("keep", ["0", "-3"])
def test_prune_refuses_to_keep_nothing(capsys, fork_db, keep):
    code, _, err = run_cli(capsys, "prune", fork_db.path, f"--keep={keep}")
    assert code == 1 and "at least 1" in err


# -- one writer per thread ----------------------------------------------------------------

HOLD = """
import sys
from desktop.core.locks import database_identity, thread_lock
with thread_lock(database_identity(sys.argv[1]), sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.mark.parametrize(
    "command",
    [
        ("delete", "--thread", "agent-math", "--yes"),
        ("copy", "--thread", "agent-math", "--to", "fresh"),
        ("prune", "--thread", "agent-math", "--keep", "1", "--apply"),
    ],
)
def test_housekeeping_never_touches_a_thread_another_rewind_runs(
    capsys, agent_db, tmp_path, command
):
    db = copy_db(agent_db.path, tmp_path)
    before = digest(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), "agent-math"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        code, _, err = run_cli(capsys, command[0], db, *command[1:])
    finally:
        holder.communicate("", timeout=30)
    assert code == 1
    assert err.count("\n") == 1
    assert f"thread agent-math is being run by another Rewind (pid {holder.pid})" in err
    assert digest(db) == before


def test_largest_must_not_be_negative(capsys, agent_db):
    with pytest.raises(SystemExit) as exit_info:
        main(["size", str(agent_db.path), "--largest", "-3"])
    assert exit_info.value.code == 2
    assert "must be 0 or more" in capsys.readouterr().err


def test_help_lists_every_command(capsys):
    from desktop.cli import HEADLESS_COMMANDS

    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for command in HEADLESS_COMMANDS:
        assert command in text


def test_a_mistyped_command_is_one_line_and_opens_no_window(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "histroy"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path.cwd(),
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "histroy: no such file, and not a command (threads, history" in result.stderr


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["history", "x.sqlite"], "rewind history: error: the following arguments are required"),
        (
            ["threads", "x.sqlite", "--bogus"],
            "rewind threads: error: unrecognized arguments: --bogus",
        ),
        (
            ["run", "x.sqlite", "--graph", "demo", "--thread", "t", "--durability", "never"],
            "rewind run: error: argument --durability: invalid choice: 'never'",
        ),
        (["--window-size", "abc"], "rewind: error: argument --window-size"),
    ],
)
def test_a_mistyped_flag_is_one_line_not_the_usage(argv, says, capsys, tmp_path):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(says)
    assert "--help" in err and "usage:" not in err
    assert not (tmp_path / "x.sqlite").exists() and not Path("x.sqlite").exists()
