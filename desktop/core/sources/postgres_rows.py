"""Blobs and writes of some checkpoints in a ``PostgresSaver`` database.

A value that is not a primitive lives in ``checkpoint_blobs`` under its channel and the
version the checkpoint's ``channel_versions`` names (a shallow saver keeps only the
latest blob); writes live in ``checkpoint_writes`` with their ``task_path``. These
functions run inside a read transaction (``cur``) and build SQL from the database's
:class:`~desktop.core.sources.postgres_schema.PgSchema`. No blob over the size limit is
fetched (:func:`limited`): its size is read first, and it shows as an unreadable marker
with its size and an error line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import psycopg

from desktop.core import isolate
from desktop.core.decode import DecodeError, decode_typed
from desktop.core.isolate import damage, decode_value, not_fetched, unreadable
from desktop.core.model import ERROR_CHANNEL, INTERRUPT_CHANNEL, CheckpointMeta, PendingWrite
from desktop.core.progress import TASKS_CHANNEL, WriteRecord, send_targets
from desktop.core.sources.postgres_schema import EMPTY_BLOB, PgSchema

_FLAG_CHANNELS = [INTERRUPT_CHANNEL, ERROR_CHANNEL]
_VERSIONS_SQL = (
    "jsonb_each_text(CASE jsonb_typeof(c.checkpoint -> 'channel_versions') "
    "WHEN 'object' THEN c.checkpoint -> 'channel_versions' ELSE '{}'::jsonb END)"
)


def limited(ref: str) -> str:
    """SQL for a ``bytea`` value and its size in bytes, the value ``NULL`` when it is
    over the limit: ``octet_length`` reads the size a stored value has in its header (or
    TOAST pointer), so a big value is never read, let alone sent."""
    limit = isolate.VALUE_LIMIT_BYTES
    return f"CASE WHEN octet_length({ref}) <= {limit} THEN {ref} END, octet_length({ref})"


def limited_json(ref: str, *, text: bool = False) -> str:
    """SQL for a JSONB value (as text when ``text``) and its size in bytes, the value
    ``NULL`` when it is over the limit. The size is that of the value's text, what would
    be sent: measured on the server (a compressed column's stored size says nothing of
    how big it is unpacked), so a big value is never sent."""
    limit = isolate.VALUE_LIMIT_BYTES
    size = f"octet_length(({ref})::text)"
    value = f"({ref})::text" if text else ref
    return f"CASE WHEN {size} <= {limit} THEN {value} END, {size}"


def blob_value(type_: str | None, blob: bytes | None, size: int | None) -> tuple[Any, str | None]:
    """A fetched blob decoded (a broken part marked in place), or the marker of one not
    fetched with the line that says why."""
    withheld = not_fetched("value", size)
    if withheld is not None:
        return unreadable(withheld, size), withheld
    return decode_value(type_, blob), None


def checkpoint_blobs(
    cur: psycopg.Cursor[Any],
    schema: PgSchema,
    thread_id: str,
    ns: str,
    checkpoint_id: str,
    *,
    channel: str | None = None,
) -> list[tuple[str, str, bytes | None, int | None]]:
    """The blob rows a checkpoint's ``channel_versions`` point at (one channel, or all),
    by channel name: ``(channel, type, blob, size)``, the blob ``None`` when over the
    limit."""
    only = "AND v.key = %s " if channel else ""
    cur.execute(
        f"SELECT bl.channel, bl.type, {limited('bl.blob')} FROM checkpoints c CROSS JOIN LATERAL "
        f"{_VERSIONS_SQL} AS v JOIN checkpoint_blobs bl ON bl.thread_id = c.thread_id "
        f"AND bl.checkpoint_ns = c.checkpoint_ns AND bl.channel = v.key {schema.blob_version} "
        f"WHERE c.thread_id = %s AND c.checkpoint_ns = %s AND {schema.cid} = %s {only}"
        'ORDER BY bl.channel COLLATE "C"',
        (thread_id, ns, checkpoint_id, *((channel,) if channel else ())),
    )
    return cur.fetchall()


def keyed_join(schema: PgSchema, table: str = "checkpoints", alias: str = "c") -> str:
    """``FROM`` a list of ``(thread_id, checkpoint_id)`` keys (one JSON parameter)
    joined to their rows of ``table`` in one namespace (a second parameter): one primary
    key lookup per key, whatever the number of keys."""
    cid = schema.cid_of(alias) if table == "checkpoints" else f"{alias}.checkpoint_id"
    return (
        f"FROM {_rows_of('keys', 't', 'id')} "
        f"JOIN {table} {alias} ON {alias}.thread_id = keys.t "
        f"AND {alias}.checkpoint_ns = %s AND {cid} = keys.id"
    )


def key_params(ns: str, keys: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """The parameters of :func:`keyed_join` (each key once)."""
    return json.dumps(list(dict.fromkeys(keys))), ns


def _rows_of(alias: str, *columns: str) -> str:
    """Rows of text columns from a JSON array of arrays (a parameter): thousands of keys
    travel as one string, built and sent faster than a list of SQL arrays."""
    picked = ", ".join(f"r ->> {i} AS {name}" for i, name in enumerate(columns))
    return f"(SELECT {picked} FROM json_array_elements(%s::json) AS r) AS {alias}"


def trigger_blobs(
    cur: psycopg.Cursor[Any], schema: PgSchema, ns: str, wanted: Sequence[tuple[str, ...]]
) -> list[tuple[str, str, str, str, bytes | None]]:
    """Blob values of trigger channels: ``wanted`` holds ``(thread_id, checkpoint_id,
    channel, version)``; one primary key lookup each, the checkpoint itself not read
    again; a value over the limit is not fetched."""
    if not wanted:
        return []
    version = "AND bl.version = w.version" if not schema.shallow else ""
    # LATERAL ... LIMIT 1: a lookup per row; as a join the planner may merge every
    # blob of the table instead.
    cur.execute(
        "SELECT w.t, w.id, w.channel, bl.type, bl.blob "
        f"FROM {_rows_of('w', 't', 'id', 'channel', 'version')} "
        "CROSS JOIN LATERAL (SELECT bl.type, CASE WHEN octet_length(bl.blob) <= "
        f"{isolate.VALUE_LIMIT_BYTES} THEN bl.blob END AS blob "
        "FROM checkpoint_blobs bl WHERE bl.thread_id = w.t "
        f"AND bl.checkpoint_ns = %s AND bl.channel = w.channel {version} LIMIT 1) AS bl",
        (json.dumps(list(wanted)), ns),
    )
    return cur.fetchall()


def write_records(
    cur: psycopg.Cursor[Any], schema: PgSchema, ns: str, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[WriteRecord]]:
    """The writes saved against some checkpoints; only interrupts and errors decoded."""
    if not schema.has_writes or not keys:
        return {}
    cur.execute(
        f"SELECT keys.t, keys.id, w.task_id, {schema.task_path_of('w')}, w.channel, "
        "CASE WHEN w.channel = ANY(%s) THEN w.type END, "
        "CASE WHEN w.channel = ANY(%s) AND octet_length(w.blob) <= "
        f"{isolate.VALUE_LIMIT_BYTES} THEN w.blob END "
        f"{keyed_join(schema, 'checkpoint_writes', 'w')}",
        (_FLAG_CHANNELS, _FLAG_CHANNELS, *key_params(ns, keys)),
    )
    found: dict[tuple[str, str], list[WriteRecord]] = {}
    for tid, cid, task_id, path, channel, type_, blob in sorted(
        cur.fetchall(), key=lambda r: (r[3], r[2])
    ):
        try:
            value = decode_typed(type_, blob) if blob is not None else None
        except DecodeError:
            value = None
        record = WriteRecord(str(task_id), str(path or ""), str(channel), value)
        found.setdefault((tid, cid), []).append(record)
    return found


def pending_writes(
    cur: psycopg.Cursor[Any], schema: PgSchema, meta: CheckpointMeta
) -> list[PendingWrite]:
    """One checkpoint's writes, every value decoded (a broken one marked in place, one
    over the limit not fetched)."""
    if not schema.has_writes:
        return []
    cur.execute(
        f"SELECT task_id, {schema.task_path}, channel, type, {limited('blob')} "
        "FROM checkpoint_writes WHERE thread_id = %s AND checkpoint_ns = %s "
        'AND checkpoint_id = %s ORDER BY task_id COLLATE "C", idx',
        (meta.thread_id, meta.checkpoint_ns, meta.checkpoint_id),
    )
    writes = []
    for task_id, path, channel, type_, blob, size in cur.fetchall():
        value, error = blob_value(type_, blob, size)
        if error is None:
            error = next((f"value could not be decoded: {e}" for _, e in damage(value)), None)
        writes.append(PendingWrite(str(task_id), path or "", str(channel), value, error))
    return writes


def pending_send_targets(
    cur: psycopg.Cursor[Any], schema: PgSchema, thread_id: str, ns: str, checkpoint_id: str
) -> list[str]:
    """Target nodes of one checkpoint's pending ``Send``s, in order."""
    found = checkpoint_blobs(cur, schema, thread_id, ns, checkpoint_id, channel=TASKS_CHANNEL)
    if not found or found[0][1] == EMPTY_BLOB or found[0][2] is None:
        return []
    try:
        sends = decode_typed(found[0][1], found[0][2])
    except DecodeError:
        return []
    return send_targets({TASKS_CHANNEL: sends})
