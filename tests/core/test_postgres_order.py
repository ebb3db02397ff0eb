"""The Postgres thread order (a loose index scan of the primary key, split over two
connections on a big table) against LangGraph's own listing of every checkpoint: threads
with subgraph namespaces, one with only subgraph checkpoints, an empty id, ids that sort
and quote specially; the split scan, its helper's snapshot, and every fallback."""

from __future__ import annotations

from langgraph.checkpoint.base import empty_checkpoint

from desktop.core.sources import open_source, postgres_order
from desktop.core.sources.postgres_order import (
    EXPORT_SQL,
    PartScan,
    loose_scan_sql,
    on_this_machine,
)
from tests.builders import fanout_graph, notes_graph, open_saver, thread_config

# Ids whose order, quoting or array text is special: the histogram bounds of these come
# back through ``text[]``, and '' sorts before everything.
ODD_IDS = [
    "",
    " space",
    "0",
    "00",
    "9",
    "NULL",
    '"quoted"',
    "a,b",
    "{brace}",
    "back\\slash",
    "tab\tid",
    "Z",
    "a",
    "ss",
    "ß",
    "é",
    "e\u0301",
    "日本",
    "emoji 😀",
    "_",
    "-",
]


def _put(saver, thread_id: str, ns: str = "") -> None:
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}
    saver.put(config, empty_checkpoint(), {"source": "input", "step": -1, "parents": {}}, {})


def _build(url: str) -> list[str]:
    """Real graphs, single checkpoints written through ``PostgresSaver.put`` (so most ids
    appear once and land in the histogram, not the most common values), then LangGraph's
    order: newest root checkpoint first (a thread without one by its newest), then id."""
    with open_saver(url) as saver:
        graph = notes_graph(saver)
        for thread_id in ("note-b", "note-a"):
            graph.invoke({"note": thread_id}, thread_config(thread_id))
        fanout_graph(saver).invoke({"topics": ["solar", "wind"]}, thread_config("fan"))
        _put(saver, "sub-only", "inner:1")
        _put(saver, "sub-only", "inner:2")
        for thread_id in ODD_IDS:
            _put(saver, thread_id)
        for n in range(40):
            _put(saver, f"p-{n:03d}")
        graph.invoke({"note": "again"}, thread_config("note-b"))
        newest: dict[str, tuple[str, str]] = {}
        for item in saver.list(None):
            conf = item.config["configurable"]
            root, any_ns = newest.get(conf["thread_id"], ("", ""))
            cid = conf["checkpoint_id"]
            if conf["checkpoint_ns"] == "":
                root = max(root, cid)
            newest[conf["thread_id"]] = (root, max(any_ns, cid))
    by_id = sorted(newest)
    return sorted(by_id, key=lambda t: newest[t][0] or newest[t][1], reverse=True)


def _splitting(source, parts: int = 8):
    """``source`` with its order scan split on any table (a few threads here)."""
    source._order_scan.min_threads = 0
    source._order_scan.parts = parts
    return source


def _analyze(database) -> None:
    with database.connect() as conn:
        conn.execute("ANALYZE checkpoints")


def test_the_split_scan_gives_langgraphs_order_and_the_serial_scans_rows(pg_db):
    truth = _build(pg_db.url)
    _analyze(pg_db)
    reader = pg_db.select_only_url()
    assert "" in truth and "sub-only" in truth and truth[0] == "note-b"
    with open_source(reader) as serial:
        assert serial.thread_ids() == truth
        assert serial._order_scan.last_parts == 1  # fewer threads than MIN_THREADS
        whole = serial.list_threads()  # one GROUP BY, no scan
        assert [t.thread_id for t in whole] == truth
    for parts in (2, 5, 64):
        with _splitting(open_source(reader), parts) as split:
            assert split.count_threads() == len(truth)
            assert split._order_scan.last_parts > 1
            assert split.thread_ids() == truth
            pages = [split.list_threads(offset=o, limit=9) for o in range(0, len(truth), 9)]
            assert [t for page in pages for t in page] == whole


def test_the_helper_reads_the_snapshot_of_the_read_that_exported_it(pg_db):
    truth = _build(pg_db.url)
    _analyze(pg_db)
    with open_source(pg_db.select_only_url()) as source:
        scanner = _splitting(source, 4)._order_scan
        with source._db.read() as cur:
            cuts = scanner.cuts(cur)
            cur.execute(loose_scan_sql(False, False))
            serial = cur.fetchall()
            cur.execute(EXPORT_SQL, (cuts,))
            snapshot, cuts = cur.fetchone()
            with open_saver(pg_db.url) as saver:  # committed after this read began
                _put(saver, "zz-late")
            scan = PartScan.cut_at(cuts)
            scanner.help_scan(scan, snapshot)  # here, not in a thread: it takes every part
            assert len(scan.ranges) == 4 and scan.helped == 4
            assert scan.rows() == serial  # the parts, highest first, are the serial scan
        assert "zz-late" not in {row[0] for row in serial}
        assert source.thread_ids()[0] == "zz-late" and source.thread_ids()[1:] == truth


def test_only_the_first_scan_of_a_source_is_split(pg_db):
    """A rescan after a commit (what live watch triggers) runs on the source's own
    connection, no helper connecting, and still gives LangGraph's order."""
    truth = _build(pg_db.url)
    _analyze(pg_db)
    with _splitting(open_source(pg_db.select_only_url()), 4) as source:
        assert source.thread_ids() == truth
        assert source._order_scan.last_parts > 1
        with open_saver(pg_db.url) as saver:
            _put(saver, "zz-late")
        source._order_scan.close()  # the first scan's helpers, done or giving up, are gone
        with pg_db.connect() as conn:
            (since,) = conn.execute("SELECT clock_timestamp()").fetchone()
            assert source.thread_ids() == ["zz-late", *truth]
            assert source._order_scan.last_parts == 1 and source._order_scan.helped == 0
            # No connection was opened for the rescan.
            (opened,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_start > %s "
                "AND backend_type = 'client backend'",
                (since,),
            ).fetchone()
            assert opened == 0


def test_without_statistics_a_helper_or_a_snapshot_one_connection_scans(pg_db):
    with open_saver(pg_db.url) as saver:
        with pg_db.connect() as conn:  # no statistics until ANALYZE
            conn.execute("ALTER TABLE checkpoints SET (autovacuum_enabled = false)")
        _put(saver, "only")
    reader = pg_db.select_only_url()
    with _splitting(open_source(reader)) as source:
        assert source.thread_ids() == ["only"] and source._order_scan.last_parts == 1
    truth = _build(pg_db.url)
    _analyze(pg_db)
    with _splitting(open_source(reader)) as source:  # helpers cannot connect
        source._order_scan._url = pg_db.server.url("no_such_database")
        assert source.thread_ids() == truth
        assert source._order_scan.last_parts > 1 and source._order_scan.helped == 0
    with pg_db.connect() as conn:  # no snapshot export: one serial scan, no failed read
        conn.execute("REVOKE EXECUTE ON FUNCTION pg_export_snapshot() FROM PUBLIC")
    with _splitting(open_source(reader)) as source:
        assert source.count_threads() == len(truth) and source.thread_ids() == truth
        assert source._order_scan.last_parts == 1 and not source._order_scan.split


def test_a_split_needs_a_server_on_this_machine_or_a_quick_round_trip():
    assert on_this_machine("/tmp/rewind-pg-x/pgdata", "")
    assert on_this_machine("localhost", "127.0.0.1") and on_this_machine("::1", "::1")
    assert on_this_machine("db.local", "127.0.1.1")
    assert not on_this_machine("db.example.com", "10.1.2.3")
    assert not on_this_machine("2001:db8::5", "2001:db8::5")


def test_a_part_a_helper_holds_too_long_is_scanned_by_the_source():
    """A helper whose connection hangs holding a part does not hang the read: after the
    patience, its part is taken back for the source's connection to scan."""
    scan = PartScan.cut_at(["m"])
    mine, held = scan.take(helper=False), scan.take(helper=True)
    assert (mine, held, scan.todo) == (0, 1, [])
    assert scan.wait(0.05) is True and scan.todo == [held] and not scan.helper_holds
    assert scan.take(helper=False) == held and scan.wait(0.05) is False


def test_a_helper_failing_in_any_way_hands_its_part_back(pg_db, monkeypatch):
    """Not only database errors: any exception in a helper returns the part it held."""
    truth = _build(pg_db.url)
    _analyze(pg_db)

    def broken(cur, lo, hi):
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "a text loader failed")

    with open_source(pg_db.select_only_url()) as source:
        scanner = _splitting(source, 4)._order_scan
        with source._db.read() as cur:
            cur.execute(EXPORT_SQL, (scanner.cuts(cur),))
            snapshot, cuts = cur.fetchone()
            scan = PartScan.cut_at(cuts)
            monkeypatch.setattr(postgres_order, "_scan_part", broken)
            scanner.help_scan(scan, snapshot)  # here, not in a thread: it must not raise
            assert sorted(scan.todo) == list(range(len(scan.ranges))) and not scan.helper_holds
            assert scan.helped == 0
        monkeypatch.undo()
        assert source.thread_ids() == truth
