"""A user's agent process that the read-fault tests kill with SIGKILL mid-write.

``python fault_writer.py journal DB``: runs ``notes_graph`` with ``SqliteSaver`` on a
rollback-journal database (``journal_mode=DELETE``, a tiny page cache so SQLite spills
uncommitted pages into the main file), on a connection whose ``commit()`` never
happens, as if the process died before the transaction ended. It prints ``ready``
once every uncommitted checkpoint is written and waits to be killed: a hot
``-journal`` is left behind.

``python fault_writer.py wal DB``: runs ``notes_graph`` with ``SqliteSaver`` (WAL) with
automatic checkpoints off; the first threads are checkpointed into the main file, the
later ones stay committed in the ``-wal`` only. Prints ``ready`` and waits to be killed.

Thread ids of committed threads start with ``kept-``, uncommitted ones with ``ghost-``.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from langgraph.checkpoint.sqlite import SqliteSaver

from tests.builders import notes_graph, thread_config

COMMITTED = 6
UNCOMMITTED = 25
NOTE = "x" * 4000


class UncommittedConnection(sqlite3.Connection):
    """A connection whose transactions never commit: the writer dies before they do."""

    def commit(self) -> None:
        return None


def journal(path: Path) -> None:
    with closing(sqlite3.connect(path, check_same_thread=False)) as conn:
        saver = SqliteSaver(conn)
        graph = notes_graph(saver)
        for index in range(COMMITTED):
            graph.invoke({"note": f"kept {index}"}, thread_config(f"kept-{index}"))
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    conn = sqlite3.connect(path, factory=UncommittedConnection, check_same_thread=False)
    conn.execute("PRAGMA cache_size=2")
    saver = SqliteSaver(conn)
    saver.is_setup = True  # the tables exist; setup() would switch the file back to WAL
    graph = notes_graph(saver)
    graph.invoke({"note": "rewritten " + NOTE}, thread_config("kept-0"))
    for index in range(UNCOMMITTED):
        graph.invoke({"note": f"ghost {index} {NOTE}"}, thread_config(f"ghost-{index}"))


def wal(path: Path) -> None:
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    saver = SqliteSaver(conn)
    graph = notes_graph(saver)
    for index in range(COMMITTED):
        graph.invoke({"note": f"kept {index}"}, thread_config(f"kept-{index}"))
        if index == COMMITTED // 2 - 1:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


if __name__ == "__main__":
    mode, db = sys.argv[1], Path(sys.argv[2])
    {"journal": journal, "wal": wal}[mode](db)
    print("ready", flush=True)
    time.sleep(600)
