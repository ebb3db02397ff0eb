"""Headless read commands on a postgresql:// URL: same JSON as on SQLite, one-line errors,
a SELECT-only role is enough, and neither Qt nor LangGraph's saver classes are imported."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import warnings

import pytest
from langgraph.checkpoint.postgres.shallow import ShallowPostgresSaver

from desktop.cli import main
from desktop.core.live_json import to_jsonable
from tests.builders import thread_config


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_threads_history_export_diff_on_a_url_as_a_select_only_role(capsys, pg_graphs, agent_db):
    url = pg_graphs.reader_url
    code, out, err = run_cli(capsys, "threads", url)
    assert code == 0 and err == ""
    threads = json.loads(out)
    assert {t["thread_id"] for t in threads} == set(pg_graphs.graphs)
    code, sqlite_out, _ = run_cli(capsys, "threads", agent_db.path)
    assert set(threads[0]) == set(json.loads(sqlite_out)[0])

    thread = pg_graphs.agent.multi_turn_thread
    code, out, err = run_cli(capsys, "history", url, "--thread", thread)
    assert code == 0 and err == ""
    lines = [json.loads(line) for line in out.splitlines()]
    _, sqlite_out, _ = run_cli(capsys, "history", agent_db.path, "--thread", thread)
    assert set(lines[0]) == set(json.loads(sqlite_out.splitlines()[0]))
    assert len(lines) == len(sqlite_out.splitlines())

    code, out, err = run_cli(capsys, "export", url, "--thread", thread)
    assert code == 0 and err == ""
    exported = json.loads(out)
    assert (
        exported["checkpoints"][0]["values"]["messages"][-1]["content"]
        == (pg_graphs.agent.answers[thread][-1])
    )

    fork = pg_graphs.fork
    code, out, err = run_cli(
        capsys,
        "diff",
        url,
        "--thread",
        fork.thread_id,
        "--checkpoint",
        fork.fork_ids[0][:30],
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)


def test_shallow_database_is_the_latest_checkpoint_with_a_note(capsys, pg_shallow):
    url = pg_shallow.reader_url
    code, out, err = run_cli(capsys, "threads", url)
    assert code == 0
    assert err.count("\n") == 1 and "shallow" in err and "time travel needs" in err
    assert {t["thread_id"] for t in json.loads(out)} == {
        pg_shallow.agent_thread,
        pg_shallow.interrupt_thread,
        pg_shallow.fanout_thread,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with ShallowPostgresSaver.from_conn_string(pg_shallow.url) as saver:
            truth = {
                t: (saver.get_tuple(thread_config(t)), list(saver.list(thread_config(t))))
                for t in (pg_shallow.agent_thread, pg_shallow.fanout_thread)
            }
    for thread_id, (latest, tuples) in truth.items():
        code, out, err = run_cli(capsys, "export", url, "--thread", thread_id)
        assert code == 0 and "shallow" in err
        checkpoints = json.loads(out)["checkpoints"]
        assert {(c["checkpoint_ns"], c["checkpoint_id"]) for c in checkpoints} == {
            (t.config["configurable"]["checkpoint_ns"], t.config["configurable"]["checkpoint_id"])
            for t in tuples
        }
        root = next(c for c in checkpoints if c["checkpoint_ns"] == "")
        assert root["checkpoint_id"] == latest.config["configurable"]["checkpoint_id"]
        assert root["parent_checkpoint_id"] is None
        assert "error" not in root
        stored = {**root["values"], **root["internal_channels"]}
        assert stored == to_jsonable(latest.checkpoint["channel_values"])
        assert root["metadata"] == latest.metadata


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://nobody@/x?host=/nonexistent-socket-dir", "Cannot connect"),
        ("postgres://h/db?bogus=1", "not a valid PostgreSQL URL"),
    ],
)
def test_bad_urls_exit_non_zero_with_one_line(capsys, url, message):
    code, out, err = run_cli(capsys, "threads", url)
    assert code == 1 and out == ""
    assert message in err and err.count("\n") == 1 and err.startswith("rewind: error:")


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("postgresql://host:notaport/db", "notaport"),
        ("postgresql://me:secret@h1:5432,h2:x/db", "x"),
        ("postgres://h/db?port=abc", "abc"),
    ],
)
def test_a_port_that_is_not_a_number_is_named(capsys, url, port):
    for command in (["threads", url], ["run", url, "--graph", "demo", "--thread", "t"]):
        code, out, err = run_cli(capsys, *command)
        assert code == 1 and out == ""
        assert err.startswith("rewind: error: ") and err.count("\n") == 1
        assert err.endswith(f": the port {port!r} is not a number\n")
        assert "secret" not in err


def test_libpq_sentences_are_joined_with_a_full_stop(capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, err = run_cli(capsys, "threads", f"postgresql://nobody@127.0.0.1:{port}/x")
    assert code == 1 and err.count("\n") == 1
    assert "failed: Connection refused. Is the server running on that host" in err
    assert err.endswith("?\n")


def test_unknown_thread_on_a_url(capsys, pg_graphs):
    code, out, err = run_cli(capsys, "history", pg_graphs.reader_url, "--thread", "nope")
    assert code == 1 and out == "" and "not found" in err and err.count("\n") == 1


def test_threads_on_a_url_imports_neither_qt_nor_the_saver_classes(pg_graphs):
    script = (
        "import sys\n"
        "from desktop.cli import main\n"
        f"assert main(['threads', {pg_graphs.reader_url!r}]) == 0\n"
        "heavy = ('PySide6', 'qasync', 'shiboken6', 'langchain_core', 'langgraph.pregel',\n"
        "         'langgraph.graph', 'langgraph.checkpoint.postgres',\n"
        "         'langgraph.checkpoint.sqlite')\n"
        "loaded = [m for m in sys.modules if m.startswith(heavy)]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
