"""The Store read path on a real PostgreSQL (``PostgresStore`` with pgvector), against
LangGraph's own ``store.search``, read through a role that can only ``SELECT``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from desktop.cli import main
from desktop.core.store import open_store
from tests.core.test_store import expected, printed
from tests.postgres import PgDatabase, PgServer
from tests.store_builders import (
    BULK_ITEMS,
    MEMORY_FILE,
    MEMORY_NAMESPACE,
    MEMORY_TEXT,
    StoreDb,
    build_postgres_store_db,
    postgres_truth,
)


@pytest.fixture(scope="module")
def pg_store(pg_server: PgServer) -> Iterator[tuple[PgDatabase, StoreDb]]:
    """One database with checkpoints and a Store, shared by this module's tests."""
    database = pg_server.create_database("store")
    built = build_postgres_store_db(database.url)
    yield database, built
    database.drop()


@pytest.fixture(scope="module")
def reader_url(pg_store) -> str:
    """A role with nothing but SELECT on the saver's and the store's tables."""
    return pg_store[0].select_only_url()


def run_store(capsys, *args: str) -> tuple[int, list | None, str]:
    code = main(["store", *[str(a) for a in args]])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err


def test_rewind_store_on_postgres_equals_store_search(capsys, pg_store, reader_url):
    database, _ = pg_store
    code, items, err = run_store(capsys, reader_url)
    assert code == 0, err
    truth = postgres_truth(database.url)
    assert len(items) == len(truth) == BULK_ITEMS + 6
    assert printed(items) == expected(truth)


def test_filter_and_namespace_on_postgres(capsys, reader_url):
    _, items, _ = run_store(capsys, reader_url, "--filter", "PIZZA")
    assert [i["key"] for i in items] == [MEMORY_FILE]
    _, items, _ = run_store(capsys, reader_url, "--filter", "ünïcode café")
    assert [(i["namespace"], i["key"]) for i in items] == [(["users", "bob"], "profile")]
    _, items, _ = run_store(capsys, reader_url, "--namespace", "users")
    assert {tuple(i["namespace"]) for i in items} == {("users", "alice"), ("users", "bob")}


def test_embeddings_files_and_ttl_on_postgres(pg_store, reader_url):
    _, built = pg_store
    with open_store(reader_url) as reader:
        items = reader.items()
        spaces = {entry.namespace: entry.items for entry in reader.namespaces()}
        page = reader.items(("bulk",), offset=200, limit=100)
        filtered = reader.items((), "row-00", offset=95, limit=10)
    embedded = {(i.namespace, i.key) for i in items if i.has_embedding}
    assert embedded == built.embedded and embedded
    (memory,) = [i for i in items if i.namespace == MEMORY_NAMESPACE]
    assert memory.file_text == MEMORY_TEXT
    assert [(i.namespace, i.key) for i in items if i.expires_at] == [built.with_ttl]
    assert spaces[MEMORY_NAMESPACE] == 1
    assert len(page) == BULK_ITEMS - 200
    assert [i.key for i in filtered] == [f"row-{n:04d}" for n in range(95, 100)]


def test_store_option_takes_a_url_next_to_a_sqlite_checkpoint_file(capsys, agent_db, reader_url):
    code, items, _ = run_store(capsys, agent_db.path, "--store", reader_url)
    assert code == 0 and len(items) == BULK_ITEMS + 6


def test_a_database_without_a_store_is_one_line(capsys, pg_db):
    code, items, err = run_store(capsys, pg_db.url)
    assert code == 1 and items is None
    assert err.count("\n") == 1 and "has no LangGraph Store" in err
