"""Delta channels read back exactly as LangGraph reports them, at every checkpoint.

Each database is written by a real graph (deepagents, ``create_agent``, a graph with a
subgraph, custom reducers) through langgraph's ``SqliteSaver``; every checkpoint of
every namespace and branch is read by Rewind (no graph, no code run) and compared
with ``get_state`` of the same graph on the same file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.core.delta_fold import (
    UNFOLDED_KEY,
    DeltaHistory,
    DeltaWrite,
    fold,
    fold_dict_merge,
    fold_messages,
)
from desktop.core.live_json import to_jsonable
from desktop.core.model import user_channels
from desktop.core.sources import open_source
from desktop.core.sources.sqlite import SqliteCheckpointSource
from tests.builders import read_saver
from tests.delta_builders import (
    DeltaDb,
    ask_graph,
    build_chat_db,
    build_create_agent_db,
    build_deep_agent_db,
    build_durability_db,
    build_resume_update_db,
    build_subagent_db,
    build_tally_db,
    chat_graph,
    create_agent_graph,
    deep_agent_graph,
    delegating_agent_graph,
    recent_reducer,
    tally_graph,
    tally_reducer,
)

GraphFactory = Callable[[Any], Any]
DELTA_GRAPHS = Path(__file__).parent.parent / "data" / "delta_graphs.py"


@pytest.fixture(scope="module")
def deep_db(tmp_path_factory: pytest.TempPathFactory) -> DeltaDb:
    return build_deep_agent_db(tmp_path_factory.mktemp("deep") / "deep.db")


@pytest.fixture(scope="module")
def chat_db(tmp_path_factory: pytest.TempPathFactory) -> DeltaDb:
    return build_chat_db(tmp_path_factory.mktemp("chat") / "chat.db")


@pytest.fixture(scope="module")
def tally_db(tmp_path_factory: pytest.TempPathFactory) -> DeltaDb:
    return build_tally_db(tmp_path_factory.mktemp("tally") / "tally.db")


@pytest.fixture(scope="module")
def lookup_db(tmp_path_factory: pytest.TempPathFactory) -> DeltaDb:
    return build_create_agent_db(tmp_path_factory.mktemp("lookup") / "lookup.db")


def _truth_and_rewind(
    db: DeltaDb, factory: GraphFactory
) -> list[tuple[str, str, dict[str, Any], Any]]:
    """``(ns, checkpoint_id, LangGraph's values as JSON, Rewind's state)`` per checkpoint."""
    out = []
    with read_saver(db.path) as saver, SqliteCheckpointSource(db.path) as source:
        graph = factory(saver)
        for thread_id in db.thread_ids:
            for meta in source.history(thread_id):
                config = {
                    "configurable": {
                        "thread_id": thread_id,
                        "checkpoint_ns": meta.checkpoint_ns,
                        "checkpoint_id": meta.checkpoint_id,
                    }
                }
                truth = to_jsonable(dict(graph.get_state(config).values))
                out.append((meta.checkpoint_ns, meta.checkpoint_id, truth, source.load_state(meta)))
    return out


def _assert_equal_everywhere(db: DeltaDb, factory: GraphFactory) -> list[Any]:
    states = []
    for ns, cid, truth, state in _truth_and_rewind(db, factory):
        assert state.error is None
        assert user_channels(state.values) == truth, f"checkpoint {ns!r} {cid}"
        states.append(state)
    return states


def test_deepagents_messages_and_files_match_langgraph_everywhere(deep_db: DeltaDb) -> None:
    states = _assert_equal_everywhere(deep_db, deep_agent_graph)
    assert len(states) > 120
    rebuilt = [s for s in states if "messages" in s.reconstructed]
    assert len(rebuilt) > 100
    assert all(not s.unfolded for s in states)
    assert any(s.pending_writes is not None and len(s.values["files"]) >= 30 for s in states)
    heads = {s.meta.parent_checkpoint_id for s in states}
    tips = [s for s in states if s.meta.checkpoint_id not in heads]
    assert len(tips) >= 3, "head, fork and replay branches"
    deleted = [s for s in states if "/notes.txt" in s.values["files"]]
    assert any("/note-1.md" not in s.values["files"] for s in deleted)


def test_deepagents_thread_holds_snapshots_and_writes_on_the_updated_checkpoint(
    deep_db: DeltaDb,
) -> None:
    with SqliteCheckpointSource(deep_db.path) as source:
        states = [source.load_state(m) for m in source.history("deep-notes")]
    stored = [s for s in states if "messages" not in s.reconstructed and s.values["messages"]]
    assert stored, "deepagents' snapshot cadence left at least one _DeltaSnapshot"
    updates = [s for s in states if s.meta.source == "update"]
    fork = next(s for s in updates if s.values["messages"][-1]["id"] == "fork-human")
    assert "messages" not in fork.reconstructed, "a fork of a superseded checkpoint snapshots"
    update = next(s for s in updates if s.values["messages"][-1]["id"] == "head-update")
    parent = next(s for s in states if s.meta.checkpoint_id == update.meta.parent_checkpoint_id)
    stored_on_parent = [w.value for w in parent.pending_writes if w.channel == "messages"]
    assert [m["id"] for write in stored_on_parent for m in write] == ["head-update"]
    assert update.values["messages"][-1]["id"] == "head-update"


def test_subgraph_namespaces_forks_replays_and_remove_all_match(chat_db: DeltaDb) -> None:
    states = _assert_equal_everywhere(chat_db, chat_graph)
    assert any(s.meta.checkpoint_ns for s in states if s.reconstructed)
    assert any(s.values["messages"] and s.values["messages"][0]["id"] == "h3" for s in states)


@pytest.mark.parametrize(("graph", "factory"), [("deep", deep_agent_graph), ("chat", chat_graph)])
def test_exit_durability_matches(tmp_path: Path, graph: str, factory: GraphFactory) -> None:
    db = build_durability_db(tmp_path / f"{graph}.db", graph)
    states = _assert_equal_everywhere(db, factory)
    assert any(s.reconstructed for s in states)
    if graph == "deep":
        assert any(s.meta.step == -2 for s in states), "exit mode's empty first checkpoint"


def test_resume_with_an_update_applies_the_null_task_writes(tmp_path: Path) -> None:
    db = build_resume_update_db(tmp_path / "ask.db")
    states = _assert_equal_everywhere(db, ask_graph)
    interrupted = next(s for s in states if any(w.is_interrupt for w in s.pending_writes))
    assert [m["id"] for m in interrupted.values["messages"]] == ["hi", "extra"]


def test_deepagents_subagent_namespace_matches(tmp_path: Path) -> None:
    db = build_subagent_db(tmp_path / "sub.db")
    checked = 0
    for ns, cid, truth, state in _truth_and_rewind(db, delegating_agent_graph):
        shown = user_channels(state.values)
        assert "files" in shown, "delta channels are shown at every checkpoint"
        # The subagent's messages are a plain add_messages channel, [] before written.
        assert shown == truth, f"{ns!r} {cid}"
        checked += bool(ns)
    assert checked >= 5


def test_create_agent_opting_in_matches(lookup_db: DeltaDb) -> None:
    states = _assert_equal_everywhere(lookup_db, create_agent_graph)
    assert max(len(s.values["messages"]) for s in states) == 8


def test_unknown_reducers_show_seed_and_ordered_writes(tally_db: DeltaDb) -> None:
    reducers = {"tally": (tally_reducer, int), "recent": (recent_reducer, list)}
    seen_writes = 0
    for ns, cid, truth, state in _truth_and_rewind(tally_db, tally_graph):
        assert set(state.unfolded) <= {"tally", "recent"}
        for channel, (reducer, typ) in reducers.items():
            value = state.values[channel]
            if channel not in state.reconstructed:
                assert value == truth[channel]
                continue
            assert channel in state.unfolded
            unfolded = value[UNFOLDED_KEY]
            seed = typ() if unfolded["seed"] is None else unfolded["seed"]
            writes = unfolded["writes"]
            seen_writes += len(writes)
            folded = reducer(seed, writes) if writes else seed
            assert folded == truth[channel], f"{channel} at {ns!r} {cid}"
        others = {k: v for k, v in user_channels(state.values).items() if k not in reducers}
        assert others == {k: v for k, v in truth.items() if k not in reducers}
    assert seen_writes > 10


def test_export_marks_reconstructed_channels(deep_db: DeltaDb, tally_db: DeltaDb) -> None:
    before = hashlib.sha256(deep_db.path.read_bytes()).hexdigest()
    exported = _export(deep_db.path, "deep-notes")
    assert hashlib.sha256(deep_db.path.read_bytes()).hexdigest() == before
    marks = [c["reconstructed"] for c in exported["checkpoints"]]
    assert all(isinstance(m, list) for m in marks)
    assert sum("messages" in m for m in marks) > 100
    tally = _export(tally_db.path, "tally")
    rebuilt = [c for c in tally["checkpoints"] if "recent" in c["reconstructed"]]
    assert rebuilt
    assert all(list(c["values"]["recent"]) == [UNFOLDED_KEY] for c in rebuilt)
    assert all(list(c["values"]["recent"][UNFOLDED_KEY]) == ["seed", "writes"] for c in rebuilt)


def test_export_with_the_graph_folds_with_its_own_reducers(
    tally_db: DeltaDb, chat_db: DeltaDb
) -> None:
    for db, name, factory in ((tally_db, "tally", tally_graph), (chat_db, "chat", chat_graph)):
        before = hashlib.sha256(db.path.read_bytes()).hexdigest()
        exported = _export(db.path, db.thread_ids[0], "--graph", f"{DELTA_GRAPHS}:{name}")
        assert hashlib.sha256(db.path.read_bytes()).hexdigest() == before
        truth = {(ns, cid): t for ns, cid, t, _ in _truth_and_rewind(db, factory)}
        assert len(exported["checkpoints"]) == len(truth)
        for checkpoint in exported["checkpoints"]:
            key = (checkpoint["checkpoint_ns"], checkpoint["checkpoint_id"])
            assert user_channels(checkpoint["values"]) == truth[key]
        assert any(c["reconstructed"] for c in exported["checkpoints"])


def test_an_undecodable_delta_write_is_left_out_and_said(tmp_path: Path) -> None:
    db = build_deep_agent_db(tmp_path / "deep.db", notes=3)
    with sqlite3.connect(db.path) as conn:
        (rowid,) = conn.execute(
            "SELECT rowid FROM writes WHERE channel = 'messages' AND checkpoint_ns = '' "
            "AND instr(value, 'Writing notes.') > 0 ORDER BY checkpoint_id LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE writes SET value = x'c1c1' WHERE rowid = ?", (rowid,))
    conn.close()
    with SqliteCheckpointSource(db.path) as source:
        states = [source.load_state(m) for m in source.history("deep-notes")]
    noted = [s for s in states if s.delta_notes]
    assert len(noted) > 5
    assert all(
        s.delta_notes == ("messages: 1 write(s) could not be decoded and were left out",)
        for s in noted
    )
    for state in noted:
        shown = [m["content"] for m in state.values["messages"]]
        assert "make notes" in shown and "Writing notes." not in shown
    assert "could not be decoded" in noted[0].to_json()["error"]


def _export(path: Path, thread_id: str, *options: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "export", str(path), "--thread", thread_id, *options],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _write(value: Any, task_path: str = "", task_id: str = "t", idx: int = 0) -> DeltaWrite:
    return DeltaWrite("c", task_id, task_path, idx, "messages", value)


def test_fold_messages_replaces_by_id_removes_and_resets() -> None:
    a = {"type": "human", "id": "a", "content": "hi"}
    b = {"type": "ai", "id": "b", "content": "yo"}
    b2 = {"type": "ai", "id": "b", "content": "yo!"}
    remove_a = {"type": "remove", "id": "a", "content": ""}
    assert fold_messages([a], [[b], b2, [remove_a]]) == [b2]
    reset = {"type": "remove", "id": "__remove_all__", "content": ""}
    assert fold_messages([a, b], [[reset, a]]) == [a]
    assert fold_messages(None, ["plain text"]) == [
        {"type": "human", "id": None, "content": "plain text"}
    ]
    assert fold_messages([], [[{"role": "user", "content": "hey"}]])[0]["type"] == "human"


def test_fold_dict_merge_deletes_keys_written_as_none() -> None:
    seed = {"/a": {"content": "a"}, "/b": {"content": "b"}}
    assert fold_dict_merge(seed, [{"/b": None, "/c": {"content": "c"}}]) == {
        "/a": {"content": "a"},
        "/c": {"content": "c"},
    }


def test_fold_overwrite_resets_the_base() -> None:
    z = {"type": "human", "id": "z", "content": "z"}
    overwrite = {"__type__": "langgraph.types.Overwrite", "value": [z]}
    history = DeltaHistory([{"type": "human", "id": "a", "content": "a"}], (_write(overwrite),))
    assert fold("messages", history) == ([z], "messages")


def test_fold_unknown_reducer_keeps_seed_and_writes() -> None:
    value, kind = fold("score", DeltaHistory(3, (_write(4), _write(5))))
    assert kind == "unknown"
    assert value == {UNFOLDED_KEY: {"seed": 3, "writes": [4, 5]}}


def assert_the_walks_snapshot_is_shown_as_decoded(location: str) -> None:
    """On the deepagents thread at ``location`` (SQLite path or Postgres URL): a parent
    whose snapshot a child's delta walk decoded is shown from that very object, equal to
    what a fresh read shows (no second decode or conversion)."""
    with open_source(location) as source:
        metas = source.history("deep-notes")
        states = {m.checkpoint_id: source.load_state(m) for m in metas}
    by_id = {m.checkpoint_id: m for m in metas}
    child = next(
        m
        for m in metas
        if m.parent_checkpoint_id
        and "messages" in states[m.checkpoint_id].reconstructed
        and "messages" not in states[m.parent_checkpoint_id].reconstructed
        and states[m.parent_checkpoint_id].values["messages"]
    )
    parent = by_id[child.parent_checkpoint_id]
    with open_source(location) as source:
        source.load_state(child)  # its walk decodes the parent's snapshot
        seed = source.delta.stored_values("deep-notes", "", parent.checkpoint_id)["messages"]
        shown = source.load_state(parent)
    assert shown.values["messages"] is seed
    assert shown.values == states[parent.checkpoint_id].values


def test_a_snapshot_decoded_by_the_walk_is_shown_without_converting_it_again(
    deep_db: DeltaDb,
) -> None:
    assert_the_walks_snapshot_is_shown_as_decoded(str(deep_db.path))
