"""The Postgres source against a real server written by real graphs through PostgresSaver.

Every read is compared with LangGraph's own answer on the same database
(``get_state_history``, ``PostgresSaver.list``/``get_tuple``), and every read runs as a
role that has nothing but ``SELECT`` on the saver's tables.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import psycopg
import pytest

from desktop.core.errors import NotFoundError, SourceError
from desktop.core.history import build_timeline
from desktop.core.live_json import to_jsonable
from desktop.core.lookup import load_diff_pair
from desktop.core.model import user_channels
from desktop.core.sources import open_source
from desktop.core.sources.postgres import PostgresCheckpointSource
from tests.builders import open_saver, thread_config


def same_data(value):
    """JSON data for comparing a stored value with LangGraph's live one: the decoder
    shows an ``Interrupt``'s empty optional fields, a live ``Interrupt`` omits them."""
    if isinstance(value, dict):
        interrupt = value.get("__type__") == "Interrupt"
        return {k: same_data(v) for k, v in value.items() if not (interrupt and v is None)}
    if isinstance(value, list):
        return [same_data(v) for v in value]
    return value


def every_thread(pg_graphs):
    return sorted(pg_graphs.graphs)


@pytest.fixture(scope="module")
def truth(pg_graphs):
    """LangGraph's own reading of every thread: state history, tuples in all namespaces."""
    found = {}
    with open_saver(pg_graphs.url) as saver:
        for thread_id, factory in pg_graphs.graphs.items():
            graph = factory(saver)
            config = thread_config(thread_id)
            found[thread_id] = {
                "history": list(graph.get_state_history(config)),
                "state": graph.get_state(config),
                "tuples": list(saver.list(config)),
            }
    return found


@pytest.fixture(scope="module")
def reader(pg_graphs):
    with open_source(pg_graphs.reader_url) as source:
        yield source


def test_open_source_dispatches_on_the_url(pg_graphs, reader):
    assert isinstance(reader, PostgresCheckpointSource)
    assert reader.note is None
    assert "postgres" not in reader.location.split("@")[0].split("//")[1]


def test_thread_list_matches_langgraph(pg_graphs, reader, truth):
    threads = reader.list_threads()
    assert [t.thread_id for t in threads] == sorted(
        truth, key=lambda t: max(c.checkpoint["id"] for c in truth[t]["tuples"]), reverse=True
    )
    assert reader.count_threads() == len(truth)
    assert reader.count_threads("AGENT-") == len(pg_graphs.agent.thread_ids)
    assert [t.thread_id for t in reader.list_threads("agent", offset=1, limit=1)] == [
        t.thread_id for t in threads if "agent" in t.thread_id
    ][1:2]
    for summary in threads:
        lg = truth[summary.thread_id]
        state = lg["state"]
        assert summary.checkpoints == len(lg["tuples"])
        assert summary.latest_checkpoint_id == state.config["configurable"]["checkpoint_id"]
        assert summary.has_interrupt == bool(state.interrupts)
        assert summary.has_error == any(task.error for task in state.tasks)
        assert sorted(summary.next_nodes) == sorted(state.next)
        assert summary.run_state == {
            "agent-weather": "finished",
            "agent-math": "finished",
            pg_graphs.interrupt.thread_id: "interrupted",
            pg_graphs.error.thread_id: "error",
        }.get(summary.thread_id, "finished")
        assert reader.thread(summary.thread_id) == summary


def test_history_equals_langgraphs_in_every_namespace(pg_graphs, reader, truth):
    for thread_id in every_thread(pg_graphs):
        lg = truth[thread_id]
        history = reader.history(thread_id)
        rows = {
            (m.checkpoint_ns, m.checkpoint_id): (m.parent_checkpoint_id, m.metadata)
            for m in history
        }
        expected = {
            (
                t.config["configurable"]["checkpoint_ns"],
                t.config["configurable"]["checkpoint_id"],
            ): (
                t.parent_config["configurable"]["checkpoint_id"] if t.parent_config else None,
                t.metadata,
            )
            for t in lg["tuples"]
        }
        assert rows == expected, thread_id
        root = [m for m in history if m.checkpoint_ns == ""]
        assert [m.checkpoint_id for m in root] == [
            s.config["configurable"]["checkpoint_id"] for s in lg["history"]
        ]
        for meta, snapshot in zip(root, lg["history"], strict=True):
            assert meta.step == snapshot.metadata["step"]
            assert meta.source == snapshot.metadata["source"]
            stored_at = datetime.fromisoformat(snapshot.created_at)
            assert abs((meta.created_at - stored_at).total_seconds()) < 0.01


def test_every_checkpoints_values_and_writes_equal_langgraphs(pg_graphs, reader, truth):
    for thread_id in every_thread(pg_graphs):
        lg = truth[thread_id]
        by_key = {m.key: m for m in reader.history(thread_id)}
        for stored in lg["tuples"]:
            conf = stored.config["configurable"]
            state = reader.load_state(by_key[(conf["checkpoint_ns"], conf["checkpoint_id"])])
            assert state.error is None
            stored_values = to_jsonable(stored.checkpoint["channel_values"])
            assert {k: state.values[k] for k in stored_values} == stored_values, conf
            # Besides what is stored: message lists not written yet, [] as get_state has them.
            assert all(v == [] for k, v in state.values.items() if k not in stored_values)
            assert sorted(
                (w.task_id, w.channel, repr(same_data(w.value))) for w in state.pending_writes
            ) == sorted(
                (task, channel, repr(to_jsonable(value)))
                for task, channel, value in stored.pending_writes
            ), conf
        snapshots = {s.config["configurable"]["checkpoint_id"]: s for s in lg["history"]}
        for cid, snapshot in snapshots.items():
            state = reader.load_state(by_key[("", cid)])
            ours, theirs = user_channels(state.values), to_jsonable(snapshot.values)
            assert ours == {k: theirs[k] for k in ours}, cid
            # A channel never written is absent from storage; LangGraph shows its default.
            assert all(not theirs[k] for k in theirs.keys() - ours.keys()), cid
            assert sorted(state.next_nodes) == sorted(snapshot.next), cid
            assert sorted(reader.progress(by_key[("", cid)]).next) == sorted(snapshot.next)


def test_head_is_the_newest_root_checkpoint_of_the_history(pg_graphs, reader):
    for thread_id in every_thread(pg_graphs):
        history = reader.history(thread_id)
        roots = [meta for meta in history if not meta.checkpoint_ns] or history
        expected = max(roots, key=lambda meta: meta.checkpoint_id)
        assert reader.head(thread_id) == dataclasses.replace(expected, writers=())
    with pytest.raises(NotFoundError):
        reader.head("no-such-thread")


def test_writers_name_the_nodes_that_made_each_checkpoint(pg_graphs, reader):
    history = reader.history(pg_graphs.agent.multi_turn_thread)
    writers = {m.writers for m in history if m.source == "loop"}
    assert {("agent",), ("tools",)} <= writers
    assert all(m.writers == () for m in history if m.source == "input")
    fanout = reader.history(pg_graphs.fanout.thread_id)
    assert any("research" in m.writers for m in fanout if m.checkpoint_ns == "")


def test_subgraphs_forks_and_replays_form_the_same_timeline(pg_graphs, reader):
    fanout = reader.history(pg_graphs.fanout.thread_id)
    assert set(pg_graphs.fanout.subgraph_namespaces) <= {m.checkpoint_ns for m in fanout}
    timeline = build_timeline(pg_graphs.fanout.thread_id, fanout)
    groups = [i for root in timeline.roots for i in root.walk() if i.kind == "subgraph"]
    assert len(groups) == len(pg_graphs.fanout.subgraph_namespaces)
    fork = pg_graphs.fork
    timeline = build_timeline(fork.thread_id, reader.history(fork.thread_id))
    fork_point = timeline.items_by_key[("", fork.fork_parent_id)]
    assert len([c for c in fork_point.children if c.kind == "branch"]) == len(fork.fork_ids)
    assert len(timeline.branch_tips()) == len(fork.fork_ids) + 2
    new, old = load_diff_pair(reader, fork.thread_id, fork.fork_ids[0])
    assert old.meta.checkpoint_id == fork.fork_parent_id
    assert new.values["value"] == fork.fork_values[0]


def test_interrupt_error_and_pydantic_values_read_as_data(pg_graphs, reader):
    interrupt = pg_graphs.interrupt
    state = reader.load_state(reader.history(interrupt.thread_id)[0])
    waiting = [w for w in state.pending_writes if w.is_interrupt]
    assert waiting[0].value[0]["value"] == interrupt.interrupt_value
    assert state.next_nodes == (interrupt.node,)
    error = pg_graphs.error
    state = reader.load_state(reader.history(error.thread_id)[0])
    assert error.error_message in str([w.value for w in state.pending_writes if w.is_error])
    final = pg_graphs.pydantic.final_state
    state = reader.load_state(reader.history(pg_graphs.pydantic.thread_id)[0])
    assert state.values["customer"]["address"]["city"] == final.customer.address.city
    assert state.values["priced_at"] == final.priced_at.isoformat()


def test_export_has_the_shape_of_a_sqlite_export(pg_graphs, reader, agent_db):
    thread_id = pg_graphs.agent.multi_turn_thread
    exported = reader.export_thread(thread_id)
    with open_source(str(agent_db.path)) as sqlite:
        reference = sqlite.export_thread(agent_db.multi_turn_thread)
    assert exported.keys() == reference.keys()
    assert len(exported["checkpoints"]) == len(reference["checkpoints"])
    for ours, theirs in zip(exported["checkpoints"], reference["checkpoints"], strict=True):
        assert ours.keys() == theirs.keys()
        assert ours["metadata"]["step"] == theirs["metadata"]["step"]
        assert ours["values"].keys() == theirs["values"].keys()
        ours_messages = [(m["type"], m["content"]) for m in ours["values"].get("messages", [])]
        theirs_messages = [(m["type"], m["content"]) for m in theirs["values"].get("messages", [])]
        assert ours_messages == theirs_messages


def test_reads_run_in_read_only_transactions_even_for_the_owner(pg_graphs):
    with open_source(pg_graphs.url) as source:
        source.list_threads()
        with pytest.raises(SourceError, match="read-only"), source._db.read() as cur:
            cur.execute("DELETE FROM checkpoints")
        assert source.count_threads() == len(pg_graphs.graphs)


def test_unknown_thread_and_checkpoint_are_clear_errors(pg_graphs, reader):
    with pytest.raises(NotFoundError, match="Thread 'nope' not found"):
        reader.history("nope")
    with pytest.raises(NotFoundError, match="Thread 'nope' not found"):
        reader.thread("nope")
    meta = reader.history(pg_graphs.fork.thread_id)[0]
    gone = type(meta)(**{**{f: getattr(meta, f) for f in meta.__slots__}, "checkpoint_id": "x"})
    with pytest.raises(NotFoundError, match="Checkpoint 'x' not found"):
        reader.load_state(gone)


def test_bad_urls_and_databases_are_one_line(pg_server, pg_db):
    cases = [
        (pg_server.url("no_such_db"), 'database "no_such_db" does not exist'),
        ("postgresql://nobody@/x?host=/nonexistent-socket-dir", "Cannot connect"),
        ("postgresql://h/db?bogus=1", "not a valid PostgreSQL URL"),
        (pg_db.url, "has no LangGraph checkpoint tables"),
    ]
    for url, message in cases:
        with pytest.raises(SourceError, match=message) as raised:
            open_source(url)
        assert "\n" not in str(raised.value)


def test_a_role_without_select_is_told_what_it_needs(pg_graphs, pg_server):
    role = "no_select_role"
    with psycopg.connect(pg_graphs.url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT CONNECT ON DATABASE {pg_graphs.database.name} TO {role}")
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    try:
        url = pg_server.url(pg_graphs.database.name, user=role)
        with open_source(url) as source, pytest.raises(SourceError, match="needs SELECT"):
            source.list_threads()
    finally:
        with psycopg.connect(pg_graphs.url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_passwords_never_appear_in_location_or_errors(pg_server):
    url = pg_server.url("no_such_db").replace("postgres@", "postgres:s3cret-pw@")
    with pytest.raises(SourceError) as raised:
        open_source(url)
    assert "s3cret-pw" not in str(raised.value)


def test_metadata_filter_terms_find_the_threads_langgraph_finds(pg_graphs, reader):
    with open_saver(pg_graphs.url) as saver:
        for text, metadata in [
            ("step=3", {"step": 3}),
            ("source=update", {"source": "update"}),
            ("step=3 source=loop", {"step": 3, "source": "loop"}),
        ]:
            found = {
                t.config["configurable"]["thread_id"] for t in saver.list(None, filter=metadata)
            }
            if len(metadata) > 1:
                found = set.intersection(
                    *(
                        {
                            t.config["configurable"]["thread_id"]
                            for t in saver.list(None, filter={k: v})
                        }
                        for k, v in metadata.items()
                    )
                )
            assert {t.thread_id for t in reader.list_threads(text)} == found, text
            assert reader.count_threads(text) == len(found), text
    assert [t.thread_id for t in reader.list_threads("forked source=update")] == [
        pg_graphs.fork.thread_id
    ]
