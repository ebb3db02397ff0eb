"""Read paths into checkpoint databases: a SQLite file or a PostgreSQL URL, read-only.

:func:`open_source` picks the backend from what the user typed; the Postgres module
(and psycopg) is imported only when a ``postgresql://`` URL is opened.
"""

from desktop.core.pgurl import check_location, is_postgres_url
from desktop.core.sources.common import CheckpointSource, checkpoint_time
from desktop.core.sources.sqlite import SqliteCheckpointSource

__all__ = [
    "CheckpointSource",
    "SqliteCheckpointSource",
    "checkpoint_time",
    "is_postgres_url",
    "open_source",
]


def open_source(location: str) -> CheckpointSource:
    """Open the checkpoint database at ``location`` (path or URL) for reading.

    Raises ``SourceError`` with a one-line message when it cannot be read (also for a
    URL of another database, such as ``mysql://``).
    """
    check_location(location)
    if is_postgres_url(location):
        from desktop.core.sources.postgres import PostgresCheckpointSource

        return PostgresCheckpointSource(location)
    return SqliteCheckpointSource(location)
