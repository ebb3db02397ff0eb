"""The Graph pane and the Graph menu, driven through the real widgets.

Nodes and edges against ``get_graph(xray=True)``, node colours against LangGraph's
snapshots, live highlighting (inside a subgraph too), clicks that set breakpoints which
then pause a run, double-click filtering of the timeline, and attaching, reloading,
detaching and switching databases from the Graph menu.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.core.graph_view import (
    INTERRUPTED,
    WROTE,
    checkpoint_activity,
    node_states,
    picture_of,
)
from desktop.core.graphs import load_graph
from desktop.core.sources import open_source
from desktop.ui.controller import GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.run_request import PAUSED
from desktop.ui.widgets.graph_scene import FrameTitle, NodeItem
from tests.builders import read_saver, thread_config
from tests.graph_builders import FAILING_SPEC, PIPELINE_SPEC, PipelineDb, build_pipeline_db
from tests.ui.test_live_run import click_run, open_demo, panel, type_input

TIMEOUT = 20_000
PROJECT = Path(__file__).resolve().parent.parent / "data" / "lg_project" / "langgraph.json"


@pytest.fixture
def pipeline_db(tmp_path: Path) -> PipelineDb:
    return build_pipeline_db(tmp_path / "pipeline.sqlite")


def node_item(window: MainWindow, node_id: str) -> NodeItem:
    return window.graph_pane.scene.nodes[node_id]


def node_point(window: MainWindow, node_id: str) -> QPoint:
    view = window.graph_pane.view
    return view.mapFromScene(node_item(window, node_id).sceneBoundingRect().center())


def click_node(qtbot, window: MainWindow, node_id: str, shift: bool = False) -> None:
    modifier = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    with qtbot.waitSignal(window.graph_pane.scene.node_clicked, timeout=TIMEOUT):
        qtbot.mouseClick(
            window.graph_pane.view.viewport(),
            Qt.MouseButton.LeftButton,
            modifier,
            node_point(window, node_id),
        )


def choose_from_graph_menu(qtbot, window: MainWindow, action: QAction) -> None:
    """Open Graph in the menu bar with the mouse and click ``action`` in it."""
    menu = window.graph.menu
    bar = window.menuBar()
    qtbot.mouseClick(
        bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(menu.menuAction()).center()
    )
    qtbot.waitUntil(menu.isVisible, timeout=TIMEOUT)
    assert action.isEnabled()
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: not menu.isVisible(), timeout=TIMEOUT)


def attach_with_dialog(qtbot, window: MainWindow, text: str, graph_id: str | None = None) -> None:
    """Graph > Attach graph…, type ``text``, pick ``graph_id``, click Attach."""
    choose_from_graph_menu(qtbot, window, window.graph.attach.attach_action)
    dialog = window.graph.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=TIMEOUT)
    dialog.spec_edit.clear()
    qtbot.keyClicks(dialog.spec_edit, text)
    if graph_id is not None:
        assert dialog.picker.isVisible()
        dialog.picker.setCurrentText(graph_id)
    with qtbot.waitSignal(window.controller.runs.graph_changed, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.attach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.graph.attach.is_loading, timeout=TIMEOUT)
    wait_drawn(qtbot, window)


def wait_drawn(qtbot, window: MainWindow) -> None:
    """Wait until the pane's picture is laid out and drawn."""
    view = window.graph.view
    qtbot.waitUntil(lambda: view.picture is not None and not view.is_drawing, timeout=TIMEOUT)


def open_db(settle, window: MainWindow, path: Path, thread_id: str | None = None) -> None:
    settle(lambda: window.controller.open_database(path, thread_id=thread_id))


def shown_states(window: MainWindow) -> dict[str, str]:
    return {node_id: item.state.state for node_id, item in window.graph_pane.scene.nodes.items()}


def test_attached_graph_is_drawn_as_get_graph_xray(
    qtbot, window: MainWindow, settle, pipeline_db: PipelineDb
) -> None:
    open_db(settle, window, pipeline_db.path, pipeline_db.waiting_thread)
    attach_with_dialog(qtbot, window, PIPELINE_SPEC)
    drawn = load_graph(PIPELINE_SPEC).graph.get_graph(xray=True)
    scene = window.graph_pane.scene
    assert list(scene.nodes) == list(drawn.nodes)
    edges = {item.data(0) for item in scene.items() if isinstance(item.data(0), str)}
    for edge in drawn.edges:
        assert f"{edge.source}->{edge.target}" in edges
        if edge.data:
            assert f"label:{edge.source}->{edge.target}" in edges
    assert window.graph_pane.title.text() == "Graph: pipeline"
    assert "pipeline" in panel(window).graph_label.text()
    assert window.graph_pane.view.auto_fit
    qtbot.mouseClick(window.graph_pane.window_button, Qt.MouseButton.LeftButton)
    popped = window.graph_pane.graph_window
    assert popped is not None and popped.isVisible() and popped.windowTitle() == "Graph: pipeline"
    assert popped.view.scene() is scene


def test_node_colours_follow_the_selected_checkpoint(
    qtbot, window: MainWindow, settle, pipeline_db: PipelineDb
) -> None:
    open_db(settle, window, pipeline_db.path, pipeline_db.waiting_thread)
    attach_with_dialog(qtbot, window, PIPELINE_SPEC)
    picture = picture_of(load_graph(PIPELINE_SPEC).graph)
    timeline = window.controller.timeline
    assert timeline is not None
    compared = 0
    with open_source(pipeline_db.path) as source:
        for meta in [m for m in timeline.by_key.values() if not m.checkpoint_ns]:
            expected = node_states(picture, checkpoint_activity(source.load_state(meta)))
            if window.controller.selected_key != meta.key:
                # Selecting the checkpoint already shown starts no work (no "settled").
                settle(lambda meta=meta: window.controller.select_checkpoint(meta.key))
            want = {k: v.state for k, v in expected.items()}
            qtbot.waitUntil(lambda want=want: shown_states(window) == want, timeout=TIMEOUT)
            compared += 1
    assert compared >= 4
    head = timeline.head
    if window.controller.selected_key != head.key:
        settle(lambda: window.controller.select_checkpoint(head.key))
    qtbot.waitUntil(lambda: node_item(window, "review").state.state == INTERRUPTED, timeout=TIMEOUT)
    assert node_item(window, "research:search").state.state == WROTE
    assert "waits for an answer" in node_item(window, "review").toolTip()


def test_failed_node_shows_its_error_on_hover(
    qtbot, window: MainWindow, settle, pipeline_db: PipelineDb
) -> None:
    open_db(settle, window, pipeline_db.path, pipeline_db.failed_thread)
    attach_with_dialog(qtbot, window, FAILING_SPEC)
    qtbot.waitUntil(lambda: node_item(window, "explode").state.state == "error", timeout=TIMEOUT)
    tooltip = node_item(window, "explode").toolTip()
    assert "the price list is empty" in tooltip and "failed" in tooltip


def test_clicks_toggle_breakpoints_that_pause_a_run(
    qtbot, window: MainWindow, settle, pipeline_db: PipelineDb
) -> None:
    open_db(settle, window, pipeline_db.path, pipeline_db.thread_id)
    attach_with_dialog(qtbot, window, PIPELINE_SPEC)
    breakpoints = window.breakpoints
    click_node(qtbot, window, "review")
    assert breakpoints.interrupt_before() == ["review"]
    click_node(qtbot, window, "plan", shift=True)
    assert breakpoints.interrupt_after() == ["plan"]
    assert node_item(window, "review").before and node_item(window, "plan").after
    assert window.next_run_bar.breakpoints_button.text() == "Breakpoints · 2"
    click_node(qtbot, window, "plan", shift=True)
    assert breakpoints.interrupt_after() == [] and not node_item(window, "plan").after
    click_node(qtbot, window, "research:search")
    assert breakpoints.interrupt_before() == ["review"]

    qtbot.mouseClick(panel(window).new_thread_button, Qt.MouseButton.LeftButton)
    thread_id = panel(window).thread_id
    type_input(qtbot, window, '{"topic": "paused", "log": []}', as_json=True)
    assert click_run(qtbot, window) == (thread_id, PAUSED)
    with read_saver(pipeline_db.path) as saver:
        snapshot = load_graph(PIPELINE_SPEC).bind(saver).get_state(thread_config(thread_id))
    assert snapshot.next == ("review",)
    assert not snapshot.interrupts


def test_live_run_highlights_running_nodes_inside_subgraphs(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    open_demo(qtbot, window, settle, monkeypatch, "0.002")
    wait_drawn(qtbot, window)
    seen: set[str] = set()
    features = window.graph
    window.controller.runs.event_received.connect(
        lambda _event: seen.update(
            node_id for node_id, item in window.graph_pane.scene.nodes.items() if item.running
        )
    )
    qtbot.mouseClick(panel(window).new_thread_button, Qt.MouseButton.LeftButton)
    type_input(qtbot, window, "What is 12 * 49?")
    click_run(qtbot, window)
    assert {"agent", "tools", "researcher:gather", "researcher:write_note", "approve"} <= seen
    assert not any(item.running for item in window.graph_pane.scene.nodes.values())
    scene = window.graph_pane.scene
    title = next(item for item in scene.items() if isinstance(item, FrameTitle))
    view = window.graph_pane.view
    view.fit()
    point = view.mapFromScene(title.sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: "researcher" in window.graph_pane.scene.nodes, timeout=TIMEOUT)
    assert "researcher:gather" not in window.graph_pane.scene.nodes
    where = node_point(window, "researcher")
    QApplication.sendEvent(
        view.viewport(),
        QContextMenuEvent(QContextMenuEvent.Reason.Mouse, where, view.mapToGlobal(where)),
    )
    menu = features.view.menu
    qtbot.waitUntil(menu.isVisible, timeout=TIMEOUT)
    texts = [action.text() for action in menu.actions()]
    assert texts[:2] == ["Pause before this node", "Pause after this node"]
    unfold = next(action for action in menu.actions() if action.text() == "Unfold subgraph")
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(unfold).center())
    qtbot.waitUntil(lambda: "researcher:gather" in window.graph_pane.scene.nodes, timeout=TIMEOUT)


def test_double_click_filters_the_timeline_to_a_nodes_checkpoints(
    qtbot, window: MainWindow, settle, pipeline_db: PipelineDb
) -> None:
    open_db(settle, window, pipeline_db.path, pipeline_db.thread_id)
    attach_with_dialog(qtbot, window, PIPELINE_SPEC)
    qtbot.mouseDClick(
        window.graph_pane.view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        node_point(window, "plan"),
    )
    pane = window.graph_pane
    qtbot.waitUntil(lambda: not pane.filter_bar.isHidden(), timeout=TIMEOUT)
    assert pane.filter_label.text() == "plan wrote 1 of 2 checkpoints"
    assert window.breakpoints.interrupt_before() == []
    first = window.controller.selected_key
    meta = window.controller.timeline.by_key[first]
    assert "plan" in meta.writers
    model = window.controller.timeline_model
    view = window.timeline_view
    visible = [
        model.key_at(model.index(row, 0))
        for row in range(model.rowCount())
        if not view.isRowHidden(row, model.index(row, 0).parent())
        and model.key_at(model.index(row, 0)) is not None
    ]
    assert set(visible) == {m.key for m in window.graph.view.node_filter.matches}
    window.activateWindow()
    view.setFocus()
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT)
    qtbot.keyClick(view, Qt.Key.Key_F3)
    qtbot.waitUntil(
        lambda: pane.filter_label.text() == "plan wrote 2 of 2 checkpoints", timeout=TIMEOUT
    )
    assert window.controller.selected_key != first
    qtbot.keyClick(view, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.controller.selected_key == first, timeout=TIMEOUT)
    qtbot.mouseClick(pane.clear_button, Qt.MouseButton.LeftButton)
    assert pane.filter_bar.isHidden()
    assert not any(
        view.isRowHidden(row, model.index(row, 0).parent()) for row in range(model.rowCount())
    )
    qtbot.mouseDClick(
        window.graph_pane.view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        node_point(window, "review"),
    )
    qtbot.waitUntil(lambda: not pane.filter_bar.isHidden(), timeout=TIMEOUT)
    settle(lambda: window.controller.select_thread(pipeline_db.waiting_thread))
    assert pane.filter_bar.isHidden()
    assert not any(
        view.isRowHidden(row, model.index(row, 0).parent()) for row in range(model.rowCount())
    )


def test_without_a_graph_the_picture_is_inferred_from_history(
    qtbot, window: MainWindow, settle, pipeline_db: PipelineDb
) -> None:
    open_db(settle, window, pipeline_db.path, pipeline_db.thread_id)
    pane = window.graph_pane
    qtbot.waitUntil(lambda: "inferred from history" in pane.title.text(), timeout=TIMEOUT)
    wait_drawn(qtbot, window)
    assert set(pane.scene.nodes) == {
        n.id for n in picture_of(load_graph(PIPELINE_SPEC).graph).nodes
    }


def test_reload_detach_and_a_failing_reload(
    qtbot, window: MainWindow, settle, pipeline_db: PipelineDb, tmp_path: Path
) -> None:
    graph_file = tmp_path / "editable_graph.py"
    shutil.copy(Path(PIPELINE_SPEC.split(":")[0]), graph_file)
    open_db(settle, window, pipeline_db.path, pipeline_db.thread_id)
    attach_with_dialog(qtbot, window, f"{graph_file}:pipeline")
    selected = window.controller.selected_key
    graph_file.write_text(
        graph_file.read_text().replace(
            'builder.add_node("publish", publish)',
            'builder.add_node("publish", publish)\n'
            'builder.add_node("archive", publish)\nbuilder.add_edge("publish", "archive")',
        )
    )
    with qtbot.waitSignal(window.controller.runs.graph_changed, timeout=TIMEOUT):
        choose_from_graph_menu(qtbot, window, window.graph.attach.reload_action)
    qtbot.waitUntil(lambda: "archive" in window.graph_pane.scene.nodes, timeout=TIMEOUT)
    assert window.controller.selected_key == selected
    assert window.controller.path == pipeline_db.path

    graph_file.write_text("this is not python(\n")
    with qtbot.waitSignal(window.graph.attach.failed, timeout=TIMEOUT) as failed:
        choose_from_graph_menu(qtbot, window, window.graph.attach.reload_action)
    assert "stays attached" in failed.args[0] and "SyntaxError" in failed.args[0]
    box = window.error_box
    assert isinstance(box, QMessageBox) and box.isVisible() and "Reload failed" in box.text()
    assert (
        window.controller.runs.graph is not None
        and "archive" in window.controller.runs.graph.node_names
    )

    choose_from_graph_menu(qtbot, window, window.graph.attach.detach_action)
    assert window.controller.runs.graph is None
    assert "No graph" in panel(window).graph_label.text()
    qtbot.waitUntil(lambda: "inferred" in window.graph_pane.title.text(), timeout=TIMEOUT)


def test_graph_stays_with_its_database(
    qtbot, window: MainWindow, settle, pipeline_db: PipelineDb, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    other = build_pipeline_db(tmp_path / "other" / "other.sqlite")
    open_db(settle, window, pipeline_db.path, pipeline_db.thread_id)
    attach_with_dialog(qtbot, window, PIPELINE_SPEC)
    assert window.controller.runs.graph.name == "pipeline"

    open_db(settle, window, other.path)
    assert window.controller.runs.graph is None
    assert "Graph pipeline was detached" in window.banner.text()
    assert "No graph" in panel(window).graph_label.text()

    with qtbot.waitSignal(window.controller.runs.graph_changed, timeout=TIMEOUT):
        open_db(settle, window, pipeline_db.path)
    qtbot.waitUntil(lambda: window.controller.runs.graph is not None, timeout=TIMEOUT)
    assert window.controller.runs.graph.name == "pipeline"
    assert "pipeline" in panel(window).graph_label.text()
    graph = window.controller.runs.graph
    open_db(settle, window, Path(os.path.relpath(pipeline_db.path)))
    assert window.controller.runs.graph is graph


def test_langgraph_json_with_two_graphs_asks_which(
    qtbot, window: MainWindow, settle, pipeline_db: PipelineDb, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT.parent, project)
    (project / ".env").unlink()
    open_db(settle, window, pipeline_db.path, pipeline_db.thread_id)
    choose_from_graph_menu(qtbot, window, window.graph.attach.attach_action)
    dialog = window.graph.dialog
    qtbot.keyClicks(dialog.spec_edit, str(project / "langgraph.json"))
    assert [dialog.picker.itemText(i) for i in range(dialog.picker.count())] == ["greeter", "echo"]
    attach_with_dialog(qtbot, window, str(project / "langgraph.json"), graph_id="echo")
    assert window.controller.runs.graph.name == "echo"
    assert "env file not found" in window.banner.text()
    assert list(window.graph_pane.scene.nodes) == ["__start__", "echo", "__end__"]


def test_command_line_langgraph_json_with_two_graphs_opens_the_picker(
    qtbot, window: MainWindow, settle, pipeline_db: PipelineDb
) -> None:
    open_db(settle, window, pipeline_db.path, pipeline_db.thread_id)
    window.controller.graph_options = GraphOptions(config=str(PROJECT))
    errors: list[str] = []
    window.controller.error_occurred.connect(errors.append)
    window.controller.attach_graph()
    dialog = window.graph.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=TIMEOUT)
    assert dialog.spec_edit.text() == str(PROJECT)
    # A question, not a failure: no error, the status bar does not say it failed.
    assert errors == []
    assert "failed" not in window.graph_status_label.text()
    assert not [box for box in window.findChildren(QMessageBox) if box.isVisible()]
    assert [dialog.picker.itemText(i) for i in range(dialog.picker.count())] == ["greeter", "echo"]
    dialog.picker.setCurrentText("greeter")
    with qtbot.waitSignal(window.controller.runs.graph_changed, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.attach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.runs.graph is not None, timeout=TIMEOUT)
    assert window.controller.runs.graph.name == "greeter"
    assert "greeter" in panel(window).graph_label.text()
