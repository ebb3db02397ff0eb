"""No value over the size limit is fetched, on any read path, on SQLite and Postgres.

Real graphs write the rows with LangGraph's own savers: deepagents with one oversized
message in its ``messages`` delta channel (so the delta walk meets it as a write, and
later as part of a ``_DeltaSnapshot`` seed), and a graph whose list lives in a
Postgres blob. The limit is lowered so those rows are over it and every other row under
it. Every checkpoint then reads either exactly as LangGraph's ``get_state``, or with the
oversized part shown as an unreadable marker or named in a note; never as a silently
different value. Every msgpack decode is observed: none is handed more than the limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from langchain_core.messages import HumanMessage

import desktop.core.isolate as isolate
import desktop.core.sources.sqlite_schema as sqlite_schema
from desktop.core import msgpack_chunks
from desktop.core.isolate import REST_KEY
from desktop.core.live_json import to_jsonable
from desktop.core.model import user_channels
from desktop.core.sources import open_source
from desktop.core.value_shapes import is_unreadable
from tests.builders import open_saver, thread_config
from tests.builders_huge import huge_graph
from tests.delta_builders import build_deep_agent_db, deep_agent_graph

BIG_CHARS = 200_000
LIMIT = 100_000


@pytest.fixture(params=["sqlite", "postgres"])
def location(request, tmp_path: Path) -> tuple[Any, Any]:
    """``(where LangGraph writes, a function giving where Rewind reads)``; on Postgres
    Rewind reads as a role that can only ``SELECT``."""
    if request.param == "sqlite":
        path = tmp_path / "limit.sqlite"
        return path, lambda: path
    database = request.getfixturevalue("pg_db")
    return database.url, database.select_only_url


@pytest.fixture
def decoded_sizes(monkeypatch) -> list[int]:
    """The limit lowered to :data:`LIMIT`; the size of every msgpack buffer decoded."""
    monkeypatch.setattr(isolate, "VALUE_LIMIT_BYTES", LIMIT)
    monkeypatch.setattr(sqlite_schema, "VALUE_LIMIT_BYTES", LIMIT)
    sizes: list[int] = []
    real = msgpack_chunks.unpackb

    def observed(buf: bytes, ext_hook: Any) -> Any:
        sizes.append(len(buf))
        return real(buf, ext_hook)

    monkeypatch.setattr(msgpack_chunks, "unpackb", observed)
    return sizes


def _oversized_message_thread(where: Any) -> str:
    """deepagents, then one oversized message added with ``update_state`` and a long
    turn after it (its delta walks fold the message's write, later ones start from a
    snapshot that holds it)."""
    db = build_deep_agent_db(where, notes=3)
    thread_id = db.thread_ids[0]
    config = thread_config(thread_id)
    with open_saver(where) as saver:
        agent = deep_agent_graph(saver)
        agent.update_state(config, {"messages": [HumanMessage("x" * BIG_CHARS, id="oversized")]})
        agent.invoke({"messages": [HumanMessage("write 30 notes")]}, config)
    return thread_id


def test_the_delta_walk_never_fetches_a_value_over_the_limit(location, decoded_sizes):
    write_to, read_from = location
    thread_id = _oversized_message_thread(write_to)
    decoded_sizes.clear()
    equal = left_out = not_rebuilt = withheld = 0
    with open_saver(write_to) as saver, open_source(read_from()) as source:
        graph = deep_agent_graph(saver)
        assert [t.thread_id for t in source.list_threads()] == [thread_id]
        for meta in source.history(thread_id):
            config = {
                "configurable": {
                    "thread_id": thread_id,
                    "checkpoint_ns": meta.checkpoint_ns,
                    "checkpoint_id": meta.checkpoint_id,
                }
            }
            truth = to_jsonable(dict(graph.get_state(config).values))
            state = source.load_state(meta)
            shown = user_channels(state.values)
            notes = " ".join(state.delta_notes)
            if shown == truth:
                equal += 1
                assert state.error is None and not state.delta_notes
                continue
            # Anything not as LangGraph reads it says why, naming the limit.
            if REST_KEY in state.values or is_unreadable(state.values.get("messages")):
                reason = state.error or notes
                assert "over Rewind's 0.1 MB limit" in reason, reason
                withheld += REST_KEY in state.values or "messages: value not read" in reason
                not_rebuilt += "messages: not rebuilt" in notes
            else:
                assert "messages: 1 write(s) were not read and were left out" in notes
                assert "over Rewind's 0.1 MB limit" in notes
                assert "oversized" not in {m.get("id") for m in shown["messages"]}
                assert shown["files"] == truth["files"]
                left_out += 1
    assert equal > 20 and left_out > 0 and not_rebuilt > 0 and withheld > 0
    assert max(decoded_sizes) <= LIMIT


def test_a_blob_over_the_limit_is_a_marker_with_its_size(location, decoded_sizes):
    write_to, read_from = location
    config = thread_config("huge")
    with open_saver(write_to) as saver:
        huge_graph(saver).invoke({"size": 20_000}, config)
    decoded_sizes.clear()
    with open_source(read_from()) as source:
        (summary,) = source.list_threads()
        states = [source.load_state(meta) for meta in source.history("huge")]
    assert summary.next_nodes == ()
    head, after_load, before_load = states[0], states[1], states[2]
    assert head.values.get("note") == "20000 items loaded" or REST_KEY in head.values
    for state in (head, after_load):
        marker = state.values.get("items", state.values.get(REST_KEY))
        assert is_unreadable(marker) and marker["bytes"] > LIMIT
        assert "not read" in state.error and "over Rewind's 0.1 MB limit" in state.error
    (write,) = [w for w in before_load.pending_writes if w.channel == "items"]
    assert is_unreadable(write.value) and write.value["bytes"] > LIMIT
    assert write.error.startswith("value not read:")
    assert max(decoded_sizes) <= LIMIT


def _longest(value: Any) -> int:
    """Length of the longest string or bytes anywhere inside a fetched row."""
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return len(value)
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    return max(map(_longest, value), default=0) if isinstance(value, (list, tuple)) else 0


@pytest.fixture
def fetched_longest(monkeypatch) -> list[int]:
    """The longest string or bytes of every row any psycopg cursor fetches."""
    longest: list[int] = []
    for name in ("fetchall", "fetchone", "fetchmany"):
        real = getattr(psycopg.Cursor, name)

        def observed(self, *args: Any, _real: Any = real) -> Any:
            rows = _real(self, *args)
            longest.append(_longest(rows))
            return rows

        monkeypatch.setattr(psycopg.Cursor, name, observed)
    return longest


def test_postgres_jsonb_over_the_limit_is_not_fetched(pg_db, decoded_sizes, fetched_longest):
    """Metadata and inline (``checkpoint`` JSONB) values over the limit are withheld with
    their reason; every other checkpoint reads as ``get_state`` does."""
    config = thread_config("jsonb")
    big_meta = {**config, "metadata": {"big": "m" * BIG_CHARS}}
    with open_saver(pg_db.url) as saver:
        graph = huge_graph(saver)
        graph.invoke({"size": 3}, config)
        graph.invoke({"size": 2, "note": "n" * BIG_CHARS}, config)
        graph.invoke({"size": 1}, big_meta)
        with open_source(pg_db.select_only_url()) as source:
            fetched_longest.clear()
            (summary,) = source.list_threads()
            metas = source.history("jsonb")
            assert source.head("jsonb").checkpoint_id == metas[0].checkpoint_id
            states = [source.load_state(meta) for meta in metas]
            seen = max(fetched_longest)
        truths = {
            s.config["configurable"]["checkpoint_id"]: s for s in graph.get_state_history(config)
        }
    assert summary.thread_id == "jsonb" and seen <= LIMIT
    equal = inline_withheld = meta_withheld = 0
    for meta, state in zip(metas, states, strict=True):
        truth = truths[meta.checkpoint_id]
        if meta.metadata_error is not None:
            assert "metadata not read" in meta.metadata_error
            assert "over Rewind's 0.1 MB limit" in meta.metadata_error
            assert meta.metadata == {} and "big" in truth.metadata
            meta_withheld += 1
        else:
            assert meta.metadata == to_jsonable(dict(truth.metadata))
        expected = to_jsonable(dict(truth.values))
        shown = user_channels(state.values)
        if REST_KEY in state.values:
            assert "inline channel values not read" in state.error
            assert "over Rewind's 0.1 MB limit" in state.error
            assert state.values[REST_KEY]["bytes"] > LIMIT
            assert len(expected["note"]) == BIG_CHARS
            # The inline values are withheld together; the blob values still read.
            readable = {k: v for k, v in shown.items() if k != REST_KEY}
            assert "note" not in readable and readable["items"] == expected["items"]
            assert readable == {k: expected[k] for k in readable}
            inline_withheld += 1
        else:
            # The input checkpoint's pending input is a blob (the bytea guard).
            assert shown == expected
            assert state.error is None or state.error.startswith("__start__: value not read")
            equal += 1
    assert equal > 3 and inline_withheld >= 2 and meta_withheld >= 3
    assert max(decoded_sizes, default=0) <= LIMIT


def test_postgres_metadata_that_is_no_object_is_not_read_for_the_run_state(pg_db, fetched_longest):
    """Metadata stored as a long JSON array or string (not LangGraph's object): the
    thread list and a checkpoint's run state read none of it; the head is still listed,
    its run state LangGraph's."""
    config = thread_config("odd-meta")
    with open_saver(pg_db.url) as saver:
        graph = huge_graph(saver)
        graph.invoke({"size": 3}, config)
        graph.invoke({"size": 2}, config)
        truth = graph.get_state(config)
    with psycopg.connect(pg_db.url, autocommit=True) as admin:
        admin.execute(
            "UPDATE checkpoints SET metadata = CASE WHEN checkpoint_id = %s "
            "THEN to_jsonb(repeat('m', %s)) ELSE to_jsonb(array_fill('x'::text, ARRAY[%s])) "
            "END WHERE thread_id = 'odd-meta'",
            (truth.config["configurable"]["checkpoint_id"], BIG_CHARS, BIG_CHARS // 4),
        )
    with open_source(pg_db.select_only_url()) as source:
        fetched_longest.clear()
        (summary,) = source.list_threads()
        listing_longest = max(fetched_longest)
        metas = source.history("odd-meta")  # shows the metadata: it reads it
        fetched_longest.clear()
        progress = [source.progress(meta) for meta in metas]
        progress_longest = max(fetched_longest)
    assert summary.thread_id == "odd-meta" and summary.head_step is None
    assert list(summary.next_nodes) == list(truth.next)
    assert summary.latest_checkpoint_id == truth.config["configurable"]["checkpoint_id"]
    assert list(progress[0].next) == list(truth.next)
    assert all("not an object" in (meta.metadata_error or "") for meta in metas)
    assert listing_longest < 1000 and progress_longest < 1000
