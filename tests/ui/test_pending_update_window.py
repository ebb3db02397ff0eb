"""The window shows a checkpoint's pending update (``Command(update=...)``) and reducer
channels not written yet as ``get_state`` does: without the graph, applied with a
guessed reducer (and said so) and message lists as ``[]``; with the graph's own reducers
once it is attached."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from desktop.core.delta import NULL_TASK_ID
from desktop.core.graphs import LoadedGraph
from desktop.core.sources.sqlite import SqliteCheckpointSource
from desktop.ui.controller import GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.run_request import FORKED
from tests.ui.test_delta_window import _truth, header_text
from tests.ui.test_time_travel import (
    TIMEOUT,
    history,
    replace_in_editor,
    snapshot_key,
    toolbar_button,
    wait_run,
)
from tests.ui.test_time_travel import click_row as tt_click_row
from tests.ui.test_window import (
    checkpoint_row,
    click_row,
    open_db,
    open_thread,
    state_text,
    timeline,
)
from tests.update_builders import build_review_db, review_app, review_graph

LEFT = Qt.MouseButton.LeftButton

UPDATE_GRAPHS = Path(__file__).parent.parent / "update_builders.py"


def test_pending_update_is_shown_and_folded_by_the_attached_graph(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    db = build_review_db(tmp_path / "review.db")
    thread_id = db.thread_ids[0]
    with SqliteCheckpointSource(db.path) as source:
        metas = source.history(thread_id)
        states = [source.load_state(m) for m in metas]
    target = next(
        s.meta for s in reversed(states) if any(w.task_id == NULL_TASK_ID for w in s.pending_writes)
    )
    other = next(m for m in metas if m.checkpoint_id != target.checkpoint_id)
    first = next(m for m in metas if m.step == -1)
    truth = _truth(db.path, review_graph, thread_id, target.checkpoint_id)

    open_db(qtbot, window, settle, db.path)
    open_thread(qtbot, window, settle, thread_id)
    view = timeline(window)
    settle(lambda: click_row(qtbot, view, checkpoint_row(view, target.checkpoint_id)))
    text = state_text(window)
    assert truth["note"] in text and "shorter please" in text
    assert "reducer guessed without the graph: messages, note, tally" in header_text(window)
    assert f'"tally": {truth["tally"]}' not in text, "operator.add is not guessable"
    settle(lambda: click_row(qtbot, view, checkpoint_row(view, first.checkpoint_id)))
    text = state_text(window)
    assert '"messages": []' in text and '"later": []' in text and '"tally"' not in text

    window.controller.graph_options = GraphOptions(graph=f"{UPDATE_GRAPHS}:review_app")
    settle(window.controller.attach_graph)
    settle(lambda: click_row(qtbot, view, checkpoint_row(view, other.checkpoint_id)))
    settle(lambda: click_row(qtbot, view, checkpoint_row(view, target.checkpoint_id)))
    assert f'"tally": {truth["tally"]}' in state_text(window)
    assert "guessed" not in header_text(window)
    settle(lambda: click_row(qtbot, view, checkpoint_row(view, first.checkpoint_id)))
    assert '"tally": 0' in state_text(window), "the graph knows operator.add starts at 0"


def test_fork_editor_starts_from_the_values_with_the_pending_update(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    db = build_review_db(tmp_path / "review.db")
    thread_id = db.thread_ids[0]
    graph = LoadedGraph.from_object(review_app(), spec="tests/update_builders.py:review_app")
    before = history(graph, db.path, thread_id)
    target = next(s for s in reversed(before) if s.values.get("note") == "edited by hand")
    open_db(qtbot, window, settle, db.path)
    open_thread(qtbot, window, settle, thread_id)
    settle(lambda: window.controller.runs.set_graph(graph))
    tt_click_row(qtbot, window, settle, snapshot_key(target))

    settle(lambda: qtbot.mouseClick(toolbar_button(window, window.time_travel.fork), LEFT))
    editor = window.fork_editor
    qtbot.waitExposed(editor, timeout=TIMEOUT)
    text = editor.editor.edit.toPlainText()
    assert '"note": "edited by hand"' in text and '"tally": 6' in text and "extra-1" in text
    replace_in_editor(qtbot, window, '"edited by hand"', '"edited twice"')
    changes = editor.findChild(QLabel, "forkChanges")
    qtbot.waitUntil(lambda: changes.text() == "Will change: note", timeout=TIMEOUT)
    submit = editor.findChild(QPushButton, "forkSubmit")
    assert wait_run(qtbot, window, lambda: qtbot.mouseClick(submit, LEFT)) == FORKED

    fork = history(graph, db.path, thread_id)[0]
    assert fork.metadata["source"] == "update"
    assert fork.values["note"] == "edited twice"
    # LangGraph's update_state builds on the stored values and leaves the checkpoint's
    # pending update out (it applies it only for as_node=END), so the keys the edit did
    # not touch come back without it: tally 1, not the 6 get_state showed.
    assert fork.values["tally"] == 1 and target.values["tally"] == 6
