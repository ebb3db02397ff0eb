"""Size view and thread housekeeping in the window, driven with the real mouse and keys;
results checked with LangGraph's own ``get_state_history`` on the same file."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QWidget,
)

from desktop.core.sources import open_source
from desktop.core.sources.sizes import size_report
from desktop.ui.main_window import MainWindow
from desktop.ui.models.threads import ThreadListModel
from tests.builders import open_saver, steps_graph, thread_config, tool_agent_graph

TIMEOUT = 20_000


def copy_db(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copy(source, target)
    return target


def history_ids(factory, path: Path, thread_id: str) -> list[str]:
    with open_saver(path) as saver:
        return [
            s.config["configurable"]["checkpoint_id"]
            for s in factory(saver).get_state_history(thread_config(thread_id))
        ]


def open_db(window: MainWindow, settle, path: Path) -> None:
    settle(lambda: window.controller.open_database(path))


def click(qtbot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())


def open_size_view(qtbot, window: MainWindow) -> QWidget:
    """Database > Size and housekeeping…, clicked in the menu bar."""
    bar = window.menuBar()
    menu = window.findChild(QMenu, "databaseMenu")
    qtbot.mouseClick(
        bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(menu.menuAction()).center()
    )
    qtbot.waitUntil(menu.isVisible, timeout=TIMEOUT)
    action = window.housekeeping.size_action
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    dialog = window.findChild(QWidget, "sizeDialog")
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=TIMEOUT)
    return dialog


def table_rows(table: QTableView) -> list[list[str]]:
    model = table.model()
    return [
        [
            str(model.index(row, col).data(Qt.ItemDataRole.UserRole + 1))
            for col in range(model.columnCount())
        ]
        for row in range(model.rowCount())
    ]


def click_table_row(qtbot, table: QTableView, text: str) -> None:
    model = table.model()
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == text)
    index = model.index(row, 0)
    table.scrollTo(index)
    qtbot.mouseClick(
        table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center()
    )
    assert table.selectionModel().isRowSelected(row, QModelIndex())


def wait_done(qtbot, window: MainWindow):
    return qtbot.waitSignal(window.housekeeping.controller.done, timeout=TIMEOUT)


def test_size_view_shows_stored_bytes_and_sorts(
    qtbot, window: MainWindow, settle, agent_db, tmp_path
):
    db = copy_db(agent_db.path, tmp_path)
    open_db(window, settle, db)
    dialog = open_size_view(qtbot, window)
    table = dialog.findChild(QTableView, "sizeThreads")
    qtbot.waitUntil(lambda: table.model().rowCount() == len(agent_db.thread_ids), timeout=TIMEOUT)
    with open_source(str(db)) as source:
        expected = size_report(source.thread_sizes())["threads"]
    shown = table_rows(table)
    assert [row[0] for row in shown] == [t["thread_id"] for t in expected]
    assert [int(row[1]) for row in shown] == [t["bytes"] for t in expected]
    assert dialog.findChild(QWidget, "sizeSummary").text().startswith("2 threads")

    header = table.horizontalHeader()
    middle = QPoint(
        header.sectionViewportPosition(1) + header.sectionSize(1) // 2, header.height() // 2
    )
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=middle)
    totals = [int(row[1]) for row in table_rows(table)]
    assert totals == sorted(totals), "one click on Total sorts ascending (it was descending)"
    largest = dialog.findChild(QTableView, "sizeLargest")
    assert largest.model().rowCount() > 0


def test_delete_from_the_size_view_asks_first(
    qtbot, window: MainWindow, settle, agent_db, tmp_path
):
    db = copy_db(agent_db.path, tmp_path)
    open_db(window, settle, db)
    dialog = open_size_view(qtbot, window)
    table = dialog.findChild(QTableView, "sizeThreads")
    qtbot.waitUntil(lambda: table.model().rowCount() == 2, timeout=TIMEOUT)
    click_table_row(qtbot, table, "agent-math")
    click(qtbot, dialog.findChild(QPushButton, "deleteThread"))
    box = dialog.findChild(QMessageBox, "deleteThreadDialog")
    qtbot.waitUntil(box.isVisible, timeout=TIMEOUT)
    assert "agent-math" in box.text()
    cancel = box.button(QMessageBox.StandardButton.Cancel)
    click(qtbot, cancel)
    assert history_ids(tool_agent_graph, db, "agent-math"), "Cancel deletes nothing"

    click(qtbot, dialog.findChild(QPushButton, "deleteThread"))
    box = [b for b in dialog.findChildren(QMessageBox, "deleteThreadDialog") if b.isVisible()][-1]
    with wait_done(qtbot, window):
        click(qtbot, box.findChild(QAbstractButton, "confirmDelete"))
    assert history_ids(tool_agent_graph, db, "agent-math") == []
    assert history_ids(tool_agent_graph, db, "agent-weather")
    qtbot.waitUntil(lambda: table.model().rowCount() == 1, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.controller.threads_model.rowCount() == 1, timeout=TIMEOUT)


def test_copy_from_the_thread_list_menu(qtbot, window: MainWindow, settle, fork_db, tmp_path):
    db = copy_db(fork_db.path, tmp_path)
    open_db(window, settle, db)
    view = window.thread_pane.list_view
    model = view.model()
    index = next(
        model.index(r, 0)
        for r in range(model.rowCount())
        if model.index(r, 0).data(ThreadListModel.ThreadIdRole) == fork_db.thread_id
    )
    # The real right button, through the top-level window, so Qt makes the context menu.
    top = view.window()
    pos = view.viewport().mapTo(top, view.visualRect(index).center())
    later = QApplication.doubleClickInterval() + 50
    qtbot.mouseClick(
        top.windowHandle(), Qt.MouseButton.RightButton, Qt.KeyboardModifier(0), pos, later
    )
    menu = window.findChild(QMenu, "threadMenu")
    qtbot.waitUntil(menu.isVisible, timeout=TIMEOUT)
    action = window.housekeeping.copy_action
    qtbot.mouseClick(
        menu.windowHandle(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier(0),
        menu.actionGeometry(action).center(),
    )
    ask = window.findChild(QInputDialog, "copyThreadDialog")
    qtbot.waitUntil(ask.isVisible, timeout=TIMEOUT)
    field = ask.findChild(QLineEdit)
    field.selectAll()
    qtbot.keyClicks(field, "twin")
    with wait_done(qtbot, window):
        qtbot.keyClick(field, Qt.Key.Key_Return)
    assert history_ids(steps_graph, db, "twin") == history_ids(steps_graph, db, fork_db.thread_id)
    qtbot.waitUntil(lambda: window.controller.thread_id == "twin", timeout=TIMEOUT)


def test_copy_to_an_existing_id_is_one_line(qtbot, window: MainWindow, settle, agent_db, tmp_path):
    db = copy_db(agent_db.path, tmp_path)
    open_db(window, settle, db)
    with qtbot.waitSignal(window.housekeeping.controller.failed, timeout=TIMEOUT) as failed:
        window.housekeeping.controller.copy_thread("agent-math", "agent-weather")
    assert failed.args == ["Thread 'agent-weather' already exists; choose a new id"]
    box = window.findChild(QMessageBox, "housekeepingError")
    qtbot.waitUntil(box.isVisible, timeout=TIMEOUT)
    assert box.text() == failed.args[0]


def test_prune_shows_the_dry_run_then_applies(qtbot, window: MainWindow, settle, fork_db, tmp_path):
    db = copy_db(fork_db.path, tmp_path)
    open_db(window, settle, db)
    before = history_ids(steps_graph, db, fork_db.thread_id)
    dialog = open_size_view(qtbot, window)
    table = dialog.findChild(QTableView, "sizeThreads")
    qtbot.waitUntil(lambda: table.model().rowCount() == 1, timeout=TIMEOUT)
    click_table_row(qtbot, table, fork_db.thread_id)
    click(qtbot, dialog.findChild(QPushButton, "pruneThread"))
    prune = dialog.findChild(QWidget, "pruneDialog")
    qtbot.waitUntil(prune.isVisible, timeout=TIMEOUT)
    spin = prune.findChild(QSpinBox, "pruneKeep")
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "2")
    plan = prune.findChild(QWidget, "prunePlan")
    qtbot.waitUntil(lambda: plan.text().startswith("Removes"), timeout=TIMEOUT)
    assert plan.text().startswith(f"Removes {len(before) - 2:,} of {len(before):,}")
    with wait_done(qtbot, window):
        click(qtbot, prune.findChild(QPushButton, "applyPrune"))
    after = history_ids(steps_graph, db, fork_db.thread_id)
    assert after == before[:2]
