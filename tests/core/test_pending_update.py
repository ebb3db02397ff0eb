"""A checkpoint's pending update (``Command(update=...)``) and reducer channels not
written yet, shown as ``get_state`` shows them.

Real graphs resume with ``Command(resume=..., update=...)`` or continue with
``Command(update=...)``; every checkpoint of ``get_state_history`` is read by Rewind
(SQLite and Postgres, no graph; then with the graph attached) and compared with
``get_state`` of the same checkpoint on the same database.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.core.delta import NULL_TASK_ID
from desktop.core.delta_graph import fold_with_graph
from desktop.core.graphs import load_graph
from desktop.core.live_json import to_jsonable
from desktop.core.model import CheckpointState, user_channels
from desktop.core.sources import open_source
from desktop.core.unwritten import kept_unwritten_messages
from tests.builders import open_saver
from tests.delta_builders import DeltaDb
from tests.postgres import PgServer
from tests.truth_graphs import hitl_agent
from tests.update_builders import build_hitl_update_db, build_review_db, review_graph

UPDATE_GRAPHS = Path(__file__).parent.parent / "update_builders.py"
TRUTH_GRAPHS = Path(__file__).parent.parent / "truth_graphs.py"
CASES: dict[str, tuple[Callable[[Any], DeltaDb], Callable[[Any], Any], str]] = {
    "review": (build_review_db, review_graph, f"{UPDATE_GRAPHS}:review_app"),
    "hitl": (build_hitl_update_db, hitl_agent, f"{TRUTH_GRAPHS}:hitl_agent"),
}


@pytest.fixture(scope="module")
def sqlite_dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DeltaDb]:
    folder = tmp_path_factory.mktemp("updates")
    return {name: build(folder / f"{name}.db") for name, (build, _, _) in CASES.items()}


@pytest.fixture(scope="module")
def pg_dbs(pg_server: PgServer) -> dict[str, tuple[DeltaDb, str]]:
    built = {}
    for name, (build, _, _) in CASES.items():
        database = pg_server.create_database(f"update_{name}")
        built[name] = (build(database.url), database.select_only_url())
    return built


def _pairs(
    location: Any, db: DeltaDb, factory: Callable[[Any], Any], reader: Any = None
) -> list[tuple[dict[str, Any], CheckpointState]]:
    """``(get_state(...).values as JSON, Rewind's state)`` for every checkpoint."""
    out = []
    with open_saver(db.path) as saver, open_source(reader or location) as source:
        graph = factory(saver)
        for thread_id in db.thread_ids:
            for meta in source.history(thread_id):
                conf = {"thread_id": thread_id, "checkpoint_ns": meta.checkpoint_ns}
                config = {"configurable": {**conf, "checkpoint_id": meta.checkpoint_id}}
                truth = to_jsonable(dict(graph.get_state(config).values))
                out.append((truth, source.load_state(meta)))
    return out


def _updated(state: CheckpointState) -> set[str]:
    return {w.channel for w in state.pending_writes if w.task_id == NULL_TASK_ID} & set(
        user_channels(state.values)
    )


def _assert_matches_without_graph(pairs: list[tuple[dict[str, Any], CheckpointState]]) -> int:
    """Every channel equals LangGraph's, but where Rewind had to guess a reducer it
    cannot know (``operator.add`` on ``tally``: the guess is the last value, and says
    so). Returns how many checkpoints carried a pending update."""
    updated = 0
    for truth, state in pairs:
        where = f"{state.meta.thread_id} step {state.meta.step}"
        ours = user_channels(state.values)
        assert state.error is None, where
        if _updated(state):
            updated += 1
            assert set(state.guessed) == _updated(state), where
        for channel in set(ours) | set(truth):
            if channel == "tally" and channel in state.guessed:
                update = [
                    w.value
                    for w in state.pending_writes
                    if w.task_id == NULL_TASK_ID and w.channel == "tally"
                ]
                assert ours["tally"] == update[-1] != truth["tally"], where
            elif channel in ours:
                assert ours[channel] == truth[channel], f"{where}: {channel}"
            else:
                # Not written yet: the reducer of an int counter cannot be known without
                # the graph (LangGraph shows operator.add's 0); message lists are shown.
                assert (channel, truth[channel]) == ("tally", 0), f"{where}: {channel}"
    return updated


@pytest.mark.parametrize("name", list(CASES))
def test_pending_update_matches_get_state_on_sqlite(sqlite_dbs, name: str) -> None:
    db = sqlite_dbs[name]
    pairs = _pairs(db.path, db, CASES[name][1])
    assert _assert_matches_without_graph(pairs) >= (3 if name == "review" else 1)
    resumed = next(s for _, s in pairs if "messages" in _updated(s))
    assert resumed.values["messages"][-1]["id"] in ("extra-1", "units")
    exported = resumed.to_json()
    assert exported["guessed"] == list(resumed.guessed)
    assert "error" not in exported


@pytest.mark.parametrize("name", list(CASES))
def test_pending_update_matches_get_state_on_postgres(pg_dbs, name: str) -> None:
    db, reader_url = pg_dbs[name]
    pairs = _pairs(db.path, db, CASES[name][1], reader_url)
    assert _assert_matches_without_graph(pairs) >= (3 if name == "review" else 1)


def _assert_graph_values_match(truth: dict[str, Any], state: CheckpointState) -> None:
    where = f"{state.meta.thread_id} step {state.meta.step}"
    ours = user_channels(state.values)
    assert state.guessed == (), where
    assert ours == truth, where


def test_export_with_the_graph_uses_its_reducers(sqlite_dbs) -> None:
    for name, (_, factory, spec) in CASES.items():
        db = sqlite_dbs[name]
        truth = {s.meta.checkpoint_id: t for t, s in _pairs(db.path, db, factory)}
        for thread_id in db.thread_ids:
            command = ["export", str(db.path), "--thread", thread_id, "--graph", spec]
            done = subprocess.run(
                [sys.executable, "-m", "desktop", *command],
                capture_output=True,
                text=True,
                check=True,
            )
            for checkpoint in json.loads(done.stdout)["checkpoints"]:
                assert "guessed" not in checkpoint
                ours = user_channels(checkpoint["values"])
                assert ours == truth[checkpoint["checkpoint_id"]]


def test_attached_graph_on_postgres_uses_its_reducers(pg_dbs) -> None:
    db, reader_url = pg_dbs["review"]
    graph = load_graph(CASES["review"][2])
    pairs = _pairs(db.path, db, review_graph, reader_url)
    folded = asyncio.run(fold_with_graph(graph, db.path, [s for _, s in pairs]))
    assert any(s.guessed for _, s in pairs)
    for (truth, _), state in zip(pairs, folded, strict=True):
        _assert_graph_values_match(truth, state)


@pytest.mark.parametrize("name", list(CASES))
def test_message_lists_not_written_yet_are_empty_as_in_langgraph(sqlite_dbs, name) -> None:
    db = sqlite_dbs[name]
    pairs = _pairs(db.path, db, CASES[name][1])
    first = [s for t, s in pairs if s.meta.step == -1]
    assert first and all(s.values["messages"] == [] for s in first)
    if name == "review":
        # add_messages written later: [] before; a LastValue message list: absent, as
        # LangGraph has it (the thread shows no step that kept an unwritten message).
        early = [(t, s) for t, s in pairs if s.meta.step in (-1, 0)]
        assert all(s.values["later"] == [] == t["later"] for t, s in early)
        assert all("last_draft" not in s.values and "last_draft" not in t for t, s in early)


def test_kept_unwritten_messages_needs_a_message_no_write_carried() -> None:
    a = {"type": "human", "id": "a", "content": "a"}
    b = {"type": "ai", "id": "b", "content": "b"}
    assert kept_unwritten_messages([a], [[b]], [a, b])
    assert not kept_unwritten_messages([a], [[b]], [b]), "a LastValue replaced the list"
    assert not kept_unwritten_messages([a], [[a, b]], [a, b]), "written back: proves nothing"
    assert not kept_unwritten_messages([], [[b]], [b])
