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

import pytest
from langchain_core.messages import HumanMessage

import desktop.core.isolate as isolate
import desktop.core.sources.sqlite as sqlite_source
from desktop.core import msgpack_chunks
from desktop.core.decode import is_unreadable, to_jsonable
from desktop.core.isolate import REST_KEY
from desktop.core.model import user_channels
from desktop.core.sources import open_source
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
    monkeypatch.setattr(sqlite_source, "VALUE_LIMIT_BYTES", LIMIT)
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
