"""``rewind graph``: the JSON shape, node states at a checkpoint, errors, and no Qt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.core.graph_view import checkpoint_activity, graph_json, node_states, picture_of
from desktop.core.graphs import load_graph
from desktop.core.sources import open_source
from tests.graph_builders import FAILING_SPEC, PIPELINE_SPEC, PipelineDb, build_pipeline_db

PROJECT = Path(__file__).resolve().parent.parent / "data" / "lg_project" / "langgraph.json"


@pytest.fixture(scope="module")
def pipeline_db(tmp_path_factory: pytest.TempPathFactory) -> PipelineDb:
    return build_pipeline_db(tmp_path_factory.mktemp("cli_graph") / "pipeline.sqlite")


def rewind(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", "graph", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_graph_without_thread_is_get_graph_xray_all_idle() -> None:
    result = rewind("--graph", PIPELINE_SPEC)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    drawn = load_graph(PIPELINE_SPEC).graph.get_graph(xray=True)
    assert [n["id"] for n in printed["nodes"]] == list(drawn.nodes)
    assert {n["state"] for n in printed["nodes"]} == {"idle"}
    assert set(printed["nodes"][0]) == {"id", "name", "kind", "state", "error"}
    assert [(e["source"], e["target"], e["conditional"], e["label"]) for e in printed["edges"]] == [
        (e.source, e.target, e.conditional, e.data) for e in drawn.edges
    ]


def test_states_at_head_and_at_a_checkpoint(pipeline_db: PipelineDb) -> None:
    with open_source(pipeline_db.path) as source:
        history = source.history(pipeline_db.waiting_thread)
        step0 = next(m for m in history if m.step == 0 and not m.checkpoint_ns)
    head = rewind(
        pipeline_db.path, "--graph", PIPELINE_SPEC, "--thread", pipeline_db.waiting_thread
    )
    assert head.returncode == 0, head.stderr
    states = {n["id"]: n["state"] for n in json.loads(head.stdout)["nodes"]}
    assert states["review"] == "interrupted"
    assert states["research:search"] == "wrote" and states["__end__"] == "idle"
    at = rewind(
        pipeline_db.path,
        "--graph",
        PIPELINE_SPEC,
        "--thread",
        pipeline_db.waiting_thread,
        "--checkpoint",
        step0.checkpoint_id[:30],
    )
    states = {n["id"]: n["state"] for n in json.loads(at.stdout)["nodes"]}
    assert states["__start__"] == "wrote" and states["plan"] == "next"
    with open_source(pipeline_db.path) as source:
        expected = node_states(
            picture_of(load_graph(PIPELINE_SPEC).graph),
            checkpoint_activity(source.load_state(step0)),
        )
    assert json.loads(at.stdout) == graph_json(
        picture_of(load_graph(PIPELINE_SPEC).graph), expected
    )


def test_error_node_carries_its_text(pipeline_db: PipelineDb) -> None:
    result = rewind(pipeline_db.path, "--thread", pipeline_db.failed_thread)
    assert result.returncode == 0, result.stderr
    nodes = {n["id"]: n for n in json.loads(result.stdout)["nodes"]}
    assert nodes["explode"]["state"] == "error"
    assert "the price list is empty" in nodes["explode"]["error"]
    assert nodes["plan"]["state"] == "wrote"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Name a graph (--graph SPEC or --config langgraph.json)"),
        (("--config", PROJECT), "choose one with --graph-id: greeter, echo"),
        (("--graph", "demo", "--checkpoint", "abc"), "--checkpoint needs --thread"),
        (("--graph", "nope.py:graph"), "Graph file not found"),
    ],
)
def test_bad_input_is_one_line(args: tuple, message: str) -> None:
    result = rewind(*args)
    assert result.returncode == 1 and result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_unknown_thread_is_one_line(pipeline_db: PipelineDb) -> None:
    result = rewind(pipeline_db.path, "--graph", PIPELINE_SPEC, "--thread", "nobody")
    assert result.returncode == 1 and "not found" in result.stderr


def test_json_path_never_imports_qt(pipeline_db: PipelineDb) -> None:
    script = (
        "import sys\n"
        "from desktop.cli import main\n"
        f"assert main(['graph', {str(pipeline_db.path)!r}, '--graph', {PIPELINE_SPEC!r}, "
        f"'--thread', {pipeline_db.thread_id!r}]) == 0\n"
        "qt = ('PySide6', 'qasync', 'shiboken6')\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in qt]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_missing_env_file_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "echo.py").write_text((PROJECT.parent / "src" / "echo.py").read_text())
    config = tmp_path / "langgraph.json"
    config.write_text('{"graphs": {"echo": "./echo.py:graph"}, "env": ".env"}')
    result = rewind("--config", config)
    assert result.returncode == 0
    assert [n["id"] for n in json.loads(result.stdout)["nodes"]] == ["__start__", "echo", "__end__"]
    assert result.stderr.startswith("rewind: warning: ") and "env file not found" in result.stderr


def test_postgres_url_under_a_select_only_role_gives_the_same_answer(
    pg_database_factory, pipeline_db: PipelineDb
) -> None:
    database = pg_database_factory()
    on_postgres = build_pipeline_db(database.url)
    reader = database.select_only_url()
    for thread in (on_postgres.waiting_thread, on_postgres.failed_thread):
        spec = PIPELINE_SPEC if thread == on_postgres.waiting_thread else FAILING_SPEC
        pg = rewind(reader, "--graph", spec, "--thread", thread)
        assert pg.returncode == 0, pg.stderr
        lite = rewind(pipeline_db.path, "--graph", spec, "--thread", thread)
        assert json.loads(pg.stdout) == json.loads(lite.stdout)
    states = {n["id"]: n["state"] for n in json.loads(pg.stdout)["nodes"]}
    assert states["explode"] == "error"
