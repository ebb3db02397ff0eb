"""The Store view in the window, driven with real clicks and keys, checked against
LangGraph's own ``store.search`` on the same database (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QTableView, QTextBrowser, QTreeView

from desktop.ui.main_window import MainWindow
from desktop.ui.models.store import KEY, KIND, NamespaceTreeModel, StoreItemsModel
from tests.store_builders import (
    BULK_ITEMS,
    BULK_NAMESPACE,
    MEMORY_FILE,
    MEMORY_TEXT,
    StoreDb,
    build_postgres_store_db,
    build_sqlite_store_db,
    postgres_truth,
    sqlite_truth,
)
from tests.ui.test_window import click_row, open_db

WAIT_MS = 15_000
ALL_ITEMS = BULK_ITEMS + 6


@pytest.fixture(scope="module")
def store_db(tmp_path_factory: pytest.TempPathFactory) -> StoreDb:
    return build_sqlite_store_db(tmp_path_factory.mktemp("store-view") / "store.sqlite")


@pytest.fixture(scope="module")
def truth(store_db: StoreDb, tmp_path_factory: pytest.TempPathFactory) -> list:
    copy = tmp_path_factory.mktemp("store-truth") / "copy.sqlite"
    shutil.copy(store_db.location, copy)
    return sqlite_truth(str(copy))


def show_store(qtbot, window: MainWindow) -> None:
    """Ctrl+Shift+S opens the Store dock."""
    qtbot.keyClick(
        window,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dock = window.findChild(QDockWidget, "storeDock")
    qtbot.waitUntil(dock.isVisible, timeout=WAIT_MS)


def loaded_keys(window: MainWindow) -> list[tuple[tuple[str, ...], str]]:
    model = window.controller.store.items_model
    return [(model.item_at(r).namespace, model.item_at(r).key) for r in range(model.loaded)]


def namespace_node(window: MainWindow, *path: str) -> QModelIndex:
    tree = window.findChild(QTreeView, "storeNamespaces")
    model = tree.model()
    index = model.index_of(tuple(path))
    assert index.isValid(), path
    parent = index.parent()
    while parent.isValid():
        tree.expand(parent)
        parent = parent.parent()
    return index


def wait_listing(qtbot, window: MainWindow, total: int) -> None:
    store = window.controller.store
    qtbot.waitUntil(lambda: store.items_model.total == total and not store.is_busy, timeout=WAIT_MS)


def scroll_to_the_end(qtbot, table: QTableView) -> None:
    """Scroll down like a user until every matching item has been read, page by page."""
    model = table.model()

    def all_loaded() -> bool:
        if model.loaded < model.total:
            table.scrollToBottom()
            return False
        return True

    qtbot.waitUntil(all_loaded, timeout=WAIT_MS)


def by_namespace_and_key(items: list) -> list[tuple[tuple[str, ...], str]]:
    return sorted((tuple(i.namespace), i.key) for i in items)


def test_store_view_lists_every_namespace_and_item(
    qtbot, window: MainWindow, settle, store_db, truth
):
    open_db(qtbot, window, settle, Path(store_db.location))
    show_store(qtbot, window)
    wait_listing(qtbot, window, ALL_ITEMS)
    tree = window.findChild(QTreeView, "storeNamespaces")
    top = tree.model().index(0, 0)
    assert top.data() == f"All namespaces  ({ALL_ITEMS})"
    children = [tree.model().index(r, 0, top).data() for r in range(tree.model().rowCount(top))]
    assert children == [
        f"bulk  ({BULK_ITEMS})",
        "session  (1)",
        "user-7  (1)",
        "users  (3)",
        "users-archive  (1)",
    ]
    table = window.findChild(QTableView, "storeItems")
    scroll_to_the_end(qtbot, table)
    assert sorted(loaded_keys(window)) == by_namespace_and_key(truth)
    assert window.findChild(QLabel, "storeCount").text() == f"{ALL_ITEMS} items"
    location = window.findChild(QLabel, "storeLocation")
    assert location.text() == store_db.location
    assert location.textFormat() == Qt.TextFormat.PlainText


def test_clicking_a_namespace_lists_its_items_like_a_prefix_search(
    qtbot, window: MainWindow, settle, store_db, truth
):
    open_db(qtbot, window, settle, Path(store_db.location))
    show_store(qtbot, window)
    wait_listing(qtbot, window, ALL_ITEMS)
    tree = window.findChild(QTreeView, "storeNamespaces")
    click_row(qtbot, tree, namespace_node(window, "users"))
    wait_listing(qtbot, window, 3)
    expected = [i for i in truth if tuple(i.namespace[:1]) == ("users",)]
    assert sorted(loaded_keys(window)) == by_namespace_and_key(expected)
    click_row(qtbot, tree, namespace_node(window, *BULK_NAMESPACE))
    wait_listing(qtbot, window, BULK_ITEMS)
    model = window.controller.store.items_model
    assert model.loaded < BULK_ITEMS, "large namespaces are read a page at a time"
    table = window.findChild(QTableView, "storeItems")
    scroll_to_the_end(qtbot, table)
    assert [key for _, key in loaded_keys(window)] == [f"row-{n:04d}" for n in range(BULK_ITEMS)]


def test_search_then_click_shows_a_deepagents_memory_as_a_file(
    qtbot, window: MainWindow, settle, store_db
):
    open_db(qtbot, window, settle, Path(store_db.location))
    show_store(qtbot, window)
    wait_listing(qtbot, window, ALL_ITEMS)
    qtbot.keyClicks(window.findChild(object, "storeSearch"), "PIZZA")
    wait_listing(qtbot, window, 1)
    table = window.findChild(QTableView, "storeItems")
    model = table.model()
    assert model.index(0, KEY).data() == MEMORY_FILE
    assert model.index(0, KIND).data() == "file"
    click_row(qtbot, table, model.index(0, KEY))
    value = window.findChild(QTextBrowser, "storeValue")
    qtbot.waitUntil(lambda: MEMORY_TEXT.splitlines()[-1] in value.toPlainText(), timeout=WAIT_MS)
    text = value.toPlainText()
    assert "File · 4 lines" in text
    assert MEMORY_TEXT in text
    title = window.findChild(QLabel, "storeValueTitle")
    assert title.text() == f"user-7.filesystem / {MEMORY_FILE}"


def test_a_value_with_markup_is_shown_as_text(qtbot, window: MainWindow, settle, tmp_path):
    from langgraph.store.sqlite import SqliteStore

    path = tmp_path / "markup.sqlite"
    with SqliteStore.from_conn_string(str(path)) as store:
        store.setup()
        store.put(("x",), "<b>bold</b>", {"html": "<i>not italic</i> &amp;"})
    before = path.read_bytes()
    window.controller.store.set_store_location(str(path))
    show_store(qtbot, window)
    wait_listing(qtbot, window, 1)
    table = window.findChild(QTableView, "storeItems")
    assert table.model().index(0, KEY).data() == "<b>bold</b>"
    click_row(qtbot, table, table.model().index(0, KEY))
    value = window.findChild(QTextBrowser, "storeValue")
    qtbot.waitUntil(lambda: "<i>not italic</i> &amp;" in value.toPlainText(), timeout=WAIT_MS)
    assert window.findChild(QLabel, "storeValueTitle").text() == "x / <b>bold</b>"
    assert path.read_bytes() == before


def test_a_database_without_a_store_says_so_inline(qtbot, window: MainWindow, settle, agent_db):
    open_db(qtbot, window, settle, agent_db.path)
    show_store(qtbot, window)
    message = window.findChild(QLabel, "storeMessage")
    qtbot.waitUntil(message.isVisible, timeout=WAIT_MS)
    assert "has no LangGraph Store" in message.text() and "--store" in message.text()
    assert window.error_box is None or not window.error_box.isVisible()


def test_postgres_store_with_embeddings_next_to_a_sqlite_checkpoint_file(
    qtbot, window: MainWindow, settle, agent_db, pg_db
):
    build_postgres_store_db(pg_db.url)
    reader_url = pg_db.select_only_url()
    window.controller.store.set_store_location(reader_url)
    open_db(qtbot, window, settle, agent_db.path)
    show_store(qtbot, window)
    wait_listing(qtbot, window, ALL_ITEMS)
    tree = window.findChild(QTreeView, "storeNamespaces")
    click_row(qtbot, tree, namespace_node(window, "users"))
    wait_listing(qtbot, window, 3)
    truth = [i for i in postgres_truth(pg_db.url) if tuple(i.namespace[:1]) == ("users",)]
    assert sorted(loaded_keys(window)) == by_namespace_and_key(truth)
    model = window.controller.store.items_model
    kinds = {
        model.item_at(r).key + "@" + model.item_at(r).namespace[-1]: model.index(r, KIND).data()
        for r in range(model.loaded)
    }
    assert kinds == {
        "profile@alice": "has embedding",
        "profile@bob": "has embedding",
        "settings@alice": "",
    }
    assert NamespaceTreeModel.PrefixRole


PUT_SCRIPT = """
import sys
from langgraph.store.sqlite import SqliteStore
with SqliteStore.from_conn_string(sys.argv[1]) as store:
    store.put(("users", "carol"), "profile", {"text": "Carol joined"})
    store.put(("users", "alice"), "profile", {"text": "Alice likes sailing now", "age": 42})
"""


def test_the_store_view_follows_another_process_writing_to_the_store(
    qtbot, window: MainWindow, settle, store_db, tmp_path
):
    path = tmp_path / "live-store.sqlite"
    shutil.copy(store_db.location, path)
    open_db(qtbot, window, settle, path)
    qtbot.waitUntil(lambda: window.controller.watch.is_watching, timeout=WAIT_MS)
    show_store(qtbot, window)
    wait_listing(qtbot, window, ALL_ITEMS)
    tree = window.findChild(QTreeView, "storeNamespaces")
    click_row(qtbot, tree, namespace_node(window, "users"))
    wait_listing(qtbot, window, 3)
    table = window.findChild(QTableView, "storeItems")
    model = window.controller.store.items_model
    click_row(qtbot, table, model.index(model.row_of(("users", "alice"), "profile"), KEY))
    value = window.findChild(QTextBrowser, "storeValue")
    qtbot.waitUntil(lambda: "Alice likes hiking" in value.toPlainText(), timeout=WAIT_MS)
    subprocess.run([sys.executable, "-c", PUT_SCRIPT, str(path)], check=True, timeout=120)
    wait_listing(qtbot, window, 4)
    qtbot.waitUntil(lambda: "Alice likes sailing now" in value.toPlainText(), timeout=WAIT_MS)
    assert table.currentIndex().data(StoreItemsModel.ItemRole).key == "profile"
    assert table.currentIndex().data(StoreItemsModel.ItemRole).namespace == ("users", "alice")
    top = tree.model().index(0, 0)
    assert top.data() == f"All namespaces  ({ALL_ITEMS + 1})"
    assert tree.currentIndex().data(NamespaceTreeModel.PrefixRole) == ("users",)


def test_the_store_of_an_open_postgres_database_by_default(
    qtbot, window: MainWindow, settle, pg_db
):
    built = build_postgres_store_db(pg_db.url)
    reader_url = pg_db.select_only_url()
    settle(lambda: window.controller.open_database(reader_url))
    assert window.controller.thread_id == built.memory_thread
    show_store(qtbot, window)
    wait_listing(qtbot, window, ALL_ITEMS)
    qtbot.keyClicks(window.findChild(object, "storeSearch"), "pizza")
    wait_listing(qtbot, window, 1)
    table = window.findChild(QTableView, "storeItems")
    click_row(qtbot, table, table.model().index(0, KEY))
    value = window.findChild(QTextBrowser, "storeValue")
    qtbot.waitUntil(lambda: MEMORY_TEXT in value.toPlainText(), timeout=WAIT_MS)
    location = window.findChild(QLabel, "storeLocation").text()
    assert location.startswith("postgresql://") and pg_db.name in location
