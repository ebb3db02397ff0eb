"""Headless read commands: JSON output, one-line errors, and no Qt."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

import pytest

from desktop.cli import main
from tests.builders import open_saver, steps_graph, thread_config, tool_agent_graph


def run_python(script: str) -> None:
    """``script`` in a fresh interpreter; it must succeed."""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_threads_prints_a_json_array(capsys, agent_db):
    code, out, err = run_cli(capsys, "threads", agent_db.path)
    assert code == 0, err
    threads = json.loads(out)
    assert {t["thread_id"] for t in threads} == set(agent_db.thread_ids)
    assert set(threads[0]) == {"thread_id", "checkpoints", "updated_at", "status", "next"}
    with open_saver(agent_db.path) as saver:
        graph = tool_agent_graph(saver)
        for entry in threads:
            snapshot = graph.get_state(thread_config(entry["thread_id"]))
            assert entry["next"] == list(snapshot.next)
            assert entry["status"] == ("unfinished" if snapshot.next else "finished")
    assert threads[0]["updated_at"] >= threads[-1]["updated_at"]


def test_threads_output_is_json_indented_by_two(capsys, interrupt_db, fanout_db):
    """The records are encoded by orjson: the text is still ``json.dumps(..., indent=2)``,
    nested lists (a waiting thread's ``next``) included."""
    listed = []
    for db in (interrupt_db, fanout_db):
        code, out, err = run_cli(capsys, "threads", db.path)
        assert code == 0, err
        listed.append(json.loads(out))
        assert out == json.dumps(listed[-1], ensure_ascii=False, indent=2) + "\n"
    assert listed[0][0]["next"] == [interrupt_db.node]


def test_threads_output_escapes_ids_as_json_does(capsys, tmp_path):
    """Thread ids with quotes, backslashes, control characters and non-ASCII text are
    printed character for character as ``json.dumps(..., ensure_ascii=False, indent=2)``."""
    ids = ["", 'say "hi"\\now', "tab\tnew\nline\x00\x1f\x7f", "é中😀\u2028", "</b>&amp;"]
    path = tmp_path / "ids.sqlite"
    with open_saver(path) as saver:
        graph = steps_graph(saver)
        for thread_id in ids:
            graph.invoke({"value": 1}, thread_config(thread_id))
    code, out, err = run_cli(capsys, "threads", path)
    assert code == 0, err
    listed = json.loads(out)
    assert sorted(t["thread_id"] for t in listed) == sorted(ids)
    assert out == json.dumps(listed, ensure_ascii=False, indent=2) + "\n"


def test_threads_gives_the_garbage_collector_back(capsys, agent_db, tmp_path):
    """``rewind threads`` pauses the cyclic collector while it lists, and turns it back
    on afterwards, also when the listing fails (callers in the same process, tests
    among them, keep theirs)."""
    assert gc.isenabled()
    assert run_cli(capsys, "threads", agent_db.path)[0] == 0
    assert gc.isenabled()
    assert run_cli(capsys, "threads", tmp_path / "missing.sqlite")[0] == 1
    assert gc.isenabled()


def test_records_orjson_refuses_are_printed_by_json(capsys):
    """An integer over 64 bits (orjson refuses it): printed as ``json.dumps`` prints it."""
    from desktop.cli_read import _print_records

    records = [{"thread_id": "é", "checkpoints": 2**70, "next": ["a"]}]
    _print_records(records)
    out, _ = capsys.readouterr()
    assert out == json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def test_history_prints_one_object_per_line_newest_first(capsys, agent_db):
    thread_id = agent_db.multi_turn_thread
    code, out, _ = run_cli(capsys, "history", agent_db.path, "--thread", thread_id)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    with open_saver(agent_db.path) as saver:
        expected = list(tool_agent_graph(saver).get_state_history(thread_config(thread_id)))
    assert [line["checkpoint_id"] for line in lines] == [
        s.config["configurable"]["checkpoint_id"] for s in expected
    ]
    assert set(lines[0]) == {
        "checkpoint_id",
        "parent_checkpoint_id",
        "checkpoint_ns",
        "step",
        "source",
        "created_at",
        "nodes",
        "next",
    }
    by_id = {s.config["configurable"]["checkpoint_id"]: s for s in expected}
    for line in lines:
        snapshot = by_id[line["checkpoint_id"]]
        assert line["next"] == list(snapshot.next)
        parent = by_id.get(line["parent_checkpoint_id"])
        ran = [t.name for t in parent.tasks] if parent and line["source"] == "loop" else []
        assert line["nodes"] == ran


def test_history_includes_subgraph_namespaces(capsys, fanout_db):
    code, out, _ = run_cli(capsys, "history", fanout_db.path, "--thread", fanout_db.thread_id)
    assert code == 0
    namespaces = {json.loads(line)["checkpoint_ns"] for line in out.splitlines()}
    assert set(fanout_db.subgraph_namespaces) <= namespaces


def test_export_has_values_messages_and_pending_writes(capsys, interrupt_db, agent_db):
    code, out, _ = run_cli(capsys, "export", agent_db.path, "--thread", agent_db.multi_turn_thread)
    assert code == 0
    exported = json.loads(out)
    assert exported["thread_id"] == agent_db.multi_turn_thread
    latest = exported["checkpoints"][0]
    assert {"checkpoint_id", "checkpoint_ns", "parent_checkpoint_id", "created_at"} <= set(latest)
    assert latest["metadata"]["source"] == "loop"
    messages = latest["values"]["messages"]
    assert messages[0]["type"] == "human"
    assert any(m.get("tool_calls") for m in messages)

    code, out, _ = run_cli(capsys, "export", interrupt_db.path, "--thread", interrupt_db.thread_id)
    writes = json.loads(out)["checkpoints"][0]["pending_writes"]
    interrupt = next(w for w in writes if w["channel"] == "__interrupt__")
    assert set(interrupt) >= {"task_id", "channel", "value"}
    assert interrupt["value"][0]["value"] == interrupt_db.interrupt_value


def test_export_keeps_undecodable_checkpoints_with_an_error(capsys, hostile_db):
    ref = hostile_db.garbage_checkpoint
    code, out, _ = run_cli(capsys, "export", hostile_db.path, "--thread", ref.thread_id)
    assert code == 0
    checkpoints = json.loads(out)["checkpoints"]
    bad = next(c for c in checkpoints if c["checkpoint_id"] == ref.checkpoint_id)
    assert bad["error"].startswith("checkpoint blob could not be decoded")
    assert not hostile_db.marker.exists()


def test_diff_against_parent_and_against_another_branch(capsys, fork_db):
    code, out, _ = run_cli(
        capsys,
        "diff",
        fork_db.path,
        "--thread",
        fork_db.thread_id,
        "--checkpoint",
        fork_db.fork_ids[0],
    )
    assert code == 0
    assert "value" in out and str(fork_db.fork_values[0]) in out
    code, out, _ = run_cli(
        capsys,
        "diff",
        fork_db.path,
        "--thread",
        fork_db.thread_id,
        "--checkpoint",
        fork_db.fork_ids[0],
        "--against",
        fork_db.fork_ids[1],
        "--json",
    )
    assert code == 0
    entries = json.loads(out)["entries"]
    change = next(e for e in entries if e["path"] == ["value"])
    assert (change["old"], change["new"]) == (fork_db.fork_values[1], fork_db.fork_values[0])


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("not_sqlite_path", "is not a SQLite database"),
        ("empty_path", "is empty"),
        ("sqlite_without_tables_path", "has no LangGraph checkpoint tables"),
    ],
)
def test_bad_files_exit_non_zero_with_one_line(capsys, request, fixture, message):
    path = request.getfixturevalue(fixture)
    for command in (["threads", path], ["history", path, "--thread", "x"]):
        code, out, err = run_cli(capsys, *command)
        assert code == 1
        assert out == ""
        assert err.count("\n") == 1 and message in err
        assert "Traceback" not in err


def test_unknown_thread_and_missing_file(capsys, agent_db, tmp_path):
    code, _, err = run_cli(capsys, "history", agent_db.path, "--thread", "no-such-thread")
    assert code == 1 and "Thread 'no-such-thread' not found" in err
    code, _, err = run_cli(capsys, "export", tmp_path / "missing.db", "--thread", "x")
    assert code == 1 and "no such file" in err
    code, _, err = run_cli(
        capsys, "diff", agent_db.path, "--thread", agent_db.thread_ids[0], "--checkpoint", "zzz"
    )
    assert code == 1 and "not found" in err


def test_headless_commands_never_import_qt(agent_db):
    path, thread = str(agent_db.path), agent_db.thread_ids[0]
    script = (
        "import sys\n"
        "from desktop.cli import main\n"
        f"assert main(['threads', {path!r}]) == 0\n"
        f"assert main(['export', {path!r}, '--thread', {thread!r}]) == 0\n"
        "qt = ('PySide6', 'qasync', 'shiboken6')\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in qt]\n"
        "assert not loaded, loaded\n"
    )
    run_python(script)


def test_threads_loads_no_run_machinery(agent_db):
    """``rewind threads`` is a listing: it loads neither asyncio, LangGraph nor LangChain."""
    script = (
        "import sys\n"
        "from desktop.cli import main\n"
        f"assert main(['threads', {str(agent_db.path)!r}]) == 0\n"
        "heavy = ('asyncio', 'langgraph', 'langchain_core', 'pydantic', 'concurrent')\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(heavy))\n"
        "assert not loaded, loaded\n"
    )
    run_python(script)


def test_python_dash_m_desktop_runs_the_same_entry_point(agent_db):
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "threads", str(agent_db.path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == len(agent_db.thread_ids)


def test_diff_of_an_undecodable_checkpoint_is_an_error_not_no_changes(capsys, hostile_db):
    ref = hostile_db.garbage_checkpoint
    code, out, err = run_cli(
        capsys,
        "diff",
        hostile_db.path,
        "--thread",
        ref.thread_id,
        "--checkpoint",
        ref.checkpoint_id,
    )
    assert code == 1 and out == ""
    assert "could not be decoded" in err and err.count("\n") == 1


def test_export_values_are_get_states_values_and_internal_channels_apart(capsys, tmp_path):
    """`values` holds what LangGraph's get_state().values holds at every checkpoint; the
    scheduling channels (branch:to:*, __start__, ...) stored beside them are kept apart.
    With the graph, even a reducer channel not written yet is there, as LangGraph's []."""
    from desktop.core.live_json import to_jsonable

    (tmp_path / "steps_agent.py").write_text(
        "from tests.builders import steps_graph\ngraph = steps_graph(None)\n"
    )
    path = tmp_path / "steps.sqlite"
    with open_saver(path) as saver:
        graph = steps_graph(saver)
        graph.invoke({"value": 3}, thread_config("t"))
        history = {
            s.config["configurable"]["checkpoint_id"]: s
            for s in graph.get_state_history(thread_config("t"))
        }
    spec = f"{tmp_path / 'steps_agent.py'}:graph"
    code, out, _ = run_cli(capsys, "export", path, "--thread", "t", "--graph", spec)
    assert code == 0
    exported = json.loads(out)["checkpoints"]
    assert {c["checkpoint_id"] for c in exported} == set(history)
    internal_seen = set()
    for checkpoint in exported:
        snapshot = history[checkpoint["checkpoint_id"]]
        assert checkpoint["values"] == to_jsonable(snapshot.values)
        internal_seen |= set(checkpoint["internal_channels"])
    assert any(name.startswith("branch:to:") for name in internal_seen)
