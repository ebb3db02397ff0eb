"""A long thread list is counted on a second connection while the source's own reads
the heads (:mod:`desktop.core.sources.sqlite_counts`). Whenever another process
commits, a listing shows one snapshot of the database: never counts from one state and
heads from another. Checked against LangGraph's own ``get_state``."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from langgraph.types import Command

from desktop.core.decode import DecodeError, decode_metadata
from desktop.core.sources import open_source, sqlite_counts, sqlite_heads
from desktop.core.sources.common import meta_step_source
from desktop.core.sources.readonly import ReadOnlyDatabase
from tests.builders import open_saver, review_graph, thread_config

THREADS = [f"review-{n}" for n in range(6)]


@pytest.fixture
def review_db(tmp_path) -> Path:
    """Six review threads: even ones waiting on their interrupt (its write saved against
    the head), odd ones resumed to the end. ``review-0`` was written first."""
    path = tmp_path / "review.sqlite"
    with open_saver(path) as saver:
        graph = review_graph(saver)
        for n, thread_id in enumerate(THREADS):
            graph.invoke({"request": f"bug {n}"}, thread_config(thread_id))
            if n % 2:
                graph.invoke(Command(resume="yes"), thread_config(thread_id))
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    return path


@pytest.fixture
def given(monkeypatch) -> list[object]:
    """Every page counted beside; what each second connection's read gave (``None``:
    not used, the page was counted on the source's connection)."""
    monkeypatch.setattr(sqlite_counts, "SIDE_READ_MIN", 1)
    results: list[object] = []
    read_beside = sqlite_counts.SqliteThreadCounts._read_beside

    def spy(self, *args):
        results.append(read_beside(self, *args))
        return results[-1]

    monkeypatch.setattr(sqlite_counts.SqliteThreadCounts, "_read_beside", spy)
    return results


def on_second_connection(monkeypatch, act) -> list[dict]:
    """Run ``act`` once, just before the second connection (the counting thread's)
    opens, i.e. after the source's own read transaction took its snapshot. Returns the
    keyword arguments each such connection was opened with."""
    connect = ReadOnlyDatabase.connect
    opened: list[dict] = []

    def hooked(self, **kwargs):
        if threading.current_thread().name == "rewind-count":
            opened.append(kwargs)
            if len(opened) == 1:
                act()
        return connect(self, **kwargs)

    monkeypatch.setattr(ReadOnlyDatabase, "connect", hooked)
    return opened


def resume(path: Path, thread_id: str) -> None:
    """Another process's commit: LangGraph resumes an interrupted thread to its end."""
    with open_saver(path) as saver:
        review_graph(saver).invoke(Command(resume="yes"), thread_config(thread_id))


def last_rowids(path: Path) -> tuple[int, int]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(
            "SELECT (SELECT MAX(rowid) FROM checkpoints), (SELECT MAX(rowid) FROM writes)"
        ).fetchone()


def langgraph_states(path: Path) -> dict[str, tuple[int, tuple[str, ...], bool]]:
    """Per thread, as LangGraph tells it: checkpoints, next nodes, waiting on an
    interrupt."""
    with open_saver(path) as saver:
        graph = review_graph(saver)
        found = {}
        for thread_id in THREADS:
            config = thread_config(thread_id)
            state = graph.get_state(config)
            found[thread_id] = (
                len(list(graph.get_state_history(config))),
                tuple(state.next),
                any(task.interrupts for task in state.tasks),
            )
    return found


def shown(listed) -> dict[str, tuple[int, tuple[str, ...], bool]]:
    return {
        t.thread_id: (t.checkpoints, tuple(t.next_nodes), t.run_state == "interrupted")
        for t in listed
    }


def test_counted_beside_equals_langgraph(review_db, given):
    truth = langgraph_states(review_db)
    with open_source(str(review_db)) as source:
        listed = source.list_threads()
    assert shown(listed) == truth
    assert {interrupted for _, _, interrupted in truth.values()} == {True, False}
    assert len(given) == 1 and given[0] is not None


def test_a_commit_before_the_second_connection_opens_is_not_mixed_in(review_db, given, monkeypatch):
    """LangGraph resumes ``review-0`` after the listing took its snapshot and before the
    second connection opened: that connection sees more checkpoints, so its counts are
    not used, and the list is the state before the resume. The next listing shows the
    resume, as LangGraph does."""
    before = langgraph_states(review_db)
    on_second_connection(monkeypatch, lambda: resume(review_db, "review-0"))
    with open_source(str(review_db)) as source:
        assert shown(source.list_threads()) == before
        assert given == [None]
        assert not source._conn.in_transaction
        after = source.list_threads()
    assert shown(after) == langgraph_states(review_db) != before
    assert given[1] is not None


def test_a_thread_deleted_before_the_second_connection_opens(review_db, given, monkeypatch):
    """A commit that leaves every table's greatest rowid as it was (deleting the first
    thread written) is seen too: any commit rewrites the WAL-index header."""
    before = langgraph_states(review_db)
    rowids = last_rowids(review_db)

    def delete() -> None:
        with open_saver(review_db) as saver:
            saver.delete_thread("review-0")
        assert last_rowids(review_db) == rowids

    on_second_connection(monkeypatch, delete)
    with open_source(str(review_db)) as source:
        assert shown(source.list_threads()) == before
        assert given == [None]
        assert "review-0" not in [t.thread_id for t in source.list_threads()]


def test_a_writer_waiting_on_a_rollback_journal_database(review_db, given, monkeypatch):
    """A rollback-journal database: the listing's read lock holds a committing writer
    back (its pending lock), so the second connection cannot read; it does not wait
    (it would wait for the listing, which waits for it) and the page is counted on the
    listing's connection. The writer commits once the listing ends."""
    before = langgraph_states(review_db)  # LangGraph's saver turns WAL on: read first
    with closing(sqlite3.connect(review_db)) as conn:
        assert conn.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    writer_done = threading.Event()

    def write() -> None:
        with closing(sqlite3.connect(review_db, timeout=30)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO checkpoints SELECT 'copied', checkpoint_ns, checkpoint_id, "
                "parent_checkpoint_id, type, checkpoint, metadata FROM checkpoints "
                "WHERE thread_id = 'review-1'"
            )
            conn.commit()
        writer_done.set()

    def start_writer() -> None:
        threading.Thread(target=write, daemon=True).start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until the writer holds its pending lock
            try:
                with closing(sqlite3.connect(review_db, timeout=0)) as probe:
                    probe.execute("SELECT 1 FROM checkpoints LIMIT 1").fetchall()
            except sqlite3.OperationalError as exc:
                assert "locked" in str(exc)
                return
        raise AssertionError("the writer never waited for the listing's read lock")

    opened = on_second_connection(monkeypatch, start_writer)
    with open_source(str(review_db)) as source:
        assert shown(source.list_threads()) == before
        assert opened == [{"timeout": 0}] and given == [None]
        assert writer_done.wait(30)
        assert "copied" in [t.thread_id for t in source.list_threads()]


def test_a_second_connection_that_cannot_open(review_db, given, monkeypatch):
    before = langgraph_states(review_db)

    def refuse() -> None:
        raise sqlite3.OperationalError("unable to open database file")

    on_second_connection(monkeypatch, refuse)
    with open_source(str(review_db)) as source:
        assert shown(source.list_threads()) == before
    assert given == [None]


@pytest.mark.parametrize("beside", [False, True])
def test_a_listing_reads_one_snapshot(review_db, given, monkeypatch, beside):
    """LangGraph commits a resume and a new thread while a listing reads (between its
    order and its counts; or as the heads are read, before the second connection,
    held back until then, begins): the list is the state before both, the second
    connection's read left unused and the page counted inside the listing's own
    transaction."""
    if not beside:
        monkeypatch.setattr(sqlite_counts, "SIDE_READ_MIN", 10**9)
    committed = threading.Event()
    read_beside = sqlite_counts.SqliteThreadCounts._read_beside

    def held_back(self, *args):
        assert committed.wait(30)
        return read_beside(self, *args)

    monkeypatch.setattr(sqlite_counts.SqliteThreadCounts, "_read_beside", held_back)
    before = langgraph_states(review_db)
    owner, step = (
        (sqlite_heads.SqliteThreadHeads, "_heads")
        if beside
        else (sqlite_counts.SqliteThreadCounts, "_counted")
    )
    original = vars(owner)[step]
    commits: list[bool] = []

    def committing(self, *args):
        if not commits:
            commits.append(True)
            resume(review_db, "review-0")
            with open_saver(review_db) as saver:
                review_graph(saver).invoke({"request": "new"}, thread_config("review-new"))
            committed.set()
        return original(self, *args)

    monkeypatch.setattr(owner, step, committing)
    with open_source(str(review_db)) as source:
        listed = source.list_threads()
        assert commits and shown(listed) == before
        assert given == ([None] if beside else [])
        assert not source._conn.in_transaction
        again = source.list_threads()
    assert again[0].thread_id == "review-new"
    assert shown(again[1:]) == langgraph_states(review_db)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"source": "loop", "step": 3, "parents": {}}',
        '{"source": "input", "step": -1}',
        b'{"step": 18446744073709551616, "source": "loop"}',
        b'{"step": -9223372036854775809}',
        b'{"step": 3.0, "source": "loop"}',
        b'{"step": true, "source": 5}',
        b'{"step": NaN, "source": "update"}',
        b'\xef\xbb\xbf{"step": 2, "source": "loop"}',
        b'{"step": 1, "source": "\\ud800"}',
        b'{"step": 1, "step": 2, "source": "fork"}',
        b'{"step": 2, "source": "loop", "deep": ' + b"[" * 990 + b"]" * 990 + b"}",
        b'{"step": 2, "source": "loop", "deep": ' + b"[" * 150 + b"]" * 150 + b"}",
        b"[1, 2]",
        b"not json",
        b'{"step": 1',
        b"",
        None,
        7,
    ],
)
def test_a_heads_step_and_source_are_what_json_reads(raw):
    """The listing parses each head's metadata with orjson; ``step`` and ``source`` are
    what :func:`decode_metadata` (``json``) gives, including where the two parsers part
    (integers beyond 64 bits, ``NaN``, a byte-order mark, a lone surrogate, nesting
    deep enough for ``json`` to give up while orjson would not)."""
    try:
        expected = meta_step_source(decode_metadata(raw))
    except DecodeError:
        expected = (None, None)
    assert sqlite_heads._head_step_source(raw) == expected


def test_a_short_page_reads_no_stamp(review_db, monkeypatch):
    """A window's page (a limit under the side-read size) is counted on one connection,
    so no WAL-index header is read for it; a whole listing reads one."""
    reads: list[Path] = []
    header = sqlite_counts.wal_index_header

    def counted(path):
        reads.append(path)
        return header(path)

    monkeypatch.setattr(sqlite_counts, "wal_index_header", counted)
    with open_source(str(review_db)) as source:
        source.list_threads(limit=60)
        assert reads == []
        source.list_threads()
    assert reads == [review_db]
