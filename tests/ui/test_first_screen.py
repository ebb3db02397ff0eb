"""The window's first screen: what it does not show is built later (``desktop/ui/later.py``:
the Output/Events pane, the Store view and the Attach graph dialog), and must still be
there, in place and working, whenever the user reaches for it (before the window settled,
with real mouse and key events, and after it, built in idle turns); the first database's
threads are listed as soon as its first page is read; start-up runs no full garbage
collection before the first screen."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget, QSplitterHandle, QTreeView

from desktop.ui.controller import GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.widgets.stream_view import StreamView
from tests.builders import AgentDb

WAIT_MS = 15_000


def stream_slot_widget(window: MainWindow):
    """What the run splitter holds between the timeline and the run panel."""
    return window.run_splitter.widget(1)


def test_the_hidden_parts_are_built_once_the_window_settled(
    qtbot, window: MainWindow, settle, agent_db: AgentDb
) -> None:
    assert window.later.pending == 3, "Output pane, Store view, Attach dialog: not built yet"
    assert not isinstance(stream_slot_widget(window), StreamView)
    assert window.findChild(QTreeView, "storeNamespaces") is None

    settle(lambda: window.controller.open_database(agent_db.path))
    qtbot.waitUntil(lambda: window.later.pending == 0, timeout=WAIT_MS)
    view = stream_slot_widget(window)
    assert isinstance(view, StreamView) and view is window.stream_view
    assert window.run_splitter.sizes()[1] == 0, "still folded: no graph attached"
    assert window.findChild(QTreeView, "storeNamespaces") is not None
    dock = window.findChild(QDockWidget, "storeDock")
    assert not dock.isVisible(), "built, not shown"


def test_dragging_the_output_pane_open_builds_it_in_place(qtbot, window: MainWindow) -> None:
    window.resize(1280, 800)
    qtbot.wait(20)
    splitter = window.run_splitter
    timeline_height = splitter.sizes()[0]
    assert splitter.sizes()[1] == 0 and window.later.pending > 0
    # The handle above the folded pane, dragged up by the mouse.
    handle: QSplitterHandle = splitter.handle(1)
    start = QPoint(handle.width() // 2, handle.height() // 2)
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 11):
        QTest.mouseMove(handle, start - QPoint(0, 20 * step))
    QTest.mouseRelease(
        handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start - QPoint(0, 200)
    )
    qtbot.waitUntil(lambda: isinstance(stream_slot_widget(window), StreamView), timeout=WAIT_MS)
    view = window.stream_view
    qtbot.waitUntil(lambda: view.isVisible() and view.height() > 100, timeout=WAIT_MS)
    assert splitter.sizes()[0] < timeline_height
    assert splitter.sizes()[1] == view.height()
    # It is the real pane: its tabs switch and Clear works.
    events_tab = view.tabs.tabBar().tabRect(1).center()
    QTest.mouseClick(view.tabs.tabBar(), Qt.MouseButton.LeftButton, pos=events_tab)
    assert view.tabs.currentIndex() == 1


def test_the_store_dock_opens_with_its_view_before_the_window_settled(
    qtbot, window: MainWindow
) -> None:
    assert window.findChild(QTreeView, "storeNamespaces") is None
    qtbot.keyClick(
        window,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dock = window.findChild(QDockWidget, "storeDock")
    qtbot.waitUntil(dock.isVisible, timeout=WAIT_MS)
    tree = window.findChild(QTreeView, "storeNamespaces")
    assert tree is not None and tree.isVisible() and dock.widget().isAncestorOf(tree)


def test_attaching_a_graph_opens_the_output_pane_built(qtbot, window: MainWindow, settle) -> None:
    window.resize(1280, 800)
    window.controller.graph_options = GraphOptions(graph="demo")
    settle(window.controller.attach_graph)
    view = stream_slot_widget(window)
    assert isinstance(view, StreamView)
    qtbot.waitUntil(lambda: view.isVisible() and view.height() > 0, timeout=WAIT_MS)
    assert window.run_splitter.sizes()[1] == view.height()


def test_the_attach_dialog_opens_from_the_graph_menu_before_the_window_settled(
    qtbot, window: MainWindow
) -> None:
    window.graph.attach.attach_action.trigger()
    dialog = window.graph.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    qtbot.keyClicks(dialog.spec_edit, "demo")
    assert dialog.spec_edit.text() == "demo"


def test_the_first_database_opens_as_soon_as_it_is_read(
    qtbot, window: MainWindow, settle, agent_db: AgentDb, fork_db
) -> None:
    """The window's first database is opened (listed, named) straight from the reader's
    signal, not a few event-loop turns later in the open's task, which then loads its
    newest thread; a later open is applied by its task, as before."""
    controller = window.controller
    model = controller.threads_model
    resets: list[tuple[int, bool]] = []

    def reset() -> None:
        resets.append((model.rowCount(), asyncio.current_task() is None))

    model.modelReset.connect(reset)
    opened: list[str] = []
    controller.database_opened.connect(opened.append)

    settle(lambda: controller.open_database(agent_db.path))
    listed = model.rowCount()
    assert listed == 2 and controller.source is not None
    assert [r for r in resets if r[0]] == [(listed, True)], "once, outside the open's task"
    assert opened == [str(agent_db.path)]
    assert window.path_label.full_text() == str(agent_db.path)
    assert window.timeline_title.full_text().startswith(agent_db.thread_ids[0]) or (
        window.timeline_title.full_text().startswith(agent_db.thread_ids[1])
    ), "its newest thread is shown"

    resets.clear()
    settle(lambda: controller.open_database(fork_db.path))
    assert resets and not any(outside for rows, outside in resets if rows)
    assert opened == [str(agent_db.path), str(fork_db.path)]
    assert model.rowCount() == model.total >= 1


_START_UP_PROBE = """
import asyncio, gc, json, sys
import qasync
from PySide6.QtWidgets import QApplication
from desktop.cli import build_gui_parser
from desktop.ui.app import apply_theme, start_window

full = []
gc.callbacks.append(lambda phase, info: phase == "start" and info["generation"] == 2
                    and full.append(1))

async def main():
    options = build_gui_parser().parse_args([sys.argv[1]])
    controller, window = start_window(options, None, error_dialogs=False)
    frozen = gc.get_freeze_count()
    window.show()
    model = controller.threads_model
    listed = asyncio.Event()
    model.modelReset.connect(lambda: model.rowCount() and listed.set())
    await listed.wait()
    before = len(full)
    settled = asyncio.Event()
    controller.settled.connect(settled.set)
    await settled.wait()
    print(json.dumps([frozen, before, len(full), gc.get_freeze_count()]))
    window.close()
    await controller.shutdown()

app = QApplication([])
app.setQuitOnLastWindowClosed(False)
apply_theme(app)
qasync.run(main())
"""


def test_start_up_runs_no_full_collection_before_the_first_screen(
    tmp_path, agent_db: AgentDb
) -> None:
    """``start_window`` (as ``rewind DB`` starts) keeps what was imported out of the
    collector's reach without collecting; the one full collection comes once the window
    has settled, and freezes the window's objects too. A fresh process, as a user's."""
    from tests.ui.test_screenshot import ROOT

    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "REWIND_DATA_DIR": str(tmp_path / "rewind"),
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", _START_UP_PROBE, str(agent_db.path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    frozen, full_before, full_after, frozen_after = json.loads(result.stdout.splitlines()[-1])
    assert frozen > 50_000, "the modules imported before the window are frozen"
    assert full_before == 0, "no full collection before the threads are listed"
    assert full_after == 1 and frozen_after > frozen, "one, once settled, freezing the window"


def drag_handle_up(splitter, index: int, pixels: int) -> None:
    """Drag a splitter's handle up by ``pixels`` with the mouse."""
    handle: QSplitterHandle = splitter.handle(index)
    start = QPoint(handle.width() // 2, handle.height() // 2)
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 11):
        QTest.mouseMove(handle, start - QPoint(0, pixels * step // 10))
    QTest.mouseRelease(
        handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start - QPoint(0, pixels)
    )


def test_the_selected_checkpoint_stays_in_sight_when_the_timeline_shrinks(
    qtbot, window: MainWindow, settle, fork_db
) -> None:
    """The head is selected on open; the output pane dragged open (or built after the
    first screen) takes room from the timeline: the selected row stays in sight. A row the
    user scrolled away from is left where it is."""
    window.resize(1280, 800)
    settle(lambda: window.controller.open_database(fork_db.path))
    view = window.timeline_view
    timeline = window.controller.timeline
    qtbot.waitUntil(lambda: window.controller.selected_key == timeline.head.key, timeout=WAIT_MS)

    def in_sight() -> bool:
        return view.viewport().rect().contains(view.visualRect(view.currentIndex()))

    qtbot.waitUntil(in_sight, timeout=WAIT_MS)
    before = view.viewport().height()
    drag_handle_up(window.run_splitter, 1, 300)
    qtbot.waitUntil(lambda: view.viewport().height() < before - 200, timeout=WAIT_MS)
    assert view.verticalScrollBar().maximum() > 0, "the rows no longer fit"
    qtbot.waitUntil(in_sight, timeout=WAIT_MS)

    view.verticalScrollBar().setValue(0)  # the user scrolls up, away from the selection
    qtbot.waitUntil(lambda: not in_sight(), timeout=WAIT_MS)
    drag_handle_up(window.run_splitter, 1, 40)
    qtbot.wait(50)
    assert view.verticalScrollBar().value() == 0 and not in_sight()
