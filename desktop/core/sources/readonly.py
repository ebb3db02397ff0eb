"""Open a SQLite database for reading without changing it and without showing uncommitted data.

Three ways, tried in this order:

1. ``mode=ro``: SQLite reads the file and its ``-wal`` as any reader would.
2. A private snapshot, when ``mode=ro`` cannot read the committed state in place: a
   writer died mid-transaction and left a hot ``-journal`` (SQLite must roll it back
   before reading, which a read-only connection cannot do), or a ``-wal`` lies in a
   folder where SQLite cannot create the shared-memory file a WAL reader needs. The
   database and its ``-journal``/``-wal`` are copied into a private temporary folder,
   SQLite rolls back (or recovers the WAL) there, and the copy is read. The user's
   files are never touched; :attr:`ReadOnlyDatabase.note` says a snapshot is shown.
3. ``immutable=1``, only where it is provably safe: no ``-journal`` and no ``-wal``
   next to the file, so nothing committed lives outside the main file and nothing
   needs rolling back (a WAL-mode database in a read-only folder, checkpointed).

Anything else is one line (:class:`SourceError`), never a partial view.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Self
from urllib.parse import quote

from desktop.core.errors import SourceError

JOURNAL_SUFFIXES = ("-journal", "-wal")
"""Files next to a database that can hold committed (``-wal``) or rolled-back
(``-journal``) pages; the ``-shm`` index is rebuilt from the ``-wal`` and never copied."""

_MMAP_BYTES = 1 << 30
# How long a read waits for a writer's transaction (rollback-journal databases) to end.
_BUSY_SECONDS = 2.0
_COPY_ATTEMPTS = 3
_FREE_SPACE_MARGIN = 64 << 20
_HOT_JOURNAL = "SQLITE_READONLY_ROLLBACK"
_CANNOT_OPEN = ("SQLITE_CANTOPEN", "SQLITE_READONLY")


@dataclass(frozen=True, slots=True)
class ReadOnlyDatabase:
    """Where to read a database from: ``uri`` for ``sqlite3.connect(uri, uri=True)``.

    ``note`` is set when what is read is not the file itself (a private snapshot): a
    window shows it in its status bar (``short_note`` as the text, ``note`` as its
    tooltip), headless commands print it on stderr. ``snapshot`` is the private folder
    holding the copy; :meth:`close` removes it.
    """

    path: Path
    uri: str
    note: str | None = None
    short_note: str | None = None
    snapshot: Path | None = None

    def connect(self, timeout: float = _BUSY_SECONDS) -> sqlite3.Connection:
        """A new read-only connection (usable from any thread), memory-mapped; a read
        waits up to ``timeout`` seconds for a writer's lock (rollback journal)."""
        return _probe(sqlite3.connect(self.uri, uri=True, check_same_thread=False, timeout=timeout))

    @property
    def fixed(self) -> bool:
        """Nobody can commit to what is read: a private snapshot, or an immutable file."""
        return self.snapshot is not None or "immutable=1" in self.uri

    def close(self) -> None:
        """Remove the private snapshot, if any (connections to it must be closed first)."""
        if self.snapshot is not None:
            import shutil

            shutil.rmtree(self.snapshot, ignore_errors=True)


_SQLITE_HEADER = b"SQLite format 3\x00"


def check_sqlite_file(path: Path) -> None:
    """One line (:class:`SourceError`) unless ``path`` is a readable SQLite file."""
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path} is a directory, not a checkpoint database file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise SourceError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if not header:
        raise SourceError(f"{path} is empty, not a LangGraph checkpoint database")
    if header != _SQLITE_HEADER:
        raise SourceError(f"{path} is not a SQLite database")


class SharedReadOnlyFile:
    """A SQLite file opened read-only (:func:`open_read_only`) on one connection that
    threads share: every query holds the lock. Base of the checkpoint source and the
    Store reader; ``READING`` names what a failed query could not read."""

    READING = "database"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.location = str(self.path)
        check_sqlite_file(self.path)
        self._location, self._conn = open_read_only(self.path)
        self._lock = threading.Lock()

    @property
    def note(self) -> str | None:
        """Set when what is shown is not the file itself but a private snapshot of it:
        one line for a status bar."""
        return self._location.note

    def close(self) -> None:
        """Release the connection (and the private snapshot, if one was needed)."""
        with self._lock:
            self._conn.close()
            self._location.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            try:
                yield cur
            except sqlite3.DatabaseError as exc:
                raise SourceError(f"{self.path}: cannot read {self.READING} ({exc})") from None
            finally:
                cur.close()


def open_read_only(path: str | Path) -> tuple[ReadOnlyDatabase, sqlite3.Connection]:
    """Find how to read ``path`` without changing it; return that and an open connection.

    Raises :class:`SourceError` (one line) when the committed state cannot be read.
    """
    path = Path(path).expanduser()
    uri = _uri(path, "mode=ro")
    try:
        location = ReadOnlyDatabase(path, uri)
        return location, location.connect()
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "") or ""
        text = str(exc)
        if "locked" in text or "busy" in text or name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            raise SourceError(
                f"{path} is locked by another process writing to it; try again in a moment"
            ) from None
        if name == _HOT_JOURNAL:
            return _open_snapshot(
                path,
                "a writer stopped mid-transaction (hot -journal); its uncommitted changes "
                "are rolled back in the copy",
                "unfinished write rolled back",
            )
        if not (name.startswith(_CANNOT_OPEN) or "unable to open" in text or "readonly" in text):
            raise SourceError(f"{path} is not a readable SQLite database ({exc})") from None
    if _side_files(path):
        return _open_snapshot(
            path, "its -wal cannot be read in place (read-only folder)", "-wal read from a copy"
        )
    location = ReadOnlyDatabase(path, _uri(path, "mode=ro&immutable=1"))
    try:
        return location, location.connect()
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"{path} is not a readable SQLite database ({exc})") from None


def _uri(path: Path, query: str) -> str:
    return f"file:{quote(str(path.resolve()))}?{query}"


def _side_files(path: Path) -> list[Path]:
    """The ``-journal`` and ``-wal`` files next to ``path`` (existing ones only)."""
    found = []
    for suffix in JOURNAL_SUFFIXES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            found.append(side)
    return found


def _probe(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Check a fresh connection can read the schema; close it when it cannot."""
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        conn.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
    except sqlite3.DatabaseError:
        conn.close()
        raise
    return conn


def _open_snapshot(path: Path, why: str, short: str) -> tuple[ReadOnlyDatabase, sqlite3.Connection]:
    """Copy ``path`` with its ``-journal``/``-wal`` into a private folder, let SQLite
    settle the copy (roll back / recover), and open the copy read-only."""
    # Only a snapshot needs these (shutil loads the compression modules): not imported
    # on every read-only open.
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="rewind-snapshot-"))
    try:
        copy = _copy_with_side_files(path, folder)
        with closing(sqlite3.connect(copy, timeout=_BUSY_SECONDS)) as settle:
            settle.execute("SELECT COUNT(*) FROM sqlite_master").fetchall()
        taken = datetime.now().strftime("%H:%M:%S")
        note = (
            f"Showing a private snapshot taken at {taken}: {why}. {path.name} itself is unchanged."
        )
        location = ReadOnlyDatabase(
            path,
            _uri(copy, "mode=ro"),
            note=note,
            short_note=f"Private snapshot ({taken}): {short}",
            snapshot=folder,
        )
        return location, location.connect()
    except sqlite3.DatabaseError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise SourceError(f"{path} is not a readable SQLite database ({exc})") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _copy_with_side_files(path: Path, folder: Path) -> Path:
    """Copy the database and its side files; retry while they change under the copy."""
    import shutil

    files = [path, *_side_files(path)]
    needed = sum(_size(f) for f in files)
    free = shutil.disk_usage(folder).free
    if needed + _FREE_SPACE_MARGIN > free:
        raise SourceError(
            f"{path} must be read from a private copy ({needed >> 20} MB) but only "
            f"{free >> 20} MB are free in {folder.parent}; set TMPDIR to a larger folder"
        )
    for _ in range(_COPY_ATTEMPTS):
        before = _stamps(files)
        try:
            for source in files:
                shutil.copyfile(source, folder / source.name)
        except OSError as exc:
            raise SourceError(
                f"{path}: cannot copy it for reading ({exc.strerror or exc})"
            ) from None
        if _stamps([path, *_side_files(path)]) == before:
            return folder / path.name
        files = [path, *_side_files(path)]
        for stale in folder.iterdir():
            stale.unlink()
    raise SourceError(f"{path} kept changing while Rewind copied it; try again in a moment")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _stamps(files: list[Path]) -> list[tuple[str, int, int]]:
    stamps = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        stamps.append((file.name, stat.st_size, stat.st_mtime_ns))
    return stamps


PIECES_OVER = 1 << 20
"""Values bigger than this are read with :func:`read_in_pieces`, not with their row."""
_PIECE_BYTES = 256 << 10


def read_in_pieces(conn: sqlite3.Connection, table: str, column: str, rowid: int) -> bytes:
    """One stored value read through SQLite's incremental blob I/O, a piece per call.

    Fetching a value with its row copies it in one call with the GIL held: for a
    13 MB checkpoint that kept the GUI thread waiting for tens of milliseconds (SQLite
    gathers the value from its overflow pages inside that call). A piece at a time, any
    other thread runs between the pieces. The caller holds the connection's lock.
    """
    with conn.blobopen(table, column, rowid, readonly=True) as blob:
        return b"".join(iter(lambda: blob.read(_PIECE_BYTES), b""))
