"""The Postgres source under the same faults as SQLite: a broken blob stays in place and is
never diffed as removed; the thread filter ignores case in every script."""

from __future__ import annotations

import ormsgpack
from langchain_core.messages import HumanMessage

from desktop.core.diff import diff_states
from desktop.core.live_json import to_jsonable
from desktop.core.model import user_channels
from desktop.core.sources import open_source
from desktop.core.value_shapes import is_unreadable
from tests.builders import notes_graph, open_saver, thread_config, tool_agent_graph


def test_a_broken_message_blob_part_is_marked_in_place(pg_db):
    thread_id = "damaged"
    with open_saver(pg_db.url) as saver:
        graph = tool_agent_graph(saver)
        graph.invoke(
            {"messages": [HumanMessage("What is the weather in Paris?")]},
            thread_config(thread_id),
        )
        state = graph.get_state(thread_config(thread_id))
        head_id = state.config["configurable"]["checkpoint_id"]
        messages = list(state.values["messages"])
        version = saver.get_tuple(state.config).checkpoint["channel_versions"]["messages"]
    broken = list(messages)
    broken[1] = ormsgpack.Ext(99, ormsgpack.packb({"content": "?"}))
    kind, blob = saver.serde.dumps_typed(broken)
    with pg_db.connect() as conn:
        updated = conn.execute(
            "UPDATE checkpoint_blobs SET type = %s, blob = %s "
            "WHERE thread_id = %s AND channel = 'messages' AND version = %s",
            (kind, blob, thread_id, str(version)),
        ).rowcount
    assert updated == 1

    with open_source(pg_db.select_only_url()) as source:
        history = [m for m in source.history(thread_id) if m.checkpoint_ns == ""]
        head = next(m for m in history if m.checkpoint_id == head_id)
        parent = next(m for m in history if m.checkpoint_id == head.parent_checkpoint_id)
        new, old = source.load_state(head), source.load_state(parent)
    shown = new.values["messages"]
    assert len(shown) == len(messages)
    assert is_unreadable(shown[1]) and "code 99" in shown[1]["error"]
    assert shown[0] == to_jsonable(messages[0]) and shown[2:] == to_jsonable(messages[2:])
    assert "messages[1]" in new.error
    diff = diff_states(user_channels(old.values), user_channels(new.values))
    assert "removed" not in {entry.kind for entry in diff.entries}
    assert "unreadable" in {entry.kind for entry in diff.entries}


def test_thread_filter_ignores_case_in_every_script(pg_db):
    ids = ["ünï-1", "ÜNÏ-2", "straße-3", "plain-4"]
    with open_saver(pg_db.url) as saver:
        graph = notes_graph(saver)
        for thread_id in ids:
            graph.invoke({"note": thread_id}, thread_config(thread_id))
    with open_source(pg_db.select_only_url()) as source:
        assert {t.thread_id for t in source.list_threads("ÜNÏ")} == {"ünï-1", "ÜNÏ-2"}
        assert source.count_threads("ünï") == 2
        assert {t.thread_id for t in source.list_threads("STRASSE")} == {"straße-3"}
        # thread_ids (groups, state search) filters the same way, in list order.
        assert source.thread_ids("ünï") == [t.thread_id for t in source.list_threads("ünï")]
        assert source.thread_ids() == [t.thread_id for t in source.list_threads()]
