"""The window on a real PostgreSQL: File > Open Postgres…, recent connections without
passwords, a shallow database's note, and the same reads as on SQLite."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListView, QListWidget, QPushButton

from desktop.core.pgurl import has_password, is_postgres_url
from desktop.core.sources.postgres import PostgresCheckpointSource
from desktop.ui.controller import Controller
from desktop.ui.main_window import MainWindow
from desktop.ui.settings import RewindSettings

SECRET = "s3cret-never-stored"


def dialog_of(window: MainWindow) -> QDialog:
    window.postgres_opener.action.trigger()
    dialog = window.postgres_opener.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.objectName() == "postgresDialog"
    return dialog


def test_open_postgres_dialog_opens_the_database_and_forgets_the_password(
    qtbot, window: MainWindow, controller: Controller, settings: RewindSettings, settle, pg_graphs
) -> None:
    dialog = dialog_of(window)
    url_box = dialog.findChild(QLineEdit, "postgresUrl")
    with_secret = pg_graphs.reader_url.replace("_reader@", f"_reader:{SECRET}@")
    qtbot.keyClicks(url_box, with_secret)
    qtbot.keyClick(url_box, Qt.Key.Key_Return)
    assert dialog.findChild(QLineEdit, "postgresDatabase").text() == pg_graphs.database.name
    assert dialog.findChild(QLineEdit, "postgresPassword").text() == SECRET
    assert SECRET not in url_box.text()

    open_button = dialog.findChild(QPushButton, "postgresOpen")
    settle(lambda: qtbot.mouseClick(open_button, Qt.MouseButton.LeftButton))
    assert isinstance(controller.source, PostgresCheckpointSource)
    rows = window.findChild(QListView, "threadList").model().rowCount()
    assert rows == len(pg_graphs.graphs)
    assert window.windowTitle().startswith(pg_graphs.database.name)
    assert SECRET not in window.path_label.text()

    settings.qsettings.sync()
    stored = Path(settings.qsettings.fileName()).read_text()
    assert SECRET not in stored
    recent = settings.recent_files()
    assert recent[0].startswith("postgresql://") and SECRET not in recent[0]

    again = dialog_of(window)
    listed = again.findChild(QListWidget, "postgresRecent")
    assert [listed.item(i).text() for i in range(listed.count())] == [recent[0]]
    item = listed.item(0)
    qtbot.mouseClick(
        listed.viewport(), Qt.MouseButton.LeftButton, pos=listed.visualItemRect(item).center()
    )
    assert again.findChild(QLineEdit, "postgresDatabase").text() == pg_graphs.database.name
    assert again.findChild(QLineEdit, "postgresPassword").text() == ""
    again.reject()


def test_a_shallow_database_says_what_it_is(qtbot, window: MainWindow, settle, pg_shallow) -> None:
    settle(lambda: window.controller.open_database(pg_shallow.reader_url))
    assert "time travel needs the history" in window.snapshot_label.toolTip()
    assert window.snapshot_label.isVisible()
    assert window.findChild(QListView, "threadList").model().rowCount() == 3


def test_a_bad_port_is_refused_inline(qtbot, window: MainWindow) -> None:
    dialog = dialog_of(window)
    qtbot.keyClicks(dialog.findChild(QLineEdit, "postgresDatabase"), "db")
    qtbot.keyClicks(dialog.findChild(QLineEdit, "postgresPort"), "54x")
    qtbot.mouseClick(dialog.findChild(QPushButton, "postgresOpen"), Qt.MouseButton.LeftButton)
    error = dialog.findChild(QLabel, "postgresError")
    assert "Port must be a number" in error.text() and dialog.isVisible()
    dialog.reject()


def test_a_url_without_a_host_stays_a_postgres_url(
    qtbot, window: MainWindow, settings: RewindSettings
) -> None:
    """The local socket (no host, or a socket folder in ``?host=``) is libpq's default;
    the form built, and the recent list kept, ``postgresql:/agents``: not a URL, so it
    was opened as a file path."""
    dialog = dialog_of(window)
    url_box = dialog.findChild(QLineEdit, "postgresUrl")
    qtbot.keyClicks(dialog.findChild(QLineEdit, "postgresDatabase"), "agents")
    assert url_box.text() == "postgresql:///agents"
    qtbot.keyClicks(dialog.findChild(QLineEdit, "postgresHost"), "/var/run/postgresql")
    assert url_box.text() == "postgresql:///agents?host=/var/run/postgresql"
    assert is_postgres_url(url_box.text())
    dialog.reject()

    for url in ("postgresql:///agents", "postgres:///agents?password=x&sslmode=disable"):
        remembered = settings.add_recent_file(url)[0]
        assert is_postgres_url(remembered), remembered
        assert remembered == url.replace("password=x&", "")
    assert not has_password("postgresql:///agents")
