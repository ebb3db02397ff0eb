"""The thread listing: order and counts from index seeks equal a full GROUP BY, pages
are consistent, a commit by another process is seen, and the run state read from a
head checkpoint's scheduling channels equals the one from a full decode. Each listing
test runs twice: counted on the source's connection, and counted on a second
connection beside the heads' reading (as a list of 1,000 threads or more is)."""

from __future__ import annotations

import dataclasses
import sqlite3
from contextlib import closing
from pathlib import Path

import ormsgpack
import pytest
from langchain_core.messages import HumanMessage
from langgraph.types import Command

from desktop.core.decode import DecodeError, decode_typed
from desktop.core.errors import NotFoundError
from desktop.core.progress import checkpoint_progress
from desktop.core.scheduling import decode_scheduling, is_scheduling_channel
from desktop.core.sources import (
    checkpoint_time,
    open_source,
    sqlite_counts,
    sqlite_heads,
    sqlite_listing,
)
from tests.builders import (
    build_many_threads_db,
    open_saver,
    review_graph,
    thread_config,
    tool_agent_graph,
)


def group_by(path: Path) -> list[tuple[str, int, str]]:
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(
            "SELECT thread_id, COUNT(*), MAX(checkpoint_id), "
            "MAX(CASE WHEN checkpoint_ns = '' THEN checkpoint_id END) AS root "
            "FROM checkpoints GROUP BY thread_id "
            "ORDER BY COALESCE(root, MAX(checkpoint_id)) DESC, thread_id"
        ).fetchall()
    return [(t, c, newest) for t, c, newest, _ in rows]


@dataclasses.dataclass
class Counting:
    """How a test's pages are counted, and what each second connection's read gave
    (``None``: not used, the page was counted on the source's connection)."""

    beside: bool
    given: list[object] = dataclasses.field(default_factory=list)

    def check_used(self) -> None:
        """Counted beside: every page was, from the second connection's read."""
        if self.beside:
            assert self.given and all(result is not None for result in self.given)


@pytest.fixture(params=["here", "beside"])
def counting(request, monkeypatch) -> Counting:
    """Pages counted on the source's connection (``here``: pages this short always
    are), or on a second connection beside it (``beside``: every page, however short)."""
    mode = Counting(beside=request.param == "beside")
    if mode.beside:
        monkeypatch.setattr(sqlite_counts, "SIDE_READ_MIN", 1)
        read_beside = sqlite_counts.SqliteThreadCounts._read_beside

        def spy(self, *args):
            mode.given.append(read_beside(self, *args))
            return mode.given[-1]

        monkeypatch.setattr(sqlite_counts.SqliteThreadCounts, "_read_beside", spy)
    return mode


@pytest.fixture(scope="module")
def many_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_many_threads_db(tmp_path_factory.mktemp("many") / "many.sqlite", n=300).path


@pytest.mark.parametrize("db_name", ["many_db", "fanout_db", "agent_db", "fork_db"])
def test_listing_equals_a_full_group_by(request, db_name, counting):
    fixture = request.getfixturevalue(db_name)
    path = Path(getattr(fixture, "path", fixture))
    expected = group_by(path)
    with open_source(str(path)) as source:
        listed = source.list_threads()
        assert source.count_threads() == len(expected)
        pages = [
            t
            for start in range(0, len(expected), 7)
            for t in source.list_threads(offset=start, limit=7)
        ]
    assert [(t.thread_id, t.checkpoints, t.updated_at) for t in listed] == [
        (t, c, checkpoint_time(newest)) for t, c, newest in expected
    ]
    assert pages == listed
    counting.check_used()


@pytest.mark.parametrize("db_name", ["fanout_db", "interrupt_db", "error_db", "fork_db"])
def test_listing_reads_each_head_as_the_thread_summary_does(request, db_name, counting):
    """The whole list, its filtered form and one thread's summary judge the run state
    from the same rows (a page reads its heads in file order, then puts them back)."""
    path = request.getfixturevalue(db_name).path
    with open_source(str(path)) as source:
        listed = source.list_threads()
        assert listed == [source.thread(t.thread_id) for t in listed]
        for summary in listed:
            filtered = source.list_threads(summary.thread_id)
            assert [t for t in filtered if t.thread_id == summary.thread_id] == [summary]
    counting.check_used()


def test_listed_run_states_equal_langgraphs(tmp_path, counting):
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
    with open_saver(path) as saver:
        graph = review_graph(saver)
        states = {t.thread_id: graph.get_state(thread_config(t.thread_id)) for t in listed}
    assert [list(t.next_nodes) for t in listed] == [list(states[t.thread_id].next) for t in listed]
    assert [t.run_state == "interrupted" for t in listed] == [
        any(task.interrupts for task in states[t.thread_id].tasks) for t in listed
    ]
    assert {t.run_state for t in listed} == {"interrupted", "finished"}
    counting.check_used()


def test_listing_sees_a_commit_by_another_connection(agent_db, tmp_path, counting):
    db = tmp_path / "agent.sqlite"
    db.write_bytes(agent_db.path.read_bytes())
    with open_source(str(db)) as source:
        before = [t.thread_id for t in source.list_threads()]
        with open_saver(db) as saver:
            tool_agent_graph(saver).invoke(
                {"messages": [HumanMessage("What is the weather in Paris?")]},
                thread_config("brand-new"),
            )
        after = source.list_threads()
        assert source.count_threads() == len(before) + 1
    assert after[0].thread_id == "brand-new"
    assert [t.thread_id for t in after[1:]] == before
    counting.check_used()


@pytest.mark.parametrize("db_name", ["fanout_db", "agent_db", "interrupt_db", "error_db"])
def test_scheduling_decode_gives_the_same_progress(request, db_name):
    path = request.getfixturevalue(db_name).path
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT type, checkpoint FROM checkpoints").fetchall()
    assert rows
    for type_, blob in rows:
        full, light = decode_typed(type_, blob), decode_scheduling(type_, blob)
        values, kept = full.pop("channel_values"), light.pop("channel_values")
        assert light == full
        assert kept == {k: v if is_scheduling_channel(k) else None for k, v in values.items()}
        assert checkpoint_progress({**light, "channel_values": kept}) == checkpoint_progress(
            {**full, "channel_values": values}
        )
    if db_name == "fanout_db":
        sends = [decode_scheduling(t, b)["channel_values"].get("__pregel_tasks") for t, b in rows]
        assert any(sends), "a checkpoint with pending Sends was read"


def test_scheduling_decode_leaves_the_state_unread(agent_db):
    """A broken record inside the state does not hide the run state; a blob that is not
    msgpack at all is one DecodeError."""
    with closing(sqlite3.connect(agent_db.path)) as conn:
        type_, blob = conn.execute(
            "SELECT type, checkpoint FROM checkpoints ORDER BY length(checkpoint) DESC LIMIT 1"
        ).fetchone()
    checkpoint = ormsgpack.unpackb(blob, ext_hook=ormsgpack.Ext)
    messages = checkpoint["channel_values"]["messages"]
    messages[0] = ormsgpack.Ext(5, b"\xc1 not a payload")
    broken = ormsgpack.packb(checkpoint)
    with pytest.raises(DecodeError):
        decode_typed(type_, broken)
    assert decode_scheduling(type_, broken) == decode_scheduling(type_, blob)
    with pytest.raises(DecodeError):
        decode_scheduling(type_, blob[: len(blob) // 2])


def test_the_backward_key_walk_gives_every_threads_newest_root(fanout_db, tmp_path, counting):
    """One seek per thread walking the key backwards: threads with subgraph namespaces
    (their last key is a subgraph's), one with only subgraph checkpoints, the empty id
    and ids that sort specially, equal to the forward scan and to a full GROUP BY."""
    db = tmp_path / "odd-ids.sqlite"
    db.write_bytes(fanout_db.path.read_bytes())
    ids = ["", "É", "e", "zz", "😀", "a b", "A", "fanout-research-2"]
    with closing(sqlite3.connect(db)) as conn, conn:
        for table in ("checkpoints", "writes"):
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            rest = ", ".join(c for c in columns if c != "thread_id")
            for thread_id in ids:
                conn.execute(
                    f"INSERT INTO {table} (thread_id, {rest}) SELECT ?, {rest} FROM {table} "
                    "WHERE thread_id = ?",
                    (thread_id, fanout_db.thread_id),
                )
        conn.execute("DELETE FROM checkpoints WHERE thread_id = 'zz' AND checkpoint_ns = ''")
        forward = conn.execute(
            f"{sqlite_listing._IDS}SELECT id, {sqlite_listing._ROOT} FROM ids WHERE id IS NOT NULL"
        ).fetchall()
        walked = sqlite_listing._loose_scan(conn.cursor())
        assert [(thread_id, root) for thread_id, root, _ in walked] == forward
        for thread_id, root, rowid in walked:
            if rowid is not None:
                assert conn.execute(
                    "SELECT thread_id, checkpoint_ns, checkpoint_id FROM checkpoints "
                    "WHERE rowid = ?",
                    (rowid,),
                ).fetchone() == (thread_id, "", root)
        assert any(rowid is None for _, root, rowid in walked if root is not None), (
            "a thread with subgraph namespaces has its head found by key"
        )
    assert ("zz", None) in forward and ("", forward[0][1]) == forward[0]
    expected = group_by(db)
    with open_source(str(db)) as source:
        listed = source.list_threads()
    assert [(t.thread_id, t.checkpoints, t.updated_at) for t in listed] == [
        (t, c, checkpoint_time(newest)) for t, c, newest in expected
    ]
    counting.check_used()


def test_listing_order_with_a_thread_id_stored_as_a_blob(agent_db, tmp_path, counting):
    """The loose scan comes back as one row of JSON; an id JSON cannot hold (a BLOB)
    makes it fall back to one row per thread, with the same order."""
    db = tmp_path / "blob-id.sqlite"
    db.write_bytes(agent_db.path.read_bytes())
    with open_source(str(db)) as source:
        before = [(t.thread_id, t.checkpoints) for t in source.list_threads()]
    odd = agent_db.thread_ids[0]
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(
            "UPDATE checkpoints SET thread_id = CAST(thread_id AS BLOB) WHERE thread_id = ?",
            (odd,),
        )
        conn.commit()
    counting.check_used()
    counting.given.clear()
    with open_source(str(db)) as source:
        after = [(t.thread_id, t.checkpoints) for t in source.list_threads(limit=100)]
    assert len(after) == len(before)
    assert [t for t in after if t[0] != str(odd.encode())] == [t for t in before if t[0] != odd]
    counting.check_used()


def test_listing_of_without_rowid_tables(interrupt_db, tmp_path, counting):
    """Heads and their writes are found by key when the tables have no rowid (the run
    state, an interrupt's included, is the same)."""
    db = tmp_path / "without-rowid.sqlite"
    db.write_bytes(interrupt_db.path.read_bytes())
    with open_source(str(db)) as source:
        before = source.list_threads()
    with closing(sqlite3.connect(db)) as conn, conn:
        for table, key in (
            ("checkpoints", "thread_id, checkpoint_ns, checkpoint_id"),
            ("writes", "thread_id, checkpoint_ns, checkpoint_id, task_id, idx"),
        ):
            columns = ", ".join(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
            conn.execute(f"CREATE TABLE copy ({columns}, PRIMARY KEY ({key})) WITHOUT ROWID")
            conn.execute(f"INSERT INTO copy SELECT {columns} FROM {table}")
            conn.execute(f"DROP TABLE {table}")
            conn.execute(f"ALTER TABLE copy RENAME TO {table}")
    counting.check_used()
    counting.given.clear()
    with open_source(str(db)) as source:
        assert source.list_threads() == before
        assert source.list_threads(limit=5) == before[:5]
        assert source.thread(interrupt_db.thread_id).run_state == "interrupted"
    counting.check_used()


def history_head(source, thread_id):
    """The head as the whole history tells it (what ``head`` must equal)."""
    history = source.history(thread_id)
    roots = [meta for meta in history if not meta.checkpoint_ns] or history
    return max(roots, key=lambda meta: meta.checkpoint_id)


@pytest.mark.parametrize("db_name", ["fanout_db", "agent_db", "fork_db", "interrupt_db"])
def test_head_is_the_newest_root_checkpoint_of_the_history(request, db_name):
    path = request.getfixturevalue(db_name).path
    with open_source(str(path)) as source:
        for thread_id in source.thread_ids():
            head, expected = source.head(thread_id), history_head(source, thread_id)
            assert head == dataclasses.replace(expected, writers=())
        with pytest.raises(NotFoundError):
            source.head("no-such-thread")


def read_heads_spy(monkeypatch) -> list[tuple[str, int]]:
    """Each head statement a listing runs: how it finds the heads, and how many."""
    seen: list[tuple[str, int]] = []
    read = sqlite_heads.SqliteThreadHeads._heads
    heads_sql = sqlite_heads.SqliteThreadHeads._heads_sql

    def spy_sql(self, from_):
        seen.append(("rowid" if from_ == sqlite_heads._BY_ROWID else "key", 0))
        return heads_sql(self, from_)

    def spy_read(self, rows):
        found = read(self, rows)
        seen[-1] = (seen[-1][0], len(found))
        return found

    monkeypatch.setattr(sqlite_heads.SqliteThreadHeads, "_heads_sql", spy_sql)
    monkeypatch.setattr(sqlite_heads.SqliteThreadHeads, "_heads", spy_read)
    return seen


@pytest.fixture
def mixed_db(agent_db, fanout_db, tmp_path) -> Path:
    """The agent threads and the fan-out thread (whose last key is a subgraph's) in one
    file."""
    db = tmp_path / "mixed.sqlite"
    db.write_bytes(fanout_db.path.read_bytes())
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("ATTACH DATABASE ? AS agent", (str(agent_db.path),))
        for table in ("checkpoints", "writes"):
            conn.execute(f"INSERT INTO {table} SELECT * FROM agent.{table}")
    return db


@pytest.mark.parametrize("db_name", ["agent_db", "mixed_db"])
def test_heads_are_read_by_the_rowids_the_walk_found(request, db_name, monkeypatch, counting):
    """The thread order's walk lands on each head's index entry, which holds its rowid:
    the heads are read by rowid, with no second seek; a thread whose last key is a
    subgraph's has its head found by key."""
    fixture = request.getfixturevalue(db_name)
    path = Path(getattr(fixture, "path", fixture))
    with open_source(str(path)) as source:
        expected = [source.thread(t) for t in source.thread_ids()]
        seen = read_heads_spy(monkeypatch)
        assert source.list_threads() == expected
    counting.check_used()
    by = dict(seen)
    if db_name == "mixed_db":
        assert by == {"rowid": len(expected) - 1, "key": 1}
    else:
        assert by == {"rowid": len(expected)}


def test_a_rowid_that_names_another_row_is_read_by_key(agent_db, monkeypatch, counting):
    """Rowids that no longer name their heads (here: shuffled) are not trusted: each
    row read by rowid must carry its head's key, and the others are read by key."""
    with open_source(str(agent_db.path)) as source:
        expected = source.list_threads()
        version, order, rowids = source._order_cache
        ids = list(rowids)
        shuffled = dict(zip(ids, [rowids[t] for t in ids[1:] + ids[:1]], strict=True))
        monkeypatch.setattr(source, "_order_cache", (version, order, shuffled))
        seen = read_heads_spy(monkeypatch)
        assert source.list_threads() == expected
    assert seen == [("rowid", 0), ("key", len(expected))]
    counting.check_used()
