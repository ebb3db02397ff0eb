"""The wording of the CLI's one-line errors and notes: what a new user mistypes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.graphs import load_graph
from tests.builders import read_saver, thread_config
from tests.data.settings_graphs import context_graph, raw_context_graph

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


UNSUPPORTED = "URLs are not supported: give a SQLite file or a postgresql:// URL"


@pytest.mark.parametrize(
    "command",
    [
        ["threads", "mysql://x/y"],
        ["history", "mysql://x/y", "--thread", "t"],
        ["history", "mysql://x/y", "--thread", "t", "--follow"],
        ["store", "mysql://x/y"],
        ["run", "mysql://x/y", "--graph", "demo", "--thread", "t", "--input", "hi"],
        ["delete", "mysql://x/y", "--thread", "t"],
        ["mysql://x/y"],
    ],
)
def test_a_url_of_another_database_says_so(capsys, command):
    code, out, err = run_cli(capsys, *command)
    assert (code, out) == (1, "")
    assert err == f"rewind: error: mysql:// {UNSUPPORTED}\n"


def test_a_sqlite_url_is_not_taken_for_a_path(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "threads", "sqlite:///agents.db")
    assert code == 1 and err == f"rewind: error: sqlite:// {UNSUPPORTED}\n"
    assert not (tmp_path / "sqlite:").exists()


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["history"], "the following arguments are required: path, --thread"),
        (
            ["history", "x.db", "--thread", "t", "--follow", "--bogus"],
            "unrecognized arguments: --bogus",
        ),
        (
            ["run", "x.db", "--graph", "demo", "--thread", "t", "--bogus", "1"],
            "unrecognized arguments: --bogus 1",
        ),
    ],
)
def test_usage_errors_exit_2_and_name_the_subcommand(capsys, command, message):
    with pytest.raises(SystemExit) as stopped:
        main(command)
    out, err = capsys.readouterr()
    name = command[0]
    assert (stopped.value.code, out) == (2, "")
    assert err == f"rewind {name}: error: {message} (see `rewind {name} --help`)\n"


def test_an_unknown_window_option_is_a_usage_error_of_rewind(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--bogus"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err == (
        "rewind: error: unrecognized arguments: --bogus (see `rewind --help`)\n"
    )


def test_every_command_names_a_missing_thread_alike(capsys, interrupt_db):
    graph = ["--graph", f"{DATA / 'builder_graphs.py'}:review"]
    where = interrupt_db.path
    for command in (
        ["history", where, "--thread", "nope"],
        ["export", where, "--thread", "nope"],
        ["status", where, *graph, "--thread", "nope"],
        ["resume", where, *graph, "--thread", "nope"],
    ):
        code, out, err = run_cli(capsys, *command)
        assert (code, out) == (1, "")
        assert err.startswith(f"rewind: error: Thread 'nope' not found in {where}"), err


SETTINGS = DATA / "settings_graphs.py"


def test_a_context_without_a_context_schema_is_noted_and_reaches_the_nodes(capsys, tmp_path):
    db = tmp_path / "ctx.sqlite"
    graph = ["--graph", f"{SETTINGS}:raw_context_app", "--thread", "t"]
    code, _, err = run_cli(capsys, "run", db, *graph, "--input-json", "{}", "--context", '{"x": 1}')
    assert code == 0, err
    assert err == (
        "rewind: note: the graph declares no context_schema: LangGraph passes the context "
        "to its nodes as given, a plain dict in runtime.context, unchecked\n"
    )
    with read_saver(db) as saver:
        state = raw_context_graph(saver).get_state(thread_config("t"))
    assert state.values["log"] == ["context {'x': 1}"]
    code, _, err = run_cli(capsys, "run", db, *graph, "--input-json", "{}")
    assert (code, err) == (0, "")


def test_an_object_answer_not_keyed_by_interrupt_id_is_noted(capsys, tmp_path):
    db = tmp_path / "ask.sqlite"
    context = ["--context", '{"user_name": "Ada"}']
    for thread in ("plain", "by-id"):
        base = ["--graph", f"{SETTINGS}:context_app", "--thread", thread, *context]
        code, _, err = run_cli(capsys, "run", db, *base, "--input-json", "{}")
        assert code == 0, err
    with read_saver(db) as saver:
        graph = context_graph(saver)
        pending = graph.get_state(thread_config("by-id")).interrupts[0].id
        pending_plain = graph.get_state(thread_config("plain")).interrupts[0].id
    base = ["--graph", f"{SETTINGS}:context_app", *context]
    code, _, err = run_cli(
        capsys, "resume", db, *base, "--thread", "plain", "--value", '{"wrongid": 1}'
    )
    assert code == 0
    assert err == (
        "rewind: note: the value is a JSON object whose keys (wrongid) are not interrupt "
        f"ids: interrupt {pending_plain} takes the whole object as its answer, as LangGraph "
        f'does (to answer by id: {{"{pending_plain}": value}})\n'
    )
    answer = json.dumps({pending: {"ok": True}})
    code, _, err = run_cli(capsys, "resume", db, *base, "--thread", "by-id", "--value", answer)
    assert (code, err) == (0, "")
    with read_saver(db) as saver:
        graph = context_graph(saver)
        plain = graph.get_state(thread_config("plain")).values["log"]
        by_id = graph.get_state(thread_config("by-id")).values["log"]
    assert plain[-1] == "confirm {'wrongid': 1} for Ada"
    assert by_id[-1] == "confirm {'ok': True} for Ada"


def test_a_stopped_run_is_stopped_not_an_error(capsys, tmp_path):
    """Ctrl-C while the demo's agent streams tokens: LangGraph records the cancellation
    as the task's error; ``rewind status`` lists it under ``stopped``, not ``errors``."""
    db = tmp_path / "stop.sqlite"
    env = {**os.environ, "REWIND_DEMO_TOKEN_DELAY": "0.2", "REWIND_DATA_DIR": str(tmp_path)}
    command = ["run", db, "--graph", "demo", "--thread", "t", "--input", "What is 12 * 49?"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop", *map(str, command)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in proc.stdout:
            if json.loads(line)["type"] == "messages":
                break
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    with read_saver(db) as saver:
        snapshot = load_graph("demo").bind(saver).get_state(thread_config("t"))
    assert snapshot.next == ("agent",)
    assert [(t.name, str(t.error)) for t in snapshot.tasks] == [("agent", "CancelledError()")]
    code, out, err = run_cli(capsys, "status", db, "--graph", "demo", "--thread", "t")
    assert code == 0, err
    status = json.loads(out)
    assert (status["errors"], status["stopped"], status["can_continue"]) == ([], ["agent"], True)
    code, out, _ = run_cli(capsys, "threads", db)
    assert [(t["thread_id"], t["status"]) for t in json.loads(out)] == [("t", "unfinished")]
