"""Tampered Postgres rows: a bad blob is named, its neighbours still shown, nothing runs."""

from __future__ import annotations

import json

import ormsgpack

from desktop.cli import main
from desktop.core.sources import open_source
from tests.builders import build_fork_db, exec_payload


def test_a_tampered_blob_is_named_and_never_runs(capsys, pg_database_factory, tmp_path):
    database = pg_database_factory()
    fork = build_fork_db(database.url)
    marker = tmp_path / "ran"
    with database.connect() as conn:
        conn.execute(
            "UPDATE checkpoint_blobs SET type = 'msgpack', blob = %s "
            "WHERE thread_id = %s AND channel = 'log'",
            (ormsgpack.packb(exec_payload(marker)), fork.thread_id),
        )
        conn.execute(
            "UPDATE checkpoint_blobs SET blob = %s WHERE ctid = (SELECT ctid FROM "
            "checkpoint_blobs WHERE thread_id = %s AND channel = 'log' LIMIT 1)",
            (b"\xc1\xc1 not msgpack", fork.thread_id),
        )
        conn.execute(
            "UPDATE checkpoint_writes SET type = 'pickle' "
            "WHERE thread_id = %s AND channel = 'value'",
            (fork.thread_id,),
        )
    reader = database.select_only_url()
    with open_source(reader) as source:
        states = [source.load_state(m) for m in source.history(fork.thread_id)]
    broken = [s for s in states if s.error and "log" in s.error]
    assert broken, "the garbage blob is named"
    assert all(isinstance(s.values.get("value"), int) for s in broken), "neighbours shown"
    shown = [s.values["log"] for s in states if s.error is None and "log" in s.values]
    assert shown and all(v["__type__"] == "os.system" for v in shown), "shown as data"
    pickled = [w for s in states for w in s.pending_writes if w.channel == "value"]
    assert pickled and all(w.error and "pickle" in w.error for w in pickled)
    code = main(["export", reader, "--thread", fork.thread_id])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert json.loads(out)["checkpoints"]
    assert not marker.exists(), "nothing named in the data was imported or called"
