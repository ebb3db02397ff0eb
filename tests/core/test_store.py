"""The Store read path (``desktop.core.store``) and ``rewind store``, against LangGraph's
own ``store.search`` on the same SQLite file."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from desktop.cli import main
from desktop.core.errors import SourceError
from desktop.core.store import SqliteStoreReader, all_items, open_store
from tests.store_builders import (
    BULK_ITEMS,
    BULK_NAMESPACE,
    MEMORY_FILE,
    MEMORY_NAMESPACE,
    MEMORY_TEXT,
    StoreDb,
    build_sqlite_store_db,
    sqlite_truth,
)


@pytest.fixture(scope="session")
def store_db(tmp_path_factory: pytest.TempPathFactory) -> StoreDb:
    """A deepagents agent's memories plus items put through ``SqliteStore``."""
    return build_sqlite_store_db(tmp_path_factory.mktemp("store") / "store.sqlite")


@pytest.fixture(scope="session")
def store_truth(store_db: StoreDb, tmp_path_factory: pytest.TempPathFactory) -> list:
    """LangGraph's complete ``store.search`` (on a copy: SqliteStore may write)."""
    copy = tmp_path_factory.mktemp("truth") / "copy.sqlite"
    shutil.copy(store_db.location, copy)
    return sqlite_truth(str(copy))


def run_store(capsys, *args: str) -> tuple[int, list | None, str]:
    code = main(["store", *[str(a) for a in args]])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def expected(items: list) -> list[tuple]:
    """store.search's items as comparable tuples, sorted by namespace then key."""
    rows = [
        (tuple(i.namespace), i.key, i.value, as_utc(i.created_at), as_utc(i.updated_at))
        for i in items
    ]
    return sorted(rows, key=lambda row: (row[0], row[1]))


def printed(items: list[dict]) -> list[tuple]:
    return [
        (
            tuple(i["namespace"]),
            i["key"],
            i["value"],
            datetime.fromisoformat(i["created_at"]),
            datetime.fromisoformat(i["updated_at"]),
        )
        for i in items
    ]


def file_hash(path: str) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_rewind_store_equals_a_complete_store_search(capsys, store_db, store_truth):
    before = file_hash(store_db.location)
    code, items, err = run_store(capsys, store_db.location)
    assert code == 0, err
    assert len(items) == len(store_truth) == BULK_ITEMS + 6
    assert printed(items) == expected(store_truth)
    assert set(items[0]) == {
        "namespace",
        "key",
        "value",
        "created_at",
        "updated_at",
        "expires_at",
    }
    assert file_hash(store_db.location) == before


def test_sorted_by_namespace_tuple_then_key(capsys, store_db):
    _, items, _ = run_store(capsys, store_db.location)
    keys = [(tuple(i["namespace"]), i["key"]) for i in items]
    assert keys == sorted(keys)
    assert keys.index((("users", "bob"), "profile")) < keys.index((("users-archive",), "carol"))


def test_expires_at_only_for_items_put_with_a_ttl(capsys, store_db):
    _, items, _ = run_store(capsys, store_db.location)
    with_ttl = [i for i in items if i["expires_at"]]
    assert [(tuple(i["namespace"]), i["key"]) for i in with_ttl] == [store_db.with_ttl]
    created = datetime.fromisoformat(with_ttl[0]["created_at"])
    expires = datetime.fromisoformat(with_ttl[0]["expires_at"])
    assert abs(expires - created - timedelta(minutes=90)) < timedelta(minutes=1)


def test_namespace_option_equals_a_prefix_search(capsys, store_db, store_truth):
    code, items, _ = run_store(capsys, store_db.location, "--namespace", "users")
    assert code == 0
    truth = [i for i in store_truth if tuple(i.namespace[:1]) == ("users",)]
    assert printed(items) == expected(truth)
    assert {tuple(i["namespace"]) for i in items} == {("users", "alice"), ("users", "bob")}
    _, exact, _ = run_store(capsys, store_db.location, "--namespace", "users.alice")
    assert {i["key"] for i in exact} == {"profile", "settings"}


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("PIZZA", {MEMORY_FILE}),
        ("ünïcode CAFÉ", {"profile"}),
        ("row-012", {f"row-{n:04d}" for n in range(120, 130)}),
        ("SHORT-lived", {"token"}),
        ("no such text anywhere", set()),
    ],
)
def test_filter_matches_keys_and_value_text_case_insensitively(capsys, store_db, text, keys):
    code, items, _ = run_store(capsys, store_db.location, "--filter", text)
    assert code == 0
    assert {i["key"] for i in items} == keys


def test_deepagents_memory_reads_as_a_file(store_db):
    with open_store(store_db.location) as reader:
        (item,) = reader.items(MEMORY_NAMESPACE)
    assert item.key == MEMORY_FILE
    assert item.file_text == MEMORY_TEXT
    assert not item.has_embedding


def test_namespaces_and_pages(store_db):
    with SqliteStoreReader(store_db.location) as reader:
        spaces = {entry.namespace: entry.items for entry in reader.namespaces()}
        assert spaces[BULK_NAMESPACE] == BULK_ITEMS
        assert spaces[MEMORY_NAMESPACE] == 1
        assert reader.count_items(("bulk",)) == BULK_ITEMS
        assert reader.count_items((), "row-00") == 100
        pages = [reader.items(("bulk",), offset=o, limit=100) for o in (0, 100, 200)]
        assert [len(p) for p in pages] == [100, 100, BULK_ITEMS - 200]
        assert [i.key for p in pages for i in p] == [i.key for i in all_items(reader, ("bulk",))]
        filtered = reader.items((), "row-00", offset=90, limit=20)
        assert [i.key for i in filtered] == [f"row-{n:04d}" for n in range(90, 100)]


def test_store_option_reads_another_database(capsys, agent_db, store_db, store_truth):
    code, items, _ = run_store(capsys, agent_db.path, "--store", store_db.location)
    assert code == 0 and len(items) == len(store_truth)
    code, items, err = run_store(capsys, agent_db.path)
    assert code == 1 and items is None
    assert err.count("\n") == 1 and "has no LangGraph Store" in err and "--store" in err


def test_bad_store_locations_are_one_line(capsys, tmp_path, not_sqlite_path):
    for location in (tmp_path / "missing.db", not_sqlite_path):
        code, items, err = run_store(capsys, location)
        assert code == 1 and items is None and err.count("\n") == 1
        assert "Traceback" not in err
    with pytest.raises(SourceError, match="no such file"):
        open_store(tmp_path / "missing.db")


def test_rewind_store_never_imports_qt(store_db):
    script = (
        "import sys\n"
        "from desktop.cli import main\n"
        f"assert main(['store', {store_db.location!r}]) == 0\n"
        "qt = ('PySide6', 'qasync', 'shiboken6')\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in qt]\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
