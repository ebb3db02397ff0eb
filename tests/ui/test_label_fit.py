"""Labels show their text whole, or cut with a whole "…", never clipped: the real window,
themed as ``rewind`` themes it, at 1280x800 and 1024x640.

The room checked is where QLabel paints: its contents rect (a stylesheet's padding
included) less its margin and indent, measured with the font the label really uses (bold
titles and banners are bold by the stylesheet)."""

from __future__ import annotations

from dataclasses import replace
from html import escape

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QLabel

from desktop.ui.controller import GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.state_header import Banner
from desktop.ui.widgets.elided_label import ElidedLabel

SIZES = [QSize(1280, 800), QSize(1024, 640)]
CRASH = "work raised ValueError('the work node blew up on purpose: boom now') " * 3
WAITING = 'Interrupted in approve: waiting for input — {"question": "Send this draft?"} ' * 3


def painted_room(label: QLabel) -> int:
    """The width QLabel draws its text in. Qt indents a label with a frame (a stylesheet's
    padding makes one) by half an "x" when its indent is left unset."""
    indent = label.indent()
    if indent < 0:
        framed = label.frameWidth() > 0
        indent = label.fontMetrics().horizontalAdvance("x") // 2 - label.margin() if framed else 0
    return label.contentsRect().width() - 2 * label.margin() - indent


def assert_fits(label: ElidedLabel) -> str:
    """``label`` shows one line that fits where it is painted, ending or eliding with "…"
    when cut, and the whole text on hover; the shown text is returned."""
    shown = label.shown_text()
    width = QFontMetrics(label.font()).horizontalAdvance(shown)
    assert "\n" not in shown and not label.wordWrap(), label.objectName()
    assert width <= painted_room(label), (label.objectName(), shown, width, painted_room(label))
    if label.is_elided():
        assert "…" in shown, (label.objectName(), shown)
        assert escape(label.full_text()[:40]) in label.toolTip(), label.objectName()
    return shown


def open_demo_with_graph(qtbot, window: MainWindow, settle, size: QSize) -> None:
    window.resize(size)
    settle(window.controller.open_demo)
    window.controller.graph_options = GraphOptions(graph="demo")
    settle(window.controller.attach_graph)
    qtbot.wait(50)
    assert window.size() == size


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size.width()}x{size.height()}")
def test_bold_titles_banners_and_the_status_bar_fit(
    qtbot, themed: None, window: MainWindow, settle, size: QSize
) -> None:
    open_demo_with_graph(qtbot, window, settle, size)

    # The status bar's graph name, padded by the stylesheet: whole, never "Graph: grap".
    window.graph_status_label.set_full_text("Graph: graph")
    qtbot.wait(30)
    assert assert_fits(window.graph_status_label) == "Graph: graph"

    # The bold timeline title keeps its last "s".
    title = window.timeline_title
    assert title.font().weight() >= QFont.Weight.DemiBold
    assert title.full_text() == "demo-declined · 12 checkpoints"
    assert assert_fits(title) == title.full_text()

    # Bold banners of the state header: a long one ends with a whole "…".
    header = window.state_view.header
    shown = header.header
    assert shown is not None
    banners = (Banner(CRASH, "red"), Banner(WAITING, "amber"), Banner("Stopped by you", "grey"))
    header.set_header(replace(shown, banners=banners))
    qtbot.wait(30)
    for label, banner in zip(header.banners, banners, strict=True):
        assert label.isVisible() and label.font().weight() >= QFont.Weight.DemiBold
        text = assert_fits(label)
        if banner.tone == "grey":
            assert text == banner.text
        else:
            assert text.endswith("…"), text

    # A title too long for its pane: cut with a whole "…" at its end.
    title.setText("demo-declined · " + "very long words " * 20)
    qtbot.wait(30)
    assert title.is_elided() and assert_fits(title).endswith("…")

    for label in window.findChildren(ElidedLabel):
        if label.isVisible():
            assert_fits(label)
