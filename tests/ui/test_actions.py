"""Time-travel actions: what is enabled for a selection, why not, and what triggering emits.

Selections are real checkpoints read from databases written by real graphs, statuses
come from ``run_status.thread_status``; the actions are real ``QAction`` objects triggered
by the keyboard or ``trigger()``.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.core.graphs import LoadedGraph
from desktop.core.model import CheckpointMeta
from desktop.core.run_status import ThreadStatus, thread_status
from desktop.core.runner import run
from desktop.core.sources.sqlite import SqliteCheckpointSource
from desktop.ui.actions import (
    CONTINUE_RUN_TIP,
    CONTINUE_TIP,
    DIFF_TIP,
    FINISHED_HEAD_TIP,
    FINISHED_TIP,
    FORK_TIP,
    HEAD_CONTINUE_TIP,
    NO_GRAPH_TIP,
    NO_SELECTION_TIP,
    ONE_BRANCH_TIP,
    REPLAY_TIP,
    RESUME_TIP,
    RUNNING_TIP,
    TimeTravelActions,
)
from tests.builders import FanoutDb, ForkDb, InterruptDb, review_graph, steps_graph
from tests.ui.test_time_travel import TIMEOUT


class Intents:
    """Every signal of the actions, in order."""

    def __init__(self, actions: TimeTravelActions) -> None:
        self.seen: list[tuple[str, Any]] = []
        for name in (
            "fork_requested",
            "replay_requested",
            "continue_requested",
            "resume_requested",
            "diff_branches_requested",
        ):
            getattr(actions, name).connect(lambda value, name=name: self.seen.append((name, value)))


@pytest.fixture
def actions(qtbot: QtBot) -> TimeTravelActions:
    return TimeTravelActions()


@pytest.fixture
def forks(fork_db: ForkDb, tmp_path: Path) -> tuple[list[CheckpointMeta], ThreadStatus]:
    """The forked thread's checkpoints (newest first) and its finished status."""
    path = tmp_path / "fork.sqlite"
    shutil.copy(fork_db.path, path)
    with SqliteCheckpointSource(path) as source:
        history = source.history(fork_db.thread_id)
    steps = LoadedGraph.from_object(steps_graph(None), spec="tests:steps")
    return history, asyncio.run(thread_status(steps, path, fork_db.thread_id))


def by_id(history: list[CheckpointMeta], checkpoint_id: str) -> CheckpointMeta:
    return next(m for m in history if m.checkpoint_id == checkpoint_id)


def state_of(actions: TimeTravelActions) -> dict[str, tuple[bool, str]]:
    return {
        action.objectName(): (action.isEnabled(), action.toolTip()) for action in actions.actions()
    }


def test_without_a_graph_only_reading_is_possible(
    actions: TimeTravelActions, forks: tuple[list[CheckpointMeta], ThreadStatus], fork_db: ForkDb
) -> None:
    history, _ = forks
    intents = Intents(actions)
    selection = by_id(history, fork_db.fork_parent_id)

    actions.update_for(selection, False, None)

    assert state_of(actions) == {
        "actionFork": (False, NO_GRAPH_TIP),
        "actionReplay": (False, NO_GRAPH_TIP),
        "actionContinueFrom": (False, NO_GRAPH_TIP),
        "actionResume": (False, NO_GRAPH_TIP),
        "actionDiffBranches": (True, DIFF_TIP),
    }
    assert NO_GRAPH_TIP == (
        "Attach a graph to act on the past: rewind DB --graph module:attr "
        "(or --config langgraph.json)"
    )
    for action in actions.actions():
        action.trigger()
    assert intents.seen == [("diff_branches_requested", fork_db.thread_id)]


def test_a_past_checkpoint_can_be_forked_replayed_and_continued(
    actions: TimeTravelActions, forks: tuple[list[CheckpointMeta], ThreadStatus], fork_db: ForkDb
) -> None:
    history, status = forks
    intents = Intents(actions)
    selection = by_id(history, fork_db.fork_parent_id)

    actions.update_for(selection, True, status, branch_count=3)

    assert state_of(actions) == {
        "actionFork": (True, FORK_TIP),
        "actionReplay": (True, REPLAY_TIP),
        "actionContinueFrom": (True, CONTINUE_TIP),
        "actionResume": (False, FINISHED_TIP),
        "actionDiffBranches": (True, DIFF_TIP),
    }
    actions.fork.trigger()
    actions.replay.trigger()
    actions.continue_from.trigger()
    actions.resume.trigger()
    assert intents.seen == [
        ("fork_requested", selection),
        ("replay_requested", selection),
        ("continue_requested", selection),
    ]


def test_the_finished_head_has_nothing_to_replay_or_switch_to(
    actions: TimeTravelActions, forks: tuple[list[CheckpointMeta], ThreadStatus]
) -> None:
    history, status = forks
    head = by_id(history, status.checkpoint_id)
    assert status.next_nodes == ()

    actions.update_for(head, True, status, branch_count=1)

    assert state_of(actions) == {
        "actionFork": (True, FORK_TIP),
        "actionReplay": (False, FINISHED_HEAD_TIP),
        "actionContinueFrom": (False, HEAD_CONTINUE_TIP),
        "actionResume": (False, FINISHED_TIP),
        "actionDiffBranches": (False, ONE_BRANCH_TIP),
    }


def test_resume_follows_the_threads_condition(
    actions: TimeTravelActions, interrupt_db: InterruptDb, tmp_path: Path
) -> None:
    path = tmp_path / "interrupt.sqlite"
    shutil.copy(interrupt_db.path, path)
    review = LoadedGraph.from_object(review_graph(None), spec="tests:review")
    waiting = asyncio.run(thread_status(review, path, interrupt_db.thread_id))
    intents = Intents(actions)

    actions.update_for(None, True, waiting)

    assert (actions.resume.isEnabled(), actions.resume.toolTip()) == (True, RESUME_TIP)
    assert actions.resume.text() == "Resume…"
    assert (actions.fork.isEnabled(), actions.fork.toolTip()) == (False, NO_SELECTION_TIP)
    actions.resume.trigger()
    assert intents.seen == [("resume_requested", interrupt_db.thread_id)]

    steps = LoadedGraph.from_object(steps_graph(None), spec="tests:steps")
    paused = tmp_path / "paused.sqlite"

    async def pause() -> ThreadStatus:
        async for _ in run(steps, paused, "p", {"value": 1, "log": []}, interrupt_after=["double"]):
            pass
        return await thread_status(steps, paused, "p")

    stopped = asyncio.run(pause())
    actions.update_for(None, True, stopped)
    assert actions.resume.isEnabled()
    assert actions.resume.toolTip() == f"{CONTINUE_RUN_TIP}; re-runs: increment"
    assert actions.resume.text() == "Continue stopped run"


def test_a_subgraph_checkpoint_can_be_forked_but_not_replayed(
    actions: TimeTravelActions, fanout_db: FanoutDb
) -> None:
    with SqliteCheckpointSource(fanout_db.path) as source:
        inner = next(m for m in source.history(fanout_db.thread_id) if m.checkpoint_ns)

    actions.update_for(inner, True, None)

    assert actions.fork.isEnabled()
    subgraph_tip = (
        "This checkpoint belongs to the subgraph research: replay or continue from a "
        "checkpoint of the parent graph"
    )
    assert (actions.replay.isEnabled(), actions.replay.toolTip()) == (False, subgraph_tip)
    assert (actions.continue_from.isEnabled(), actions.continue_from.toolTip()) == (
        False,
        subgraph_tip,
    )


def test_a_run_in_progress_blocks_writes_and_shortcuts_trigger_the_actions(
    qtbot: QtBot,
    actions: TimeTravelActions,
    forks: tuple[list[CheckpointMeta], ThreadStatus],
    fork_db: ForkDb,
) -> None:
    history, status = forks
    selection = by_id(history, fork_db.replay_from_id)
    host = QWidget()
    qtbot.addWidget(host)
    host.addActions(actions.actions())
    host.show()
    host.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is host.windowHandle(), timeout=TIMEOUT)
    intents = Intents(actions)
    actions.update_for(selection, True, status)

    assert [a.shortcut().toString() for a in actions.actions()] == ["F", "R", "C", "Ctrl+R", "D"]
    qtbot.keyClick(host, Qt.Key.Key_R)
    qtbot.keyClick(host, Qt.Key.Key_F)
    assert intents.seen == [("replay_requested", selection), ("fork_requested", selection)]

    actions.set_running(True)
    assert {
        name: state for name, state in state_of(actions).items() if name != "actionDiffBranches"
    } == {
        "actionFork": (False, RUNNING_TIP),
        "actionReplay": (False, RUNNING_TIP),
        "actionContinueFrom": (False, RUNNING_TIP),
        "actionResume": (False, RUNNING_TIP),
    }
    qtbot.keyClick(host, Qt.Key.Key_R)
    assert len(intents.seen) == 2
    actions.set_running(False)
    assert actions.replay.isEnabled()


def test_the_context_menu_lists_the_actions(actions: TimeTravelActions) -> None:
    menu = actions.context_menu()
    entries = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert entries == [
        "Fork…",
        "Replay from here",
        "Continue from this checkpoint",
        "Resume",
        "Diff branch tips",
    ]
    menu.deleteLater()
