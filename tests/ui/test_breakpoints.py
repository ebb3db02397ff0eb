"""Breakpoints: the user checks nodes, the next real run pauses there."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QPushButton
from pytestqt.qtbot import QtBot

from desktop.core.graphs import LoadedGraph
from desktop.core.run_status import thread_status
from desktop.core.runner import run
from desktop.ui.widgets.breakpoints import NO_GRAPH_TEXT, NONE_SET_TEXT, BreakpointsWidget
from tests.builders import steps_graph


@pytest.fixture
def steps() -> LoadedGraph:
    return LoadedGraph.from_object(steps_graph(None), spec="tests:steps")


@pytest.fixture
def widget(qtbot: QtBot, steps: LoadedGraph) -> BreakpointsWidget:
    breakpoints = BreakpointsWidget()
    qtbot.addWidget(breakpoints)
    breakpoints.set_nodes(steps.node_names)
    breakpoints.show()
    qtbot.waitExposed(breakpoints)
    return breakpoints


def toggle(qtbot: QtBot, view: QListWidget, node: str) -> None:
    """Check or uncheck ``node`` the way a keyboard user does: focus the row, press Space."""
    row = next(r for r in range(view.count()) if view.item(r).text() == node)
    view.setFocus()
    view.setCurrentRow(row)
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Space)


def test_checked_nodes_become_the_next_runs_interrupts(
    qtbot: QtBot, widget: BreakpointsWidget, steps: LoadedGraph, tmp_path: Path
) -> None:
    before = widget.findChild(QListWidget, "breakpointsBefore")
    after = widget.findChild(QListWidget, "breakpointsAfter")
    summary = widget.findChild(QLabel, "breakpointsSummary")
    assert [before.item(r).text() for r in range(before.count())] == [
        "double",
        "increment",
        "square",
    ]
    assert summary.text() == NONE_SET_TEXT

    with qtbot.waitSignal(widget.changed):
        toggle(qtbot, before, "square")
    toggle(qtbot, after, "double")

    assert widget.interrupt_before() == ["square"]
    assert widget.interrupt_after() == ["double"]
    assert summary.text() == "The next run pauses before square and after double."

    async def run_with_breakpoints() -> tuple[tuple[str, ...], tuple[str, ...]]:
        path = tmp_path / "steps.sqlite"
        options: dict[str, Any] = {
            "interrupt_before": widget.interrupt_before(),
            "interrupt_after": widget.interrupt_after(),
        }
        async for _ in run(steps, path, "t", {"value": 3, "log": []}, **options):
            pass
        first = await thread_status(steps, path, "t")
        async for _ in run(steps, path, "t", None, **options):
            pass
        second = await thread_status(steps, path, "t")
        return first.next_nodes, second.next_nodes

    assert asyncio.run(run_with_breakpoints()) == (("increment",), ("square",))


def test_clear_all_and_a_new_graph_keep_only_what_applies(
    qtbot: QtBot, widget: BreakpointsWidget
) -> None:
    clear = widget.findChild(QPushButton, "breakpointsClear")
    assert not clear.isEnabled()
    widget.set_breakpoints(before=["increment", "nowhere"], after=["square"])
    assert (widget.interrupt_before(), widget.interrupt_after()) == (["increment"], ["square"])
    assert clear.isEnabled()

    with qtbot.waitSignal(widget.changed):
        widget.set_nodes(["increment", "publish"])
    assert (widget.interrupt_before(), widget.interrupt_after()) == (["increment"], [])

    with qtbot.waitSignal(widget.changed):
        qtbot.mouseClick(clear, Qt.MouseButton.LeftButton)
    assert (widget.interrupt_before(), widget.interrupt_after()) == ([], [])
    assert not clear.isEnabled()


def test_without_a_graph_there_is_nothing_to_choose(widget: BreakpointsWidget) -> None:
    widget.set_breakpoints(before=["double"])
    widget.set_nodes(())

    assert not widget.isEnabled()
    assert widget.toolTip() == NO_GRAPH_TEXT
    assert widget.findChild(QLabel, "breakpointsSummary").text() == NO_GRAPH_TEXT
    assert (widget.interrupt_before(), widget.interrupt_after()) == ([], [])
