"""Read-only PostgreSQL connections for every Rewind reader (checkpoints, Store, watch).

A connection opened here runs each read in a ``READ ONLY``, ``REPEATABLE READ``
transaction (one consistent snapshot per read, no writes possible even for a role
that could write), never prepares statements (works behind PgBouncer) and turns every
psycopg failure into a one-line :class:`SourceError` that never shows a password.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import IsolationLevel
from psycopg.conninfo import conninfo_to_dict

from desktop.core.errors import SourceError
from desktop.core.pgurl import redact

CONNECT_TIMEOUT_SECONDS = 10
APPLICATION_NAME = "rewind"


def describe_error(exc: BaseException) -> str:
    """psycopg's message on one line, without libpq's ``connection failed:`` preamble;
    its lines are sentences (``...: Connection refused`` / ``Is the server running...?``),
    joined with the full stop libpq leaves out."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = " ".join(
        line if i == len(lines) - 1 or line[-1] in ".?!:;," else line + "."
        for i, line in enumerate(lines)
    )
    text = text or type(exc).__name__
    text = text.removeprefix("connection failed: ")
    return text.replace("FATAL:  ", "").replace("ERROR:  ", "")


def _hint(text: str) -> str:
    if "password" in text and ("authentication failed" in text or "no password" in text):
        return " (give the password in the URL, PGPASSWORD or ~/.pgpass)"
    return ""


def connect_read_only(url: str) -> psycopg.Connection[Any]:
    """Open a connection whose transactions are all read-only (raises ``SourceError``)."""
    where = redact(url)
    try:
        given = conninfo_to_dict(url.strip())
    except psycopg.Error as exc:
        raise SourceError(
            f"{where} is not a valid PostgreSQL URL ({describe_error(exc)})"
        ) from None
    defaults = {"connect_timeout": CONNECT_TIMEOUT_SECONDS, "application_name": APPLICATION_NAME}
    extra = {k: v for k, v in defaults.items() if k not in given}
    try:
        conn = psycopg.connect(url.strip(), autocommit=False, prepare_threshold=None, **extra)
    except psycopg.Error as exc:
        text = describe_error(exc)
        raise SourceError(f"Cannot connect to {where}: {text}{_hint(text)}") from None
    conn.read_only = True
    conn.isolation_level = IsolationLevel.REPEATABLE_READ
    return conn


class ReadOnlyConnection:
    """One read-only connection shared by threads: a lock serialises reads, each read is
    its own transaction, and a connection the server dropped is reopened once."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.location = redact(url)
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = connect_read_only(url)

    def close(self) -> None:
        """Close the connection; reads afterwards raise ``SourceError``."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def read(self) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor inside one read-only transaction; database errors become one line."""
        with self._lock:
            conn = self._usable()
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield cur
            except psycopg.errors.InsufficientPrivilege as exc:
                raise SourceError(
                    f"{self.location}: {describe_error(exc)} (Rewind needs SELECT on the "
                    "saver's tables)"
                ) from None
            except psycopg.OperationalError as exc:
                raise SourceError(
                    f"{self.location}: connection lost ({describe_error(exc)})"
                ) from None
            except psycopg.Error as exc:
                raise SourceError(f"{self.location}: cannot read ({describe_error(exc)})") from None

    def _usable(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            raise SourceError(f"{self.location}: the connection is closed")
        if self._conn.broken or self._conn.closed:
            self._conn.close()
            self._conn = connect_read_only(self._url)
        return self._conn
