"""What a checkpoint's step runs and who wrote it, from a ``SqliteSaver`` database.

Part of :class:`desktop.core.sources.sqlite.SqliteCheckpointSource` (a mixin: it uses
the source's cursor, value SQL and schema flags). The same rules as on Postgres
(:mod:`desktop.core.progress`), fed by SQL on one checkpoint at a time: the step after a
checkpoint from its scheduling channels and the writes saved against it
(:meth:`SqliteSteps.progress`), the tasks that finished each step (pull tasks by their
path, a ``Send`` task by the target of its pending ``Send``) and the node an ``update``
written by another tool stands in for.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from desktop.core.decode import DecodeError, decode_typed
from desktop.core.model import CheckpointMeta
from desktop.core.progress import (
    CONTROL_WRITES,
    CheckpointProgress,
    WriteRecord,
    send_targets,
    update_credit,
)
from desktop.core.sources.common import updates_to_credit, writers_of_steps
from desktop.core.sources.sqlite_heads import scheduled_progress, write_record


class SqliteSteps:
    """Steps, writers and update credits for
    :class:`~desktop.core.sources.sqlite.SqliteCheckpointSource`."""

    _cursor: Callable[[], AbstractContextManager[sqlite3.Cursor]]
    _stored_checkpoint: Callable[..., tuple[Any, ...] | None]
    _write_columns: Callable[[str], tuple[str, tuple[str, ...]]]
    _without_rowid: set[str]
    _has_writes: bool
    _has_task_path: bool

    def progress(self, meta: CheckpointMeta) -> CheckpointProgress:
        """What the step after ``meta`` runs and what became of it, as ``get_state`` says."""
        with self._cursor() as cur:
            return self._progress(cur, meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id)

    def _progress(
        self, cur: sqlite3.Cursor, thread_id: str, ns: str, checkpoint_id: str
    ) -> CheckpointProgress:
        """The step after one checkpoint (``get_state`` of it); empty when unreadable."""
        row = self._stored_checkpoint(cur, thread_id, ns, checkpoint_id)
        if row is None:
            return CheckpointProgress()
        return self._progress_of(cur, thread_id, ns, checkpoint_id, row[0], row[1])

    def _progress_of(
        self,
        cur: sqlite3.Cursor,
        thread_id: str,
        ns: str,
        checkpoint_id: str,
        type_: str | None,
        blob: bytes | None,
    ) -> CheckpointProgress:
        """The step after a checkpoint whose stored blob was already fetched."""
        return scheduled_progress(
            type_, blob, self._write_records(cur, thread_id, ns, checkpoint_id)
        )

    def _write_records(
        self, cur: sqlite3.Cursor, thread_id: str, ns: str, checkpoint_id: str
    ) -> list[WriteRecord]:
        """The writes saved against one checkpoint; only interrupts and errors are decoded."""
        if not self._has_writes:
            return []
        columns, params = self._write_columns("writes")
        return [
            write_record(*row)
            for row in cur.execute(
                f"SELECT {columns} FROM writes "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? "
                f"ORDER BY {'task_id, idx' if 'writes' in self._without_rowid else 'rowid'}",
                (*params, thread_id, ns, checkpoint_id),
            ).fetchall()
        ]

    def _update_credits(
        self, cur: sqlite3.Cursor, thread_id: str, metas: list[CheckpointMeta]
    ) -> dict[tuple[str, str], str]:
        """The node each ``update`` checkpoint not written by Rewind was credited to, when
        its parent has no other update child and the writes saved on it tell
        (:func:`desktop.core.progress.update_credit`)."""
        credits: dict[tuple[str, str], str] = {}
        for parent, update in updates_to_credit(metas):
            ns, parent_id = parent.key
            row = self._stored_checkpoint(cur, thread_id, ns, parent_id)
            try:
                checkpoint = decode_typed(row[0], row[1]) if row else None
            except DecodeError:
                continue
            if not isinstance(checkpoint, dict) or parent.step is None:
                continue
            writes = self._write_records(cur, thread_id, ns, parent_id)
            node = update_credit(checkpoint, ns, parent.step, writes)
            if node is not None:
                credits[update.key] = node
        return credits

    def _step_writers(
        self, cur: sqlite3.Cursor, thread_id: str, parents: set[tuple[str, str | None]]
    ) -> dict[tuple[str, str], tuple[str, ...]]:
        """For each checkpoint in ``parents``, the tasks of its step that finished.

        Pull tasks are named by their path; a ``Send`` task by the target of the pending
        ``Send`` its path points at (read from that one checkpoint's blob, only then).
        """
        if not self._has_writes or not self._has_task_path or not parents:
            return {}
        controls = tuple(sorted(CONTROL_WRITES))
        marks = ", ".join("?" for _ in controls)
        found: dict[tuple[str, str], list[WriteRecord]] = {}
        for ns, cid, task_id, path, outputs in cur.execute(
            "SELECT checkpoint_ns, checkpoint_id, task_id, task_path, "
            f"SUM(channel NOT IN ({marks})) FROM writes WHERE thread_id = ? "
            "GROUP BY checkpoint_ns, checkpoint_id, task_id ORDER BY MIN(rowid)",
            (*controls, thread_id),
        ):
            if (ns, cid) in parents and outputs:
                record = WriteRecord(str(task_id), str(path or ""), "output")
                found.setdefault((ns, cid), []).append(record)
        return writers_of_steps(found, lambda ns, cid: self._send_targets(cur, thread_id, ns, cid))

    def _send_targets(
        self, cur: sqlite3.Cursor, thread_id: str, ns: str, checkpoint_id: str
    ) -> list[str]:
        row = self._stored_checkpoint(cur, thread_id, ns, checkpoint_id)
        try:
            checkpoint = decode_typed(row[0], row[1]) if row else None
        except DecodeError:
            return []
        values = checkpoint.get("channel_values") if isinstance(checkpoint, dict) else None
        return send_targets(values) if isinstance(values, dict) else []
