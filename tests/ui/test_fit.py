"""The window fits 1280x800 with its key labels whole: the demo, as a new user first
sees it, rendered at that size (``docs/screenshots.sh`` renders the same)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QFontMetrics

from desktop.cli import build_gui_parser
from desktop.ui.app import apply_window_size
from desktop.ui.controller import GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.models.threads import ThreadListModel
from tests.ui.test_window import thread_list

SIZE = QSize(1280, 800)


def test_key_labels_are_whole_at_1280x800(qtbot, window: MainWindow, settle) -> None:
    window.resize(SIZE)
    settle(window.controller.open_demo)
    window.controller.graph_options = GraphOptions(graph="demo")
    settle(window.controller.attach_graph)
    qtbot.wait(50)
    assert window.size() == SIZE, "nothing on screen made the window grow"
    hint = window.minimumSizeHint()
    assert hint.width() <= SIZE.width() and hint.height() <= SIZE.height()

    for label in (window.timeline_title, window.next_run_bar.label, window.graph_status_label):
        assert not label.is_elided(), f"{label.objectName()}: {label.shown_text()!r}"
        assert label.width() >= label.sizeHint().width() - 2

    # Every demo thread id shows whole in the thread list at its default width.
    view = thread_list(window)
    model = view.model()
    bold = view.font()
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        thread_id = index.data(ThreadListModel.ThreadIdRole)
        room = view.visualRect(index).width() - 2 * 10 - metrics.horizontalAdvance("just now")
        assert metrics.horizontalAdvance(thread_id) <= room, thread_id

    # The state header keeps "Step N" on one line.
    header = window.state_view.header
    assert header.step.text().startswith("Step ") and not header.step.wordWrap()


def test_output_pane_is_folded_without_a_graph(qtbot, window: MainWindow, settle, agent_db) -> None:
    window.resize(SIZE)
    settle(lambda: window.controller.open_database(agent_db.path))
    assert window.controller.runs.graph is None
    sizes = window.run_splitter.sizes()
    assert sizes[1] == 0, "nothing streams without a graph: the timeline gets the room"
    assert window.run_splitter.isCollapsible(1)

    window.controller.graph_options = GraphOptions(graph="demo")
    settle(window.controller.attach_graph)
    assert window.controller.runs.graph is not None
    opened = window.run_splitter.sizes()
    assert opened[1] > 100 and opened[0] == sizes[0] - opened[1]


def test_window_size_sizes_the_real_window(qtbot, controller, settings) -> None:
    """``rewind --window-size WxH`` without ``--screenshot`` opens the window at that size,
    over the size remembered from last time."""
    previous = MainWindow(controller, settings)
    qtbot.addWidget(previous)
    previous.resize(1500, 950)
    previous.show()
    qtbot.waitExposed(previous)
    previous.close()

    options = build_gui_parser().parse_args(["--window-size", "1200x760"])
    window = MainWindow(controller, settings)
    qtbot.addWidget(window)
    assert window.size() == QSize(1500, 950), "the remembered size is restored first"
    apply_window_size(window, options)
    window.show()
    qtbot.waitExposed(window)
    assert window.size() == QSize(1200, 760)
    window.close()

    unsized = MainWindow(controller, settings)
    qtbot.addWidget(unsized)
    apply_window_size(unsized, build_gui_parser().parse_args([]))
    assert unsized.size() == QSize(1200, 760), "without the option: the size it had last time"
