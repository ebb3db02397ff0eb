"""Housekeeping on a real PostgreSQL written by ``PostgresSaver``: sizes from stored
lengths, and copy, prune and delete through ``AsyncPostgresSaver``, checked with
LangGraph's own ``get_state_history`` on the same database."""

from __future__ import annotations

import json
from typing import Any

from langgraph.types import Command

from desktop.cli import main
from tests.builders import (
    build_fanout_db,
    build_fork_db,
    build_interrupt_db,
    fanout_graph,
    open_saver,
    review_graph,
    steps_graph,
    thread_config,
)


def run_cli(capsys, *args: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def view(factory, url: str, thread_id: str) -> list[tuple[Any, ...]]:
    with open_saver(url) as saver:
        return [
            (
                s.config["configurable"]["checkpoint_id"],
                s.parent_config["configurable"]["checkpoint_id"] if s.parent_config else None,
                s.values,
                s.next,
                s.metadata,
                [(t.name, t.interrupts) for t in s.tasks],
            )
            for s in factory(saver).get_state_history(thread_config(thread_id))
        ]


def rows(pg_db, thread_id: str) -> list[tuple[Any, ...]]:
    with pg_db.connect() as conn:
        return [
            *conn.execute(
                "SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata "
                "FROM checkpoints WHERE thread_id = %s ORDER BY 1, 2",
                (thread_id,),
            ).fetchall(),
            *conn.execute(
                "SELECT checkpoint_ns, channel, version, type, blob FROM checkpoint_blobs "
                "WHERE thread_id = %s ORDER BY 1, 2, 3",
                (thread_id,),
            ).fetchall(),
            *conn.execute(
                "SELECT checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob "
                "FROM checkpoint_writes WHERE thread_id = %s ORDER BY 1, 2, 3, 5",
                (thread_id,),
            ).fetchall(),
        ]


def test_size_on_postgres_is_the_stored_lengths(capsys, pg_db):
    fork = build_fork_db(pg_db.url)
    code, out, err = run_cli(capsys, "size", pg_db.select_only_url())
    assert code == 0, err
    (row,) = json.loads(out)["threads"]
    with pg_db.connect() as conn:
        count, stored = conn.execute(
            "SELECT COUNT(*), SUM(pg_column_size(checkpoint) + pg_column_size(metadata)) "
            "FROM checkpoints WHERE thread_id = %s",
            (fork.thread_id,),
        ).fetchone()
        (blobs,) = conn.execute(
            "SELECT COALESCE(SUM(length(blob)), 0) FROM checkpoint_blobs WHERE thread_id = %s",
            (fork.thread_id,),
        ).fetchone()
        (writes,) = conn.execute(
            "SELECT COALESCE(SUM(length(blob)), 0) FROM checkpoint_writes WHERE thread_id = %s",
            (fork.thread_id,),
        ).fetchone()
    assert row == {
        "thread_id": fork.thread_id,
        "bytes": stored + blobs + writes,
        "checkpoints": count,
        "checkpoint_bytes": stored + blobs,
        "writes_bytes": writes,
    }
    with open_saver(pg_db.url) as saver:
        assert count == len(list(saver.list(thread_config(fork.thread_id))))


def test_copy_on_postgres_is_the_same_thread(capsys, pg_db):
    fork = build_fork_db(pg_db.url)
    fanout = build_fanout_db(pg_db.url)
    for thread_id, factory in ((fork.thread_id, steps_graph), (fanout.thread_id, fanout_graph)):
        code, _, err = run_cli(capsys, "copy", pg_db.url, "--thread", thread_id, "--to", "b")
        assert code == 0, err
        assert view(factory, pg_db.url, "b") == view(factory, pg_db.url, thread_id)
        assert rows(pg_db, "b") == rows(pg_db, thread_id)
        code, _, err = run_cli(capsys, "delete", pg_db.url, "--thread", "b", "--yes")
        assert code == 0, err
        assert view(factory, pg_db.url, "b") == []
        assert rows(pg_db, "b") == []


def test_prune_on_postgres_keeps_what_langgraph_continues(capsys, pg_db):
    fork = build_fork_db(pg_db.url)
    paused = build_interrupt_db(pg_db.url)
    before = view(steps_graph, pg_db.url, fork.thread_id)
    code, out, err = run_cli(capsys, "prune", pg_db.url, "--keep", "2", "--apply")
    assert code == 0, err
    plans = {line["thread_id"]: line["remove"] for line in map(json.loads, out.splitlines())}
    after = view(steps_graph, pg_db.url, fork.thread_id)
    assert [s[0] for s in after] == [before[0][0], before[0][1]]
    assert after[0][2:] == before[0][2:]
    assert set(plans[fork.thread_id]) == {s[0] for s in before} - {s[0] for s in after}
    with open_saver(pg_db.url) as saver:
        graph = review_graph(saver)
        config = thread_config(paused.thread_id)
        assert graph.get_state(config).next == ("review",)
        assert graph.invoke(Command(resume="yes"), config)["draft"].endswith("(yes)")


def test_a_select_only_role_cannot_delete(capsys, pg_db):
    fork = build_fork_db(pg_db.url)
    before = rows(pg_db, fork.thread_id)
    code, _, err = run_cli(
        capsys, "delete", pg_db.select_only_url(), "--thread", fork.thread_id, "--yes"
    )
    assert code == 1
    assert err.count("\n") == 1 and "permission denied" in err
    assert rows(pg_db, fork.thread_id) == before
