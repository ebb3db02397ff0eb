"""The rows :mod:`desktop.core.delta` needs, read from a ``PostgresSaver`` database.

Read-only SQL like the rest of the Postgres source: the ancestor walk follows
``parent_checkpoint_id`` (a recursive query) in growing pages, each its own read, so no
lock is held between them; a checkpoint's stored entries for the requested channels
(inline in the ``checkpoint`` JSONB, or a blob at the channel's version, which wins over
an inline ``_DeltaSnapshot`` marker) are read only when the walk asks; writes of the
walked checkpoints come in one query per page of ids. A shallow saver keeps no parents:
its walk is empty. No blob, inline value or metadata over the size limit is fetched
(:func:`~desktop.core.sources.postgres_rows.limited`, ``limited_json``): such a seed is
an unreadable marker, such a write is left out with its reason, such metadata reads as
none.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from desktop.core.decode import DecodeError, decode_metadata, decode_typed
from desktop.core.delta import NULL_TASK_ID, AncestorRow, DeltaWrite
from desktop.core.isolate import not_fetched, unreadable
from desktop.core.sources.pg_connect import ReadOnlyConnection
from desktop.core.sources.postgres_rows import limited, limited_json

_ANCESTORS_SQL = (  # {metadata}: the metadata text and its size (limited_json)
    "WITH RECURSIVE ancestors(n, checkpoint_id, parent_checkpoint_id) AS ("
    "SELECT 0, checkpoint_id, parent_checkpoint_id FROM checkpoints "
    "WHERE thread_id = %(t)s AND checkpoint_ns = %(ns)s AND checkpoint_id = %(start)s "
    "UNION ALL "
    "SELECT a.n + 1, c.checkpoint_id, c.parent_checkpoint_id FROM ancestors a "
    "JOIN checkpoints c ON c.thread_id = %(t)s AND c.checkpoint_ns = %(ns)s "
    "AND c.checkpoint_id = a.parent_checkpoint_id WHERE a.n < %(page)s) "
    "SELECT a.checkpoint_id, a.parent_checkpoint_id, {metadata} FROM ancestors a "
    "JOIN checkpoints c ON c.thread_id = %(t)s AND c.checkpoint_ns = %(ns)s "
    "AND c.checkpoint_id = a.checkpoint_id WHERE a.n > 0 ORDER BY a.n"
)
_INLINE_SQL = (  # {value}: an inline value and its size (limited_json)
    "SELECT e.k, {value} FROM checkpoints c CROSS JOIN LATERAL jsonb_each(CASE jsonb_typeof("
    "c.checkpoint -> 'channel_values') WHEN 'object' THEN c.checkpoint -> 'channel_values' "
    "ELSE '{{}}'::jsonb END) AS e(k, v) WHERE c.thread_id = %s AND c.checkpoint_ns = %s "
    "AND c.checkpoint_id = %s AND e.k = ANY(%s)"
)
_FIRST_PAGE = 8
_MAX_PAGE = 256
_IDS_PER_QUERY = 1000


def _blobs_sql() -> str:
    """The blobs of a checkpoint's channels at their versions (none over the limit)."""
    return (
        f"SELECT bl.channel, bl.type, {limited('bl.blob')} "
        "FROM checkpoints c CROSS JOIN LATERAL "
        "jsonb_each_text(CASE jsonb_typeof(c.checkpoint -> 'channel_versions') WHEN 'object' "
        "THEN c.checkpoint -> 'channel_versions' ELSE '{}'::jsonb END) AS v(k, value) "
        "JOIN checkpoint_blobs bl ON bl.thread_id = c.thread_id "
        "AND bl.checkpoint_ns = c.checkpoint_ns AND bl.channel = v.k AND bl.version = v.value "
        "WHERE c.thread_id = %s AND c.checkpoint_ns = %s AND c.checkpoint_id = %s "
        "AND v.k = ANY(%s) AND bl.type <> 'empty'"
    )


def _metadata(raw: str | None) -> dict[str, Any]:
    try:
        return decode_metadata(raw)
    except DecodeError:
        return {}


class PostgresDeltaRows:
    """:class:`desktop.core.delta.DeltaRows` over a read-only Postgres connection."""

    def __init__(self, db: ReadOnlyConnection, *, has_parents: bool, task_path: str) -> None:
        self._db = db
        self._has_parents = has_parents
        self._task_path = task_path

    def ancestors(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, channels: Collection[str]
    ) -> Iterator[AncestorRow]:
        """Parent first, then its parent...; nothing for a shallow saver."""
        if not self._has_parents:
            return
        start, page = checkpoint_id, _FIRST_PAGE
        while True:
            params = {"t": thread_id, "ns": checkpoint_ns, "start": start, "page": page}
            with self._db.read() as cur:
                sql = _ANCESTORS_SQL.format(metadata=limited_json("c.metadata", text=True))
                cur.execute(sql, params)
                rows = cur.fetchall()
            for cid, _parent, metadata, _size in rows:
                load = self._loader(thread_id, checkpoint_ns, str(cid))
                yield AncestorRow(str(cid), _metadata(metadata), load)
            if len(rows) < page or not rows[-1][1]:
                return
            start, page = str(rows[-1][0]), min(page * 2, _MAX_PAGE)

    def _loader(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str
    ) -> Callable[[Collection[str]], dict[str, Any]]:
        """Read the checkpoint's stored entries for ``channels`` only when asked."""
        return lambda channels: self.load(thread_id, checkpoint_ns, checkpoint_id, channels)

    def load(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, channels: Collection[str]
    ) -> dict[str, Any]:
        """The entries of ``channels`` one checkpoint stores (inline, or the blob at the
        channel's version), decoded: a blob that cannot be decoded stores nothing, one
        over the limit an unreadable marker."""
        params = (thread_id, checkpoint_ns, checkpoint_id, list(channels))
        with self._db.read() as cur:
            cur.execute(_INLINE_SQL.format(value=limited_json("e.v")), params)
            found: dict[str, Any] = {}
            for channel, value, size in cur.fetchall():
                why = not_fetched("value", size)
                found[channel] = value if why is None else unreadable(why, size)
            cur.execute(_blobs_sql(), params)
            blobs = cur.fetchall()
        for channel, type_, blob, size in blobs:
            withheld = not_fetched("value", size)
            if withheld is not None:
                found[channel] = unreadable(withheld, size)
                continue
            try:
                found[channel] = decode_typed(type_, blob)
            except DecodeError:
                found.pop(channel, None)
        return found

    # -- :class:`desktop.core.unwritten.StepRows` -----------------------------------------

    def written_channels(self, thread_id: str, ns: str) -> list[str]:
        """Channels tasks wrote in the namespace."""
        with self._db.read() as cur:
            cur.execute(
                "SELECT DISTINCT channel FROM checkpoint_writes WHERE thread_id = %s "
                "AND checkpoint_ns = %s AND task_id::text <> %s",
                (thread_id, ns, NULL_TASK_ID),
            )
            rows = cur.fetchall()
        return sorted(str(channel) for (channel,) in rows)

    def written_on(self, thread_id: str, ns: str, channel: str, limit: int) -> list[str]:
        """Checkpoints a task wrote ``channel`` on, oldest first (none without parents)."""
        if not self._has_parents:
            return []
        with self._db.read() as cur:
            cur.execute(
                'SELECT DISTINCT checkpoint_id COLLATE "C" FROM checkpoint_writes '
                "WHERE thread_id = %s AND checkpoint_ns = %s AND channel = %s "
                "AND task_id::text <> %s ORDER BY 1 LIMIT %s",
                (thread_id, ns, channel, NULL_TASK_ID, limit),
            )
            rows = cur.fetchall()
        return [str(cid) for (cid,) in rows]

    def loop_child(self, thread_id: str, ns: str, checkpoint_id: str) -> str | None:
        """The ``loop`` checkpoint the step after ``checkpoint_id`` saved."""
        with self._db.read() as cur:
            cur.execute(
                "SELECT checkpoint_id FROM checkpoints WHERE thread_id = %s "
                "AND checkpoint_ns = %s AND parent_checkpoint_id = %s "
                "AND metadata ->> 'source' = 'loop' LIMIT 1",
                (thread_id, ns, checkpoint_id),
            )
            row = cur.fetchone()
        return str(row[0]) if row else None

    def writes(
        self,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_ids: Sequence[str],
        channels: Collection[str],
    ) -> list[DeltaWrite]:
        """Every write to ``channels`` on ``checkpoint_ids``, each value decoded on its own."""
        out: list[DeltaWrite] = []
        for start in range(0, len(checkpoint_ids), _IDS_PER_QUERY):
            ids = list(checkpoint_ids[start : start + _IDS_PER_QUERY])
            with self._db.read() as cur:
                cur.execute(
                    f"SELECT checkpoint_id, task_id, {self._task_path}, idx, channel, type, "
                    f"{limited('blob')} "
                    "FROM checkpoint_writes WHERE thread_id = %s AND checkpoint_ns = %s "
                    "AND checkpoint_id = ANY(%s) AND channel = ANY(%s)",
                    (thread_id, checkpoint_ns, ids, list(channels)),
                )
                rows = cur.fetchall()
            for cid, task_id, path, idx, channel, type_, blob, size in rows:
                value, error = None, not_fetched("value", size)
                if error is None:
                    try:
                        value = decode_typed(type_, blob)
                    except DecodeError as exc:
                        error = f"value could not be decoded: {exc}"
                out.append(
                    DeltaWrite(
                        str(cid),
                        str(task_id),
                        str(path or ""),
                        int(idx),
                        str(channel),
                        value,
                        error,
                    )
                )
        return out
