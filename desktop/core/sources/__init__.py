"""Read paths into checkpoint databases. Only SQLite today; every source is read-only."""

from desktop.core.sources.sqlite import SqliteCheckpointSource, checkpoint_time

__all__ = ["SqliteCheckpointSource", "checkpoint_time", "open_source"]


def open_source(path: str) -> SqliteCheckpointSource:
    """Open the checkpoint database at ``path`` for reading (raises ``SourceError``)."""
    return SqliteCheckpointSource(path)
