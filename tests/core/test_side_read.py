"""A long thread listing counts on a second connection while the first reads the heads:
the result equals LangGraph's run state and the serial listing, a commit by another
process during the read makes it read the page again, and a second connection that
cannot be opened leaves the listing whole."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from langgraph.types import Command

from desktop.core.sources import open_source, sqlite_heads
from tests.builders import open_saver, review_graph, thread_config, tool_agent_graph


@pytest.fixture
def side_reads(monkeypatch) -> list[object]:
    """Every page takes the two-connection path; the side reads' results are recorded."""
    results: list[object] = []
    original = sqlite_heads.SideRead.result

    def recorded(self):
        value = original(self)
        results.append(value)
        return value

    monkeypatch.setattr(sqlite_heads, "SIDE_READ_MIN", 1)
    monkeypatch.setattr(sqlite_heads.SideRead, "result", recorded)
    return results


def serial_listing(path: Path, monkeypatch) -> list:
    with monkeypatch.context() as patch:
        patch.setattr(sqlite_heads, "SIDE_READ_MIN", 10**9)
        with open_source(str(path)) as source:
            return source.list_threads()


@pytest.mark.parametrize(
    "db_name", ["agent_db", "fanout_db", "interrupt_db", "error_db", "fork_db"]
)
def test_two_connections_list_what_one_does(request, monkeypatch, side_reads, db_name):
    path = request.getfixturevalue(db_name).path
    with open_source(str(path)) as source:
        listed = source.list_threads()
        assert side_reads and all(result is not None for result in side_reads)
        assert listed == [source.thread(t.thread_id) for t in listed]
    assert listed == serial_listing(path, monkeypatch)


def test_run_states_equal_langgraphs(tmp_path, side_reads):
    """Threads waiting on an interrupt and threads resumed to the end, as ``get_state``
    tells them."""
    path = tmp_path / "review.sqlite"
    with open_saver(path) as saver:
        graph = review_graph(saver)
        for n in range(6):
            config = thread_config(f"review-{n}")
            graph.invoke({"request": f"bug {n}"}, config)
            if n % 2:
                graph.invoke(Command(resume="yes"), config)
    with open_source(str(path)) as source:
        listed = source.list_threads()
    assert side_reads and side_reads[0] is not None
    with open_saver(path) as saver:
        graph = review_graph(saver)
        states = {t.thread_id: graph.get_state(thread_config(t.thread_id)) for t in listed}
    assert [list(t.next_nodes) for t in listed] == [list(states[t.thread_id].next) for t in listed]
    assert [t.run_state == "interrupted" for t in listed] == [
        any(task.interrupts for task in states[t.thread_id].tasks) for t in listed
    ]
    assert {t.run_state for t in listed} == {"interrupted", "finished"}


def test_a_commit_during_the_read_reads_the_page_again(agent_db, tmp_path, monkeypatch, side_reads):
    """The side connection counts, then the user's agent commits a new turn: the counts
    it read are stale, so the page is read again and shows the new checkpoints."""
    db = tmp_path / "agent.sqlite"
    db.write_bytes(agent_db.path.read_bytes())
    thread_id = agent_db.multi_turn_thread
    with open_source(str(db)) as source:
        old = {t.thread_id: t.checkpoints for t in source.list_threads()}
        stale: list[object] = []
        read = sqlite_heads.SideRead._run

        def read_then_commit(self):
            read(self)
            stale.append(self._value)
            with open_saver(db) as saver:
                tool_agent_graph(saver).invoke(
                    {"messages": [HumanMessage("And in Oslo?")]}, thread_config(thread_id)
                )

        monkeypatch.setattr(sqlite_heads.SideRead, "_run", read_then_commit)
        listed = {t.thread_id: t.checkpoints for t in source.list_threads()}
    assert stale and stale[0] is not None
    counted_by_side = {row[0]: row[1] for row in stale[0][0]}
    assert counted_by_side[thread_id] == old[thread_id]
    with closing(sqlite3.connect(db)) as conn:
        (now,) = conn.execute(
            "SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (thread_id,)
        ).fetchone()
    assert now > old[thread_id]
    assert listed[thread_id] == now


def test_a_second_connection_that_cannot_open_leaves_the_listing_whole(
    agent_db, tmp_path, monkeypatch, side_reads
):
    """The file is moved away after opening: the open connection still reads it, a new
    one cannot be opened, and the listing is read on the first connection alone."""
    db = tmp_path / "agent.sqlite"
    db.write_bytes(agent_db.path.read_bytes())
    expected = serial_listing(db, monkeypatch)
    with open_source(str(db)) as source:
        db.rename(tmp_path / "moved.sqlite")
        listed = source.list_threads()
    assert side_reads == [None]
    assert listed == expected
