"""The test PostgreSQL server: real, isolated per test, with a role that can only SELECT."""

import subprocess
import sys

import psycopg
import pytest
from langgraph.checkpoint.postgres import PostgresSaver


def test_server_is_a_real_postgresql_18(pg_db):
    with pg_db.connect() as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    assert int(version) >= 180000
    assert tables == 0


def test_each_test_gets_its_own_database(pg_db, pg_database_factory):
    other = pg_database_factory()
    assert other.name != pg_db.name
    with pg_db.connect() as conn:
        conn.execute("CREATE TABLE mine (x int)")
    with other.connect() as conn:
        found = conn.execute("SELECT to_regclass('public.mine')").fetchone()[0]
    assert found is None


def test_postgres_saver_writes_and_a_second_process_reads(pg_db):
    with PostgresSaver.from_conn_string(pg_db.url) as saver:
        saver.setup()
    code = (
        "import psycopg, sys\n"
        "with psycopg.connect(sys.argv[1]) as c:\n"
        "    print(c.execute('SELECT count(*) FROM checkpoint_migrations').fetchone()[0])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, pg_db.url], capture_output=True, text=True, check=True
    )
    assert int(out.stdout) > 0


def test_select_only_role_reads_but_cannot_write(pg_db):
    with pg_db.connect() as conn:
        conn.execute("CREATE TABLE items (x int)")
        conn.execute("INSERT INTO items VALUES (1), (2)")
    url = pg_db.select_only_url()
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT sum(x) FROM items").fetchone()[0] == 2 + 1
        forbidden = [
            "INSERT INTO items VALUES (3)",
            "UPDATE items SET x = 0",
            "DELETE FROM items",
            "CREATE TABLE other (y int)",
            "CREATE TEMP TABLE scratch (y int)",
        ]
        for statement in forbidden:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    with pg_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 2


def test_select_only_role_sees_tables_granted_later(pg_db):
    pg_db.select_only_url()
    with pg_db.connect() as conn:
        conn.execute("CREATE TABLE later (x int)")
    url = pg_db.select_only_url()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM later").fetchone()[0] == 0
