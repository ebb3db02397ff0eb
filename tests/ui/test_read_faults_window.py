"""The window on faulty databases built for real: a snapshot is announced, damage stays
in place, and the filter box ignores case in every script."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit

from desktop.ui.controller import GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.run_request import FINISHED
from tests.builders import AgentDb, notes_graph, open_saver, thread_config
from tests.faults import ROOT, build_damaged_message_db, kill_writer_mid_write
from tests.ui.test_live_run import (
    attach,
    click_run,
    isolated_imports,  # noqa: F401 (fixture)
    panel,
    type_input,
    wait_for_timeline,
)
from tests.ui.test_window import (
    checkpoint_row,
    click_row,
    diff_text,
    open_db,
    state_text,
    thread_list,
    timeline,
)

NOTES_SPEC = f"{ROOT / 'tests' / 'data' / 'builder_graphs.py'}:notes"


def test_status_bar_says_a_hot_journal_is_read_from_a_private_snapshot(
    qtbot, window: MainWindow, settle, tmp_path: Path, agent_db: AgentDb
) -> None:
    db = tmp_path / "live" / "agent.sqlite"
    db.parent.mkdir()
    kill_writer_mid_write("journal", db)
    open_db(qtbot, window, settle, db)
    label = window.findChild(QLabel, "statusSnapshot")
    assert label.isVisible()
    assert label.text().startswith("Private snapshot") and "rolled back" in label.text()
    assert "agent.sqlite itself is unchanged" in label.toolTip()
    model = thread_list(window).model()
    shown = {model.index(r, 0).data() for r in range(model.rowCount())}
    assert shown == {f"kept-{i}" for i in range(6)}

    open_db(qtbot, window, settle, agent_db.path)
    assert not label.isVisible()


def test_a_broken_message_shows_in_place_and_the_diff_never_says_removed(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    damaged = build_damaged_message_db(tmp_path / "damaged.sqlite")
    open_db(qtbot, window, settle, damaged.path)
    view = timeline(window)
    row = checkpoint_row(view, damaged.checkpoint_id)
    if window.controller.selected_key != ("", damaged.checkpoint_id):
        settle(lambda: click_row(qtbot, view, row))
    assert window.controller.selected_key == ("", damaged.checkpoint_id)
    state = state_text(window)
    assert "unknown msgpack extension code 99" in state
    assert "Paris" in state, "the readable messages are still shown"
    diff = diff_text(window)
    assert "unreadable" in diff and "not compared" in diff
    assert not [line for line in diff.splitlines() if "messages" in line and "removed" in line]


def test_filter_box_ignores_case_in_every_script(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    db = tmp_path / "unicode.sqlite"
    with open_saver(db) as saver:
        graph = notes_graph(saver)
        for thread_id in ("ünï-1", "ÜNÏ-2", "plain-3"):
            graph.invoke({"note": thread_id}, thread_config(thread_id))
    open_db(qtbot, window, settle, db)
    box = window.findChild(QLineEdit, "threadFilter")
    settle(lambda: qtbot.keyClicks(box, "ÜNÏ"))
    model = thread_list(window).model()
    shown = {model.index(r, 0).data() for r in range(model.rowCount())}
    assert shown == {"ünï-1", "ÜNÏ-2"}


@pytest.mark.usefixtures("isolated_imports")
def test_a_run_on_a_snapshot_database_shows_its_new_checkpoints(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    db = tmp_path / "live" / "agent.sqlite"
    db.parent.mkdir()
    kill_writer_mid_write("journal", db)
    open_db(qtbot, window, settle, db)
    label = window.findChild(QLabel, "statusSnapshot")
    assert label.isVisible()
    attach(settle, window.controller, GraphOptions(graph=NOTES_SPEC))
    run_panel = panel(window)
    qtbot.mouseClick(run_panel.new_thread_button, Qt.MouseButton.LeftButton)
    thread_id = run_panel.thread_id
    qtbot.mouseClick(run_panel.values_toggle, Qt.MouseButton.LeftButton)
    type_input(qtbot, window, '{"note": "after the crash"}', as_json=True)
    assert click_run(qtbot, window) == (thread_id, FINISHED)
    wait_for_timeline(qtbot, window, db, thread_id)
    model = thread_list(window).model()
    shown = {model.index(r, 0).data() for r in range(model.rowCount())}
    assert shown == {thread_id, *(f"kept-{i}" for i in range(6))}
    assert not label.isVisible(), "after the run's writer rolled back, the file is read in place"
