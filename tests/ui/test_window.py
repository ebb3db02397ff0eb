"""The window against real databases: click threads and checkpoints, read what is shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QContextMenuEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QTreeView,
)

from desktop.core.sources import open_source
from desktop.core.sources.sqlite import SqliteCheckpointSource
from desktop.ui.controller import Controller
from desktop.ui.controllers.opening import FIRST_PAGE_SIZE
from desktop.ui.main_window import MainWindow
from desktop.ui.models.threads import PAGE_SIZE, ThreadListModel
from desktop.ui.models.timeline import TimelineModel
from desktop.ui.settings import RewindSettings
from desktop.ui.widgets.busy import BusyIndicator
from tests.builders import (
    AgentDb,
    FanoutDb,
    ForkDb,
    InterruptDb,
    ManyThreadsDb,
    open_saver,
    steps_graph,
    thread_config,
)

TIMEOUT = 10_000


# -- helpers ---------------------------------------------------------------------------


def thread_list(window: MainWindow) -> QListView:
    return window.findChild(QListView, "threadList")


def timeline(window: MainWindow) -> QTreeView:
    return window.findChild(QTreeView, "timeline")


def state_text(window: MainWindow) -> str:
    return window.findChild(QTextBrowser, "stateText").toPlainText()


def messages_text(qtbot, window: MainWindow) -> str:
    """Click the "Messages" tab of the state view and read it."""
    tabs = window.findChild(QTabWidget, "stateTabs")
    bar = tabs.tabBar()
    tab = next(i for i in range(bar.count()) if bar.tabText(i).startswith("Messages"))
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(tab).center())
    assert tabs.currentIndex() == tab
    return window.findChild(QTextBrowser, "messagesText").toPlainText()


def diff_text(window: MainWindow) -> str:
    view = window.findChild(object, "diffView")
    return view.findChild(QTextBrowser, "diffText").toPlainText()


def click_row(qtbot, view: QListView | QTreeView, index: QModelIndex) -> None:
    view.scrollTo(index)
    rect = view.visualRect(index)
    assert rect.isValid(), "row is not visible"
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def thread_index(window: MainWindow, thread_id: str) -> QModelIndex:
    model = thread_list(window).model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data(ThreadListModel.ThreadIdRole) == thread_id:
            return index
    raise AssertionError(f"{thread_id} is not listed")


def visible_rows(view: QTreeView) -> list[QModelIndex]:
    """Every row the user can reach, top to bottom (expanded parents only)."""
    model = view.model()
    rows: list[QModelIndex] = []

    def walk(parent: QModelIndex) -> None:
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            rows.append(index)
            if view.isExpanded(index):
                walk(index)

    walk(QModelIndex())
    return rows


def checkpoint_row(view: QTreeView, checkpoint_id: str) -> QModelIndex:
    for index in visible_rows(view):
        if index.data(TimelineModel.CheckpointIdRole) == checkpoint_id:
            return index
    raise AssertionError(f"checkpoint {checkpoint_id} is not a visible row")


def open_context_menu(qtbot, view: QTreeView, index: QModelIndex) -> QMenu:
    """Right-click a row: the viewport gets the context-menu event a right click produces."""
    position = view.visualRect(index).center()
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, position, view.viewport().mapToGlobal(position)
    )
    QApplication.sendEvent(view.viewport(), event)
    menu = view.findChild(QMenu, "timelineMenu")
    qtbot.waitUntil(menu.isVisible, timeout=TIMEOUT)
    return menu


def open_db(qtbot, window: MainWindow, settle, path: Path) -> None:
    settle(lambda: window.controller.open_database(path))
    assert window.controller.path == Path(path)


def open_thread(qtbot, window: MainWindow, settle, thread_id: str) -> None:
    """Click a thread in the list (unless it is already the one shown)."""
    if window.controller.thread_id != thread_id:
        index = thread_index(window, thread_id)
        settle(lambda: click_row(qtbot, thread_list(window), index))
    assert window.controller.thread_id == thread_id
    assert thread_list(window).currentIndex().data() == thread_id


def shown_numbers(state: str) -> set[int]:
    """Every whole number shown in the State tab."""
    return {int(n) for n in re.findall(r"(?<![\w.-])-?\d+(?![\w.])", state)}


# -- opening and selecting -------------------------------------------------------------


def test_open_click_thread_and_checkpoint_shows_state(
    qtbot, window: MainWindow, settle, agent_db: AgentDb
) -> None:
    open_db(qtbot, window, settle, agent_db.path)
    assert window.windowTitle().startswith(agent_db.path.name)
    listed = {
        thread_list(window).model().index(row, 0).data()
        for row in range(thread_list(window).model().rowCount())
    }
    assert listed == set(agent_db.thread_ids)

    open_thread(qtbot, window, settle, "agent-weather")
    view = timeline(window)
    # The head (last turn's answer) is selected by default and shown.
    head = window.controller.timeline.head
    assert view.currentIndex().data(TimelineModel.CheckpointIdRole) == head.checkpoint_id
    assert view.currentIndex().data(TimelineModel.IsHeadRole) is True
    assert agent_db.answers["agent-weather"][-1] in state_text(window)
    assert window.findChild(QLabel, "statusCheckpoint").text() == head.checkpoint_id

    # Click the checkpoint written by the first run of the weather tool.
    tools_rows = [
        index for index in visible_rows(view) if index.data(TimelineModel.WritersRole) == ["tools"]
    ]
    first_tool = min(tools_rows, key=lambda i: i.data(TimelineModel.StepRole))
    settle(lambda: click_row(qtbot, view, first_tool))
    shown = first_tool.data(TimelineModel.CheckpointIdRole)
    assert window.controller.selected_key == ("", shown)
    assert window.findChild(QLabel, "statusCheckpoint").text() == shown
    text = state_text(window)
    assert "18°C and sunny" in text
    assert "Oslo" not in text, "a checkpoint from the first turn must not show the second"
    assert "What is the weather in Paris?" in messages_text(qtbot, window)
    # Its diff against the parent is the tool's answer being added.
    assert "18°C and sunny" in diff_text(window)
    assert "parent" in window.findChild(QLabel, "diffBaseLabel").text()


def test_compare_with_context_menu_then_reset_to_parent(
    qtbot, window: MainWindow, settle, agent_db: AgentDb
) -> None:
    open_db(qtbot, window, settle, agent_db.path)
    open_thread(qtbot, window, settle, "agent-weather")
    view = timeline(window)
    parent_diff = diff_text(window)
    assert "Paris" not in parent_diff, "the head's own step only adds the last answer"

    first = view.model().first_checkpoint_index()
    menu = open_context_menu(qtbot, view, first)
    action = next(a for a in menu.actions() if a.text() == "Compare with selected checkpoint")
    assert action.isEnabled()
    settle(
        lambda: qtbot.mouseClick(
            menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center()
        )
    )
    assert window.controller.diff_base_key == ("", first.data(TimelineModel.CheckpointIdRole))
    assert first.data(TimelineModel.IsDiffBaseRole) is True
    chosen_diff = diff_text(window)
    # Against the input checkpoint, the whole conversation so far shows up as added.
    for question in agent_db.questions["agent-weather"]:
        assert question in chosen_diff
    label = window.findChild(QLabel, "diffBaseLabel")
    assert "chosen checkpoint" in label.text()
    reset = window.findChild(QPushButton, "resetDiffBase")
    assert reset.isEnabled()

    settle(lambda: qtbot.mouseClick(reset, Qt.MouseButton.LeftButton))
    assert window.controller.diff_base_key is None
    assert "parent" in label.text()
    assert not reset.isEnabled()
    assert diff_text(window) == parent_diff


def test_compare_works_across_branches(qtbot, window: MainWindow, settle, fork_db: ForkDb) -> None:
    open_db(qtbot, window, settle, fork_db.path)
    view = timeline(window)
    fork = checkpoint_row(view, fork_db.fork_ids[1])
    settle(lambda: click_row(qtbot, view, fork))
    shown = shown_numbers(state_text(window))
    assert fork_db.fork_values[1] in shown and fork_db.fork_values[2] not in shown

    other = checkpoint_row(view, fork_db.fork_ids[2])
    menu = open_context_menu(qtbot, view, other)
    action = menu.findChild(QAction, "compareWithSelected")
    settle(
        lambda: qtbot.mouseClick(
            menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center()
        )
    )
    text = diff_text(window)
    assert str(fork_db.fork_values[1]) in text and str(fork_db.fork_values[2]) in text


def test_filter_box_narrows_the_thread_list(
    qtbot, window: MainWindow, settle, agent_db: AgentDb
) -> None:
    open_db(qtbot, window, settle, agent_db.path)
    model = thread_list(window).model()
    assert model.rowCount() == 2
    box = window.findChild(QLineEdit, "threadFilter")
    settle(lambda: qtbot.keyClicks(box, "MATH"))
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["agent-math"]
    assert window.findChild(QLabel, "threadCount").text() == "1 matching thread"

    settle(lambda: qtbot.keyClicks(box, "-nothing"))
    assert model.rowCount() == 0
    settle(box.clear)
    assert model.rowCount() == 2


def test_keyboard_moves_the_selection_and_the_state_follows(
    qtbot, window: MainWindow, settle, agent_db: AgentDb
) -> None:
    open_db(qtbot, window, settle, agent_db.path)
    open_thread(qtbot, window, settle, "agent-math")
    view = timeline(window)
    view.setFocus()
    head = window.controller.selected_key
    answer = agent_db.answers["agent-math"][0]
    assert answer in state_text(window)

    settle(lambda: qtbot.keyClick(view, Qt.Key.Key_Up))
    above = window.controller.selected_key
    assert above != head
    assert view.currentIndex().data(TimelineModel.CheckpointIdRole) == above[1]
    assert answer not in state_text(window)
    assert "Please add 2 and 40" in state_text(window)

    settle(lambda: qtbot.keyClick(view, Qt.Key.Key_Down))
    assert window.controller.selected_key == head
    assert answer in state_text(window)

    settle(lambda: qtbot.keyClick(view, Qt.Key.Key_Home))
    first = window.controller.selected_key
    assert view.currentIndex().data(TimelineModel.StepRole) == -1
    assert window.findChild(QLabel, "statusCheckpoint").text() == first[1]

    settle(lambda: qtbot.keyClick(view, Qt.Key.Key_End))
    assert window.controller.selected_key == head


def test_forks_show_as_branch_rows(qtbot, window: MainWindow, settle, fork_db: ForkDb) -> None:
    open_db(qtbot, window, settle, fork_db.path)
    view = timeline(window)
    rows = visible_rows(view)
    branches = [i for i in rows if i.data(TimelineModel.KindRole) == "branch"]
    assert len(branches) == len(fork_db.fork_ids) + 1  # three forks and the replay
    assert all(view.isFirstColumnSpanned(i.row(), i.parent()) for i in branches)
    assert all(i.data().startswith("branch (") for i in branches)
    fork_point = checkpoint_row(view, fork_db.fork_parent_id)
    for fork_id, value in zip(fork_db.fork_ids, fork_db.fork_values, strict=True):
        row = checkpoint_row(view, fork_id)
        assert row.data(TimelineModel.OnHeadLineRole) is False
        assert row.parent().data(TimelineModel.KindRole) == "branch"
        assert row.parent().parent() == fork_point
        settle(lambda row=row: click_row(qtbot, view, row))
        shown = shown_numbers(state_text(window))
        assert value in shown
        assert not shown & (set(fork_db.fork_values) - {value})


def test_subgraph_group_rows_for_send_fan_out(
    qtbot, window: MainWindow, settle, fanout_db: FanoutDb
) -> None:
    open_db(qtbot, window, settle, fanout_db.path)
    view = timeline(window)
    groups = [i for i in visible_rows(view) if i.data(TimelineModel.KindRole) == "subgraph"]
    assert len(groups) == len(fanout_db.topics)
    assert all(i.data().startswith("subgraph research") for i in groups)
    assert not any(view.isExpanded(i) for i in groups), "subgraph groups start collapsed"

    group = groups[0]
    view.setCurrentIndex(group)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.isExpanded(group)
    inner = view.model().index(view.model().rowCount(group) - 1, 0, group)
    assert inner.data(TimelineModel.NamespaceRole).startswith("research:")
    settle(lambda: click_row(qtbot, view, inner))
    text = state_text(window)
    topic = next(t for t in fanout_db.topics if f'"{t}"' in text)
    assert f"{topic}: 2 notes" in text
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert not view.isExpanded(group)
    assert view.currentIndex() == group
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert view.isExpanded(group)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert not view.isExpanded(group)


# -- errors, busy, files -----------------------------------------------------------------


def test_bad_file_shows_a_dialog_and_keeps_the_previous_database(
    qtbot, window: MainWindow, settle, agent_db: AgentDb, not_sqlite_path: Path
) -> None:
    open_db(qtbot, window, settle, agent_db.path)
    shown_state = state_text(window)
    settle(lambda: window.controller.open_database(not_sqlite_path))
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and box.isVisible()
    assert not box.isModal() or box.windowModality() != Qt.WindowModality.ApplicationModal
    assert box.text() == f"{not_sqlite_path} is not a SQLite database"
    assert "\n" not in box.text() and "Traceback" not in box.text()
    assert window.controller.path == agent_db.path
    assert window.windowTitle().startswith(agent_db.path.name)
    assert thread_list(window).model().rowCount() == 2
    assert state_text(window) == shown_state
    box.close()


def test_a_url_of_another_database_is_refused_in_one_line(
    qtbot, window: MainWindow, settle, agent_db: AgentDb
) -> None:
    open_db(qtbot, window, settle, agent_db.path)
    settle(lambda: window.controller.open_database("mysql://x/y"))
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and box.isVisible()
    assert box.text() == (
        "mysql:// URLs are not supported: give a SQLite file or a postgresql:// URL"
    )
    assert window.controller.path == agent_db.path
    box.close()


def test_missing_thread_and_checkpoint_are_reported(
    qtbot, window: MainWindow, settle, agent_db: AgentDb
) -> None:
    settle(lambda: window.controller.open_database(agent_db.path, thread_id="no-such-thread"))
    box = window.findChild(QMessageBox, "errorBox")
    assert box.isVisible() and "no-such-thread" in box.text()
    box.close()
    settle(
        lambda: window.controller.open_database(
            agent_db.path, thread_id="agent-math", checkpoint_id="ffff"
        )
    )
    assert "'ffff' not found" in box.text()
    head = window.controller.timeline.head
    assert window.controller.selected_key == head.key, "falls back to the head"


def test_preselected_thread_and_checkpoint(
    qtbot, window: MainWindow, settle, fork_db: ForkDb
) -> None:
    prefix = fork_db.original_child_id[:-4]
    settle(
        lambda: window.controller.open_database(
            fork_db.path, thread_id=fork_db.thread_id, checkpoint_id=prefix
        )
    )
    assert window.controller.selected_key == ("", fork_db.original_child_id)
    assert timeline(window).currentIndex().data(TimelineModel.CheckpointIdRole) == (
        fork_db.original_child_id
    )


def test_busy_indicator_turns_while_loading(
    qtbot, window: MainWindow, controller: Controller, agent_db: AgentDb
) -> None:
    busy = window.findChild(BusyIndicator, "busyIndicator")
    assert not busy.is_busy
    states: list[bool] = []
    controller.busy_changed.connect(states.append)
    with qtbot.waitSignal(controller.settled, timeout=TIMEOUT):
        controller.open_database(agent_db.path)
        assert busy.is_busy
    assert not busy.is_busy
    assert states == [True, False]


def test_selecting_another_thread_cancels_the_previous_load(
    qtbot, window: MainWindow, controller: Controller, settle, agent_db: AgentDb
) -> None:
    open_db(qtbot, window, settle, agent_db.path)
    first, second = "agent-math", "agent-weather"
    if controller.thread_id == first:
        first, second = second, first

    def choose_both() -> None:
        controller.select_thread(first)
        controller.select_thread(second)

    settle(choose_both)
    assert controller.thread_id == second
    assert agent_db.answers[second][-1] in state_text(window)
    assert thread_list(window).currentIndex().data() == second


def test_interrupted_thread_has_a_badge(
    qtbot, window: MainWindow, settle, interrupt_db: InterruptDb
) -> None:
    open_db(qtbot, window, settle, interrupt_db.path)
    index = thread_index(window, interrupt_db.thread_id)
    assert index.data(ThreadListModel.HasInterruptRole) is True
    assert "waiting on an interrupt" in index.data(Qt.ItemDataRole.ToolTipRole)


def test_stopped_run_is_marked_unfinished(qtbot, window: MainWindow, settle, tmp_path) -> None:
    path = tmp_path / "paused.sqlite"
    with open_saver(path) as saver:
        graph = steps_graph(saver)
        graph.invoke({"value": 1, "log": []}, thread_config("paused"), interrupt_before=["square"])
        graph.invoke({"value": 2, "log": []}, thread_config("done"))
    open_db(qtbot, window, settle, path)
    paused = thread_index(window, "paused")
    assert paused.data(ThreadListModel.RunStateRole) == "unfinished"
    assert "next: square" in paused.data(Qt.ItemDataRole.ToolTipRole)
    assert thread_index(window, "done").data(ThreadListModel.RunStateRole) == "finished"


def test_ten_thousand_threads_open_with_the_first_page(
    qtbot, window: MainWindow, settle, many_threads_db: ManyThreadsDb
) -> None:
    open_db(qtbot, window, settle, many_threads_db.path)
    view = thread_list(window)
    model = view.model()
    assert model.rowCount() == FIRST_PAGE_SIZE, "more than a screen, fewer heads to judge"
    assert model.total == 10_000
    assert model.canFetchMore(QModelIndex())
    assert model.index(0, 0).data() == many_threads_db.thread_ids[-1], "newest first"
    assert window.findChild(QLabel, "statusThreads").text() == "10,000 threads"
    # Scrolling to the end asks for the next page, read in the background.
    with qtbot.waitSignal(model.rowsInserted, timeout=TIMEOUT):
        view.scrollToBottom()
    loaded = FIRST_PAGE_SIZE + PAGE_SIZE
    assert model.rowCount() == loaded
    assert model.index(loaded - 1, 0).data() == many_threads_db.thread_ids[-loaded]


def test_drop_a_database_file_opens_it(
    qtbot, window: MainWindow, settle, agent_db: AgentDb, fork_db: ForkDb
) -> None:
    open_db(qtbot, window, settle, agent_db.path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(fork_db.path))])
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    settle(lambda: window.dropEvent(event))
    assert event.isAccepted()
    assert window.controller.path == fork_db.path
    assert window.windowTitle().startswith(fork_db.path.name)


def test_recent_files_and_layout_are_remembered(
    qtbot, controller: Controller, settings: RewindSettings, settle, agent_db: AgentDb
) -> None:
    first = MainWindow(controller, settings)
    qtbot.addWidget(first)
    first.show()
    settle(lambda: controller.open_database(agent_db.path))
    first.resize(1500, 950)
    qtbot.waitUntil(lambda: first.main_splitter.width() == 1500, timeout=TIMEOUT)
    first.main_splitter.setSizes([300, 500, 700])
    first.detail_splitter.setSizes([300, 550])
    sizes = (first.main_splitter.sizes(), first.detail_splitter.sizes())
    first.close()

    second = MainWindow(controller, settings)
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == (1500, 950)
    assert (second.main_splitter.sizes(), second.detail_splitter.sizes()) == sizes
    recent = second.recent_menu
    recent.aboutToShow.emit()
    assert [a.text() for a in recent.actions()] == [str(agent_db.path.resolve())]


def test_demo_failure_is_shown_inline(
    qtbot, window: MainWindow, settle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("REWIND_DATA_DIR", str(blocker))
    settle(window.controller.open_demo)
    banner = window.findChild(QLabel, "messageBanner")
    assert banner.isVisible()
    assert banner.text().startswith("The demo database could not be created")
    assert window.controller.path is None


def test_open_demo_database(qtbot, window: MainWindow, settle) -> None:
    settle(window.controller.open_demo)
    assert window.controller.path is not None
    assert window.controller.path.name == "demo.sqlite"
    assert thread_list(window).model().rowCount() >= 3
    assert window.controller.thread_id is not None
    assert state_text(window)


def test_recent_files_drop_missing_files_and_keep_ten(
    tmp_path: Path, settings: RewindSettings
) -> None:
    files = []
    for number in range(12):
        path = tmp_path / f"db{number}.sqlite"
        path.write_bytes(b"")
        files.append(path)
        settings.add_recent_file(path)
    recent = settings.recent_files()
    assert recent == [str(p.resolve()) for p in reversed(files[2:])]
    files[11].unlink()
    settings.add_recent_file(files[5])
    recent = settings.recent_files()
    assert recent[0] == str(files[5].resolve())
    assert str(files[11].resolve()) not in recent
    assert len(recent) == len(set(recent)) == 9


def test_an_open_replaced_before_it_ran_closes_the_database_it_read(
    qtbot, window: MainWindow, settle, agent_db: AgentDb, fork_db: ForkDb, monkeypatch
) -> None:
    """open_database starts reading at once; an open replaced by another before its task
    ran still closes the source its read produced, and the second database is shown."""
    with open_source(str(fork_db.path)) as source:
        expected = source.count_threads()
    closed: list[str] = []
    original = SqliteCheckpointSource.close

    def close(source: SqliteCheckpointSource) -> None:
        closed.append(str(source.path))
        original(source)

    monkeypatch.setattr(SqliteCheckpointSource, "close", close)

    def open_twice() -> None:
        window.controller.open_database(agent_db.path)
        window.controller.open_database(fork_db.path)

    settle(open_twice)
    qtbot.waitUntil(lambda: str(agent_db.path) in closed, timeout=10_000)
    assert window.controller.threads_model.rowCount() == expected
    assert str(fork_db.path) not in closed


def test_a_thread_stored_with_an_empty_id_is_named_and_opens(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    """Rewind refuses to write a thread id "", but other tools can: the list names it and a
    click opens it like any other thread, with LangGraph's own history."""
    from desktop.core.model import EMPTY_THREAD_ID_LABEL

    path = tmp_path / "empty-id.sqlite"
    with open_saver(path) as saver:
        graph = steps_graph(saver)
        graph.invoke({"value": 3}, thread_config(""))
        graph.invoke({"value": 1}, thread_config("named"))
        history = list(graph.get_state_history(thread_config("")))
    open_db(qtbot, window, settle, path)
    index = thread_index(window, "")
    settle(lambda: click_row(qtbot, thread_list(window), index))
    assert window.controller.thread_id == ""
    assert window.controller.timeline.checkpoint_count == len(history)
    title = window.findChild(QLabel, "timelineTitle")
    assert title.full_text() == f"{EMPTY_THREAD_ID_LABEL} · {len(history)} checkpoints"
    assert (
        window.controller.timeline.head.checkpoint_id
        == (history[0].config["configurable"]["checkpoint_id"])
    )
    assert f'"value": {history[0].values["value"]}' in state_text(window)

    # Asked for by name when the database opens, as `rewind DB --thread ""` does.
    settle(lambda: window.controller.open_database(path, thread_id=""))
    assert window.controller.thread_id == ""
