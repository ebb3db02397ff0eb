"""A functional-API thread forked from the window's editor (issue 7, section 4): the
edit is the entrypoint's return value, written as ``update_state`` writes it there,
and the new checkpoint is credited to the entrypoint; checked with LangGraph."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton

from desktop.core.graphs import LoadedGraph
from desktop.core.sources import open_source
from desktop.ui.main_window import MainWindow
from desktop.ui.models.timeline import TimelineModel
from desktop.ui.run_request import FORKED
from tests.builders import open_saver, read_saver, thread_config
from tests.truth_graphs import functional_graph
from tests.ui.test_time_travel import (
    TIMEOUT,
    activate,
    replace_in_editor,
    toolbar_button,
    wait_run,
)


def test_fork_a_functional_api_thread_from_the_editor(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    db = tmp_path / "func.sqlite"
    with open_saver(db) as saver:
        graph = functional_graph(saver)
        graph.invoke({"n": 3, "ask": False}, thread_config("f"))
        head = graph.get_state(thread_config("f"))
    assert head.values == {"runs": 6, "answer": None}
    loaded = LoadedGraph.from_object(functional_graph(None), spec="functional")
    settle(lambda: window.controller.open_database(db))
    window.controller.runs.set_graph(loaded)
    qtbot.waitUntil(lambda: window.controller.thread_status is not None, timeout=TIMEOUT)
    activate(qtbot, window)
    key = ("", head.config["configurable"]["checkpoint_id"])
    qtbot.waitUntil(lambda: window.controller.selected_key == key, timeout=TIMEOUT)
    index = window.controller.timeline_model.index_for_key(key)
    assert index.data(TimelineModel.WritersRole) == ["main"], "the entrypoint wrote it"

    settle(
        lambda: qtbot.mouseClick(
            toolbar_button(window, window.time_travel.fork), Qt.MouseButton.LeftButton
        )
    )
    editor = window.fork_editor
    assert editor is not None
    qtbot.waitExposed(editor, timeout=TIMEOUT)
    assert editor.findChild(QComboBox, "asNodeCombo").currentData() == "main"
    replace_in_editor(qtbot, window, '"runs": 6', '"runs": 60')
    changes = editor.findChild(QLabel, "forkChanges")
    submit = editor.findChild(QPushButton, "forkSubmit")
    qtbot.waitUntil(
        lambda: changes.text() == "Will change: return value: runs" and submit.isEnabled(),
        timeout=TIMEOUT,
    )
    outcome = wait_run(qtbot, window, lambda: qtbot.mouseClick(submit, Qt.MouseButton.LeftButton))
    assert outcome == FORKED

    with read_saver(db) as saver:
        forked = functional_graph(saver).get_state(thread_config("f"))
    assert forked.metadata["source"] == "update"
    assert forked.values == {"runs": 60, "answer": None}
    assert forked.parent_config["configurable"]["checkpoint_id"] == key[1]
    with open_source(db) as source:
        assert source.history("f")[0].writers == ("main",)
