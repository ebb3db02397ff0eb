"""Live runs in the window: real graphs run from the run panel into real SQLite files.

Every test clicks the real widgets (New thread, JSON toggle, Run, Stop), waits for what
the user would see (tokens, event rows, new timeline rows, badges, status text) and
checks the database with LangGraph's own ``get_state`` where it matters.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QListView, QTableView

from desktop.core.graphs import LoadedGraph, load_graph
from desktop.core.model import ThreadSummary
from desktop.ui.controller import Controller, GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.models.threads import ThreadListModel
from desktop.ui.models.timeline import TimelineModel
from desktop.ui.run_request import FAILED, FINISHED, INTERRUPTED, STOPPED
from desktop.ui.widgets.event_log import EventLogModel
from desktop.ui.widgets.run_panel import RunPanel
from tests.builders import AgentDb, batch_graph, open_saver, read_saver, thread_config

TIMEOUT = 20_000
DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE_ENV = ("REWIND_SAMPLE_GREETING", "REWIND_SAMPLE_PUNCTUATION", "REWIND_SAMPLE_KEEP")


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture
def isolated_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Loading a user graph edits sys.path, sys.modules and os.environ; undo it."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in SAMPLE_ENV:
        monkeypatch.delenv(name, raising=False)
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if str(getattr(sys.modules[name], "__file__", "")).startswith(str(DATA)):
            del sys.modules[name]


def empty_db(path: Path) -> Path:
    """A checkpoint database with LangGraph's tables and no thread (``SqliteSaver.setup``)."""
    with open_saver(path):
        pass
    return path


def attach(settle, controller: Controller, options: GraphOptions) -> None:
    controller.graph_options = options
    settle(controller.attach_graph)


def open_empty(window: MainWindow, settle, path: Path, spec: str) -> Path:
    """The window on a new empty database at ``path``, the graph ``spec`` attached."""
    db = empty_db(path)
    settle(lambda: window.controller.open_database(db))
    attach(settle, window.controller, GraphOptions(graph=spec))
    return db


def panel(window: MainWindow) -> RunPanel:
    found = window.findChild(RunPanel, "runPanel")
    assert found is window.run_panel
    return found


def output_text(window: MainWindow) -> str:
    return window.stream_view.output_text()


def log_rows(window: MainWindow) -> list[tuple[str, str, str]]:
    """(kind, where, summary) of every event log row, as the table shows them."""
    model = window.findChild(QTableView, "eventLog").model()
    return [
        (
            model.index(row, 1).data(),
            model.index(row, 2).data(),
            model.index(row, 3).data(),
        )
        for row in range(model.rowCount())
    ]


def timeline_keys(window: MainWindow) -> list[tuple[str, str]]:
    """Checkpoint keys of every row of the timeline tree (all fetched rows)."""
    model = window.controller.timeline_model
    keys: list[tuple[str, str]] = []

    def walk(parent: QModelIndex) -> None:
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            key = index.data(TimelineModel.KeyRole)
            if key is not None:
                keys.append(tuple(key))
            walk(index)

    walk(QModelIndex())
    return keys


def head_badge(window: MainWindow) -> str | None:
    return window.controller.timeline_model.head_index().data(TimelineModel.BadgeRole)


def selected_thread(window: MainWindow) -> str | None:
    return (
        window.findChild(QListView, "threadList").currentIndex().data(ThreadListModel.ThreadIdRole)
    )


def type_input(qtbot, window: MainWindow, text: str, *, as_json: bool = False) -> None:
    run_panel = panel(window)
    if run_panel.json_toggle.isChecked() != as_json:
        qtbot.mouseClick(run_panel.json_toggle, Qt.MouseButton.LeftButton)
    assert run_panel.json_toggle.isChecked() == as_json
    run_panel.input.clear()
    qtbot.keyClicks(run_panel.input, text)


def click_run(qtbot, window: MainWindow) -> tuple[str, str]:
    """Click Run and wait for the run to end; returns (thread id, outcome), where a failed
    outcome carries the message the status bar shows."""
    with qtbot.waitSignal(window.controller.runs.run_finished, timeout=TIMEOUT) as finished:
        qtbot.mouseClick(panel(window).run_button, Qt.MouseButton.LeftButton)
    thread_id, outcome = finished.args
    if outcome == FAILED:
        return thread_id, f"{outcome}: {window.run_status_label.text()}"
    return thread_id, outcome


def stored_keys(db: Path, thread_id: str) -> set[tuple[str, str]]:
    """(namespace, id) of every checkpoint of the thread, as ``SqliteSaver.list`` sees them."""
    with read_saver(db) as saver:
        return {
            (c.config["configurable"]["checkpoint_ns"], c.config["configurable"]["checkpoint_id"])
            for c in saver.list(thread_config(thread_id))
        }


def wait_for_timeline(qtbot, window: MainWindow, db: Path, thread_id: str) -> None:
    """Wait until the timeline shows every checkpoint of the thread in the database."""
    stored = stored_keys(db, thread_id)
    assert stored
    qtbot.waitUntil(
        lambda: window.controller.thread_id == thread_id and set(timeline_keys(window)) == stored,
        timeout=TIMEOUT,
    )
    qtbot.waitUntil(lambda: not window.controller.is_busy, timeout=TIMEOUT)


def graph_state(spec: str, db: Path, thread_id: str):
    """LangGraph's own view of the thread (``get_state`` on a read-only ``SqliteSaver``)."""
    graph = load_graph(spec)
    with read_saver(db) as saver:
        return graph.bind(saver).get_state(thread_config(thread_id))


def message_texts(snapshot) -> list[tuple[str, str]]:
    return [(m.type, m.text) for m in snapshot.values["messages"]]


def human_texts(snapshot) -> list[str]:
    return [text for kind, text in message_texts(snapshot) if kind == "human"]


def open_demo(qtbot, window: MainWindow, settle, monkeypatch, delay: str) -> Path:
    """Open the seeded demo database (seeded fast), then attach the demo at ``delay``."""
    settle(window.controller.open_demo)
    monkeypatch.setenv("REWIND_DEMO_TOKEN_DELAY", delay)
    attach(settle, window.controller, GraphOptions(graph="demo"))
    assert window.controller.path is not None
    return window.controller.path


# -- the demo agent --------------------------------------------------------------------


def test_demo_run_streams_tokens_and_checkpoints_live(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    db = open_demo(qtbot, window, settle, monkeypatch, "0.004")
    run_panel = panel(window)
    assert "built-in scripted demo agent" in run_panel.graph_label.text()
    assert "(built-in demo)" in window.graph_status_label.text()
    assert run_panel.run_button.isEnabled()

    qtbot.mouseClick(run_panel.new_thread_button, Qt.MouseButton.LeftButton)
    thread_id = run_panel.thread_id
    assert re.fullmatch(r"demo-\d{8}-\d{6}", thread_id)

    runs = window.controller.runs
    seen_while_running: dict[str, int] = {"tokens": 0, "rows": 0, "resets": 0}
    window.stream_view.output.document().contentsChanged.connect(
        lambda: runs.is_running and seen_while_running.__setitem__("tokens", 1)
    )
    model = window.controller.timeline_model
    model.rowsInserted.connect(
        lambda *_: (
            runs.is_running
            and window.controller.thread_id == thread_id
            and seen_while_running.__setitem__("rows", seen_while_running["rows"] + 1)
        )
    )
    model.modelReset.connect(
        lambda: (
            runs.is_running
            and window.controller.thread_id == thread_id
            and seen_while_running.__setitem__("resets", seen_while_running["resets"] + 1)
        )
    )
    threads_before = window.controller.threads_model.total

    type_input(qtbot, window, "What is 12 * 49?")
    assert click_run(qtbot, window) == (thread_id, INTERRUPTED)
    wait_for_timeline(qtbot, window, db, thread_id)

    # tokens streamed, grouped by node and subgraph
    text = output_text(window)
    assert "The calculator says 588." in text
    lines = text.splitlines()
    for header in ("agent", "tools · calculator result", "researcher › write_note"):
        assert header in lines, f"no header line {header!r} in {lines}"
    assert lines[lines.index("tools · calculator result") + 1] == "588"
    assert seen_while_running["tokens"], "no token reached the screen while the run was going"

    # new checkpoints appeared in the timeline while running, as inserted rows
    assert seen_while_running["rows"] > 0
    assert seen_while_running["resets"] <= 1, "the live timeline was rebuilt more than once"

    # the new thread is listed, selected, and counted
    assert selected_thread(window) == thread_id
    assert window.controller.threads_model.total == threads_before + 1
    assert window.thread_count_label.text() == f"{threads_before + 1} threads"

    # the approval interrupt is visible: output, log, status bar, timeline badge
    assert "Paused at an interrupt, waiting for input: Send this scripted demo answer?" in text
    kinds = [kind for kind, _, _ in log_rows(window)]
    assert "interrupt" in kinds
    assert {"task started", "task finished", "custom", "checkpoint", "update"} <= set(kinds)
    assert window.run_status_label.text().startswith("Paused at an interrupt")
    assert head_badge(window) == "interrupt"
    assert window.run_status_label.property("tone") == "interrupt"

    # what was streamed is what LangGraph saved
    snapshot = graph_state("demo", db, thread_id)
    assert snapshot.next == ("approve",)
    assert ("human", "What is 12 * 49?") in message_texts(snapshot)
    assert window.controller.selected_key == model.timeline.head.key

    # the run's one-line summary counts the tokens the model reported, as LangGraph saved them
    reported = sum(
        (getattr(m, "usage_metadata", None) or {}).get("total_tokens", 0)
        for m in snapshot.values["messages"]
    )
    assert reported > 0
    assert window.run_status_label.text().endswith(f" · {reported:,} tokens)")
    assert not run_panel.input.toPlainText()


def test_second_turn_continues_the_thread_and_keeps_the_selection(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    db = open_demo(qtbot, window, settle, monkeypatch, "0")
    thread_id = "demo-calculator"
    settle(lambda: window.controller.select_thread(thread_id))
    run_panel = panel(window)
    assert run_panel.thread_id == thread_id
    before = set(timeline_keys(window))

    first = window.controller.timeline_model.first_checkpoint_index()
    view = window.timeline_view
    settle(
        lambda: qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(first).center()
        )
    )
    chosen = window.controller.selected_key
    assert chosen == first.data(TimelineModel.KeyRole)

    type_input(qtbot, window, "And what is 7 * 6?")
    with qtbot.waitSignal(window.controller.runs.run_finished, timeout=TIMEOUT) as finished:
        qtbot.keyClick(run_panel.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert finished.args == [thread_id, INTERRUPTED]
    wait_for_timeline(qtbot, window, db, thread_id)

    assert before < set(timeline_keys(window))
    threads = window.controller.threads_model
    assert threads.thread_at(0).thread_id == thread_id, "the thread moved to the top"
    count = threads.index(0, 0).data(ThreadListModel.CheckpointCountRole)
    assert count == len(stored_keys(db, thread_id)) > len(before)
    assert window.controller.selected_key == chosen, "the user's selection moved"
    assert view.currentIndex().data(TimelineModel.KeyRole) == chosen
    humans = human_texts(graph_state("demo", db, thread_id))
    assert humans[0].startswith("What do 12 seats cost")
    assert humans[-1] == "And what is 7 * 6?"
    assert "The calculator says 42." in output_text(window)


def test_stop_cancels_cleanly_and_the_next_run_continues(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    db = open_demo(qtbot, window, settle, monkeypatch, "0.05")
    run_panel = panel(window)
    qtbot.mouseClick(run_panel.new_thread_button, Qt.MouseButton.LeftButton)
    thread_id = run_panel.thread_id
    runs = window.controller.runs

    type_input(qtbot, window, "What is 12 * 49?")
    qtbot.mouseClick(run_panel.run_button, Qt.MouseButton.LeftButton)
    assert runs.is_running
    assert not run_panel.run_button.isEnabled() and run_panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: window.stream_view.token_count >= 3, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.run_status_label.text() == "Running · agent", timeout=TIMEOUT)
    # Mid-run the stored thread looks stopped; the window says it is running.
    threads = window.controller.threads_model
    qtbot.waitUntil(lambda: threads.row_of(thread_id) is not None, timeout=TIMEOUT)
    row = threads.index(threads.row_of(thread_id), 0)
    assert row.data(ThreadListModel.RunStateRole) == "running"
    assert not window.resume_panel.isVisible()
    with qtbot.waitSignal(runs.run_finished, timeout=TIMEOUT) as finished:
        qtbot.mouseClick(run_panel.stop_button, Qt.MouseButton.LeftButton)
    assert finished.args == [thread_id, STOPPED]
    assert row.data(ThreadListModel.RunStateRole) == "unfinished"
    assert not runs.is_running
    assert run_panel.run_button.isEnabled() and not run_panel.stop_button.isEnabled()
    assert "Run stopped" in output_text(window)
    assert "(scripted demo) Let me use calculator" not in output_text(window)
    wait_for_timeline(qtbot, window, db, thread_id)

    stopped = graph_state("demo", db, thread_id)
    assert stopped.next == ("agent",), "the interrupted step is still due"
    assert message_texts(stopped) == [("human", "What is 12 * 49?")]

    monkeypatch.setenv("REWIND_DEMO_TOKEN_DELAY", "0")
    attach(settle, window.controller, GraphOptions(graph="demo"))
    type_input(qtbot, window, "What is 2 * 21?")
    assert click_run(qtbot, window) == (thread_id, INTERRUPTED)
    wait_for_timeline(qtbot, window, db, thread_id)
    final = graph_state("demo", db, thread_id)
    assert human_texts(final) == ["What is 12 * 49?", "What is 2 * 21?"]
    assert final.next == ("approve",)
    assert final.values["messages"][-1].type == "ai"


def test_closing_the_window_during_a_run_stops_it_cleanly(
    qtbot, qloop, window: MainWindow, settle, monkeypatch
) -> None:
    db = open_demo(qtbot, window, settle, monkeypatch, "0.05")
    run_panel = panel(window)
    qtbot.mouseClick(run_panel.new_thread_button, Qt.MouseButton.LeftButton)
    thread_id = run_panel.thread_id
    type_input(qtbot, window, "What is 12 * 49?")
    qtbot.mouseClick(run_panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stream_view.token_count >= 2, timeout=TIMEOUT)
    with qtbot.waitSignal(window.controller.runs.run_finished, timeout=TIMEOUT) as finished:
        done = qloop.create_task(window.controller.shutdown())
        qtbot.waitUntil(done.done, timeout=TIMEOUT)
    assert finished.args == [thread_id, STOPPED]
    assert done.exception() is None
    stopped = graph_state("demo", db, thread_id)
    assert stopped.next == ("agent",)
    assert human_texts(stopped) == ["What is 12 * 49?"]


def test_invalid_json_input_is_reported_inline_and_nothing_runs(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    open_demo(qtbot, window, settle, monkeypatch, "0")
    run_panel = panel(window)
    started: list[str] = []
    window.controller.runs.run_started.connect(started.append)
    type_input(qtbot, window, '{"messages": [', as_json=True)
    qtbot.mouseClick(run_panel.run_button, Qt.MouseButton.LeftButton)
    assert run_panel.error_label.isVisible()
    assert run_panel.error_label.text().startswith("Input is not valid JSON:")
    assert "line 1" in run_panel.error_label.text()
    assert started == []
    assert not window.controller.runs.is_running
    qtbot.keyClicks(run_panel.input, "]")
    assert not run_panel.error_label.isVisible(), "typing again clears the message"


def test_continuing_a_thread_that_does_not_exist_is_explained_inline(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    open_demo(qtbot, window, settle, monkeypatch, "0")
    run_panel = panel(window)
    run_panel.thread_edit.setText("no-such-thread")
    outcome = click_run(qtbot, window)
    message = "Thread 'no-such-thread' not found in the database; give an input to start it"
    assert outcome == ("no-such-thread", f"{FAILED}: Run failed: {message}")
    assert run_panel.error_label.isVisible()
    assert run_panel.error_label.text() == message
    assert window.run_status_label.property("tone") == "error"
    assert window.controller.threads_model.row_of("no-such-thread") is None


# -- user graphs -----------------------------------------------------------------------


def test_graph_file_spec_runs_in_the_window_with_values(
    qtbot, window: MainWindow, settle, tmp_path: Path, isolated_imports
) -> None:
    db = open_empty(window, settle, tmp_path / "user.sqlite", f"{DATA / 'sample_graph.py'}:graph")
    run_panel = panel(window)
    assert run_panel.graph_label.text() == f"Graph: sample · {DATA / 'sample_graph.py'}:graph"

    qtbot.mouseClick(run_panel.new_thread_button, Qt.MouseButton.LeftButton)
    thread_id = run_panel.thread_id
    assert re.fullmatch(r"sample-\d{8}-\d{6}", thread_id)
    qtbot.mouseClick(run_panel.values_toggle, Qt.MouseButton.LeftButton)
    type_input(qtbot, window, '{"log": ["start"]}', as_json=True)
    assert click_run(qtbot, window) == (thread_id, FINISHED)
    wait_for_timeline(qtbot, window, db, thread_id)

    assert selected_thread(window) == thread_id
    assert window.thread_count_label.text() == "1 thread"
    rows = log_rows(window)
    finished_tasks = [where for kind, where, _ in rows if kind == "task finished"]
    assert finished_tasks == ["write", "review"]
    values = window.stream_view.values_view.toPlainText()
    assert '"review:Note"' in values
    model = window.controller.timeline_model
    writers = [
        tuple(model.index_for_key(key).data(TimelineModel.WritersRole))
        for key in timeline_keys(window)
    ]
    assert writers == [(), ("__start__",), ("write",), ("review",)]
    assert "Run finished" in window.run_status_label.text()
    assert head_badge(window) is None


def test_langgraph_json_graph_runs_in_the_window(
    qtbot, window: MainWindow, settle, tmp_path: Path, isolated_imports
) -> None:
    db = empty_db(tmp_path / "greeter.sqlite")
    settle(lambda: window.controller.open_database(db))
    config = DATA / "lg_project" / "langgraph.json"
    attach(settle, window.controller, GraphOptions(config=str(config), graph_id="greeter"))
    run_panel = panel(window)
    assert run_panel.graph_label.text() == "Graph: greeter · greeter from langgraph.json"

    run_panel.thread_edit.setText("greet-ada")
    type_input(qtbot, window, '{"name": "Ada"}', as_json=True)
    assert click_run(qtbot, window) == ("greet-ada", FINISHED)
    wait_for_timeline(qtbot, window, db, "greet-ada")

    updates = [summary for kind, where, summary in log_rows(window) if kind == "update"]
    assert updates == ['greet: reply = "Hello there, Ada!"']
    assert selected_thread(window) == "greet-ada"
    assert os.environ["REWIND_SAMPLE_GREETING"] == "Hello there"


def test_a_node_that_raises_shows_the_error(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    db = empty_db(tmp_path / "batch.sqlite")
    settle(lambda: window.controller.open_database(db))
    window.controller.runs.set_graph(LoadedGraph.from_object(batch_graph(None), spec="batch"))
    run_panel = panel(window)
    qtbot.mouseClick(run_panel.new_thread_button, Qt.MouseButton.LeftButton)
    thread_id = run_panel.thread_id
    type_input(qtbot, window, '{"items": []}', as_json=True)
    assert click_run(qtbot, window)[1].startswith(FAILED)
    wait_for_timeline(qtbot, window, db, thread_id)

    message = "Node 'explode' failed: ValueError: cannot split 3 items into 0 batches"
    assert window.run_status_label.text().startswith(f"Run failed: {message} (")
    assert window.run_status_label.property("tone") == "error"
    assert not run_panel.error_label.isVisible(), "a graph failure is not an input mistake"
    assert f"Run failed: {message}" in output_text(window)
    log = window.stream_view.event_model
    failed = [row for row in range(log.rowCount()) if log.index(row, 1).data() == "task failed"]
    assert len(failed) == 1
    index = log.index(failed[0], 3)
    assert index.data().endswith(" ms · ValueError: cannot split 3 items into 0 batches")
    assert index.data(EventLogModel.ToneRole) == "error"
    assert index.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#cf222e"
    assert head_badge(window) == "error"
    row = window.controller.threads_model.row_of(thread_id)
    assert window.controller.threads_model.index(row, 0).data(ThreadListModel.HasErrorRole)


# -- without a graph -------------------------------------------------------------------


def test_without_a_graph_the_panel_says_how_to_attach_one(
    qtbot, window: MainWindow, settle, agent_db: AgentDb
) -> None:
    settle(lambda: window.controller.open_database(agent_db.path))
    run_panel = panel(window)
    assert not run_panel.run_button.isEnabled()
    assert not run_panel.input.isEnabled()
    assert not run_panel.new_thread_button.isEnabled()
    assert "--graph module:attr" in run_panel.toolTip()
    assert "--config langgraph.json" in run_panel.toolTip()
    assert window.graph_status_label.text() == "No graph · inspection only"


def test_a_graph_that_fails_to_load_leaves_the_database_browsable(
    qtbot, window: MainWindow, settle, agent_db: AgentDb, tmp_path: Path, isolated_imports
) -> None:
    db = Path(shutil.copy(agent_db.path, tmp_path / "agent.sqlite"))
    window.controller.graph_options = GraphOptions(graph=f"{DATA / 'sample_graph.py'}:answer")
    settle(lambda: (window.controller.attach_graph(), window.controller.open_database(db)))
    box = window.error_box
    assert box is not None and box.isVisible()
    assert "is not a LangGraph graph but 'int'" in box.text()
    box.close()
    run_panel = panel(window)
    assert not run_panel.run_button.isEnabled()
    assert "is not a LangGraph graph" in run_panel.toolTip()
    assert "--graph module:attr" in run_panel.toolTip()
    assert window.graph_status_label.text() == "Graph failed to load"
    assert window.controller.threads_model.total == len(agent_db.thread_ids)
    assert window.controller.thread_id is not None


# -- the models' live updates ----------------------------------------------------------


def test_thread_list_upsert_moves_and_inserts(qtmodeltester) -> None:
    def summary(thread_id: str, count: int) -> ThreadSummary:
        return ThreadSummary(thread_id, count, None, f"{thread_id}-head")

    model = ThreadListModel()
    model.reset([summary("b", 2), summary("a", 1)], 2)
    qtmodeltester.check(model)
    model.upsert(summary("a", 5))
    assert [model.thread_at(r).thread_id for r in range(model.rowCount())] == ["a", "b"]
    assert model.index(0, 0).data(ThreadListModel.CheckpointCountRole) == 5
    model.upsert(summary("new", 1))
    assert [model.thread_at(r).thread_id for r in range(model.rowCount())] == ["new", "a", "b"]
    assert model.total == 3
    assert model.row_of("b") == 2
    qtmodeltester.check(model)


def test_timeline_badges(qtmodeltester, window: MainWindow, settle, agent_db: AgentDb) -> None:
    settle(lambda: window.controller.open_database(agent_db.path))
    model = window.controller.timeline_model
    head = model.timeline.head.key
    changed: list[Any] = []

    def record(first: QModelIndex, _last: QModelIndex, _roles: object) -> None:
        changed.append(first.data(TimelineModel.KeyRole))

    model.dataChanged.connect(record)
    model.set_badges({head: "error"})
    assert model.head_index().data(TimelineModel.BadgeRole) == "error"
    assert "failed or was stopped" in model.head_index().data(Qt.ItemDataRole.ToolTipRole)
    assert changed == [head]
    model.set_badges({})
    assert model.head_index().data(TimelineModel.BadgeRole) is None
    with pytest.raises(ValueError, match="unknown badge"):
        model.set_badges({head: "sparkles"})
    qtmodeltester.check(model)
