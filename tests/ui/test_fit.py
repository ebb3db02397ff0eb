"""The window fits 1280x800 with its key labels whole: the demo, as a new user first
sees it, rendered at that size (``docs/screenshots.sh`` renders the same)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel

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


SMALL = QSize(1024, 640)


def _assert_fits(qtbot, window: MainWindow, state: str) -> None:
    """The window's minimum fits 1024x640, and at that size it keeps that size."""
    qtbot.wait(30)
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALL.width() and hint.height() <= SMALL.height(), (state, hint)
    assert window.size() == SMALL, (state, window.size())


def test_the_window_fits_1024x640_in_every_state(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    """Demo opened, graph attached, a run active, an interrupt pending: the minimum size
    never exceeds 1024x640, and the interrupt card has room for its question, payload and
    answer box."""
    window.resize(SMALL)
    settle(window.controller.open_demo)
    _assert_fits(qtbot, window, "demo opened")
    monkeypatch.setenv("REWIND_DEMO_TOKEN_DELAY", "0.02")
    window.controller.graph_options = GraphOptions(graph="demo")
    settle(window.controller.attach_graph)
    _assert_fits(qtbot, window, "graph attached")

    panel = window.run_panel
    qtbot.mouseClick(panel.new_thread_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(panel.input, "What is 12 * 49?")
    runs = window.controller.runs
    with qtbot.waitSignal(runs.run_finished, timeout=30_000) as finished:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        assert runs.is_running
        qtbot.waitUntil(lambda: window.stream_view.token_count >= 3, timeout=15_000)
        _assert_fits(qtbot, window, "run active")
    assert finished.args[1] == "interrupted", finished.args
    qtbot.waitUntil(lambda: window.resume_panel.condition == "interrupted", timeout=15_000)
    qtbot.waitUntil(lambda: window.state_view.rendered is not None, timeout=15_000)
    _assert_fits(qtbot, window, "interrupt pending")

    card = window.resume_panel.cards[0]
    inside = card.contentsRect()
    question = card.findChild(QLabel, "interruptQuestion")
    for part in (card.value_edit, card.json_box, question):
        box = part.geometry()
        assert inside.contains(box), f"{part.objectName()} is cut off: {box} in {inside}"
    assert question.height() >= question.heightForWidth(question.width()), "question cut off"
    assert card.value_edit.height() >= card.value_edit.fontMetrics().lineSpacing() * 3
    assert window.resume_panel.resume_button.isVisible()
    # The run panel's options that do not fit are one click away in the "⋯" pop-up.
    options = panel.options
    if options.folded():
        qtbot.mouseClick(options.more, Qt.MouseButton.LeftButton)
        assert options.popup.isVisible()
        assert all(widget.isVisible() for widget in options.folded())
        options.popup.hide()
