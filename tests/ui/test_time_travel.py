"""Time travel in the real window: fork, replay, resume, continue, branches and breakpoints.

Every test drives the real widgets (timeline rows, the time-travel toolbar, the timeline's
context menu, keyboard shortcuts, the fork editor, the resume panel, the breakpoints
drop-down, the run panel) on databases written by real LangGraph graphs in ``tmp_path``,
then checks the result with LangGraph's own ``get_state`` / ``get_state_history``.
Graphs count their node executions, so "nodes before the checkpoint did not run again"
is checked, not assumed.
"""

from __future__ import annotations

import operator
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QContextMenuEvent, QGuiApplication, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolBar,
    QToolButton,
)
from typing_extensions import TypedDict

from desktop.core.graphs import LoadedGraph
from desktop.ui.actions import NO_GRAPH_TIP
from desktop.ui.controller import GraphOptions
from desktop.ui.controllers import live_runs
from desktop.ui.main_window import MainWindow
from desktop.ui.models.threads import ThreadListModel
from desktop.ui.models.timeline import TimelineModel
from desktop.ui.run_request import FINISHED, FORKED, INTERRUPTED, PAUSED, STOPPED
from desktop.ui.widgets.next_run_bar import HEAD_RUN_TEXT
from desktop.ui.widgets.state_header import StateHeaderView
from desktop.ui.widgets.timeline_view import HEAD_TAG, NEXT_RUN_TAG, row_tag
from tests.builders import open_saver, read_saver, thread_config
from tests.faults import (
    CRASH_GRAPH,
    CrashDb,
    continue_crash_as_langgraph,
    crash_history,
    kill_agent_in_slow_node,
)
from tests.live import LiveWriter
from tests.ui.test_live_run import stored_keys, timeline_keys

TIMEOUT = 20_000
DATA = Path(__file__).resolve().parents[1] / "data"


# -- graphs and databases --------------------------------------------------------------


class Steps(TypedDict, total=False):
    """A number transformed step by step, with a log of the nodes that ran."""

    value: int
    log: Annotated[list[str], operator.add]


def counting_steps(calls: list[str], square_gate: threading.Event | None = None) -> StateGraph:
    """``double`` -> ``increment`` -> ``square``; every execution is appended to ``calls``.
    With ``square_gate``, ``square`` waits until it is set."""

    def step(name: str, change: Callable[[int], int]) -> Callable[[Steps], dict[str, Any]]:
        def node(state: Steps) -> dict[str, Any]:
            if name == "square" and square_gate is not None:
                assert square_gate.wait(TIMEOUT / 1000), "the test never let square run"
            calls.append(name)
            return {"value": change(state["value"]), "log": [name]}

        return node

    builder = StateGraph(Steps)
    builder.add_node("double", step("double", lambda v: v * 2))
    builder.add_node("increment", step("increment", lambda v: v + 1))
    builder.add_node("square", step("square", lambda v: v**2))
    builder.add_edge(START, "double")
    builder.add_edge("double", "increment")
    builder.add_edge("increment", "square")
    return builder


@dataclass
class StepsDb:
    """Thread ``math``: ``counting_steps`` run once from 3 (3 -> 6 -> 7 -> 49)."""

    path: Path
    graph: LoadedGraph
    calls: list[str]
    thread_id: str = "math"


@pytest.fixture
def steps_db(tmp_path: Path) -> StepsDb:
    calls: list[str] = []
    builder = counting_steps(calls)
    path = tmp_path / "steps.sqlite"
    with open_saver(path) as saver:
        builder.compile(checkpointer=saver).invoke({"value": 3, "log": []}, thread_config("math"))
    assert calls == ["double", "increment", "square"]
    calls.clear()
    return StepsDb(path, LoadedGraph.from_object(builder, spec="tests:counting-steps"), calls)


def history(graph: LoadedGraph, db: Path, thread_id: str) -> list[Any]:
    """LangGraph's own ``get_state_history`` of the thread (newest first), read-only."""
    with read_saver(db) as saver:
        return list(graph.bind(saver).get_state_history(thread_config(thread_id)))


def latest(graph: LoadedGraph, db: Path | str, thread_id: str) -> Any:
    """LangGraph's ``get_state`` of the thread, read-only."""
    with read_saver(db) as saver:
        return graph.bind(saver).get_state(thread_config(thread_id))


def checkpoint_id(snapshot: Any) -> str:
    return snapshot.config["configurable"]["checkpoint_id"]


def parent_id(snapshot: Any) -> str | None:
    parent = snapshot.parent_config
    return parent["configurable"]["checkpoint_id"] if parent else None


# -- driving the window ----------------------------------------------------------------


def open_with_graph(qtbot, window: MainWindow, settle, db: Path, graph: LoadedGraph) -> None:
    """Open ``db`` in the window, attach ``graph`` and make the window the active one."""
    settle(lambda: window.controller.open_database(db))
    settle(lambda: window.controller.runs.set_graph(graph))
    activate(qtbot, window)


def activate(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is window.windowHandle(), timeout=TIMEOUT)


def snapshot_key(snapshot: Any) -> tuple[str, str]:
    return ("", checkpoint_id(snapshot))


def click_row(qtbot, window: MainWindow, settle, key: tuple[str, str]) -> None:
    """Click the timeline row of ``key`` and wait until its state is on screen."""
    view = window.timeline_view
    index = window.controller.timeline_model.index_for_key(key)
    view.scrollTo(index)
    settle(
        lambda: qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
        )
    )
    assert window.controller.selected_key == key


def toolbar_button(window: MainWindow, action: QAction) -> QToolButton:
    toolbar = window.findChild(QToolBar, "timeTravelToolbar")
    button = toolbar.widgetForAction(action)
    assert isinstance(button, QToolButton)
    return button


def context_menu(qtbot, window: MainWindow, key: tuple[str, str]) -> QMenu:
    """Right-click the row of ``key``: the menu the user sees."""
    view = window.timeline_view
    index = window.controller.timeline_model.index_for_key(key)
    view.scrollTo(index)
    pos = view.visualRect(index).center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, view.viewport().mapToGlobal(pos))
    QGuiApplication.sendEvent(view.viewport(), event)
    menu = view.findChild(QMenu, "timelineMenu")
    qtbot.waitUntil(menu.isVisible, timeout=TIMEOUT)
    return menu


def choose(qtbot, menu: QMenu, name: str) -> None:
    action = menu.findChild(QAction, name) or next(
        a for a in menu.actions() if a.objectName() == name
    )
    assert action.isEnabled(), action.toolTip()
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


def wait_run(qtbot, window: MainWindow, start: Callable[[], object]) -> str:
    """Do ``start`` (which starts a run), wait for its end and for the window to catch up
    with the database (timeline rows, status); returns the outcome."""
    controller = window.controller
    with qtbot.waitSignal(controller.runs.run_finished, timeout=TIMEOUT) as finished:
        start()
    thread_id, outcome = finished.args
    db = controller.path
    assert db is not None
    stored = stored_keys(db, thread_id)
    qtbot.waitUntil(
        lambda: controller.thread_id != thread_id or set(timeline_keys(window)) == stored,
        timeout=TIMEOUT,
    )
    qtbot.waitUntil(lambda: not controller.is_busy, timeout=TIMEOUT)
    return outcome


def replace_in_editor(qtbot, window: MainWindow, old: str, new: str) -> None:
    """Select ``old`` in the fork editor's JSON and type ``new`` over it."""
    edit = window.fork_editor.editor.edit
    found = edit.document().find(old)
    assert not found.isNull(), old
    cursor = QTextCursor(found)
    edit.setTextCursor(cursor)
    edit.setFocus()
    qtbot.keyClicks(edit, new)


def branch_rows(window: MainWindow) -> list[QModelIndex]:
    """Every branch group row of the timeline."""
    model = window.controller.timeline_model
    rows: list[QModelIndex] = []

    def walk(parent: QModelIndex) -> None:
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            if index.data(TimelineModel.KindRole) == "branch":
                rows.append(index)
            walk(index)

    walk(QModelIndex())
    return rows


# -- fork ------------------------------------------------------------------------------


def test_fork_from_the_toolbar_writes_a_new_branch_and_selects_it(
    qtbot, window: MainWindow, settle, steps_db: StepsDb
) -> None:
    graph, db = steps_db.graph, steps_db.path
    open_with_graph(qtbot, window, settle, db, graph)
    before = history(graph, db, "math")
    old_head = before[0]
    after_double = next(s for s in before if s.next == ("increment",))
    click_row(qtbot, window, settle, snapshot_key(after_double))

    fork_button = toolbar_button(window, window.time_travel.fork)
    assert fork_button.isEnabled()
    settle(lambda: qtbot.mouseClick(fork_button, Qt.MouseButton.LeftButton))
    editor = window.fork_editor
    assert editor is not None
    qtbot.waitExposed(editor, timeout=TIMEOUT)
    assert not editor.isModal()
    assert editor.findChild(QLabel, "forkTitle").text() == "Fork from step 1 · after double"
    combo = editor.findChild(QComboBox, "asNodeCombo")
    assert combo.currentData() == "double" and combo.currentText() == "double (inferred)"

    replace_in_editor(qtbot, window, '"value": 6', '"value": 10')
    changes = editor.findChild(QLabel, "forkChanges")
    qtbot.waitUntil(lambda: changes.text() == "Will change: value", timeout=TIMEOUT)
    submit = editor.findChild(QPushButton, "forkSubmit")
    outcome = wait_run(qtbot, window, lambda: qtbot.mouseClick(submit, Qt.MouseButton.LeftButton))

    assert outcome == FORKED
    assert not editor.isVisible()
    assert steps_db.calls == [], "a fork runs no node"
    after = history(graph, db, "math")
    fork = after[0]
    assert len(after) == len(before) + 1
    assert fork.metadata["source"] == "update"
    assert parent_id(fork) == checkpoint_id(after_double)
    assert fork.values == {"value": 10, "log": ["double"]}
    assert fork.next == ("increment",)

    # selected, as the thread's new head, with the old line now a branch that names its tip
    fork_key = snapshot_key(fork)
    model = window.controller.timeline_model
    qtbot.waitUntil(lambda: window.controller.selected_key == fork_key, timeout=TIMEOUT)
    current = window.timeline_view.currentIndex().siblingAtColumn(0)
    assert current.data(TimelineModel.KeyRole) == fork_key
    assert current.data(TimelineModel.IsHeadRole)
    assert row_tag(current) == HEAD_TAG
    assert model.data(current.parent()) is None, "the fork sits on the head line"
    branches = branch_rows(window)
    assert len(branches) == 1
    assert branches[0].data(TimelineModel.BranchTipRole) == snapshot_key(old_head)
    assert branches[0].data().startswith("branch (loop) after step 1")
    assert "tip step 3" in branches[0].data()
    assert window.timeline_title.text() == "math · 6 checkpoints · 1 branch"
    assert window.run_status_label.text().startswith("Forked math: new checkpoint …")

    # A fork no run continued is said as a fork, not as a run that stopped.
    panel = window.resume_panel
    qtbot.waitUntil(lambda: panel.condition == "forked", timeout=TIMEOUT)
    title = panel.findChild(QLabel, "resumeTitle").text()
    assert title == f"Forked at step {fork.metadata['step']}; the next run continues from here"
    assert "increment" in panel.findChild(QLabel, "resumeDetail").text()
    assert window.time_travel.resume.text() == "Run from fork"
    threads = window.controller.threads_model
    qtbot.waitUntil(
        lambda: (
            threads.index(threads.row_of("math"), 0).data(ThreadListModel.RunStateRole) == "forked"
        ),
        timeout=TIMEOUT,
    )


def test_fork_from_the_context_menu_and_continue_after_it(
    qtbot, window: MainWindow, settle, steps_db: StepsDb
) -> None:
    graph, db = steps_db.graph, steps_db.path
    open_with_graph(qtbot, window, settle, db, graph)
    before = history(graph, db, "math")
    after_increment = next(s for s in before if s.next == ("square",))
    head = snapshot_key(before[0])
    assert window.controller.selected_key == head

    # right-click a row that is not selected: the menu's actions act on that row
    menu = context_menu(qtbot, window, snapshot_key(after_increment))
    settle(lambda: choose(qtbot, menu, "actionFork"))
    editor = window.fork_editor
    qtbot.waitExposed(editor, timeout=TIMEOUT)
    assert window.controller.selected_key == snapshot_key(after_increment)
    replace_in_editor(qtbot, window, '"value": 7', '"value": 5')
    changes = editor.findChild(QLabel, "forkChanges")
    qtbot.waitUntil(lambda: changes.text() == "Will change: value", timeout=TIMEOUT)
    qtbot.mouseClick(editor.findChild(QCheckBox, "continueAfterFork"), Qt.MouseButton.LeftButton)
    submit = editor.findChild(QPushButton, "forkSubmit")
    outcome = wait_run(qtbot, window, lambda: qtbot.mouseClick(submit, Qt.MouseButton.LeftButton))

    assert outcome == FINISHED
    assert steps_db.calls == ["square"], "only the node after the fork ran"
    after = history(graph, db, "math")
    final, fork = after[0], after[1]
    assert final.values["value"] == 25 and final.next == ()
    assert fork.metadata["source"] == "update" and parent_id(fork) == checkpoint_id(after_increment)
    assert parent_id(final) == checkpoint_id(fork)
    assert window.controller.selected_key == snapshot_key(fork), "the fork stays selected"
    assert "Fork of math from step 2" in window.stream_view.output_text()
    assert window.run_status_label.text().startswith("Run after the fork finished on math (")


def test_a_continued_fork_stays_selected_when_the_live_watch_sees_its_run_first(
    qtbot, window: MainWindow, settle, steps_db: StepsDb, monkeypatch
) -> None:
    """The live watch polls the file for other processes' commits every 0.1 s; here the
    run's own read-back of its checkpoints comes a second later (as under load). The watch
    leaves the window's own run alone, even once the run has ended: the fork, head of the
    thread until the run after it saves, stays selected instead of following the run."""
    monkeypatch.setattr(live_runs, "LIVE_REFRESH_SECONDS", 1.0)
    square_may_run = threading.Event()
    graph = LoadedGraph.from_object(
        counting_steps(steps_db.calls, square_may_run), spec="tests:gated-steps"
    )
    db, controller = steps_db.path, window.controller
    with LiveWriter(db) as writer:
        try:
            open_with_graph(qtbot, window, settle, db, graph)
            qtbot.waitUntil(lambda: controller.watch.is_watching, timeout=TIMEOUT)
            after_increment = next(s for s in history(graph, db, "math") if s.next == ("square",))
            menu = context_menu(qtbot, window, snapshot_key(after_increment))
            settle(lambda: choose(qtbot, menu, "actionFork"))
            editor = window.fork_editor
            qtbot.waitExposed(editor, timeout=TIMEOUT)
            replace_in_editor(qtbot, window, '"value": 7', '"value": 5')
            changes = editor.findChild(QLabel, "forkChanges")
            qtbot.waitUntil(lambda: changes.text() == "Will change: value", timeout=TIMEOUT)
            continue_after = editor.findChild(QCheckBox, "continueAfterFork")
            qtbot.mouseClick(continue_after, Qt.MouseButton.LeftButton)
            submit = editor.findChild(QPushButton, "forkSubmit")
            with qtbot.waitSignal(controller.runs.forked, timeout=TIMEOUT) as forked:
                qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
            fork = (forked.args[1], forked.args[2])
            qtbot.waitUntil(
                lambda: controller.selected_key == fork == controller.timeline.head.key,
                timeout=TIMEOUT,
            )

            with qtbot.waitSignal(controller.runs.run_finished, timeout=TIMEOUT) as finished:
                square_may_run.set()
            assert finished.args == ["math", FINISHED]
            final = snapshot_key(history(graph, db, "math")[0])
            qtbot.waitUntil(
                lambda: controller.timeline.head.key == final and not controller.is_busy,
                timeout=TIMEOUT,
            )
            # Another process commits next: once the window shows it, the watch has read
            # past every commit of the run.
            writer.turn("other")
            threads = controller.threads_model
            qtbot.waitUntil(lambda: threads.row_of("other") is not None, timeout=TIMEOUT)
        finally:
            square_may_run.set()
    assert steps_db.calls == ["square"]
    assert controller.selected_key == fork, "the fork stays selected"


# -- replay ----------------------------------------------------------------------------


def test_replay_from_the_keyboard_reruns_only_later_nodes(
    qtbot, window: MainWindow, settle, steps_db: StepsDb
) -> None:
    graph, db = steps_db.graph, steps_db.path
    open_with_graph(qtbot, window, settle, db, graph)
    before = history(graph, db, "math")
    old_keys = set(stored_keys(db, "math"))
    after_double = next(s for s in before if s.next == ("increment",))
    click_row(qtbot, window, settle, snapshot_key(after_double))

    # Before it runs, Replay says what LangGraph will execute again.
    explained = "Replay from step 1 re-runs: increment, square (R)"
    assert window.time_travel.replay.toolTip() == explained
    window.timeline_view.setFocus()
    outcome = wait_run(qtbot, window, lambda: qtbot.keyClick(window.timeline_view, Qt.Key.Key_R))

    assert outcome == FINISHED
    assert steps_db.calls == ["increment", "square"], "double (before the checkpoint) did not run"
    after = history(graph, db, "math")
    new = [s for s in after if snapshot_key(s) not in old_keys]
    assert [s.metadata["source"] for s in new] == ["loop", "loop", "fork"]
    replayed = new[-1]
    assert parent_id(replayed) == checkpoint_id(after_double), "the branch starts at the replay"
    assert replayed.values == after_double.values
    assert [parent_id(s) for s in new[:-1]] == [checkpoint_id(s) for s in new[1:]]
    assert after[0].values["value"] == 49

    # the new line is the head; the original continuation became a branch under the checkpoint
    assert window.controller.selected_key == snapshot_key(after[0])
    branches = branch_rows(window)
    assert len(branches) == 1
    assert branches[0].data(TimelineModel.BranchTipRole) == snapshot_key(before[0])
    assert branches[0].parent().data(TimelineModel.KeyRole) == snapshot_key(after_double)
    output = window.stream_view.output_text()
    assert "Replay of math from step 1 · …" in output
    assert window.run_status_label.text().startswith("Replay finished on math (")
    # One line per run: its time and the steps it saved (the new checkpoints).
    assert re.search(r"\(\d+\.\d s · 3 steps\)$", window.run_status_label.text())


def test_stop_a_replay_and_the_thread_offers_continue(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    settle(window.controller.open_demo)
    monkeypatch.setenv("REWIND_DEMO_TOKEN_DELAY", "0.05")
    window.controller.graph_options = GraphOptions(graph="demo")
    settle(window.controller.attach_graph)
    settle(lambda: window.controller.select_thread("demo-calculator"))
    activate(qtbot, window)
    timeline = window.controller.timeline
    first_step = next(m for m in timeline.by_key.values() if m.step == 0 and not m.checkpoint_ns)
    click_row(qtbot, window, settle, first_step.key)

    runs = window.controller.runs
    qtbot.mouseClick(toolbar_button(window, window.time_travel.replay), Qt.MouseButton.LeftButton)
    assert runs.is_running and window.run_panel.stop_button.isEnabled()
    assert not window.time_travel.fork.isEnabled(), "one run at a time"
    qtbot.waitUntil(lambda: window.stream_view.token_count >= 2, timeout=TIMEOUT)
    stop = window.run_panel.stop_button
    outcome = wait_run(qtbot, window, lambda: qtbot.mouseClick(stop, Qt.MouseButton.LeftButton))

    assert outcome == STOPPED
    stopped_text = "Replay stopped; the thread keeps every finished step ("
    assert window.run_status_label.text().startswith(stopped_text)
    stopped = latest(runs.graph, window.controller.path, "demo-calculator")
    assert stopped.next == ("agent",)
    assert window.resume_panel.isVisible() and window.resume_panel.condition == "stopped"
    title = window.resume_panel.findChild(QLabel, "resumeTitle").text()
    assert title == "Stopped by you at agent; Continue picks up from here"
    assert window.time_travel.resume.isEnabled()
    assert window.time_travel.resume.text() == "Continue stopped run"
    threads = window.controller.threads_model
    row = threads.index(threads.row_of("demo-calculator"), 0)
    assert row.data(ThreadListModel.RunStateRole) == "stopped"
    header = window.findChild(StateHeaderView, "stateHeader").text()
    assert "CancelledError" not in header and "Stopped by you at" in header


# -- resume ----------------------------------------------------------------------------


def test_resume_the_demo_approval_with_a_value(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    settle(window.controller.open_demo)
    window.controller.graph_options = GraphOptions(graph="demo")
    settle(window.controller.attach_graph)
    activate(qtbot, window)
    run_panel = window.run_panel
    run_panel.thread_edit.setText("approve-me")
    qtbot.keyClicks(run_panel.input, "What is 12 * 49?")
    outcome = wait_run(
        qtbot, window, lambda: qtbot.mouseClick(run_panel.run_button, Qt.MouseButton.LeftButton)
    )
    assert outcome == INTERRUPTED

    panel = window.resume_panel
    assert panel.isVisible() and panel.condition == "interrupted"
    assert window.time_travel.resume.isEnabled()
    assert window.time_travel.resume.text() == "Resume…"
    (card,) = panel.cards
    assert (
        card.findChild(QLabel, "interruptQuestion")
        .text()
        .startswith("Send this scripted demo answer?")
    )
    qtbot.keyClick(window.timeline_view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    value_box = card.findChild(QPlainTextEdit, "resumeValue")
    assert value_box.hasFocus(), "Ctrl+R takes the user to the answer"
    qtbot.keyClicks(value_box, "no")
    resume_button = panel.findChild(QPushButton, "resumeButton")
    outcome = wait_run(
        qtbot, window, lambda: qtbot.mouseClick(resume_button, Qt.MouseButton.LeftButton)
    )

    assert outcome == FINISHED
    demo = window.controller.runs.graph
    final = latest(demo, window.controller.path, "approve-me")
    assert final.next == ()
    assert final.values["approval"] == "no"
    assert "reviewer declined the draft" in final.values["messages"][-1].text
    assert not panel.isVisible()
    assert window.controller.thread_status.next_nodes == ()
    threads = window.controller.threads_model
    row = threads.index(threads.row_of("approve-me"), 0)
    assert row.data(ThreadListModel.RunStateRole) == "finished"
    assert not window.time_travel.resume.isEnabled()


def two_questions() -> LoadedGraph:
    class Answers(TypedDict, total=False):
        name: str
        size: Any

    builder = StateGraph(Answers)
    builder.add_node("ask_name", lambda state: {"name": interrupt("What is your name?")})
    builder.add_node(
        "ask_size", lambda state: {"size": interrupt({"question": "Size?", "units": "cm"})}
    )
    builder.add_edge(START, "ask_name")
    builder.add_edge(START, "ask_size")
    return LoadedGraph.from_object(builder, spec="tests:questions")


def test_several_interrupts_are_answered_one_value_each(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    graph = two_questions()
    db = tmp_path / "questions.sqlite"
    with open_saver(db) as saver:
        graph.bind(saver).invoke({}, thread_config("quiz"))
    open_with_graph(qtbot, window, settle, db, graph)

    panel = window.resume_panel
    assert panel.isVisible()
    assert panel.findChild(QLabel, "resumeTitle").text().startswith("Waiting for 2 answers")
    assert window.time_travel.resume.text() == "Resume 2 interrupts…"
    cards = {card.findChild(QLabel, "interruptQuestion").text(): card for card in panel.cards}
    qtbot.keyClicks(cards["What is your name?"].findChild(QPlainTextEdit, "resumeValue"), "Ada")
    size = cards["Size?"]
    size.findChild(QCheckBox, "resumeJson").setChecked(True)
    qtbot.keyClicks(size.findChild(QPlainTextEdit, "resumeValue"), '{"width": 3}')
    outcome = wait_run(
        qtbot,
        window,
        lambda: qtbot.mouseClick(
            panel.findChild(QPushButton, "resumeButton"), Qt.MouseButton.LeftButton
        ),
    )

    assert outcome == FINISHED
    final = latest(graph, db, "quiz")
    assert final.next == ()
    assert final.values == {"name": "Ada", "size": {"width": 3}}
    assert not panel.isVisible()


# -- crashed and paused runs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("step_unsaved", "title", "fast_runs"),
    [
        (False, "This run stopped before it finished (next: slow)", 1),
        # LangGraph saved a's write, not the checkpoint after it: get_state().next is
        # empty, yet its own invoke(None) continues, applying a's write without running a.
        (True, "Stopped before step 1 was saved", 2),
    ],
    ids=["killed-in-slow", "killed-before-the-step-was-saved"],
)
def test_continue_a_killed_run_in_one_click(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path: Path,
    monkeypatch,
    crash_db: CrashDb,
    step_unsaved: bool,
    title: str,
    fast_runs: int,
) -> None:
    db = crash_db.target
    log = tmp_path / "ran.log"
    kill_agent_in_slow_node(db, log, step_unsaved=step_unsaved)
    twin = crash_db.copy()

    monkeypatch.setenv("CRASH_LOG", str(log))
    monkeypatch.setenv("CRASH_SLEEP", "0")
    monkeypatch.setattr(sys, "path", list(sys.path))
    settle(lambda: window.controller.open_database(db))
    window.controller.graph_options = GraphOptions(graph=f"{CRASH_GRAPH}:graph")
    settle(window.controller.attach_graph)

    threads = window.controller.threads_model
    row = threads.index(threads.row_of("crash"), 0)
    assert row.data(ThreadListModel.RunStateRole) == "unfinished"
    panel = window.resume_panel
    assert panel.isVisible() and panel.condition == "crashed"
    assert panel.findChild(QLabel, "resumeTitle").text() == title
    assert window.time_travel.resume.text() == "Continue stopped run"
    continue_button = panel.findChild(QPushButton, "continueButton")
    outcome = wait_run(
        qtbot, window, lambda: qtbot.mouseClick(continue_button, Qt.MouseButton.LeftButton)
    )

    assert outcome == FINISHED
    assert window.run_status_label.text().startswith("Continued run finished on crash (")
    ran = log.read_text().split()
    assert ran.count("a") == 1 and ran.count("fast") == fast_runs, "finished tasks were not re-run"
    assert ran.count("slow") == 2 and ran.count("end") == 1
    final = latest(window.controller.runs.graph, db, "crash")
    assert final.next == ()
    assert sorted(final.values["log"]) == ["a", "end", "fast", "slow"]
    continue_crash_as_langgraph(twin, tmp_path / "twin.log")
    assert crash_history(db) == crash_history(twin), "as LangGraph's own invoke(None) goes on"
    assert not panel.isVisible()
    row = threads.index(threads.row_of("crash"), 0)
    assert row.data(ThreadListModel.RunStateRole) == "finished"


def test_breakpoints_pause_the_next_run_and_continue_resumes(
    qtbot, window: MainWindow, settle, steps_db: StepsDb
) -> None:
    graph, db = steps_db.graph, steps_db.path
    open_with_graph(qtbot, window, settle, db, graph)
    button = window.findChild(QToolButton, "breakpointsButton")
    assert button.isEnabled() and button.text() == "Breakpoints"
    popup = button.menu()
    seen: list[str] = []

    def tick_square_then_close() -> None:
        # The pop-up runs its own event loop while open: act on it from inside.
        try:
            before_list = popup.findChild(QListWidget, "breakpointsBefore")
            seen.extend(before_list.item(r).text() for r in range(before_list.count()))
            before_list.item(2).setCheckState(Qt.CheckState.Checked)
        finally:
            popup.close()

    QTimer.singleShot(100, tick_square_then_close)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=TIMEOUT)
    assert seen == ["double", "increment", "square"]
    assert button.text() == "Breakpoints · 1"
    assert window.breakpoints.interrupt_before() == ["square"]

    run_panel = window.run_panel
    run_panel.thread_edit.setText("paused")
    qtbot.mouseClick(run_panel.json_toggle, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(run_panel.input, '{"value": 2, "log": []}')
    outcome = wait_run(
        qtbot, window, lambda: qtbot.mouseClick(run_panel.run_button, Qt.MouseButton.LeftButton)
    )

    assert outcome == PAUSED
    assert steps_db.calls == ["double", "increment"], "paused before square"
    paused = latest(graph, db, "paused")
    assert paused.next == ("square",) and paused.values["value"] == 5
    threads = window.controller.threads_model
    row = threads.index(threads.row_of("paused"), 0)
    assert row.data(ThreadListModel.RunStateRole) == "unfinished"
    assert window.run_status_label.text().startswith("Paused at a breakpoint")
    assert window.resume_panel.isVisible() and window.resume_panel.condition == "crashed"

    activate(qtbot, window)
    window.timeline_view.setFocus()
    outcome = wait_run(
        qtbot,
        window,
        lambda: qtbot.keyClick(
            window.timeline_view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier
        ),
    )
    assert outcome == FINISHED
    assert steps_db.calls == ["double", "increment", "square"], "Continue ran only square"
    final = latest(graph, db, "paused")
    assert final.next == () and final.values["value"] == 25
    assert not window.resume_panel.isVisible()


# -- branches --------------------------------------------------------------------------


def test_continue_from_a_past_checkpoint_then_diff_branch_tips(
    qtbot, window: MainWindow, settle, steps_db: StepsDb
) -> None:
    graph, db = steps_db.graph, steps_db.path
    open_with_graph(qtbot, window, settle, db, graph)
    before = history(graph, db, "math")
    old_head, after_double = before[0], next(s for s in before if s.next == ("increment",))
    model = window.controller.timeline_model
    assert row_tag(model.head_index()) == HEAD_TAG
    assert not window.time_travel.continue_from.isEnabled(), "the head needs no switching"
    assert not window.time_travel.diff_branches.isEnabled()

    click_row(qtbot, window, settle, snapshot_key(after_double))
    qtbot.keyClick(window.timeline_view, Qt.Key.Key_C)
    point = model.index_for_key(snapshot_key(after_double))
    bar_label = window.findChild(QLabel, "nextRunLabel")
    back = window.findChild(QPushButton, "backToHead")
    assert row_tag(point) == NEXT_RUN_TAG
    assert bar_label.text() == f"Next run from step 1 · …{checkpoint_id(after_double)[-8:]}"
    assert back.isVisible()
    qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
    assert bar_label.text() == HEAD_RUN_TEXT and not back.isVisible()
    assert row_tag(point) is None

    qtbot.keyClick(window.timeline_view, Qt.Key.Key_C)
    assert window.controller.continue_point is not None
    run_panel = window.run_panel
    assert run_panel.thread_id == "math"
    outcome = wait_run(
        qtbot, window, lambda: qtbot.mouseClick(run_panel.run_button, Qt.MouseButton.LeftButton)
    )

    assert outcome == FINISHED
    assert steps_db.calls == ["increment", "square"], "the run went on from the chosen checkpoint"
    after = history(graph, db, "math")
    new_head, branch_start = after[0], after[2]
    assert branch_start.metadata["source"] == "fork"
    assert parent_id(branch_start) == checkpoint_id(after_double)
    assert new_head.values["value"] == 49
    assert window.controller.continue_point is None, "used once: the branch holds the head now"
    assert bar_label.text() == HEAD_RUN_TEXT
    assert window.controller.selected_key == snapshot_key(new_head)
    assert model.head_index().data(TimelineModel.KeyRole) == snapshot_key(new_head)

    # diff the old branch's tip against the head, from a checkpoint inside that branch
    (branch,) = branch_rows(window)
    assert branch.data(TimelineModel.BranchTipRole) == snapshot_key(old_head)
    inside = model.index(0, 0, branch).data(TimelineModel.KeyRole)
    click_row(qtbot, window, settle, inside)
    assert window.time_travel.diff_branches.isEnabled()
    settle(lambda: qtbot.keyClick(window.timeline_view, Qt.Key.Key_D))
    assert window.controller.selected_key == snapshot_key(old_head)
    assert window.controller.diff_base_key == snapshot_key(new_head)
    assert model.head_index().data(TimelineModel.IsDiffBaseRole)
    assert window.diff_base_label.text() == (
        f"Compared with the chosen checkpoint step 4 · loop · …{checkpoint_id(new_head)[-8:]}"
    )


# -- without a graph -------------------------------------------------------------------


def test_without_a_graph_time_travel_is_disabled_with_how_to_attach_one(
    qtbot, window: MainWindow, settle, steps_db: StepsDb
) -> None:
    settle(lambda: window.controller.open_database(steps_db.path))
    activate(qtbot, window)
    first = window.controller.timeline_model.first_checkpoint_index()
    click_row(qtbot, window, settle, first.data(TimelineModel.KeyRole))

    actions = window.time_travel
    for action in (actions.fork, actions.replay, actions.continue_from, actions.resume):
        assert not action.isEnabled()
        assert action.toolTip() == NO_GRAPH_TIP
        button = toolbar_button(window, action)
        assert not button.isEnabled() and button.toolTip() == NO_GRAPH_TIP
    assert "--graph module:attr" in NO_GRAPH_TIP
    qtbot.keyClick(window.timeline_view, Qt.Key.Key_F)
    qtbot.keyClick(window.timeline_view, Qt.Key.Key_R)
    assert window.fork_editor is None and not window.controller.runs.is_running
    menu = context_menu(qtbot, window, window.controller.selected_key)
    fork_item = next(a for a in menu.actions() if a.objectName() == "actionFork")
    assert not fork_item.isEnabled()
    menu.close()
    assert not window.findChild(QToolButton, "breakpointsButton").isEnabled()
    assert not window.resume_panel.isVisible()
    assert window.controller.thread_status is None
    assert stored_keys(steps_db.path, "math") == set(timeline_keys(window))


def test_a_fork_from_the_window_keeps_values_the_user_did_not_touch(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    from desktop.core.graphs import load_graph

    graph = load_graph(f"{DATA / 'typed_values_graph.py'}:graph")
    db = tmp_path / "typed.sqlite"
    with open_saver(db) as saver:
        graph.bind(saver).invoke({}, thread_config("t"))
    open_with_graph(qtbot, window, settle, db, graph)
    head_key = snapshot_key(latest(graph, db, "t"))
    qtbot.waitUntil(lambda: window.controller.selected_key == head_key, timeout=TIMEOUT)

    fork_button = toolbar_button(window, window.time_travel.fork)
    settle(lambda: qtbot.mouseClick(fork_button, Qt.MouseButton.LeftButton))
    editor = window.fork_editor
    qtbot.waitExposed(editor, timeout=TIMEOUT)
    replace_in_editor(qtbot, window, '"k": 1', '"k": 2')
    submit = editor.findChild(QPushButton, "forkSubmit")
    qtbot.waitUntil(submit.isEnabled, timeout=TIMEOUT)
    outcome = wait_run(qtbot, window, lambda: qtbot.mouseClick(submit, Qt.MouseButton.LeftButton))

    assert outcome == FORKED
    extras = latest(graph, db, "t").values["extras"]
    colors = sys.modules["typed_values_graph"].Color
    assert extras["k"] == 2
    assert extras["color"] is colors.BLUE, "the untouched enum is written back as itself"
    assert repr(extras["spot"]) == "Spot(name='home', point=Point(x=1, y=2))"
