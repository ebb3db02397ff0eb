"""The read path under faults built for real: never show uncommitted data, never hide
committed data, keep damage where it is, and never let a tiny file cost gigabytes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.core.diff import diff_states
from desktop.core.diff_model import render_diff_text
from desktop.core.errors import SourceError
from desktop.core.isolate import REST_KEY
from desktop.core.live_json import to_jsonable
from desktop.core.model import user_channels
from desktop.core.sources import open_source
from desktop.core.value_shapes import is_unreadable
from tests.faults import (
    GENERATED_BYTES,
    ROOT,
    build_damaged_message_db,
    build_generated_column_db,
    committed_threads,
    digests,
    kill_writer_mid_write,
    read_only_command,
    run_measured,
)

NOTES_SPEC = f"{ROOT / 'tests' / 'data' / 'builder_graphs.py'}:notes"


def rewind(*args: object, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
    )


def root_ids(source, thread_id: str) -> list[str]:
    return [m.checkpoint_id for m in source.history(thread_id) if m.checkpoint_ns == ""]


# --- hot journal ------------------------------------------------------------------------


@pytest.fixture
def hot_journal_db(tmp_path: Path) -> Path:
    """A rollback-journal database whose writer was SIGKILLed mid-transaction."""
    db = tmp_path / "live" / "agent.sqlite"
    db.parent.mkdir()
    kill_writer_mid_write("journal", db)
    assert db.with_name(db.name + "-journal").stat().st_size > 0, "no hot journal left"
    return db


def test_hot_journal_shows_exactly_the_committed_state(tmp_path, hot_journal_db):
    truth = committed_threads(hot_journal_db, tmp_path / "truth")
    assert set(truth) == {f"kept-{i}" for i in range(6)}
    before = digests(hot_journal_db)

    source = open_source(hot_journal_db)
    try:
        assert "private snapshot" in (source.note or "")
        assert {t.thread_id for t in source.list_threads()} == set(truth)
        for thread_id, ids in truth.items():
            assert root_ids(source, thread_id) == ids
            head = source.history(thread_id)[0]
            assert source.load_state(head).error is None
    finally:
        source.close()

    assert digests(hot_journal_db) == before, "the user's database or journal changed"


def test_hot_journal_snapshot_folder_is_removed_on_close(hot_journal_db):
    source = open_source(hot_journal_db)
    snapshot = source._location.snapshot
    assert snapshot is not None and snapshot.is_dir()
    source.close()
    assert not snapshot.exists()


def test_hot_journal_read_commands_and_status_agree(tmp_path, hot_journal_db):
    truth = committed_threads(hot_journal_db, tmp_path / "truth")
    before = digests(hot_journal_db)

    threads = rewind("threads", hot_journal_db)
    assert threads.returncode == 0, threads.stderr
    assert {t["thread_id"] for t in json.loads(threads.stdout)} == set(truth)
    assert "private snapshot" in threads.stderr and threads.stderr.count("\n") == 1

    history = rewind("history", hot_journal_db, "--thread", "kept-0")
    listed = [json.loads(line) for line in history.stdout.splitlines()]
    assert [c["checkpoint_id"] for c in listed if c["checkpoint_ns"] == ""] == truth["kept-0"]

    status = rewind("status", hot_journal_db, "--graph", NOTES_SPEC, "--thread", "kept-0")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["checkpoint_id"] == truth["kept-0"][0]
    assert "private snapshot" in status.stderr
    assert digests(hot_journal_db) == before


# --- WAL in a read-only place -----------------------------------------------------------


@pytest.fixture
def wal_evidence(tmp_path: Path) -> Path:
    """A WAL database whose writer was SIGKILLed, with committed threads only in its
    ``-wal``, copied (database and ``-wal``, as a user collects them) into a folder the
    test will make read-only."""
    live = tmp_path / "live" / "agent.sqlite"
    live.parent.mkdir()
    kill_writer_mid_write("wal", live)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for suffix in ("", "-wal"):
        shutil.copyfile(live.with_name(live.name + suffix), evidence / (live.name + suffix))
    return evidence / live.name


def in_read_only_folder(folder: Path, *args: object) -> subprocess.CompletedProcess[str]:
    command = read_only_command(folder, [sys.executable, "-m", "desktop", *map(str, args)])
    if command is None:
        pytest.skip("this machine cannot make a folder read-only (no private mount namespace)")
    return subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)


def test_wal_in_a_read_only_folder_shows_every_committed_thread(tmp_path, wal_evidence):
    truth = committed_threads(wal_evidence, tmp_path / "truth")
    assert set(truth) == {f"kept-{i}" for i in range(6)}
    before = digests(wal_evidence)
    folder = wal_evidence.parent

    threads = in_read_only_folder(folder, "threads", wal_evidence)
    assert threads.returncode == 0, threads.stderr
    assert {t["thread_id"] for t in json.loads(threads.stdout)} == set(truth)
    assert "private snapshot" in threads.stderr

    newest = "kept-5"  # committed in the -wal only
    history = in_read_only_folder(folder, "history", wal_evidence, "--thread", newest)
    assert history.returncode == 0, history.stderr
    listed = [json.loads(line)["checkpoint_id"] for line in history.stdout.splitlines()]
    assert listed == truth[newest]

    status = in_read_only_folder(
        folder, "status", wal_evidence, "--graph", NOTES_SPEC, "--thread", newest
    )
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["checkpoint_id"] == truth[newest][0]
    assert "private snapshot" in status.stderr

    assert digests(wal_evidence) == before
    assert sorted(p.name for p in folder.iterdir()) == ["agent.sqlite", "agent.sqlite-wal"]


def test_a_checkpointed_wal_database_in_a_read_only_folder_is_read_in_place(tmp_path):
    """No -journal, no -wal: ``immutable=1`` is provably safe, and no snapshot is made."""
    folder = tmp_path / "clean"
    folder.mkdir()
    db = folder / "agent.sqlite"
    kill_writer_mid_write("wal", tmp_path / "agent.sqlite")
    truth = committed_threads(tmp_path / "agent.sqlite", folder)
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    assert sorted(p.name for p in folder.iterdir()) == ["agent.sqlite"]

    threads = in_read_only_folder(folder, "threads", db)
    assert threads.returncode == 0, threads.stderr
    assert {t["thread_id"] for t in json.loads(threads.stdout)} == set(truth)
    assert threads.stderr == ""


# --- damage stays in place --------------------------------------------------------------


def test_one_broken_message_is_marked_in_place_and_never_diffed_as_removed(tmp_path):
    damaged = build_damaged_message_db(tmp_path / "damaged.sqlite")
    with open_source(damaged.path) as source:
        history = [m for m in source.history(damaged.thread_id) if m.checkpoint_ns == ""]
        head = next(m for m in history if m.checkpoint_id == damaged.checkpoint_id)
        parent = next(m for m in history if m.checkpoint_id == head.parent_checkpoint_id)
        state = source.load_state(head)
        parent_state = source.load_state(parent)

    messages = state.values["messages"]
    assert len(messages) == len(damaged.messages)
    for index, (shown, stored) in enumerate(zip(messages, damaged.messages, strict=True)):
        if index == damaged.damaged_index:
            assert is_unreadable(shown) and "code 99" in shown["error"]
        else:
            assert shown == to_jsonable(stored)
    assert f"messages[{damaged.damaged_index}]" in state.error
    assert "\n" not in state.error

    diff = diff_states(user_channels(parent_state.values), user_channels(state.values))
    kinds = {entry.kind for entry in diff.entries}
    assert "removed" not in kinds
    assert "unreadable" in kinds
    assert "could not be read (unknown msgpack extension code 99)" in render_diff_text(diff)


def test_a_wholly_unreadable_checkpoint_does_not_diff_as_an_empty_state(hostile_db):
    ref = hostile_db.garbage_checkpoint
    with open_source(hostile_db.path) as source:
        history = source.history(ref.thread_id)
        bad = next(m for m in history if m.checkpoint_id == ref.checkpoint_id)
        parent = next(m for m in history if m.checkpoint_id == bad.parent_checkpoint_id)
        new, old = source.load_state(bad), source.load_state(parent)
    assert set(new.values) == {REST_KEY}
    diff = diff_states(user_channels(old.values), user_channels(new.values))
    assert diff.entries and {entry.kind for entry in diff.entries} == {"unreadable"}


def test_diff_command_diffs_around_a_broken_value(tmp_path):
    damaged = build_damaged_message_db(tmp_path / "damaged.sqlite")
    result = rewind(
        "diff",
        damaged.path,
        "--thread",
        damaged.thread_id,
        "--checkpoint",
        damaged.checkpoint_id,
        "--json",
    )
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)["entries"]
    assert entries and all(entry["kind"] != "removed" for entry in entries)
    assert any(entry["kind"] == "unreadable" for entry in entries)
    assert result.stderr.startswith("rewind: warning:") and result.stderr.count("\n") == 1


# --- a tiny file must not cost gigabytes ------------------------------------------------


def test_a_20_kb_file_with_generated_columns_is_read_without_computing_them(tmp_path):
    db = build_generated_column_db(tmp_path / "crafted.sqlite")
    assert db.stat().st_size < 64 * 1024
    thread_id = "crafted-0"
    peaks = []
    outputs = {}
    for command in (
        ("threads",),
        ("history", "--thread", thread_id),
        ("export", "--thread", thread_id),
    ):
        result = run_measured(
            [sys.executable, "-m", "desktop", command[0], str(db), *command[1:]],
            cwd=ROOT,
            memory_cap_gb=6,
        )
        assert result.returncode == 0, result.stderr
        peaks.append(result.max_rss_mb)
        outputs[command[0]] = result.stdout
    assert max(peaks) < GENERATED_BYTES / (1 << 20), f"peak memory {max(peaks):.0f} MB"

    exported = json.loads(outputs["export"])["checkpoints"]
    writes = [w for checkpoint in exported for w in checkpoint["pending_writes"]]
    assert writes
    for write in writes:
        assert "generated column" in write["error"] and is_unreadable(write["value"])
    assert all("error" not in checkpoint for checkpoint in exported)


@pytest.mark.parametrize("column", ["checkpoints.checkpoint", "checkpoints.metadata"])
def test_generated_checkpoint_columns_show_an_error_line_per_checkpoint(tmp_path, column):
    db = build_generated_column_db(tmp_path / "crafted.sqlite", (column,))
    with open_source(db) as source:
        assert {t.thread_id for t in source.list_threads()} == {f"crafted-{i}" for i in range(3)}
        history = source.history("crafted-1")
        states = [source.load_state(meta) for meta in history]
    for state in states:
        line = state.to_json()["error"]
        assert "not read: it is a generated column" in line and "\n" not in line
    if column == "checkpoints.checkpoint":
        assert all(is_unreadable(state.values[REST_KEY]) for state in states)
    else:
        assert all(state.values.get("note") == "hello n1" for state in states[:2])


def test_a_generated_identifier_column_is_refused_with_one_line(tmp_path):
    db = build_generated_column_db(tmp_path / "crafted.sqlite", ("checkpoints.type",))
    with pytest.raises(SourceError, match=r"checkpoints\.type is computed by an expression"):
        open_source(db)


def test_values_over_the_limit_are_not_fetched_and_show_their_size(tmp_path, monkeypatch):
    import desktop.core.isolate as isolate
    import desktop.core.sources.sqlite_schema as sqlite_schema

    damaged = build_damaged_message_db(tmp_path / "big.sqlite")
    monkeypatch.setattr(sqlite_schema, "VALUE_LIMIT_BYTES", 512)
    monkeypatch.setattr(isolate, "VALUE_LIMIT_BYTES", 512)
    with open_source(damaged.path) as source:
        head = source.history(damaged.thread_id)[0]
        state = source.load_state(head)
    assert "checkpoint blob not read" in state.error and "over Rewind's" in state.error
    marker = state.values[REST_KEY]
    assert is_unreadable(marker) and marker["bytes"] > 512


# --- filters match case-insensitively in every script -----------------------------------


def test_thread_filter_ignores_case_in_every_script(tmp_path):
    from tests.builders import notes_graph, open_saver, thread_config

    db = tmp_path / "unicode.sqlite"
    ids = ["ünï-1", "ÜNÏ-2", "straße-3", "plain-4", "Ωμέγα-5"]
    with open_saver(db) as saver:
        graph = notes_graph(saver)
        for thread_id in ids:
            graph.invoke({"note": thread_id}, thread_config(thread_id))
    with open_source(db) as source:
        assert {t.thread_id for t in source.list_threads("ÜNÏ")} == {"ünï-1", "ÜNÏ-2"}
        assert source.count_threads("ünï") == 2
        assert {t.thread_id for t in source.list_threads("STRASSE")} == {"straße-3"}
        assert {t.thread_id for t in source.list_threads("ωμέγα")} == {"Ωμέγα-5"}
        assert [t.thread_id for t in source.list_threads("100%_")] == []
    result = rewind("threads", db, "--filter", "ÜNÏ")
    assert result.returncode == 0, result.stderr
    assert {t["thread_id"] for t in json.loads(result.stdout)} == {"ünï-1", "ÜNÏ-2"}
