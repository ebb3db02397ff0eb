"""The diff view shows what a checkpoint changed, with a summary in its title."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from desktop.core.diff import diff_states
from desktop.core.lookup import load_diff_pair
from desktop.core.sources.sqlite import SqliteCheckpointSource
from desktop.ui.render.diff import render_diff
from desktop.ui.widgets.diff_view import DiffView
from tests.builders import AgentDb, ForkDb


@pytest.fixture
def view(qtbot: QtBot) -> DiffView:
    widget = DiffView()
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_new_turn_shows_added_messages_and_summary(view: DiffView, agent_db: AgentDb) -> None:
    with SqliteCheckpointSource(agent_db.path) as source:
        history = source.history("agent-weather")
        turn_start = next(m for m in history if m.source == "input" and m.step > 0)
        new, old = load_diff_pair(
            source, "agent-weather", history[0].checkpoint_id, turn_start.checkpoint_id
        )
    view.set_rendered(render_diff(diff_states(old.values, new.values), title="Step 8 vs step 4"))
    title = view.title_text()
    assert title.startswith("Step 8 vs step 4")
    assert "4 added · 1 internal" in title
    text = view.findChild(QTextBrowser, "diffText").toPlainText()
    assert text.count("added") == 4
    assert "Human" in text and "And in Oslo?" in text
    assert "AI" in text and "Checking the weather in Oslo. get_weather(…)" in text
    assert "Tool" in text and "4°C with sleet" in text
    assert text.index("And in Oslo?") < text.index("4°C with sleet")
    assert text.index("4°C with sleet") < text.index("Internal channels")
    assert "− __start__ removed" in text


def test_forked_value_shows_old_and_new(view: DiffView, fork_db: ForkDb) -> None:
    with SqliteCheckpointSource(fork_db.path) as source:
        new, old = load_diff_pair(source, fork_db.thread_id, fork_db.fork_ids[0])
    view.set_rendered(render_diff(diff_states(old.values, new.values), title="fork"))
    assert "1 changed" in view.title_text()
    lines = [line.strip() for line in view.text.toPlainText().splitlines() if line.strip()]
    assert lines[0].startswith("~ value") and "changed" in lines[0]
    assert lines[1] == "6  →  10"


def test_identical_states_say_no_changes(view: DiffView, agent_db: AgentDb) -> None:
    with SqliteCheckpointSource(agent_db.path) as source:
        state = source.load_state(source.history("agent-math")[0])
    view.set_rendered(render_diff(diff_states(state.values, state.values), title="same"))
    assert "No changes" in view.title_text()
    assert view.text.toPlainText().strip() == "No changes"


def test_clear_shows_the_message(view: DiffView, fork_db: ForkDb) -> None:
    with SqliteCheckpointSource(fork_db.path) as source:
        new, old = load_diff_pair(source, fork_db.thread_id, fork_db.fork_ids[0])
    view.set_rendered(render_diff(diff_states(old.values, new.values), title="fork"))
    view.clear("Root checkpoint: nothing to compare")
    assert view.rendered is None
    assert view.title_text() == "Root checkpoint: nothing to compare"
    assert view.text.toPlainText() == ""
    assert view.text.placeholderText() == "Root checkpoint: nothing to compare"
