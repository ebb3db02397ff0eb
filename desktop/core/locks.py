"""One writer per thread: a lock per (database, thread) in Rewind's own data folder.

A run, replay, resume or fork holds the lock of its thread while it writes; a second
Rewind process asking for the same thread is refused with one line naming the holder's
pid, before anything is written to the user's database. The lock is an OS file lock
(``flock``; ``msvcrt.locking`` on Windows) on a small file under
``<data dir>/locks``, so the lock of a process that died is released by the system:
a lock file left behind by a dead pid is simply taken over.

A database is named by :func:`database_identity`: the real path of a SQLite file, or a
PostgreSQL URL without its password, so every way of spelling one database shares a lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from desktop.core.datadir import data_dir
from desktop.core.errors import RewindError
from desktop.core.pgurl import check_location

LOCKS_FOLDER = "locks"
_HOLDER_OFFSET = 1
"""The holder's record starts after the first byte, the one Windows locks."""
_POSTGRES_SCHEMES = ("postgres", "postgresql")
_DSN_KEYS = ("host", "port", "dbname", "user")


class ThreadBusyError(RewindError):
    """Another Rewind process is writing the thread; ``pid`` is that process (None if
    it could not be read)."""

    def __init__(self, thread_id: str, pid: int | None) -> None:
        who = f"pid {pid}" if pid is not None else "pid unknown"
        super().__init__(f"thread {thread_id} is being run by another Rewind ({who})")
        self.thread_id = thread_id
        self.pid = pid


@dataclass(frozen=True, slots=True)
class ThreadLock:
    """A held lock: which database and thread, and the file that holds it."""

    database: str
    thread_id: str
    path: Path


def database_identity(target: str | os.PathLike[str]) -> str:
    """A stable name for a database: ``sqlite:<real path>`` for a file, or the
    PostgreSQL URL (or ``key=value`` DSN) reduced to user, host, port and database,
    never its password. A URL Rewind cannot open is refused (``SourceError``)."""
    text = os.fspath(target)
    check_location(text)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in _POSTGRES_SCHEMES:
        return _postgres_url_identity(text)
    if not scheme and "=" in text and not Path(text).exists():
        return _postgres_dsn_identity(text)
    return f"sqlite:{os.path.realpath(os.path.expanduser(text))}"


def _postgres_url_identity(url: str) -> str:
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    database = parts.path.lstrip("/") or (parts.username or "")
    return f"postgresql://{user}{host}:{port}/{database}"


def _postgres_dsn_identity(dsn: str) -> str:
    values: dict[str, str] = {}
    for item in dsn.split():
        key, _, value = item.partition("=")
        if key in _DSN_KEYS:
            values[key] = value.strip("'\"")
    user = values.get("user", "")
    url = (
        f"postgresql://{user + '@' if user else ''}{values.get('host', 'localhost')}:"
        f"{values.get('port', '5432')}/{values.get('dbname', user)}"
    )
    return url


def lock_path(database: str, thread_id: str) -> Path:
    """The lock file of ``thread_id`` in ``database`` (an identity)."""
    digest = hashlib.sha256(f"{database}\0{thread_id}".encode()).hexdigest()[:32]
    return data_dir() / LOCKS_FOLDER / f"{digest}.lock"


@contextlib.contextmanager
def thread_lock(database: str, thread_id: str, *, action: str = "run") -> Iterator[ThreadLock]:
    """Hold the write lock of ``thread_id`` in ``database`` (an identity) while inside.

    Raises :class:`ThreadBusyError` at once when another process holds it; never waits.
    ``action`` (run, replay, resume, fork) is recorded for whoever is refused.
    """
    path = lock_path(database, thread_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _acquire(path, thread_id)
    except OSError as exc:
        raise RewindError(f"Cannot lock thread {thread_id} in {path.parent}: {exc}") from exc
    try:
        record = {
            "pid": os.getpid(),
            "database": database,
            "thread_id": thread_id,
            "action": action,
            "since": time.time(),
        }
        os.ftruncate(fd, _HOLDER_OFFSET)
        os.lseek(fd, _HOLDER_OFFSET, os.SEEK_SET)
        os.write(fd, json.dumps(record).encode())
        yield ThreadLock(database, thread_id, path)
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        _release(fd)


def _acquire(path: Path, thread_id: str) -> int:
    """Open and lock ``path``; retry when the holder removed the file under us."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            pid = _holder_pid(fd)
            os.close(fd)
            raise ThreadBusyError(thread_id, pid)
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        _release(fd)


def _holder_pid(fd: int) -> int | None:
    """The pid the holder recorded; it writes it right after locking, so wait briefly."""
    for _ in range(20):
        os.lseek(fd, _HOLDER_OFFSET, os.SEEK_SET)
        pid = _parse_pid(os.read(fd, 4096))
        if pid is not None:
            return pid
        time.sleep(0.01)
    return None


def _parse_pid(data: bytes) -> int | None:
    try:
        pid = json.loads(data.decode()).get("pid")
    except (ValueError, AttributeError):
        return None
    return pid if isinstance(pid, int) else None


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _release(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        os.close(fd)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release(fd: int) -> None:
        os.close(fd)
