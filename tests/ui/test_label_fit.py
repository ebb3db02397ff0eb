"""Labels show their text whole, or cut with a whole "…", never clipped: the real window,
themed as ``rewind`` themes it, at 1280x800 and 1024x640.

The room checked is where QLabel paints: its contents rect (a stylesheet's padding
included) less its margin and indent, measured with the font the label really uses (bold
titles and banners are bold by the stylesheet). Long thread ids elide in the middle on
one line, whole on hover."""

from __future__ import annotations

from dataclasses import replace
from html import escape
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QFont, QFontMetrics, QTextLayout, QTextOption
from PySide6.QtWidgets import QLabel

from desktop.ui.controller import GraphOptions
from desktop.ui.controllers.graph import INFERRED_SUFFIX
from desktop.ui.main_window import MainWindow
from desktop.ui.state_header import Banner
from desktop.ui.widgets.elided_label import ElidedLabel, WrappedLabel
from tests.builders import open_saver, review_graph, thread_config

SIZES = [QSize(1280, 800), QSize(1024, 640)]
LONG_ID = "a-very-long-thread-identifier-for-customer-support-session-2026-12-02-abcdef"
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


def first_lines(label: WrappedLabel) -> list[str]:
    """The lines Qt wraps ``label``'s shown text into at the width it paints in."""
    text = label.shown_text()
    layout = QTextLayout(text, label.font())
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    lines = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(painted_room(label))
        lines.append(text[line.textStart() : line.textStart() + line.textLength()])
    layout.endLayout()
    return lines


def assert_id_elided_in_middle(shown: str, before: str, after: str) -> None:
    assert shown.startswith(before) and shown.endswith(after), shown
    head, _, tail = shown[len(before) : len(shown) - len(after)].partition("…")
    assert head and tail and LONG_ID.startswith(head) and LONG_ID.endswith(tail), shown


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size.width()}x{size.height()}")
def test_a_long_thread_id_elides_in_the_middle_on_one_line(
    qtbot, themed: None, window: MainWindow, settle, tmp_path: Path, size: QSize
) -> None:
    path = tmp_path / "long.sqlite"
    with open_saver(path) as saver:
        review_graph(saver).invoke({"request": "the login bug"}, thread_config(LONG_ID))
    window.resize(size)
    settle(lambda: window.controller.open_database(path, thread_id=LONG_ID))
    qtbot.wait(30)
    assert window.size() == size

    # Timeline title (the Graph pane beside it folded at 1024x640, as it starts): one line,
    # the id cut in its middle, the checkpoint count whole.
    count = window.controller.timeline.checkpoint_count
    assert_id_elided_in_middle(assert_fits(window.timeline_title), "", f" · {count} checkpoints")

    # Graph pane title: the same, "inferred from history" whole.
    if window.graph_fold.folded:
        window.graph_toggle.click()
    pane = window.graph_pane
    qtbot.waitUntil(lambda: INFERRED_SUFFIX in pane.title.text(), timeout=15_000)
    qtbot.wait(30)
    assert pane.title.full_text() == f"{LONG_ID} · {INFERRED_SUFFIX}"
    assert pane.title.height() < 2 * pane.title.fontMetrics().lineSpacing()
    assert_id_elided_in_middle(assert_fits(pane.title), "", f" · {INFERRED_SUFFIX}")
    assert LONG_ID in pane.title.toolTip()

    # State header: "thread <id>" stays on its first line (Qt broke it at a hyphen).
    facts = window.state_view.header.facts
    assert facts.text().startswith(f"thread {LONG_ID} · ")
    line = first_lines(facts)[0].rstrip().removesuffix(" ·")
    assert_id_elided_in_middle(line, "thread ", "")
    assert LONG_ID in facts.toolTip()
