"""The resume panel on real thread statuses: interrupts answered, stopped runs continued.

Statuses come from ``run_status.thread_status`` on databases written by real graphs (the
demo agent's approval, a review graph, two parallel questions, a breakpoint, a failing
node); the value the panel emits is fed back to ``runner.resume`` and langgraph's final
state is checked.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QPlainTextEdit, QPushButton, QTextBrowser
from pytestqt.qtbot import QtBot
from typing_extensions import TypedDict

from desktop.core.graphs import LoadedGraph, load_graph
from desktop.core.run_status import ThreadStatus, thread_status
from desktop.core.runner import resume, run
from desktop.core.savers import open_saver
from desktop.ui.controllers.explain import situation
from desktop.ui.widgets.resume_panel import InterruptCard, ResumePanel
from tests.builders import ErrorDb, InterruptDb, batch_graph, review_graph, steps_graph


class Requests:
    """Records the panel's intents."""

    def __init__(self, panel: ResumePanel) -> None:
        self.resumed: list[tuple[str, Any]] = []
        self.continued: list[str] = []
        panel.resume_requested.connect(lambda *args: self.resumed.append(args))
        panel.continue_requested.connect(self.continued.append)


@pytest.fixture
def panel(qtbot: QtBot) -> ResumePanel:
    widget = ResumePanel()
    qtbot.addWidget(widget)
    widget.resize(560, 400)
    return widget


async def drain(events: Any) -> None:
    async for _ in events:
        pass


def status_of(graph: LoadedGraph, path: Path, thread_id: str) -> ThreadStatus:
    return asyncio.run(thread_status(graph, path, thread_id))


def copied(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copy(source, target)
    return target


def final_values(graph: LoadedGraph, path: Path, thread_id: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        async with open_saver(path, allowed_types=graph.msgpack_allowlist) as saver:
            snapshot = await graph.bind(saver).aget_state(
                {"configurable": {"thread_id": thread_id}}
            )
        assert snapshot.next == ()
        return snapshot.values

    return asyncio.run(read())


def test_one_interrupt_answered_as_text_resumes_the_run(
    qtbot: QtBot, panel: ResumePanel, interrupt_db: InterruptDb, tmp_path: Path
) -> None:
    path = copied(interrupt_db.path, tmp_path)
    graph = LoadedGraph.from_object(review_graph(None), spec="tests:review")
    status = status_of(graph, path, interrupt_db.thread_id)
    requests = Requests(panel)

    panel.show_status(status)

    assert panel.isVisible() and panel.condition == "interrupted"
    assert panel.findChild(QLabel, "resumeTitle").text() == "Waiting for input at review"
    card = panel.findChild(InterruptCard)
    header = card.findChild(QLabel, "interruptHeader").text()
    assert header == f"node review · interrupt id {status.interrupts[0].id}"
    assert card.findChild(QLabel, "interruptQuestion").text() == "Send this reply?"
    payload = card.findChild(QTextBrowser, "interruptPayload").toPlainText()
    assert interrupt_db.interrupt_value["draft"] in payload
    assert not panel.findChild(QPushButton, "continueButton").isVisible()

    qtbot.keyClicks(card.findChild(QPlainTextEdit, "resumeValue"), "approved")
    panel.show_status(status_of(graph, path, interrupt_db.thread_id))
    assert panel.findChild(InterruptCard) is card, "a refresh keeps the typed answer"
    qtbot.mouseClick(panel.findChild(QPushButton, "resumeButton"), Qt.MouseButton.LeftButton)

    assert requests.resumed == [(interrupt_db.thread_id, "approved")]
    asyncio.run(drain(resume(graph, path, interrupt_db.thread_id, "approved")))
    final = final_values(graph, path, interrupt_db.thread_id)
    assert final["verdict"] == "approved"
    assert final["draft"] == f"{interrupt_db.interrupt_value['draft']} (approved)"


def test_the_demo_agents_approval_is_answered_with_ctrl_enter(
    qtbot: QtBot, panel: ResumePanel, tmp_path: Path
) -> None:
    demo = load_graph("demo")
    path = tmp_path / "demo.sqlite"
    question = {"messages": [{"role": "user", "content": "What does the Team plan cost?"}]}
    asyncio.run(drain(run(demo, path, "ask", question)))
    status = status_of(demo, path, "ask")
    requests = Requests(panel)

    panel.show_status(status)

    card = panel.findChild(InterruptCard)
    assert status.interrupts[0].node == "approve"
    assert card.findChild(QLabel, "interruptQuestion").text().startswith("Send this scripted")
    value_box = card.findChild(QPlainTextEdit, "resumeValue")
    qtbot.keyClicks(value_box, "yes")
    qtbot.keyClick(value_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    assert requests.resumed == [("ask", "yes")]
    asyncio.run(drain(resume(demo, path, "ask", "yes")))
    assert final_values(demo, path, "ask")["approval"] == "yes"


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


def test_several_interrupts_take_one_value_each(
    qtbot: QtBot, panel: ResumePanel, tmp_path: Path
) -> None:
    graph = two_questions()
    path = tmp_path / "questions.sqlite"
    asyncio.run(drain(run(graph, path, "t", {})))
    status = status_of(graph, path, "t")
    requests = Requests(panel)
    panel.show_status(status)

    cards = {card.findChild(QLabel, "interruptQuestion").text(): card for card in panel.cards}
    assert set(cards) == {"What is your name?", "Size?"}
    assert panel.findChild(QLabel, "resumeTitle").text().startswith("Waiting for 2 answers")
    size = cards["Size?"]
    assert '"units": "cm"' in size.findChild(QTextBrowser, "interruptPayload").toPlainText()
    qtbot.keyClicks(cards["What is your name?"].findChild(QPlainTextEdit, "resumeValue"), "Ada")
    size.findChild(QCheckBox, "resumeJson").setChecked(True)
    qtbot.keyClicks(size.findChild(QPlainTextEdit, "resumeValue"), '{"width": 3,}')
    resume_button = panel.findChild(QPushButton, "resumeButton")
    qtbot.mouseClick(resume_button, Qt.MouseButton.LeftButton)

    error = panel.findChild(QLabel, "resumeError")
    assert requests.resumed == []
    assert error.isVisible()
    assert error.text() == (
        f"Interrupt {size.interrupt_id} (node ask_size): invalid JSON at line 1, column 13: "
        "Expecting property name enclosed in double quotes"
    )

    size_box = size.findChild(QPlainTextEdit, "resumeValue")
    size_box.clear()
    qtbot.keyClicks(size_box, '{"width": 3}')
    qtbot.mouseClick(resume_button, Qt.MouseButton.LeftButton)

    name_id = cards["What is your name?"].interrupt_id
    assert not error.isVisible()
    assert requests.resumed == [("t", {name_id: "Ada", size.interrupt_id: {"width": 3}})]
    asyncio.run(drain(resume(graph, path, "t", requests.resumed[0][1])))
    assert final_values(graph, path, "t") == {"name": "Ada", "size": {"width": 3}}


def test_a_stopped_run_offers_continue(qtbot: QtBot, panel: ResumePanel, tmp_path: Path) -> None:
    graph = LoadedGraph.from_object(steps_graph(None), spec="tests:steps")
    path = tmp_path / "steps.sqlite"
    asyncio.run(drain(run(graph, path, "t", {"value": 2, "log": []}, interrupt_after=["double"])))
    status = status_of(graph, path, "t")
    requests = Requests(panel)

    panel.show_status(status)

    assert panel.isVisible() and panel.condition == "crashed"
    assert panel.findChild(QLabel, "resumeTitle").text() == (
        "This run stopped before it finished (next: increment)"
    )
    assert panel.cards == []
    assert not panel.findChild(QPushButton, "resumeButton").isVisible()
    continue_button = panel.findChild(QPushButton, "continueButton")
    assert continue_button.isVisible()
    qtbot.mouseClick(continue_button, Qt.MouseButton.LeftButton)

    assert requests.continued == ["t"]
    asyncio.run(drain(resume(graph, path, "t")))
    assert final_values(graph, path, "t")["value"] == 25


def test_a_failed_run_says_which_node_failed(
    qtbot: QtBot, panel: ResumePanel, error_db: ErrorDb, tmp_path: Path
) -> None:
    path = copied(error_db.path, tmp_path)
    graph = LoadedGraph.from_object(batch_graph(None), spec="tests:batch")
    panel.show_status(status_of(graph, path, error_db.thread_id))

    assert panel.condition == "error"
    assert (
        panel.findChild(QLabel, "resumeDetail")
        .text()
        .startswith(f"explode failed: ValueError('{error_db.error_message}'). Continue runs")
    )
    assert panel.findChild(QPushButton, "continueButton").isVisible()


def test_hidden_when_finished_or_unknown_and_busy_disables(
    qtbot: QtBot, panel: ResumePanel, interrupt_db: InterruptDb, tmp_path: Path
) -> None:
    path = copied(interrupt_db.path, tmp_path)
    graph = LoadedGraph.from_object(review_graph(None), spec="tests:review")
    panel.show_status(status_of(graph, path, interrupt_db.thread_id))
    assert panel.isVisible()
    panel.set_busy(True)
    requests = Requests(panel)
    qtbot.mouseClick(panel.findChild(QPushButton, "resumeButton"), Qt.MouseButton.LeftButton)
    assert requests.resumed == []

    asyncio.run(drain(resume(graph, path, interrupt_db.thread_id, "no")))
    panel.show_status(status_of(graph, path, interrupt_db.thread_id))
    assert not panel.isVisible() and panel.status is None and panel.condition == "finished"

    panel.show_status(None)
    assert not panel.isVisible()


def test_a_fork_whose_run_was_killed_before_its_step_was_saved_says_so():
    """A fork continued by a run killed after its step's tasks saved their writes, before
    the checkpoint after them: the head is still the fork (``update``), ``next`` is
    empty, and the panel says what Continue does, not "Forked ... Continue runs: —"."""
    status = ThreadStatus(
        "t", "c", next_nodes=(), source="update", step=2, unsaved_step=("square",)
    )
    shown = situation(status)
    assert shown.title == "Stopped before step 3 was saved"
    assert "Finished: square" in shown.detail
