"""How a ``PostgresSaver`` database names things: full or shallow saver, optional parts.

Read once when a Postgres source opens (:func:`read_schema`); the other Postgres
modules build their SQL from the :class:`PgSchema` it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.core.errors import SourceError
from desktop.core.sources.pg_connect import ReadOnlyConnection

SHALLOW_NOTE = (
    "shallow saver (ShallowPostgresSaver): only the latest checkpoint of each thread is "
    "kept; time travel needs the history PostgresSaver keeps"
)
# The ``type`` of a blob row that stands for an absent value.
EMPTY_BLOB = "empty"
# The channels that decide which tasks a checkpoint's step runs (progress.step_tasks):
# only these values are read for a thread's status; the others stay undecoded.
TRIGGERS_SQL = (
    "(k = '__start__' OR k = '__pregel_tasks' OR k LIKE 'branch:to:%%' OR k LIKE 'join:%%')"
)


@dataclass(frozen=True)
class PgSchema:
    """How this database's tables name things: full or shallow saver, optional parts."""

    shallow: bool
    has_writes: bool
    has_task_path: bool

    @property
    def cid(self) -> str:
        """SQL for a checkpoint row's id (shallow rows keep it only in the JSONB)."""
        return self.cid_of("")

    def cid_of(self, alias: str) -> str:
        """:attr:`cid` for the ``checkpoints`` table named ``alias`` in a join."""
        prefix = f"{alias}." if alias else ""
        return f"({prefix}checkpoint ->> 'id')" if self.shallow else f"{prefix}checkpoint_id"

    @property
    def parent(self) -> str:
        return self.parent_of("")

    def parent_of(self, alias: str) -> str:
        """:attr:`parent` for the ``checkpoints`` table named ``alias`` in a join."""
        prefix = f"{alias}." if alias else ""
        return "NULL::text" if self.shallow else f"{prefix}parent_checkpoint_id"

    @property
    def blob_version(self) -> str:
        """Join condition on a blob's version (shallow blobs keep only the latest)."""
        return "" if self.shallow else "AND bl.version = v.value"

    @property
    def task_path(self) -> str:
        return self.task_path_of("")

    def task_path_of(self, alias: str) -> str:
        """:attr:`task_path` for the ``checkpoint_writes`` table named ``alias``."""
        prefix = f"{alias}." if alias else ""
        return f"{prefix}task_path" if self.has_task_path else "''"


def read_schema(db: ReadOnlyConnection, location: str) -> PgSchema:
    """The saver's tables as this database has them; :class:`SourceError` when they are
    not a ``PostgresSaver``'s."""
    with db.read() as cur:
        cur.execute(
            "SELECT c.relname, a.attname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
            "WHERE c.oid IN (to_regclass('checkpoints'), to_regclass('checkpoint_blobs'), "
            "to_regclass('checkpoint_writes')) AND a.attnum > 0 AND NOT a.attisdropped"
        )
        columns: dict[str, set[str]] = {}
        for table, column in cur.fetchall():
            columns.setdefault(table, set()).add(column)
    checkpoints = columns.get("checkpoints")
    if not checkpoints:
        raise SourceError(
            f"{location} has no LangGraph checkpoint tables "
            "(expected a 'checkpoints' table written by PostgresSaver)"
        )
    missing = {"thread_id", "checkpoint_ns", "checkpoint", "metadata"} - checkpoints
    if "checkpoint_blobs" not in columns:
        missing.add("(table checkpoint_blobs)")
    if missing:
        raise SourceError(
            f"{location}: table 'checkpoints' lacks {', '.join(sorted(missing))}; "
            "not a PostgresSaver database"
        )
    writes = columns.get("checkpoint_writes", set())
    return PgSchema(
        shallow="checkpoint_id" not in checkpoints,
        has_writes=bool(writes),
        has_task_path="task_path" in writes,
    )
