"""The Postgres thread list without a filter (a loose index scan of the primary key,
kept until a commit) against the filtered GROUP BY path and LangGraph's own heads."""

from __future__ import annotations

from desktop.core.sources import open_source
from tests.builders import fanout_graph, notes_graph, open_saver, thread_config


def _write(url: str, *thread_ids: str) -> None:
    with open_saver(url) as saver:
        graph = notes_graph(saver)
        for thread_id in thread_ids:
            graph.invoke({"note": thread_id}, thread_config(thread_id))


def test_list_order_pages_and_count_follow_another_writers_commits(pg_db):
    _write(pg_db.url, "note-b", "note-a")
    with open_saver(pg_db.url) as saver:  # subgraph namespaces sort after the root's
        fanout_graph(saver).invoke({"topics": ["solar", "wind"]}, thread_config("note-fan"))
    _write(pg_db.url, "note-c")
    with open_source(pg_db.select_only_url()) as source:
        listed = [t.thread_id for t in source.list_threads()]
        assert listed == ["note-c", "note-fan", "note-a", "note-b"]
        # The scan and the filtered GROUP BY give one order, one count, the same rows.
        assert [t.thread_id for t in source.list_threads("note")] == listed
        assert source.thread_ids() == listed and source.count_threads() == 4
        pages = source.list_threads(limit=2) + source.list_threads(offset=2, limit=2)
        assert pages == source.list_threads("note") == source.list_threads()
        # Commits by another process are seen at once: a new thread, an older one moved up.
        _write(pg_db.url, "note-d")
        assert source.count_threads() == 5
        assert source.list_threads(limit=1)[0].thread_id == "note-d"
        _write(pg_db.url, "note-b")
        first = source.list_threads(limit=1)[0]
        with open_saver(pg_db.url) as saver:
            head = notes_graph(saver).get_state(thread_config("note-b"))
        assert first.thread_id == "note-b"
        assert first.latest_checkpoint_id == head.config["configurable"]["checkpoint_id"]
        assert first.checkpoints == 2 * 4 and first.run_state == "finished"
        assert source.thread_ids() == ["note-b", "note-d", "note-c", "note-fan", "note-a"]
        fan = source.thread("note-fan")
        assert source.list_threads(offset=3, limit=1) == [fan]
        with open_saver(pg_db.url) as saver:
            head = fanout_graph(saver).get_state(thread_config("note-fan"))
        assert fan.latest_checkpoint_id == head.config["configurable"]["checkpoint_id"]
