"""Live watch without Qt: probes and ``rewind history --follow``, with a real second
process writing checkpoints through LangGraph's own savers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from desktop.core.watch import Changes, open_probe
from tests.live import TURN_CHECKPOINTS, LineReader, LiveWriter, truth_ids


@pytest.fixture
def live_db(tmp_path: Path):
    """A SQLite file with thread ``t1`` (one turn), and its writer still running."""
    path = tmp_path / "live.sqlite"
    with LiveWriter(path) as writer:
        writer.turn("t1")
        yield path, writer


def test_sqlite_probe_names_the_threads_another_process_wrote(live_db):
    path, writer = live_db
    probe = open_probe(path)
    try:
        assert probe.poll() is None
        writer.turn("t1")
        assert probe.poll() == Changes(frozenset({"t1"}))
        assert probe.poll() is None
        writer.turn("t2")
        writer.turn("t3")
        assert probe.poll() == Changes(frozenset({"t2", "t3"}))
    finally:
        probe.close()


def test_sqlite_probe_reports_deleted_rows_as_unknown_changes(live_db):
    path, writer = live_db
    writer.turn("t2")
    probe = open_probe(path)
    try:
        with SqliteSaver.from_conn_string(str(path)) as saver:
            saver.delete_thread("t2")
        assert probe.poll() == Changes(None)
    finally:
        probe.close()


def test_sqlite_probe_reports_a_thread_deleted_before_others_as_unknown(live_db):
    """Deleting a thread older than the newest rows leaves the highest rowids alone: the
    commit adds no rows, so the probe says "unknown" and the caller checks."""
    path, writer = live_db
    writer.turn("t2")
    writer.turn("t3")
    probe = open_probe(path)
    try:
        writer.delete("t2")
        assert probe.poll() == Changes(None)
        assert probe.poll() is None
    finally:
        probe.close()


def start_follow(
    path: Path | str, thread_id: str
) -> tuple[subprocess.Popen, LineReader, LineReader]:
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "history", str(path), "--thread", thread_id, "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    return process, LineReader(process.stdout), LineReader(process.stderr)


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=30)


def test_history_follow_prints_each_new_checkpoint_until_ctrl_c(live_db):
    path, writer = live_db
    process, out, err = start_follow(path, "t1")
    try:
        first = [json.loads(line) for line in out.take(TURN_CHECKPOINTS)]
        assert [m["checkpoint_id"] for m in first] == truth_ids(path, "t1")
        writer.turn("t2")
        writer.turn("t1")
        new = [json.loads(line) for line in out.take(TURN_CHECKPOINTS)]
        writer.turn("t1")
        new += [json.loads(line) for line in out.take(TURN_CHECKPOINTS)]
    finally:
        code = stop(process)
    assert code == 0
    assert out.pending() == []
    ids = [m["checkpoint_id"] for m in new]
    assert ids == sorted(ids), "new checkpoints arrive oldest first"
    assert list(reversed(ids)) + [m["checkpoint_id"] for m in first] == truth_ids(path, "t1")
    assert "Traceback" not in "\n".join(err.pending())


def test_history_follow_waits_for_a_thread_that_does_not_exist_yet(live_db):
    path, writer = live_db
    process, out, err = start_follow(path, "later")
    try:
        assert "waiting for thread 'later'" in err.next()
        writer.turn("later")
        lines = [json.loads(line) for line in out.take(TURN_CHECKPOINTS)]
    finally:
        code = stop(process)
    assert code == 0
    assert [m["checkpoint_id"] for m in reversed(lines)] == truth_ids(path, "later")


def test_history_follow_of_a_bad_file_is_one_line(tmp_path):
    command = ["history", str(tmp_path / "x.db"), "--thread", "t", "--follow"]
    result = subprocess.run(
        [sys.executable, "-m", "desktop", *command],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no such file" in result.stderr


def test_postgres_probe_sees_commits_of_another_process(pg_db):
    """Each commit changes the snapshot; which threads changed is left to the reader
    (other activity on the server, autovacuum's ANALYZE say, may also change it)."""
    with LiveWriter(pg_db.url) as writer:
        writer.turn("t1")
        probe = open_probe(pg_db.select_only_url())
        try:
            for _ in range(2):
                probe.poll()
                writer.turn("t1")
                assert probe.poll() == Changes(None)
        finally:
            probe.close()


def postgres_truth_ids(url: str, thread_id: str) -> list[str]:
    """LangGraph's own history of a thread in a Postgres database, newest first."""
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(url) as saver:
        config = {"configurable": {"thread_id": thread_id}}
        return [t.config["configurable"]["checkpoint_id"] for t in saver.list(config)]


def test_history_follow_on_postgres_with_a_select_only_role(pg_db):
    with LiveWriter(pg_db.url) as writer:
        writer.turn("t1")
        reader = pg_db.select_only_url()
        process, out, err = start_follow(reader, "t1")
        try:
            first = [json.loads(line) for line in out.take(TURN_CHECKPOINTS)]
            writer.turn("t2")
            writer.turn("t1")
            new = [json.loads(line) for line in out.take(TURN_CHECKPOINTS)]
        finally:
            code = stop(process)
        truth = postgres_truth_ids(pg_db.url, "t1")
    assert code == 0
    assert out.pending() == []
    assert [m["checkpoint_id"] for m in first] == truth[TURN_CHECKPOINTS:]
    assert [m["checkpoint_id"] for m in reversed(new)] == truth[:TURN_CHECKPOINTS]
    assert "Traceback" not in "\n".join(err.pending())
