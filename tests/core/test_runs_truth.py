"""Runs behave as the user's app does (issue 7, sections 4 and 5): LangGraph's default
durability unless asked, a graph's own store kept, forks of typed state and of
functional-API graphs, each checked with LangGraph on the same database."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.store.sqlite import SqliteStore

from desktop.cli import main
from desktop.core.fork_edit import fork_values_from_edit
from desktop.core.forking import channel_kinds, update_from_values
from desktop.core.graphs import load_graph
from desktop.core.runner import run
from desktop.core.sources import open_source
from tests.builders import open_saver, read_saver, thread_config
from tests.core.truth_check import assert_thread_matches_langgraph
from tests.truth_graphs import (
    OWN_STORE,
    Color,
    Owner,
    Point,
    functional_graph,
    steps_app_factory,
    typed_graph,
)

GRAPHS = Path(__file__).resolve().parents[1] / "truth_graphs.py"
TYPES = [("tests.truth_graphs", name) for name in ("Color", "Point", "Owner")]


def cli(capsys, *args) -> tuple[int, list[dict], str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


def _checkpoint_count(path: Path, thread_id: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (thread_id,)
        ).fetchone()
    return count


def test_inner_graphs_without_a_checkpointer_run_under_langgraphs_default(capsys, tmp_path):
    db = tmp_path / "inner.sqlite"
    for name in ("inner_call_app", "extractor_app"):
        code, _, err = cli(
            capsys, "run", db, "--graph", f"{GRAPHS}:{name}", "--thread", name, "--input-json", "{}"
        )
        assert code == 0, err
        with read_saver(db) as saver:
            graph = load_graph(f"{GRAPHS}:{name}").graph.copy(update={"checkpointer": saver})
            notes = graph.get_state(thread_config(name)).values["notes"]
            assert_thread_matches_langgraph(db, graph, name)
        assert notes in (["inner ran", "finished"], ["Ada is 36"])
    code, _, err = cli(
        capsys,
        *("run", db, "--graph", f"{GRAPHS}:inner_call_app", "--thread", "s", "--input-json"),
        *("{}", "--durability", "sync"),
    )
    assert code == 1 and "_put_checkpoint_fut" in err, "sync breaks such nodes, as in LangGraph"


def test_durability_exit_saves_what_the_app_saves(capsys, tmp_path):
    ours, theirs = tmp_path / "ours.sqlite", tmp_path / "theirs.sqlite"
    with open_saver(theirs) as saver:
        graph = steps_app_factory().copy(update={"checkpointer": saver})
        graph.invoke({"count": 0}, thread_config("exit"), durability="exit")
        graph.invoke({"count": 0}, thread_config("default"))
    spec = f"{GRAPHS}:steps_app"
    for thread, extra in (("exit", ("--durability", "exit")), ("default", ())):
        code, _, err = cli(
            capsys, "run", ours, "--graph", spec, "--thread", thread, "--input-json", "{}", *extra
        )
        assert code == 0, err
        assert _checkpoint_count(ours, thread) == _checkpoint_count(theirs, thread)
    assert _checkpoint_count(ours, "exit") == 1 < _checkpoint_count(ours, "default")


def test_a_graph_keeps_its_own_store_and_others_get_rewinds(capsys, tmp_path):
    db = tmp_path / "store.sqlite"
    graph = load_graph(f"{GRAPHS}:own_store_app")

    async def run_once() -> None:
        async for _ in run(graph, db, "own", {"count": 7}):
            pass

    asyncio.run(run_once())
    own_store = graph.graph.store
    assert type(own_store) is type(OWN_STORE)
    assert own_store.get(("memories",), "last").value == {"count": 7}
    code, _, err = cli(
        capsys,
        *("run", db, "--graph", f"{GRAPHS}:no_store_app", "--thread", "rw"),
        *("--input-json", '{"count": 3}'),
    )
    assert code == 0, err
    with closing(sqlite3.connect(db, check_same_thread=False)) as conn:
        items = SqliteStore(conn).search(("memories",))
    assert [item.value for item in items] == [{"count": 3}], "only the store-less graph wrote here"
    with read_saver(db) as saver:
        notes = {
            t: load_graph(f"{GRAPHS}:{app}")
            .graph.copy(update={"checkpointer": saver})
            .get_state(thread_config(t))
            .values["notes"]
            for t, app in (("own", "own_store_app"), ("rw", "no_store_app"))
        }
    assert notes == {
        "own": ["store InMemoryStore holds 1"],
        "rw": ["store AsyncSqliteStore holds 1"],
    }


def _typed_db(path: Path) -> str:
    serde = JsonPlusSerializer(allowed_msgpack_modules=TYPES)
    with closing(sqlite3.connect(path, check_same_thread=False)) as conn:
        saver = SqliteSaver(conn, serde=serde)
        saver.setup()
        graph = typed_graph(saver)
        state = {
            "color": Color.RED,
            "point": Point(1, 2),
            "owner": Owner(name="ada"),
            "when": datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
        }
        graph.invoke(state, thread_config("typed"))
        return graph.get_state(thread_config("typed")).config["configurable"]["checkpoint_id"]


def test_fork_values_in_export_form_write_live_types_like_the_fork_editor(capsys, tmp_path):
    db = tmp_path / "typed.sqlite"
    head = _typed_db(db)
    with open_source(db) as source:
        meta = next(m for m in source.history("typed") if m.checkpoint_id == head)
        shown = source.load_state(meta).values
    values = {
        "color": {**shown["color"], "data": "blue"},
        "point": {**shown["point"], "y": 5},
        "owner": {**shown["owner"], "level": 3},
        "when": "2026-06-07T08:09:00+00:00",
    }
    spec = f"{GRAPHS}:typed_app"
    code, out, err = cli(
        capsys,
        *("fork", db, "--graph", spec, "--thread", "typed", "--checkpoint", head),
        *("--values", json.dumps(values), "--as-node", "touch"),
    )
    assert code == 0, err
    new_id = out[0]["checkpoint_id"]
    serde = JsonPlusSerializer(allowed_msgpack_modules=TYPES)
    with read_saver(db, serde=serde) as saver:
        snapshot = typed_graph(saver).get_state(
            {"configurable": {"thread_id": "typed", "checkpoint_id": new_id}}
        )
        live = dict(
            typed_graph(saver)
            .get_state({"configurable": {"thread_id": "typed", "checkpoint_id": head}})
            .values
        )
    assert snapshot.values["color"] is Color.BLUE
    assert snapshot.values["point"] == Point(1, 5)
    assert snapshot.values["owner"] == Owner(name="ada", level=3)
    assert snapshot.values["when"] == datetime(2026, 6, 7, 8, 9, tzinfo=UTC)
    with open_source(db) as source:
        forked = next(m for m in source.history("typed") if m.checkpoint_id == new_id)
    assert forked.writers == ("touch",)

    graph = load_graph(spec)
    from_cli = update_from_values(graph, values, live)
    original = {k: v for k, v in shown.items() if not k.startswith("__")}
    from_editor = fork_values_from_edit(
        original, {**original, **values}, channel_kinds(graph), live=live
    )
    assert from_cli == from_editor


def test_functional_api_fork_is_update_state_on_the_return_value(capsys, tmp_path):
    db = tmp_path / "func.sqlite"
    with open_saver(db) as saver:
        graph = functional_graph(saver)
        graph.invoke({"n": 3, "ask": False}, thread_config("f"))
        head = graph.get_state(thread_config("f")).config["configurable"]["checkpoint_id"]
    spec = f"{GRAPHS}:functional_app"
    code, out, err = cli(
        capsys,
        *("fork", db, "--graph", spec, "--thread", "f", "--checkpoint", head),
        *("--values", '{"runs": 100, "answer": "no"}'),
    )
    assert code == 0, err
    with read_saver(db) as saver:
        graph = functional_graph(saver)
        snapshot = graph.get_state(thread_config("f"))
        assert snapshot.config["configurable"]["checkpoint_id"] == out[0]["checkpoint_id"]
        assert snapshot.values == {"runs": 100, "answer": "no"}
        assert_thread_matches_langgraph(db, graph, "f")
    with open_source(db) as source:
        assert source.history("f")[0].writers == ("main",)
