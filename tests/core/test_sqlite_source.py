"""The read-only source against databases written by real graphs, checked with langgraph."""

from __future__ import annotations

import hashlib
import operator
import shutil
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated

import ormsgpack
import pytest
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import START, StateGraph
from langgraph.types import Send
from typing_extensions import TypedDict

from desktop.core.errors import NotFoundError, SourceError
from desktop.core.history import build_timeline
from desktop.core.lookup import find_checkpoint, load_diff_pair
from desktop.core.sources import open_source
from tests.builders import (
    fanout_graph,
    notes_graph,
    open_saver,
    review_graph,
    steps_graph,
    thread_config,
    tool_agent_graph,
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def langgraph_history(graph_factory, path: Path, thread_id: str):
    with open_saver(path) as saver:
        graph = graph_factory(saver)
        return list(graph.get_state_history(thread_config(thread_id)))


def test_threads_match_the_database(agent_db):
    with open_source(agent_db.path) as source:
        threads = source.list_threads()
        assert {t.thread_id for t in threads} == set(agent_db.thread_ids)
        times = [t.updated_at for t in threads]
        assert times == sorted(times, reverse=True)
        with open_saver(agent_db.path) as saver:
            for summary in threads:
                stored = list(saver.list(thread_config(summary.thread_id)))
                assert summary.checkpoints == len(stored)
        assert source.count_threads() == len(agent_db.thread_ids)
        assert source.count_threads(agent_db.multi_turn_thread.upper()) == 1


def test_history_equals_langgraphs_state_history(agent_db):
    thread_id = agent_db.multi_turn_thread
    expected = langgraph_history(tool_agent_graph, agent_db.path, thread_id)
    with open_source(agent_db.path) as source:
        history = [m for m in source.history(thread_id) if m.checkpoint_ns == ""]
    assert [m.checkpoint_id for m in history] == [
        s.config["configurable"]["checkpoint_id"] for s in expected
    ]
    for meta, snapshot in zip(history, expected, strict=True):
        parent = snapshot.parent_config
        assert meta.parent_checkpoint_id == (
            parent["configurable"]["checkpoint_id"] if parent else None
        )
        assert meta.step == snapshot.metadata["step"]
        assert meta.source == snapshot.metadata["source"]
        stored_at = datetime.fromisoformat(snapshot.created_at)
        assert abs((meta.created_at - stored_at).total_seconds()) < 0.01


def test_state_values_equal_langgraphs_snapshot(agent_db):
    thread_id = agent_db.multi_turn_thread
    latest = langgraph_history(tool_agent_graph, agent_db.path, thread_id)[0]
    with open_source(agent_db.path) as source:
        state = source.load_state(source.history(thread_id)[0])
    assert state.error is None
    messages = state.values["messages"]
    assert [m["id"] for m in messages] == [m.id for m in latest.values["messages"]]
    assert [m["content"] for m in messages] == [m.content for m in latest.values["messages"]]
    tool_calls = [c["name"] for m in messages for c in m.get("tool_calls", [])]
    expected_calls = [
        c["name"] for m in latest.values["messages"] for c in getattr(m, "tool_calls", [])
    ]
    assert tool_calls == expected_calls
    assert messages[-1]["content"] == agent_db.answers[thread_id][-1]


def test_writers_are_the_nodes_that_produced_each_checkpoint(agent_db):
    thread_id = agent_db.multi_turn_thread
    with open_source(agent_db.path) as source:
        history = source.history(thread_id)
    writers = {m.writers for m in history if m.source == "loop"}
    assert ("agent",) in writers
    assert ("tools",) in writers
    inputs = [m for m in history if m.source == "input"]
    assert all(m.writers == () for m in inputs)


def test_subgraph_namespaces_are_read_and_nested(fanout_db):
    with open_source(fanout_db.path) as source:
        history = source.history(fanout_db.thread_id)
    namespaces = {m.checkpoint_ns for m in history}
    assert set(fanout_db.subgraph_namespaces) <= namespaces
    for ns in fanout_db.subgraph_namespaces:
        with open_saver(fanout_db.path) as saver:
            stored = list(
                saver.list(
                    {"configurable": {"thread_id": fanout_db.thread_id, "checkpoint_ns": ns}}
                )
            )
        assert len([m for m in history if m.checkpoint_ns == ns]) == len(stored)
    timeline = build_timeline(fanout_db.thread_id, history)
    groups = [item for root in timeline.roots for item in root.walk() if item.kind == "subgraph"]
    assert len(groups) == len(fanout_db.subgraph_namespaces)
    assert all(group.parent is not None and group.parent.kind == "checkpoint" for group in groups)
    step_writers = [m.writers for m in history if m.checkpoint_ns == "" and "research" in m.writers]
    assert step_writers, "the step that ran the subgraphs names the research node"


def test_interrupt_is_flagged_and_readable(interrupt_db):
    with open_source(interrupt_db.path) as source:
        summary = source.thread(interrupt_db.thread_id)
        assert summary.has_interrupt and not summary.has_error
        state = source.load_state(source.history(interrupt_db.thread_id)[0])
    interrupts = [w for w in state.pending_writes if w.is_interrupt]
    assert interrupts[0].value[0]["value"] == interrupt_db.interrupt_value
    assert state.next_nodes == (interrupt_db.node,)


def test_error_write_is_flagged(error_db):
    with open_source(error_db.path) as source:
        summary = source.thread(error_db.thread_id)
        assert summary.has_error
        state = source.load_state(source.history(error_db.thread_id)[0])
    errors = [w for w in state.pending_writes if w.is_error]
    assert error_db.error_message in str(errors[0].value)


def test_pydantic_state_reads_as_data(pydantic_db):
    with open_source(pydantic_db.path) as source:
        state = source.load_state(source.history(pydantic_db.thread_id)[0])
    final = pydantic_db.final_state
    assert state.values["customer"]["address"]["city"] == final.customer.address.city
    assert state.values["items"] == final.items
    assert state.values["total"] == final.total
    assert state.values["priced_at"] == final.priced_at.isoformat()


def test_forks_and_replays_appear_as_branches(fork_db):
    expected = langgraph_history(steps_graph, fork_db.path, fork_db.thread_id)
    with open_source(fork_db.path) as source:
        history = source.history(fork_db.thread_id)
    assert {m.checkpoint_id for m in history} == {
        s.config["configurable"]["checkpoint_id"] for s in expected
    }
    by_id = {m.checkpoint_id: m for m in history}
    for fork_id in fork_db.fork_ids:
        assert by_id[fork_id].parent_checkpoint_id == fork_db.fork_parent_id
        assert by_id[fork_id].source == "update"
    timeline = build_timeline(fork_db.thread_id, history)
    fork_point = timeline.items_by_key[("", fork_db.fork_parent_id)]
    branches = [c for c in fork_point.children if c.kind == "branch"]
    assert len(branches) == len(fork_db.fork_ids)
    tips = {m.checkpoint_id for m in timeline.branch_tips()}
    assert len(tips) == len(fork_db.fork_ids) + 2, "original line, three forks, one replay"
    replay_point = timeline.items_by_key[("", fork_db.replay_from_id)]
    assert [c.kind for c in replay_point.children] == ["branch"]
    replayed = {i.meta.checkpoint_id for i in replay_point.walk() if i.meta is not None}
    assert set(fork_db.replay_ids) <= replayed | {
        m.checkpoint_id for m in timeline.lineage(timeline.head)
    }


def test_diff_pair_defaults_to_parent_and_accepts_any_partner(fork_db):
    with open_source(fork_db.path) as source:
        new, old = load_diff_pair(source, fork_db.thread_id, fork_db.fork_ids[0])
        assert old.meta.checkpoint_id == fork_db.fork_parent_id
        assert new.values["value"] == fork_db.fork_values[0]
        new, other = load_diff_pair(
            source, fork_db.thread_id, fork_db.fork_ids[0], fork_db.fork_ids[1][:30]
        )
        assert other.values["value"] == fork_db.fork_values[1]


def test_unknown_thread_and_checkpoint_are_clear_errors(agent_db):
    with open_source(agent_db.path) as source:
        with pytest.raises(NotFoundError, match="Thread 'nope' not found"):
            source.history("nope")
        history = source.history(agent_db.thread_ids[0])
    with pytest.raises(NotFoundError, match="not found"):
        find_checkpoint(history, "0000")


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("not_sqlite_path", "is not a SQLite database"),
        ("empty_path", "is empty"),
        ("sqlite_without_tables_path", "has no LangGraph checkpoint tables"),
    ],
)
def test_bad_files_are_refused_with_one_line(request, fixture, message):
    path = request.getfixturevalue(fixture)
    before = digest(path)
    with pytest.raises(SourceError, match=message) as info:
        open_source(path)
    assert "\n" not in str(info.value)
    assert digest(path) == before


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        open_source(tmp_path / "missing.sqlite")
    with pytest.raises(SourceError, match="is a directory"):
        open_source(tmp_path)
    assert not (tmp_path / "missing.sqlite").exists()


def test_hostile_payload_never_runs_and_bad_rows_do_not_hide_the_rest(hostile_db):
    with open_source(hostile_db.path) as source:
        threads = {t.thread_id for t in source.list_threads()}
        assert hostile_db.clean_thread_id in threads
        exported = {tid: source.export_thread(tid) for tid in threads}
    assert not hostile_db.marker.exists()

    exec_ref = hostile_db.exec_checkpoint
    exec_cp = next(
        c
        for c in exported[exec_ref.thread_id]["checkpoints"]
        if c["checkpoint_id"] == exec_ref.checkpoint_id
    )
    assert exec_cp["values"]["note"]["__type__"] == "os.system"

    garbage_ref = hostile_db.garbage_checkpoint
    garbage = exported[garbage_ref.thread_id]["checkpoints"]
    bad = next(c for c in garbage if c["checkpoint_id"] == garbage_ref.checkpoint_id)
    assert "could not be decoded" in bad["error"]
    assert bad["metadata"]["step"] is not None
    assert sum("error" not in c for c in garbage) == len(garbage) - 1

    meta_ref = hostile_db.bad_metadata_checkpoint
    broken = exported[meta_ref.thread_id]["checkpoints"]
    bad_meta = next(c for c in broken if c["checkpoint_id"] == meta_ref.checkpoint_id)
    assert "metadata is not JSON" in bad_meta["error"]
    assert bad_meta["values"]["count"] == 2


def test_reading_never_changes_the_file(tmp_path, agent_db, interrupt_db):
    for db in (agent_db, interrupt_db):
        path = tmp_path / db.path.name
        shutil.copy(db.path, path)
        before = digest(path)
        with open_source(path) as source:
            for thread in source.list_threads():
                source.export_thread(thread.thread_id)
                build_timeline(thread.thread_id, source.history(thread.thread_id))
        assert digest(path) == before


def test_rollback_journal_database_is_not_switched_to_wal(tmp_path):
    path = tmp_path / "journal.sqlite"
    with open_saver(path) as saver:
        notes_graph(saver).invoke({"note": "x"}, thread_config("j"))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    before = digest(path)
    with open_source(path) as source:
        source.export_thread("j")
    assert digest(path) == before
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_reading_while_another_connection_writes(tmp_path):
    path = tmp_path / "live.sqlite"
    conn = sqlite3.connect(path, check_same_thread=False)
    saver = SqliteSaver(conn)
    graph = review_graph(saver)
    graph.invoke({"request": "first"}, thread_config("live-0"))
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for index in range(1, 15):
                graph.invoke({"request": f"r{index}"}, thread_config(f"live-{index}"))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    seen = set()
    with open_source(path) as source:
        while thread.is_alive():
            for summary in source.list_threads():
                seen.add(summary.thread_id)
                source.history(summary.thread_id)
        thread.join()
        seen.update(t.thread_id for t in source.list_threads())
    conn.close()
    assert not errors
    assert len(seen) == 15


def test_subgraph_graph_history_counts(fanout_db):
    snapshots = langgraph_history(fanout_graph, fanout_db.path, fanout_db.thread_id)
    with open_source(fanout_db.path) as source:
        root = [m for m in source.history(fanout_db.thread_id) if m.checkpoint_ns == ""]
    assert len(root) == len(snapshots)


def test_run_state_tells_finished_interrupted_error_and_unfinished(
    tmp_path, agent_db, interrupt_db, error_db
):
    with open_source(agent_db.path) as source:
        assert {t.run_state for t in source.list_threads()} == {"finished"}
    with open_source(interrupt_db.path) as source:
        assert source.thread(interrupt_db.thread_id).run_state == "interrupted"
    with open_source(error_db.path) as source:
        assert source.thread(error_db.thread_id).run_state == "error"

    path = tmp_path / "paused.sqlite"
    with open_saver(path) as saver:
        graph = steps_graph(saver)
        graph.invoke({"value": 1, "log": []}, thread_config("paused"), interrupt_before=["square"])
    with open_source(path) as source:
        summary = source.thread("paused")
    assert summary.run_state == "unfinished"
    assert summary.next_nodes == ("square",)


HOSTILE_BLOBS = {
    "send without data": {
        "channel_values": {
            "__pregel_tasks": [ormsgpack.Ext(1, ormsgpack.packb(["langgraph.types", "Send", []]))]
        }
    },
    "date of words": {
        "channel_values": {"d": ormsgpack.Ext(1, ormsgpack.packb(["datetime", "date", ["x", "y"]]))}
    },
    "channel values not a map": {"channel_values": [1, 2]},
}


@pytest.mark.parametrize("case", sorted(HOSTILE_BLOBS))
def test_odd_blobs_never_hide_the_thread(tmp_path, fork_db, case):
    path = tmp_path / "odd.sqlite"
    shutil.copy(fork_db.path, path)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE checkpoints SET type = 'msgpack', checkpoint = ? "
            "WHERE rowid = (SELECT max(rowid) FROM checkpoints)",
            (ormsgpack.packb(HOSTILE_BLOBS[case]),),
        )
    with open_source(path) as source:
        source.list_threads()
        exported = source.export_thread(fork_db.thread_id)
    assert len(exported["checkpoints"]) == len(
        langgraph_history(steps_graph, fork_db.path, fork_db.thread_id)
    )


def test_deep_nesting_and_non_text_metadata_are_reported_per_checkpoint(tmp_path, fork_db):
    path = tmp_path / "deep.sqlite"
    shutil.copy(fork_db.path, path)
    deep = b"\x81\xaechannel_values\x81\xa1x" + b"\x91" * 5000 + b"\x01"
    with sqlite3.connect(path) as conn:
        ids = [r[0] for r in conn.execute("SELECT rowid FROM checkpoints ORDER BY rowid")]
        conn.execute("UPDATE checkpoints SET checkpoint = ? WHERE rowid = ?", (deep, ids[-1]))
        conn.execute("UPDATE checkpoints SET metadata = 5 WHERE rowid = ?", (ids[-2],))
    with open_source(path) as source:
        checkpoints = source.export_thread(fork_db.thread_id)["checkpoints"]
    errors = [c["error"] for c in checkpoints if "error" in c]
    assert len(errors) == 2
    assert any("nested too deeply" in e for e in errors)
    assert any("metadata is a SQL int" in e for e in errors)


def test_a_database_locked_by_a_writer_is_reported_not_read_past_its_lock(tmp_path, fork_db):
    path = tmp_path / "locked.sqlite"
    shutil.copy(fork_db.path, path)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode=DELETE")
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("DELETE FROM writes")
        with pytest.raises(SourceError, match="locked by another process"):
            open_source(path)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with open_source(path) as source:
        assert source.list_threads()


async def test_a_stopped_run_is_unfinished_not_an_error(tmp_path):
    import asyncio

    from langgraph.config import get_stream_writer

    from desktop.core.graphs import LoadedGraph
    from desktop.core.runner import run
    from desktop.core.savers import open_saver as open_run_saver
    from tests.builders import NoteState

    async def slow(state: NoteState) -> dict:
        write = get_stream_writer()
        for step in range(100):
            write(step)
            await asyncio.sleep(0.01)
        return {"count": 1}

    builder = StateGraph(NoteState)
    builder.add_node("slow", slow)
    builder.add_edge(START, "slow")
    graph = LoadedGraph.from_object(builder, spec="tests:slow")
    path = tmp_path / "stopped.sqlite"
    async with open_run_saver(path) as saver:
        started = asyncio.Event()

        async def consume() -> None:
            async for event in run(graph, saver, "s", {"note": "x"}, stream_modes=["custom"]):
                if event.data == 1:
                    started.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(started.wait(), timeout=10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    with open_source(path) as source:
        summary = source.thread("s")
    assert (summary.stopped, summary.has_error) == (True, False)
    assert summary.run_state == "unfinished"


def test_nodes_run_by_send_are_named_like_langgraph_names_them(tmp_path):
    def plan(state: dict) -> dict:
        return {"items": [1, 2, 3]}

    def fan_out(state: dict) -> list[Send]:
        return [Send("work", {"x": x}) for x in state["items"]]

    def work(state: dict) -> dict:
        return {"out": [state["x"] * 2]}

    class MapState(TypedDict, total=False):
        items: list[int]
        out: Annotated[list[int], operator.add]

    builder = StateGraph(MapState)
    builder.add_node("plan", plan)
    builder.add_node("work", work)
    builder.add_edge(START, "plan")
    builder.add_conditional_edges("plan", fan_out, ["work"])
    path = tmp_path / "map.sqlite"
    with open_saver(path) as saver:
        graph = builder.compile(checkpointer=saver)
        graph.invoke({}, thread_config("m"))
        history = list(graph.get_state_history(thread_config("m")))
    ran = {s.config["configurable"]["checkpoint_id"]: s for s in history}
    with open_source(path) as source:
        metas = source.history("m")
    after_fan_out = next(m for m in metas if m.step == 2)
    parent = ran[after_fan_out.parent_checkpoint_id]
    assert after_fan_out.writers == tuple(t.name for t in parent.tasks) == ("work",) * 3
    assert sorted(ran[after_fan_out.checkpoint_id].values["out"]) == [2, 4, 6]
