"""Huge values and hostile ids never freeze or widen the window.

A real graph writes a 50,000-item list (the stall benchmark uses 1,000,000): the state
tab shows its first items and a "show more" link, clicked with the mouse; the document
stays small. Thread ids that look like markup (``<img width=20000 ...>``) or run 2,000
characters show as plain text, elided, and the window keeps its size.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import pytest
from langgraph.graph import START, StateGraph
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTextBrowser

from desktop.ui.bounded import SHOW_ITEMS, next_limit
from desktop.ui.main_window import MainWindow
from desktop.ui.widgets.state_header import StateHeaderView
from tests.builders import open_saver, thread_config
from tests.builders_huge import IMG_THREAD, LONG_THREAD, HugeDb, build_huge_db
from tests.ui.test_window import open_db, open_thread

ITEMS = 50_000


@pytest.fixture(scope="module")
def huge_db(tmp_path_factory: pytest.TempPathFactory) -> HugeDb:
    return build_huge_db(tmp_path_factory.mktemp("huge") / "huge.sqlite", ITEMS)


def _state_browser(window: MainWindow) -> QTextBrowser:
    return window.findChild(QTextBrowser, "stateText")


def _shown_items(browser: QTextBrowser) -> int:
    return browser.toPlainText().count('"item-')


def test_a_huge_list_shows_its_first_items_and_more_on_click(
    qtbot, window: MainWindow, settle, huge_db: HugeDb
) -> None:
    open_db(qtbot, window, settle, huge_db.path)
    open_thread(qtbot, window, settle, huge_db.thread_id)
    browser = _state_browser(window)
    text = browser.toPlainText()
    assert f"{ITEMS:,} items" in text
    assert _shown_items(browser) == SHOW_ITEMS
    assert f"… {ITEMS - SHOW_ITEMS:,} more items show more" in text
    assert window.state_view.rendered.truncated

    cursor = browser.document().find("show more")
    assert not cursor.isNull()
    browser.setTextCursor(cursor)
    browser.ensureCursorVisible()
    spot = browser.cursorRect(cursor).center()
    spot.setX(spot.x() - 10)
    settle(lambda: qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=spot))
    assert window.state_view.rendered.limit == next_limit(SHOW_ITEMS)
    assert _shown_items(browser) == next_limit(SHOW_ITEMS)
    # Everything is still there for Copy JSON.
    assert window.state_view.rendered.json_text.count('"item-') == ITEMS


def _labels_with_markup(window: MainWindow, needle: str) -> list[str]:
    """Labels holding ``needle`` unescaped that Qt may read as markup (not plain text)."""
    return [
        label.objectName() or type(label).__name__
        for label in window.findChildren(QLabel)
        if needle in label.text() and label.textFormat() != Qt.TextFormat.PlainText
    ]


@pytest.mark.parametrize("thread_id", [IMG_THREAD, LONG_THREAD], ids=["img-tag", "2000-chars"])
def test_hostile_thread_ids_are_plain_text_and_never_widen_the_window(
    qtbot, window: MainWindow, settle, huge_db: HugeDb, thread_id: str
) -> None:
    window.resize(1280, 800)
    open_db(qtbot, window, settle, huge_db.path)
    before = window.size()
    open_thread(qtbot, window, settle, thread_id)
    qtbot.wait(50)
    assert window.size() == before
    assert window.minimumSizeHint().width() < 1024
    title = window.timeline_title
    assert title.text().startswith(thread_id[:20])
    assert title.textFormat() == Qt.TextFormat.PlainText
    assert title.width() < 1280
    if len(thread_id) > 100:
        assert title.is_elided() and thread_id in title.toolTip()
    assert _labels_with_markup(window, IMG_THREAD[:20]) == []
    # The state header shows it as plain text, never laid out as an image.
    header = window.findChild(StateHeaderView, "stateHeader")
    assert f"thread {thread_id}" in header.text()
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in header.labels())
    assert header.minimumSizeHint().width() < 400


MARKUP_NODE = "<b>x</b>&amp;"
MARKUP_THREAD = "t-<b>x</b>&amp;"


class _Note(TypedDict):
    note: str


def test_markup_in_a_thread_id_and_node_name_shows_as_typed(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    """A thread id and a node name holding ``<b>x</b>&amp;``: the state header and the
    diff title show those very characters (plain-text labels), never bold text or ``&``."""
    builder = StateGraph(_Note)
    builder.add_node(MARKUP_NODE, lambda state: {"note": f"{state['note']} {MARKUP_NODE}"})
    builder.add_edge(START, MARKUP_NODE)
    path = tmp_path / "markup.sqlite"
    with open_saver(path) as saver:
        builder.compile(checkpointer=saver).invoke({"note": "hi"}, thread_config(MARKUP_THREAD))
    window.resize(1280, 800)
    open_db(qtbot, window, settle, path)
    open_thread(qtbot, window, settle, MARKUP_THREAD)

    header = window.state_view.header
    assert header.facts.text() == f"thread {MARKUP_THREAD} · written by {MARKUP_NODE} · next —"
    assert not header.facts.is_elided() and header.facts.shown_text() == header.facts.text()
    diff = window.diff_view
    assert diff.title_text() == "What step 1 · loop changed   1 changed · 1 internal"
    assert f"hi {MARKUP_NODE}" in diff.text.toPlainText()
    shown = [*header.labels(), diff.title, *diff.summary, window.timeline_title]
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in shown)
    assert _labels_with_markup(window, "<b>x</b>") == []
    assert MARKUP_THREAD in window.timeline_title.text()
