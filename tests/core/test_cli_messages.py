"""The wording of the CLI's one-line errors and notes: what a new user mistypes."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"


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
