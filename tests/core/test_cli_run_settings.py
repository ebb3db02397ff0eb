"""A run's ``configurable`` and ``context`` (``--configurable``, ``--context``) reach the graph,
checked with LangGraph on the same file; bad settings are one line and write nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.errors import RewindError
from desktop.core.run_settings import RunSettings, parse_configurable, parse_object
from tests.builders import read_saver, thread_config
from tests.data.settings_graphs import configurable_graph, context_graph

DATA = Path(__file__).resolve().parents[1] / "data"
CONTEXT_SPEC = f"{DATA / 'settings_graphs.py'}:context_app"
CONFIGURABLE_SPEC = f"{DATA / 'settings_graphs.py'}:configurable_app"


def cli(capsys, *args) -> tuple[int, list[dict], str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


def test_configurable_reaches_the_nodes_and_the_checkpoint_metadata(capsys, tmp_path):
    db = tmp_path / "conf.sqlite"
    settings = '{"user_id": "u42", "model": "small", "temperature": 0.5, "tags": ["a"]}'
    code, _, err = cli(
        capsys, "run", db, "--graph", CONFIGURABLE_SPEC, "--thread", "t1",
        "--input-json", "{}", "--configurable", settings,
    )  # fmt: skip
    assert code == 0, err
    with read_saver(db) as saver:
        graph = configurable_graph(saver)
        state = graph.get_state(thread_config("t1"))
        history = list(graph.get_state_history(thread_config("t1")))
    assert state.values["log"] == ["user u42 model small on t1"], "thread_id stays Rewind's"
    assert history, "the run saved checkpoints"
    for snapshot in history:
        # LangGraph copies scalar configurable values into every checkpoint's metadata
        assert snapshot.metadata["user_id"] == "u42"
        assert snapshot.metadata["temperature"] == 0.5
        assert "tags" not in snapshot.metadata
        assert snapshot.config["configurable"]["thread_id"] == "t1"


def test_context_reaches_runtime_context_in_run_replay_and_resume(capsys, tmp_path):
    db = tmp_path / "ctx.sqlite"
    base = ("--graph", CONTEXT_SPEC, "--thread", "c1")
    code, _, err = cli(
        capsys, "run", db, *base, "--input-json", "{}",
        "--context", '{"user_name": "Ada", "tone": "warm"}',
    )  # fmt: skip
    assert code == 0, err
    code, _, err = cli(
        capsys, "resume", db, *base, "--value", "yes", "--context", '{"user_name": "Bob"}'
    )
    assert code == 0, err
    with read_saver(db) as saver:
        graph = context_graph(saver)
        state = graph.get_state(thread_config("c1"))
        before_greet = next(
            s for s in graph.get_state_history(thread_config("c1")) if s.next == ("greet",)
        )
    assert state.values["log"] == ["greet Ada (warm)", "confirm yes for Bob"]

    checkpoint = before_greet.config["configurable"]["checkpoint_id"]
    code, _, err = cli(
        capsys, "replay", db, *base, "--checkpoint", checkpoint,
        "--context", '{"user_name": "Cy", "tone": "dry"}',
    )  # fmt: skip
    assert code == 0, err
    code, _, err = cli(
        capsys, "resume", db, *base, "--value", "no", "--context", '{"user_name": "Cy"}'
    )
    assert code == 0, err
    with read_saver(db) as saver:
        state = context_graph(saver).get_state(thread_config("c1"))
    assert state.values["log"] == ["greet Cy (dry)", "confirm no for Cy"], "the replay's context"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("option", "text", "said"),
    [
        ("--configurable", "{user: 1", "--configurable is not valid JSON: Expecting property name"),
        ("--configurable", "[1, 2]", "--configurable must be a JSON object ({...}), not list"),
        ("--configurable", '{"thread_id": "other"}', "--configurable may not set 'thread_id'"),
        ("--configurable", '{"checkpoint_id": "x"}', "--configurable may not set 'checkpoint_id'"),
        ("--context", '"Ada"', "--context must be a JSON object ({...}), not str"),
        ("--context", "{", "--context is not valid JSON"),
        ("--context", '{"nickname": "A"}', "Context refused, nothing was written: it does not fit"),
    ],
)
def test_bad_settings_are_one_line_and_write_nothing(capsys, tmp_path, option, text, said):
    db = tmp_path / "ctx.sqlite"
    base = ("--graph", CONTEXT_SPEC, "--thread", "c1")
    code, _, err = cli(capsys, "run", db, *base, "--input-json", "{}", option, text)
    assert code == 1 and err.startswith(f"rewind: error: {said}") and err.count("\n") == 1, err
    assert not db.exists(), "a refused run created the database"

    code, _, err = cli(
        capsys, "run", db, *base, "--input-json", "{}", "--context", '{"user_name": "A"}'
    )
    assert code == 0, err
    before = _digest(db)
    for command in (("run", "--input-json", "{}"), ("resume", "--value", "yes")):
        code, _, err = cli(capsys, command[0], db, *base, *command[1:], option, text)
        assert code == 1 and said in err and err.count("\n") == 1, err
        assert "Traceback" not in err
    assert _digest(db) == before, "a refused run changed the database"


def test_parsing_and_the_remembered_form():
    assert parse_object("  ", "Context") is None
    assert parse_configurable('{"user_id": 7}') == {"user_id": 7}
    with pytest.raises(RewindError, match="may not set '__pregel_x'"):
        parse_configurable('{"__pregel_x": 1}')
    settings = RunSettings({"user_id": "u"}, {"tone": "warm"}, 40, "exit")
    assert RunSettings.from_json(json.loads(json.dumps(settings.to_json()))) == settings
    assert settings.describe() == (
        "limit 40 · durability exit · configurable: user_id · context: tone"
    )
    assert RunSettings.from_json({"configurable": {"thread_id": "x"}, "recursion_limit": 9}) == (
        RunSettings(recursion_limit=9)
    ), "a stored setting Rewind refuses is dropped, not used"
    assert RunSettings.from_json("garbage").is_default
