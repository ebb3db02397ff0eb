"""Live watch in the window: a real second process writes checkpoints through
LangGraph's ``SqliteSaver`` while the window is open; the list and the open timeline
show them, checked against LangGraph's own history, and the user's selection and
scroll are kept unless the head was selected."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QListView, QTreeView

from desktop.ui.controllers.watch import MIN_READ_INTERVAL
from desktop.ui.main_window import MainWindow
from tests.core.test_watch import postgres_truth_ids
from tests.live import TURN_CHECKPOINTS, LiveWriter, truth_ids
from tests.ui.test_window import checkpoint_row, click_row, open_db

WAIT_MS = 15_000


@pytest.fixture
def watched(qtbot, window: MainWindow, settle, tmp_path: Path):
    """The window on a file that another process keeps writing to (thread ``t1``)."""
    path = tmp_path / "watched.sqlite"
    with LiveWriter(path) as writer:
        writer.turn("t1")
        open_db(qtbot, window, settle, path)
        qtbot.waitUntil(lambda: window.controller.watch.is_watching, timeout=WAIT_MS)
        yield path, writer


def timeline_ids(window: MainWindow) -> list[str]:
    timeline = window.controller.timeline
    assert timeline is not None
    return sorted((m.checkpoint_id for m in timeline.by_key.values()), reverse=True)


def listed(window: MainWindow) -> list[str]:
    model = window.controller.threads_model
    return [model.thread_at(row).thread_id for row in range(model.loaded)]


def test_new_threads_appear_in_the_list_newest_first(qtbot, window: MainWindow, watched):
    _path, writer = watched
    assert listed(window) == ["t1"]
    writer.turn("t2")
    qtbot.waitUntil(lambda: listed(window) == ["t2", "t1"], timeout=WAIT_MS)
    writer.turn("t1")
    qtbot.waitUntil(lambda: listed(window) == ["t1", "t2"], timeout=WAIT_MS)
    model = window.controller.threads_model
    assert model.thread_at(0).checkpoints == 2 * TURN_CHECKPOINTS
    assert window.thread_count_label.text() == "2 threads"
    assert window.controller.thread_id == "t1", "the shown thread did not change"


def test_selection_on_the_head_follows_new_checkpoints(qtbot, window: MainWindow, watched):
    path, writer = watched
    controller = window.controller
    assert controller.selected_key == controller.timeline.head.key
    writer.turn("t1")
    qtbot.waitUntil(lambda: len(timeline_ids(window)) == 2 * TURN_CHECKPOINTS, timeout=WAIT_MS)
    assert timeline_ids(window) == truth_ids(path, "t1")
    qtbot.waitUntil(
        lambda: controller.selected_key == ("", truth_ids(path, "t1")[0]), timeout=WAIT_MS
    )
    view = window.findChild(QTreeView, "timeline")
    assert view.currentIndex().data() is not None
    assert view.visualRect(view.currentIndex()).intersects(view.viewport().rect())


def test_selection_elsewhere_and_scroll_stay_put(qtbot, window: MainWindow, settle, watched):
    path, writer = watched
    controller = window.controller
    view = window.findChild(QTreeView, "timeline")
    oldest = truth_ids(path, "t1")[-1]
    settle(lambda: click_row(qtbot, view, checkpoint_row(view, oldest)))
    assert controller.selected_key == ("", oldest)
    scroll = view.verticalScrollBar().value()
    writer.turn("t1")
    writer.turn("t2")
    qtbot.waitUntil(lambda: len(timeline_ids(window)) == 2 * TURN_CHECKPOINTS, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "t2" in listed(window), timeout=WAIT_MS)
    assert timeline_ids(window) == truth_ids(path, "t1")
    assert controller.selected_key == ("", oldest)
    assert view.currentIndex().data(view.model().CheckpointIdRole) == oldest
    assert view.verticalScrollBar().value() == scroll
    threads = window.findChild(QListView, "threadList")
    assert threads.currentIndex().data() == "t1"
    assert controller.thread_id == "t1"


def test_an_empty_database_shows_the_first_thread_written(
    qtbot, window: MainWindow, settle, tmp_path: Path
):
    path = tmp_path / "empty-at-first.sqlite"
    with LiveWriter(path) as writer:
        open_db(qtbot, window, settle, path)
        qtbot.waitUntil(lambda: window.controller.watch.is_watching, timeout=WAIT_MS)
        writer.turn("first")
        qtbot.waitUntil(lambda: window.controller.thread_id == "first", timeout=WAIT_MS)
        qtbot.waitUntil(
            lambda: (
                window.controller.timeline is not None
                and timeline_ids(window) == truth_ids(path, "first")
            ),
            timeout=WAIT_MS,
        )


def test_a_thread_list_scrolled_down_keeps_its_rows_in_place(
    qtbot, window: MainWindow, settle, tmp_path: Path
):
    path = tmp_path / "many.sqlite"
    with LiveWriter(path) as writer:
        for n in range(40):
            writer.turn(f"thread-{n:02d}")
        open_db(qtbot, window, settle, path)
        qtbot.waitUntil(lambda: window.controller.watch.is_watching, timeout=WAIT_MS)
        view = window.findChild(QListView, "threadList")
        view.setFocus()
        for _ in range(2):
            qtbot.keyClick(view, Qt.Key.Key_PageDown)
        qtbot.waitUntil(lambda: not window.controller.is_busy, timeout=WAIT_MS)
        bar = view.verticalScrollBar()
        assert 0 < bar.value() < bar.maximum(), "scrolled into the middle of the list"
        top = view.indexAt(QPoint(1, 1))
        before = (top.data(), view.visualRect(top).top())
        chosen = window.controller.thread_id
        writer.turn("brand-new")
        writer.turn("thread-00")
        qtbot.waitUntil(lambda: listed(window)[:2] == ["thread-00", "brand-new"], timeout=WAIT_MS)
        top = view.indexAt(QPoint(1, 1))
        assert (top.data(), view.visualRect(top).top()) == before
        assert window.controller.thread_id == chosen
        assert view.currentIndex().data() == chosen
        view.scrollToTop()
        writer.turn("newest")
        qtbot.waitUntil(lambda: listed(window)[0] == "newest", timeout=WAIT_MS)
        assert view.indexAt(QPoint(1, 1)).data() == "newest", "at the top, new threads show"


def test_postgres_window_shows_what_another_process_commits(
    qtbot, window: MainWindow, settle, pg_db
):
    with LiveWriter(pg_db.url) as writer:
        writer.turn("t1")
        reader = pg_db.select_only_url()
        settle(lambda: window.controller.open_database(reader))
        qtbot.waitUntil(lambda: window.controller.watch.is_watching, timeout=WAIT_MS)
        assert listed(window) == ["t1"]
        writer.turn("t2")
        qtbot.waitUntil(lambda: listed(window) == ["t2", "t1"], timeout=WAIT_MS)
        writer.turn("t1")
        qtbot.waitUntil(lambda: len(timeline_ids(window)) == 2 * TURN_CHECKPOINTS, timeout=WAIT_MS)
        truth = postgres_truth_ids(pg_db.url, "t1")
        assert timeline_ids(window) == truth
        qtbot.waitUntil(lambda: window.controller.selected_key == ("", truth[0]), timeout=WAIT_MS)


def test_a_thread_another_process_deletes_leaves_the_list(qtbot, window: MainWindow, watched):
    """``delete_thread`` through LangGraph's saver in the writer process, on a thread
    older than the newest rows (no rowid goes down): the list drops it, nothing else
    moves."""
    _path, writer = watched
    writer.turn("t2")
    writer.turn("t3")
    qtbot.waitUntil(lambda: listed(window) == ["t3", "t2", "t1"], timeout=WAIT_MS)
    writer.delete("t2")
    qtbot.waitUntil(lambda: listed(window) == ["t3", "t1"], timeout=WAIT_MS)
    assert window.thread_count_label.text() == "2 threads"
    assert window.controller.thread_id == "t1"
    assert window.controller.timeline is not None


def test_the_graph_inferred_from_a_deleted_thread_goes_with_it(qtbot, window: MainWindow, watched):
    """No graph attached: the Graph pane draws the shown thread's history; when another
    process deletes that thread, the picture is cleared and the pane says why it is
    empty (a picture of a thread that no longer exists is not left on screen)."""
    _path, writer = watched
    pane = window.graph_pane
    qtbot.waitUntil(lambda: pane.title.text() == "t1 · inferred from history", timeout=WAIT_MS)
    assert pane.scene.nodes
    writer.delete("t1")
    qtbot.waitUntil(lambda: listed(window) == [], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not pane.scene.nodes, timeout=WAIT_MS)
    assert pane.title.text() == "No graph: select a thread to see the graph inferred from it"
    assert window.timeline_title.text() == "t1 · deleted by another process"


def test_postgres_shown_thread_deleted_by_another_process_says_so(
    qtbot, window: MainWindow, settle, pg_db
):
    with LiveWriter(pg_db.url) as writer:
        writer.turn("t1")
        writer.turn("t2")
        settle(lambda: window.controller.open_database(pg_db.select_only_url()))
        qtbot.waitUntil(lambda: window.controller.watch.is_watching, timeout=WAIT_MS)
        assert (listed(window), window.controller.thread_id) == (["t2", "t1"], "t2")
        writer.delete("t2")
        qtbot.waitUntil(lambda: listed(window) == ["t1"], timeout=WAIT_MS)
        qtbot.wait(1000)  # nothing else is opened in its place meanwhile
    assert window.controller.thread_id is None and window.controller.timeline is None
    assert window.state_view.state_text.placeholderText() == "Deleted by another process"
    assert window.timeline_title.text() == "t2 · deleted by another process"
    assert window.thread_count_label.text() == "1 thread"
    assert window.thread_pane.count_label.text() == window.thread_count_label.text()
    threads = window.findChild(QListView, "threadList")
    assert not threads.currentIndex().isValid()


def test_postgres_reads_back_only_what_changed_at_most_every_interval(
    qtbot, window: MainWindow, settle, pg_db, pg_server
):
    """Every commit on the server changes the snapshot; only a watched thread's new
    rows are read back, and a burst of commits is read back in spaced, single reads."""
    watch = window.controller.watch
    applied: list[float] = []
    committed: list[float] = []
    watch.applied.connect(lambda: applied.append(time.monotonic()))
    watch.committed.connect(lambda: committed.append(time.monotonic()))
    elsewhere = pg_server.create_database("elsewhere")
    try:
        with LiveWriter(pg_db.url) as writer, LiveWriter(elsewhere.url) as other:
            writer.turn("t1")
            settle(lambda: window.controller.open_database(pg_db.select_only_url()))
            qtbot.waitUntil(lambda: watch.is_watching, timeout=WAIT_MS)
            qtbot.wait(500)
            applied.clear()
            committed.clear()
            other.turn("x1")
            qtbot.waitUntil(lambda: len(committed) >= 1, timeout=WAIT_MS)
            qtbot.wait(int(MIN_READ_INTERVAL * 4000))
            assert applied == [], "commits to another database read nothing back"
            turns = ["t1"] * 6 + ["t2"]
            writer.start_turns(*turns)
            qtbot.waitUntil(lambda: listed(window) == ["t2", "t1"], timeout=WAIT_MS)
            qtbot.waitUntil(
                lambda: len(timeline_ids(window)) == 7 * TURN_CHECKPOINTS, timeout=WAIT_MS
            )
            writer.finish_turns(*turns)
            assert timeline_ids(window) == postgres_truth_ids(pg_db.url, "t1")
    finally:
        elsewhere.drop()
    gaps = [later - earlier for earlier, later in itertools.pairwise(applied)]
    assert applied and min(gaps, default=MIN_READ_INTERVAL) >= MIN_READ_INTERVAL * 0.9, gaps


def test_every_run_the_window_starts_counts_as_its_own(window: MainWindow):
    """The watch takes the set of the window's own runs at every poll: a run started after
    a poll (one short enough to start and end between two polls) is still in the next
    take, so its commits are never taken for another process's."""
    watch, runs = window.controller.watch, window.controller.runs
    assert watch._take_own() == set()
    runs.run_started.emit("quick")
    assert watch._take_own() == {"quick"}
    runs.run_started.emit("again")
    assert watch._take_own() == {"again"}
    assert watch._take_own() == set()
