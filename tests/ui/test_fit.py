"""The window fits 1280x800 with its key labels whole: the demo, as a new user first
sees it, rendered at that size (``docs/screenshots.sh`` renders the same)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel

from desktop.cli import build_gui_parser
from desktop.ui.app import apply_window_size
from desktop.ui.controller import GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.models.threads import ThreadListModel
from desktop.ui.render.markup import BREAK_HINT
from desktop.ui.widgets.elided_label import ElidedLabel
from desktop.ui.widgets.thread_list import MIN_DETAIL_ROOM, MORE_BADGE, badges_that_fit
from tests.ui.test_time_travel import TIMEOUT
from tests.ui.test_window import thread_list

SIZE = QSize(1280, 800)


def test_key_labels_are_whole_at_1280x800(qtbot, window: MainWindow, settle) -> None:
    window.resize(SIZE)
    settle(window.controller.open_demo)
    window.controller.graph_options = GraphOptions(graph="demo")
    settle(window.controller.attach_graph)
    qtbot.wait(50)
    assert window.size() == SIZE, "nothing on screen made the window grow"
    assert window.graph_pane.isVisible() and window.graph_toggle.isChecked()
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
    # the output pane's room comes from the timeline (the run panel below may have grown
    # by the demo's input-form row, which the splitter as a whole gives up)
    assert opened[1] > 100 and opened[0] + opened[1] <= sizes[0]


def test_window_size_sizes_the_real_window(qtbot, controller, settings) -> None:
    """``rewind --window-size WxH`` without ``--screenshot`` opens the window at that size,
    over the size remembered from last time."""
    previous = MainWindow(controller, settings)
    qtbot.addWidget(previous)
    previous.resize(1500, 950)
    previous.show()
    qtbot.waitExposed(previous, timeout=TIMEOUT)
    previous.close()

    options = build_gui_parser().parse_args(["--window-size", "1200x760"])
    window = MainWindow(controller, settings)
    qtbot.addWidget(window)
    assert window.size() == QSize(1500, 950), "the remembered size is restored first"
    apply_window_size(window, options)
    window.show()
    qtbot.waitExposed(window, timeout=TIMEOUT)
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
    qtbot, themed: None, window: MainWindow, settle, monkeypatch
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
    assert_text_is_whole(qtbot, window)

    # Beside a narrow timeline the Graph pane starts folded; its toggle shows it.
    fold = window.graph_fold
    assert fold.folded and not window.graph_pane.isVisible()
    qtbot.mouseClick(window.graph_toggle, Qt.MouseButton.LeftButton)
    assert not fold.folded and window.graph_pane.isVisible()
    _assert_fits(qtbot, window, "graph pane shown")
    window.resize(SIZE)
    qtbot.wait(30)
    assert window.graph_pane.isVisible(), "the user's choice stands"
    # The run panel's options that do not fit are one click away in the "⋯" pop-up.
    options = panel.options
    if options.folded():
        qtbot.mouseClick(options.more, Qt.MouseButton.LeftButton)
        assert options.popup.isVisible()
        assert all(widget.isVisible() for widget in options.folded())
        options.popup.hide()


def assert_text_is_whole(qtbot, window: MainWindow) -> None:
    """No key label is clipped without an ellipsis, and what is elided is whole on hover."""
    # Timeline: every column shown lies inside the view, its title whole ("Time" never
    # "Ti"): at narrow widths the id and time columns give way instead.
    header = window.timeline_view.header()
    bold = header.font()
    bold.setBold(True)
    for column in range(header.count()):
        if header.isSectionHidden(column):
            continue
        right = header.sectionViewportPosition(column) + header.sectionSize(column)
        assert right <= header.width(), f"column {column} runs off the timeline"
        title = header.model().headerData(column, Qt.Orientation.Horizontal)
        assert QFontMetrics(bold).horizontalAdvance(title) + 16 <= header.sectionSize(column)
    # The "Messages (N)" tab and its neighbours show whole.
    bar = window.state_view.tabs.tabBar()
    assert bar.tabText(1).startswith("Messages (")
    for index in range(bar.count()):
        assert bar.tabRect(index).width() >= bar.tabSizeHint(index).width(), bar.tabText(index)
        assert bar.rect().contains(bar.tabRect(index)), bar.tabText(index)
    # The selected tab's title is bold: it still fits its tab.
    current = bar.currentIndex()
    bold_tab = bar.font()
    bold_tab.setBold(True)
    text_width = QFontMetrics(bold_tab).horizontalAdvance(bar.tabText(current))
    assert text_width + 2 * 8 <= bar.tabRect(current).width(), bar.tabText(current)
    # The checkpoint id in the state header: one line, elided in the middle, whole on hover.
    state_header = window.state_view.header
    shown_id = state_header.checkpoint_id
    meta = window.controller.selected_meta
    assert meta is not None and shown_id.full_text() == meta.checkpoint_id
    assert not shown_id.wordWrap() and meta.checkpoint_id in shown_id.toolTip()
    # The diff's summary parts ("1 added") are whole labels, never broken.
    for label in window.diff_view.summary:
        assert label.width() >= label.sizeHint().width(), label.text()
    # Long ids in the diff wrap only after their hyphens; a copy has no break hints.
    browser = window.diff_view.text
    assert BREAK_HINT in browser.toPlainText()
    browser.selectAll()
    copied = browser.createMimeDataFromSelection().text()
    assert BREAK_HINT not in copied and "messages[id=scripted-" in copied
    # Thread-list badges fit their rows beside the ids, which show whole.
    view = thread_list(window)
    font = view.font()
    font.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
    font.setBold(True)
    metrics = QFontMetrics(font)
    room = view.viewport().width() - 2 * 10 - 2 - MIN_DETAIL_ROOM
    widths = [metrics.horizontalAdvance("interrupted") + 16]
    assert badges_that_fit(widths, room, metrics.horizontalAdvance(MORE_BADGE) + 16) == 1
    assert badges_that_fit([80, 70], 100, 20) == 1, "what does not fit folds into '…'"
    # Every elided label says the whole text on hover.
    for label in window.findChildren(ElidedLabel):
        if label.isVisible() and label.is_elided():
            assert escape(label.full_text()[:40]) in label.toolTip(), label.objectName()
