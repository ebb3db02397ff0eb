"""Compare any two checkpoints with the real mouse: the right button keeps the selection,
Ctrl+click compares, "Compare with…" picks from a list. Checked against the diff of the
same two checkpoints computed by the headless ``rewind diff``."""

from __future__ import annotations

import json

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QListWidget, QMenu, QPushButton, QTreeView

from desktop.cli import main as rewind
from desktop.ui.main_window import MainWindow
from desktop.ui.models.timeline import TimelineModel
from tests.builders import AgentDb
from tests.ui.test_window import (
    TIMEOUT,
    checkpoint_row,
    diff_text,
    open_db,
    open_thread,
    timeline,
)


def _key(index: QModelIndex) -> tuple[str, str]:
    return ("", index.data(TimelineModel.CheckpointIdRole))


def _right_click(qtbot, view: QTreeView, index: QModelIndex) -> QMenu:
    """Press and release the real right mouse button on a row, through the window system
    path a mouse takes (the top-level QWindow), so Qt itself turns it into the context
    menu request; the menu pops up."""
    view.scrollTo(index)
    top = view.window()
    pos = view.viewport().mapTo(top, view.visualRect(index).center())
    # A fresh click, never the second half of a double click with an earlier one.
    later = QApplication.doubleClickInterval() + 50
    qtbot.mouseClick(
        top.windowHandle(), Qt.MouseButton.RightButton, Qt.KeyboardModifier(0), pos, later
    )
    menu = view.findChild(QMenu, "timelineMenu")
    qtbot.waitUntil(menu.isVisible, timeout=TIMEOUT)
    return menu


def _click_menu_item(qtbot, menu: QMenu, action) -> None:
    """Click a menu item with the real left button (the menu's own window)."""
    pos = menu.actionGeometry(action).center()
    qtbot.mouseClick(menu.windowHandle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0), pos)


def _headless_diff(capsys, db, thread: str, new: str, old: str) -> dict:
    capsys.readouterr()
    code = rewind(
        ["diff", str(db), "--thread", thread, "--checkpoint", new, "--against", old, "--json"]
    )
    assert code == 0
    return json.loads(capsys.readouterr().out)


def _select_head_and_first(qtbot, window: MainWindow, settle, agent_db: AgentDb):
    open_db(qtbot, window, settle, agent_db.path)
    open_thread(qtbot, window, settle, "agent-weather")
    view = timeline(window)
    head = view.model().head_index()
    assert window.controller.selected_key == _key(head), "a thread opens at its head"
    return view, head, view.model().first_checkpoint_index()


def test_right_button_keeps_the_selection_and_compares(
    qtbot, window: MainWindow, settle, agent_db: AgentDb, capsys
) -> None:
    view, head, first = _select_head_and_first(qtbot, window, settle, agent_db)
    menu = _right_click(qtbot, view, first)
    assert window.controller.selected_key == _key(head), "the right click moved the selection"
    assert _key(view.currentIndex().siblingAtColumn(0)) == _key(head)
    action = next(a for a in menu.actions() if a.objectName() == "compareWithSelected")
    assert action.isEnabled()
    settle(lambda: _click_menu_item(qtbot, menu, action))
    assert window.controller.diff_base_key == _key(first)
    assert window.controller.selected_key == _key(head)
    truth = _headless_diff(capsys, agent_db.path, "agent-weather", _key(head)[1], _key(first)[1])
    shown = diff_text(window)
    assert truth["entries"], "the two checkpoints differ"
    for question in agent_db.questions["agent-weather"]:
        assert question in shown and question in json.dumps(truth, ensure_ascii=False)
    assert "chosen checkpoint" in window.diff_base_label.text()


def test_ctrl_click_compares_without_moving_the_selection(
    qtbot, window: MainWindow, settle, agent_db: AgentDb
) -> None:
    view, head, first = _select_head_and_first(qtbot, window, settle, agent_db)
    parent_diff = diff_text(window)
    settle(
        lambda: qtbot.mouseClick(
            view.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.ControlModifier,
            view.visualRect(first).center(),
        )
    )
    assert window.controller.selected_key == _key(head)
    assert window.controller.diff_base_key == _key(first)
    assert first.data(TimelineModel.IsDiffBaseRole) is True
    assert diff_text(window) != parent_diff
    reset = window.findChild(QPushButton, "resetDiffBase")
    settle(lambda: qtbot.mouseClick(reset, Qt.MouseButton.LeftButton))
    assert diff_text(window) == parent_diff


def test_compare_with_picker_lists_checkpoints_and_compares(
    qtbot, window: MainWindow, settle, agent_db: AgentDb
) -> None:
    view, head, first = _select_head_and_first(qtbot, window, settle, agent_db)
    menu = _right_click(qtbot, view, checkpoint_row(view, _key(first)[1]))
    pick = next(a for a in menu.actions() if a.objectName() == "compareWithPicker")
    _click_menu_item(qtbot, menu, pick)
    picker = window.compare_picker
    assert picker is not None
    qtbot.waitUntil(picker.isVisible, timeout=TIMEOUT)
    listing = picker.findChild(QListWidget, "comparePickerList")
    count = window.controller.timeline.checkpoint_count
    assert listing.count() == count - 1, "every checkpoint but the selected one"
    short = _key(first)[1][-8:]
    qtbot.keyClicks(picker.findChild(QLineEdit, "comparePickerFilter"), short)
    shown = [listing.item(r) for r in range(listing.count()) if not listing.item(r).isHidden()]
    assert [item.text().endswith(short) for item in shown] == [True]
    qtbot.mouseClick(
        listing.viewport(), Qt.MouseButton.LeftButton, pos=listing.visualItemRect(shown[0]).center()
    )
    assert listing.currentItem() is shown[0]
    button = picker.findChild(QPushButton, "comparePickerCompare")
    settle(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))
    assert window.controller.diff_base_key == _key(first)
    assert window.controller.selected_key == _key(head)
    assert not picker.isVisible()
