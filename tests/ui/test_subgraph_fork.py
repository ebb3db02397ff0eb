"""Forking a checkpoint inside a subgraph that has finished: the fork editor says the
parent never reads it, before anything is written, and offers to fork the parent
checkpoint instead, the one LangGraph's ``get_state`` shows running that subgraph task."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QPushButton

from desktop.core.graphs import LoadedGraph, load_graph
from desktop.ui.main_window import MainWindow
from tests.builders import open_saver, read_saver, thread_config
from tests.ui.test_time_travel import DATA, click_row, open_with_graph
from tests.ui.test_window import open_thread

REPORT_SPEC = f"{DATA / 'subgraph_fork_graph.py'}:report"


def build(db: Path) -> LoadedGraph:
    """Thread ``done`` ran through the ``research`` subgraph; ``asking`` stopped inside it."""
    graph = load_graph(REPORT_SPEC)
    with open_saver(db) as saver:
        bound = graph.bind(saver)
        bound.invoke({"topic": "pricing", "log": []}, thread_config("done"))
        bound.invoke({"topic": "ask", "log": []}, thread_config("asking"))
    return graph


def newest_subgraph_key(window: MainWindow) -> tuple[str, str]:
    timeline = window.controller.timeline
    assert timeline is not None
    keys = [key for key in timeline.by_key if key[0].startswith("research:")]
    return max(keys, key=lambda key: key[1])


def open_editor_on(qtbot, window: MainWindow, settle, key: tuple[str, str]):
    click_row(qtbot, window, settle, key)
    settle(lambda: qtbot.keyClick(window.timeline_view, Qt.Key.Key_F))
    editor = window.fork_editor
    assert editor is not None and editor.isVisible()
    assert (editor.checkpoint_ns, editor.checkpoint_id) == key
    return editor


def test_a_finished_subgraph_fork_says_so_and_offers_the_parent(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    db = tmp_path / "report.sqlite"
    graph = build(db)
    open_with_graph(qtbot, window, settle, db, graph)
    open_thread(qtbot, window, settle, "done")
    key = newest_subgraph_key(window)
    editor = open_editor_on(qtbot, window, settle, key)

    note = editor.findChild(QFrame, "forkSubgraphNote")
    assert note.isVisible()
    text = editor.findChild(QLabel, "forkSubgraphText").text()
    assert "research" in text and "has finished" in text and "never read" in text
    submit = editor.findChild(QPushButton, "forkSubmit")
    assert submit.text() == "Fork anyway"

    # The parent checkpoint offered is the one LangGraph shows running this very task,
    # and the parent has moved on past it.
    parent = window.controller.timeline.finished_subgraph_parent(window.controller.selected_meta)
    assert parent is not None and parent.checkpoint_ns == ""
    node, _, task_id = key[0].partition(":")
    with read_saver(db) as saver:
        bound = graph.bind(saver)
        at_parent = bound.get_state(
            {"configurable": {"thread_id": "done", "checkpoint_id": parent.checkpoint_id}},
            subgraphs=True,
        )
        history = list(bound.get_state_history(thread_config("done")))
    assert at_parent.next == (node,)
    (task,) = at_parent.tasks
    assert (task.name, task.id) == (node, task_id)
    assert task.state.config["configurable"]["checkpoint_ns"] == key[0]
    after = [
        s
        for s in history
        if s.parent_config
        and s.parent_config["configurable"]["checkpoint_id"] == parent.checkpoint_id
    ]
    assert [s.metadata["source"] for s in after] == ["loop"]
    assert node not in history[0].next, "the thread has moved on past the subgraph"

    # One click switches the editor to the parent checkpoint; nothing was written.
    before = len(history)
    settle(
        lambda: qtbot.mouseClick(
            editor.findChild(QPushButton, "forkParentInstead"), Qt.MouseButton.LeftButton
        )
    )
    assert window.fork_editor is editor and editor.isVisible()
    assert (editor.checkpoint_ns, editor.checkpoint_id) == ("", parent.checkpoint_id)
    assert window.controller.selected_key == ("", parent.checkpoint_id)
    assert not note.isVisible() and submit.text() == "Fork"
    assert '"topic": "pricing"' in editor.editor.edit.toPlainText()
    with read_saver(db) as saver:
        assert len(list(graph.bind(saver).get_state_history(thread_config("done")))) == before


def test_a_subgraph_still_running_its_step_forks_without_a_note(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    db = tmp_path / "report.sqlite"
    graph = build(db)
    open_with_graph(qtbot, window, settle, db, graph)
    open_thread(qtbot, window, settle, "asking")
    key = newest_subgraph_key(window)
    with read_saver(db) as saver:
        head = graph.bind(saver).get_state(thread_config("asking"), subgraphs=True)
    (task,) = head.tasks
    assert task.interrupts and task.state.config["configurable"]["checkpoint_ns"] == key[0]
    editor = open_editor_on(qtbot, window, settle, key)
    assert not editor.findChild(QFrame, "forkSubgraphNote").isVisible()
    assert editor.findChild(QPushButton, "forkSubmit").text() == "Fork"
