"""What a checkpoint's step runs and who wrote it, from a ``PostgresSaver`` database.

The same rules as on SQLite (:mod:`desktop.core.progress`), fed by batched read-only
SQL: a page of checkpoints with only their trigger channels decoded and their writes
(:func:`read_steps`), the tasks that finished each step (:func:`step_writers`) and the
node an ``update`` written by another tool stands in for (:func:`update_credits`).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

from desktop.core.decode import DecodeError, decode_typed
from desktop.core.model import CheckpointMeta
from desktop.core.progress import (
    CONTROL_WRITES,
    START,
    CheckpointProgress,
    WriteRecord,
    checkpoint_progress,
    update_credit,
    writes_matter,
)
from desktop.core.sources.common import checkpoint_meta, updates_to_credit, writers_of_steps
from desktop.core.sources.postgres_rows import (
    key_params,
    keyed_join,
    pending_send_targets,
    trigger_blobs,
    write_records,
)
from desktop.core.sources.postgres_schema import EMPTY_BLOB, TRIGGERS_SQL, PgSchema

Key = tuple[str, str]
# A checkpoint's channel versions and inline values as JSONB objects (empty if damaged).
_VERSIONS = (
    "CASE jsonb_typeof(c.checkpoint -> 'channel_versions') WHEN 'object' "
    "THEN c.checkpoint -> 'channel_versions' ELSE '{}'::jsonb END"
)
_VALUES = (
    "CASE jsonb_typeof(c.checkpoint -> 'channel_values') WHEN 'object' "
    "THEN c.checkpoint -> 'channel_values' ELSE '{}'::jsonb END"
)


def read_steps(
    cur: psycopg.Cursor[Any],
    schema: PgSchema,
    ns: str,
    keys: list[Key],
    *,
    into: dict[Key, dict[str, Any]] | None = None,
) -> dict[Key, tuple[CheckpointProgress, CheckpointMeta]]:
    """The step after each ``(thread_id, checkpoint_id)`` in namespace ``ns``, with the
    checkpoint's step and source (the only metadata read), in three queries of one
    primary key lookup per checkpoint (checkpoints, trigger-channel blobs, writes).

    Only what :func:`checkpoint_progress` looks at is fetched: ``id``,
    ``versions_seen``, and the versions and inline values of trigger channels from the
    JSONB, the blobs of trigger channels that are not inline (the input only marked
    present), and the writes of checkpoints whose step has tasks
    (:func:`~desktop.core.progress.writes_matter`). ``into`` receives those partial
    checkpoints.
    """
    if not keys:
        return {}
    cur.execute(
        f"SELECT keys.t, keys.id, {schema.parent_of('c')}, "
        # Not an object: an empty value of its type stands for it (what the checkpoint
        # says is "not an object"; an array or a string may be big, and is not read).
        "CASE jsonb_typeof(c.metadata) WHEN 'object' THEN jsonb_build_object("
        "'step', c.metadata -> 'step', 'source', c.metadata -> 'source')::text "
        "WHEN 'array' THEN '[]' WHEN 'string' THEN '\"\"' ELSE c.metadata::text END, "
        # One JSON text per row (parsed once): id, trigger versions, versions_seen,
        # inline trigger values, and the blob type of each trigger channel that is not
        # inline (one key lookup each; LIMIT 1 keeps it a lookup, never a join of
        # every blob of the thread). Blob bytes are fetched only where they matter.
        "jsonb_build_array(c.checkpoint -> 'id', "
        f"(SELECT jsonb_object_agg(k, v) FROM jsonb_each({_VERSIONS}) AS cv(k, v) "
        f"WHERE {TRIGGERS_SQL}), c.checkpoint -> 'versions_seen', "
        f"(SELECT jsonb_object_agg(k, v) FROM jsonb_each({_VALUES}) AS e(k, v) "
        f"WHERE {TRIGGERS_SQL}), "
        f"(SELECT jsonb_object_agg(k, bl.type) FROM jsonb_each_text({_VERSIONS}) "
        "AS v(k, value) CROSS JOIN LATERAL (SELECT bl.type FROM checkpoint_blobs bl "
        "WHERE bl.thread_id = c.thread_id AND bl.checkpoint_ns = c.checkpoint_ns "
        f"AND bl.channel = v.k {schema.blob_version} LIMIT 1) AS bl "
        f"WHERE {TRIGGERS_SQL} AND NOT {_VALUES} ? k))::text "
        f"{keyed_join(schema)} WHERE jsonb_typeof(c.checkpoint) = 'object'",
        key_params(ns, keys),
    )
    checkpoints: dict[Key, dict[str, Any]] = {}
    metas: dict[Key, CheckpointMeta] = {}
    in_blobs: list[tuple[str, str, str, str]] = []
    for tid, cid, parent, raw_meta, parts in cur.fetchall():
        id_, versions, seen, inline, blobbed = json.loads(parts)
        checkpoint = {"channel_values": inline or {}}
        for name, part in (("id", id_), ("channel_versions", versions), ("versions_seen", seen)):
            if part is not None:
                checkpoint[name] = part
        checkpoints[(tid, cid)] = checkpoint
        metas[(tid, cid)] = checkpoint_meta(tid, ns, cid, parent, raw_meta)
        for channel, type_ in (blobbed or {}).items():
            if type_ == EMPTY_BLOB:
                continue
            if channel == START:  # the input: only whether it is there matters
                checkpoint["channel_values"][START] = True
            else:
                in_blobs.append((tid, cid, channel, str(versions[channel])))
    for tid, cid, channel, type_, blob in trigger_blobs(cur, schema, ns, in_blobs):
        values = checkpoints.get((tid, cid), {}).get("channel_values")
        if values is None or type_ == EMPTY_BLOB:
            continue
        try:
            values[channel] = decode_typed(type_, blob)
        except DecodeError:
            values.pop(channel, None)
    if into is not None:
        into.update(checkpoints)
    # Most heads' steps have no tasks (finished threads): their writes change nothing.
    found = {key: checkpoint_progress(checkpoint) for key, checkpoint in checkpoints.items()}
    wanted = [k for k, c in checkpoints.items() if writes_matter(c, found[k])]
    for key, records in write_records(cur, schema, ns, wanted).items():
        found[key] = checkpoint_progress(checkpoints[key], records)
    return {key: (progress, metas[key]) for key, progress in found.items()}


def update_credits(
    cur: psycopg.Cursor[Any], schema: PgSchema, thread_id: str, metas: list[CheckpointMeta]
) -> dict[Key, str]:
    """The node each ``update`` checkpoint not written by Rewind was credited to, when
    its parent has no other update child and the writes saved on it tell
    (:func:`desktop.core.progress.update_credit`), as on SQLite."""
    wanted: dict[str, list[tuple[CheckpointMeta, CheckpointMeta]]] = {}
    for parent, update in updates_to_credit(metas):
        wanted.setdefault(parent.checkpoint_ns, []).append((parent, update))
    credits: dict[Key, str] = {}
    for ns, pairs in wanted.items():
        keys = [(thread_id, parent.checkpoint_id) for parent, _ in pairs]
        checkpoints: dict[Key, dict[str, Any]] = {}
        read_steps(cur, schema, ns, keys, into=checkpoints)
        writes = write_records(cur, schema, ns, keys)
        for parent, update in pairs:
            key = (thread_id, parent.checkpoint_id)
            checkpoint = checkpoints.get(key)
            if checkpoint is None or parent.step is None:
                continue
            node = update_credit(checkpoint, ns, parent.step, writes.get(key, []))
            if node is not None:
                credits[update.key] = node
    return credits


def step_writers(
    cur: psycopg.Cursor[Any],
    schema: PgSchema,
    thread_id: str,
    parents: set[tuple[str, str | None]],
) -> dict[Key, tuple[str, ...]]:
    """For each checkpoint in ``parents``, the tasks of its step that finished.

    Pull tasks are named by their path; a ``Send`` task by the target of the pending
    ``Send`` its path points at (that one blob is read, only then).
    """
    if not schema.has_writes or not schema.has_task_path or not parents:
        return {}
    cur.execute(
        "SELECT checkpoint_ns, checkpoint_id, task_id, task_path, "
        "count(*) FILTER (WHERE channel <> ALL(%s)) FROM checkpoint_writes "
        "WHERE thread_id = %s GROUP BY 1, 2, 3, 4",
        (sorted(CONTROL_WRITES), thread_id),
    )
    found: dict[Key, list[WriteRecord]] = {}
    for ns, cid, task_id, path, outputs in sorted(cur.fetchall()):
        if (ns, cid) in parents and outputs:
            record = WriteRecord(str(task_id), str(path or ""), "output")
            found.setdefault((ns, cid), []).append(record)
    return writers_of_steps(
        found, lambda ns, cid: pending_send_targets(cur, schema, thread_id, ns, cid)
    )


def parent_tasks(
    cur: psycopg.Cursor[Any], schema: PgSchema, thread_id: str, keys: list[Key]
) -> dict[Key, tuple[str, ...]]:
    """The tasks of the step after each ``(checkpoint_ns, checkpoint_id)`` of a thread
    (their ``next``), a :func:`read_steps` per namespace."""
    by_ns: dict[str, list[Key]] = {}
    for ns, cid in keys:
        by_ns.setdefault(ns, []).append((thread_id, cid))
    tasks: dict[Key, tuple[str, ...]] = {}
    for ns, wanted in by_ns.items():
        steps = read_steps(cur, schema, ns, wanted)
        for _, cid in wanted:
            found = steps.get((thread_id, cid))
            tasks[(ns, cid)] = found[0].next if found else ()
    return tasks
