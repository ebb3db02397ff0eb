"""The thread listing: order and counts from index seeks equal a full GROUP BY, pages
are consistent, a commit by another process is seen, and the run state read from a
head checkpoint's scheduling channels equals the one from a full decode."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from desktop.core.decode import decode_scheduling, decode_typed
from desktop.core.progress import checkpoint_progress
from desktop.core.sources import open_source
from tests.builders import build_many_threads_db, open_saver, thread_config, tool_agent_graph


def group_by(path: Path) -> list[tuple[str, int, str]]:
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(
            "SELECT thread_id, COUNT(*), MAX(checkpoint_id), "
            "MAX(CASE WHEN checkpoint_ns = '' THEN checkpoint_id END) AS root "
            "FROM checkpoints GROUP BY thread_id "
            "ORDER BY COALESCE(root, MAX(checkpoint_id)) DESC, thread_id"
        ).fetchall()
    return [(t, c, newest) for t, c, newest, _ in rows]


@pytest.fixture(scope="module")
def many_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_many_threads_db(tmp_path_factory.mktemp("many") / "many.sqlite", n=300).path


@pytest.mark.parametrize("db_name", ["many_db", "fanout_db", "agent_db", "fork_db"])
def test_listing_equals_a_full_group_by(request, db_name):
    fixture = request.getfixturevalue(db_name)
    path = Path(getattr(fixture, "path", fixture))
    expected = group_by(path)
    with open_source(str(path)) as source:
        listed = source.list_threads()
        assert source.count_threads() == len(expected)
        pages = [
            t
            for start in range(0, len(expected), 7)
            for t in source.list_threads(offset=start, limit=7)
        ]
    assert [(t.thread_id, t.checkpoints) for t in listed] == [(t, c) for t, c, _ in expected]
    assert [t.latest_checkpoint_id for t in pages] == [t.latest_checkpoint_id for t in listed]


def test_listing_sees_a_commit_by_another_connection(agent_db, tmp_path):
    db = tmp_path / "agent.sqlite"
    db.write_bytes(agent_db.path.read_bytes())
    with open_source(str(db)) as source:
        before = [t.thread_id for t in source.list_threads()]
        with open_saver(db) as saver:
            tool_agent_graph(saver).invoke(
                {"messages": [HumanMessage("What is the weather in Paris?")]},
                thread_config("brand-new"),
            )
        after = source.list_threads()
        assert source.count_threads() == len(before) + 1
    assert after[0].thread_id == "brand-new"
    assert [t.thread_id for t in after[1:]] == before


@pytest.mark.parametrize("db_name", ["fanout_db", "agent_db", "interrupt_db", "error_db"])
def test_scheduling_decode_gives_the_same_progress(request, db_name):
    path = request.getfixturevalue(db_name).path
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT type, checkpoint FROM checkpoints").fetchall()
    assert rows
    for type_, blob in rows:
        full, light = decode_typed(type_, blob), decode_scheduling(type_, blob)
        assert light["channel_versions"] == full["channel_versions"]
        assert light["versions_seen"] == full["versions_seen"]
        assert set(light["channel_values"]) == set(full["channel_values"])
        assert checkpoint_progress(light) == checkpoint_progress(full)
