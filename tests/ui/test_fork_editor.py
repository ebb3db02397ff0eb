"""The fork editor on real checkpoints: type an edit, pick the node, click Fork.

The emitted update is then written with ``runner.fork`` and read back with langgraph's
``aget_state``, so the test proves the editor asks for exactly the fork the user sees.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import operator
import shutil
from pathlib import Path
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage
from langgraph.graph import START, StateGraph
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QPushButton
from pytestqt.qtbot import QtBot
from typing_extensions import TypedDict

from desktop.core.forking import infer_as_node
from desktop.core.graphs import LoadedGraph
from desktop.core.model import CheckpointMeta, CheckpointState, user_channels
from desktop.core.runner import fork, run
from desktop.core.savers import open_saver
from desktop.core.sources.sqlite import SqliteCheckpointSource
from desktop.ui.widgets.fork_editor import CHOOSE_NODE, ForkEditor
from tests.builders import AgentDb, FanoutDb, fanout_graph, tool_agent_graph
from tests.ui.test_time_travel import TIMEOUT


class Forked:
    """Records ``fork_requested`` emissions."""

    def __init__(self, editor: ForkEditor) -> None:
        self.calls: list[tuple[str, str, dict[str, Any], str | None]] = []
        editor.fork_requested.connect(lambda *args: self.calls.append(args))


@pytest.fixture
def agent_copy(agent_db: AgentDb, tmp_path: Path) -> Path:
    path = tmp_path / "agent.sqlite"
    shutil.copy(agent_db.path, path)
    return path


@pytest.fixture
def agent_graph() -> LoadedGraph:
    return LoadedGraph.from_object(tool_agent_graph(None), spec="tests:agent")


@pytest.fixture
def editor(qtbot: QtBot) -> ForkEditor:
    widget = ForkEditor()
    qtbot.addWidget(widget)
    return widget


def checkpoint(path: Path, thread_id: str, step: int) -> CheckpointState:
    with SqliteCheckpointSource(path) as source:
        meta = next(m for m in source.history(thread_id) if m.step == step)
        return source.load_state(meta)


def open_on(
    qtbot: QtBot, editor: ForkEditor, state: CheckpointState, graph: LoadedGraph, path: Path
) -> str | None:
    meta = state.meta
    inferred = asyncio.run(infer_as_node(graph, path, meta.thread_id, meta.checkpoint_id))
    editor.edit(state, graph, inferred)
    editor.show()
    qtbot.waitExposed(editor, timeout=TIMEOUT)
    return inferred


def type_after(qtbot: QtBot, editor: ForkEditor, anchor: str, text: str) -> None:
    """Put the cursor right after ``anchor`` in the JSON and type ``text`` there."""
    edit = editor.editor.edit
    found = edit.document().find(anchor)
    assert not found.isNull(), anchor
    cursor = edit.textCursor()
    cursor.setPosition(found.selectionEnd())
    edit.setTextCursor(cursor)
    edit.setFocus()
    qtbot.keyClicks(edit, text)


def test_edit_a_message_pick_a_node_and_fork(
    qtbot: QtBot, editor: ForkEditor, agent_copy: Path, agent_graph: LoadedGraph
) -> None:
    state = checkpoint(agent_copy, "agent-math", 3)
    inferred = open_on(qtbot, editor, state, agent_graph, agent_copy)
    forked = Forked(editor)
    combo = editor.findChild(QComboBox, "asNodeCombo")

    assert inferred == "agent"
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "agent (inferred)",
        "tools",
        "__start__ (graph input)",
    ]
    assert combo.currentData() == "agent"
    assert editor.findChild(QLabel, "forkTitle").text() == "Fork from step 3 · after agent"
    assert not editor.isModal()

    type_after(qtbot, editor, '"The add tool says: 42.0', " (checked twice)")
    changes = editor.findChild(QLabel, "forkChanges")
    qtbot.waitUntil(lambda: changes.text() == "Will change: messages: 1 edited", timeout=TIMEOUT)
    combo.setCurrentIndex(combo.findData("tools"))
    editor.findChild(QCheckBox, "continueAfterFork").setChecked(True)
    qtbot.mouseClick(editor.findChild(QPushButton, "forkSubmit"), Qt.MouseButton.LeftButton)

    assert len(forked.calls) == 1
    thread_id, checkpoint_id, values, as_node = forked.calls[0]
    original_ids = [m["id"] for m in state.values["messages"]]
    assert (thread_id, checkpoint_id, as_node) == ("agent-math", state.meta.checkpoint_id, "tools")
    assert list(values) == ["messages"] and len(values["messages"]) == 1
    edited = values["messages"][0]
    assert isinstance(edited, AIMessage)
    assert (edited.id, edited.text) == (original_ids[3], "The add tool says: 42.0 (checked twice).")
    assert edited.usage_metadata == state.values["messages"][3]["usage_metadata"]
    assert editor.continue_after_fork and editor.checkpoint_ns == ""
    assert not editor.findChild(QPushButton, "forkSubmit").isEnabled(), "busy until finish()"

    async def write_and_read() -> Any:
        new_id = await fork(agent_graph, agent_copy, thread_id, checkpoint_id, values, as_node)
        async with open_saver(agent_copy) as saver:
            return await agent_graph.bind(saver).aget_state(
                {"configurable": {"thread_id": thread_id, "checkpoint_id": new_id}}
            )

    snapshot = asyncio.run(write_and_read())
    assert [m.id for m in snapshot.values["messages"]] == original_ids
    assert snapshot.values["messages"][3].text == "The add tool says: 42.0 (checked twice)."
    assert snapshot.next == ("agent",), "credited to tools, so the agent runs next"

    editor.finish()
    assert not editor.isVisible()


def test_invalid_json_disables_fork_until_fixed(
    qtbot: QtBot, editor: ForkEditor, agent_copy: Path, agent_graph: LoadedGraph
) -> None:
    open_on(qtbot, editor, checkpoint(agent_copy, "agent-math", 1), agent_graph, agent_copy)
    forked = Forked(editor)
    button = editor.findChild(QPushButton, "forkSubmit")
    assert button.isEnabled()

    type_after(qtbot, editor, '"content": "Please add 2 and 40"', ",")
    assert not button.isEnabled()
    assert editor.findChild(QLabel, "jsonError").text().startswith("Line ")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert forked.calls == []

    qtbot.keyClick(editor.editor.edit, Qt.Key.Key_Backspace)
    qtbot.waitUntil(button.isEnabled, timeout=TIMEOUT)
    assert editor.findChild(QLabel, "forkChanges").text() == (
        "No values changed: the fork only records an update as the chosen node"
    )


def test_an_edit_the_graph_cannot_take_is_explained(
    qtbot: QtBot, editor: ForkEditor, agent_copy: Path, agent_graph: LoadedGraph
) -> None:
    open_on(qtbot, editor, checkpoint(agent_copy, "agent-math", 1), agent_graph, agent_copy)
    forked = Forked(editor)
    button = editor.findChild(QPushButton, "forkSubmit")
    edit = editor.editor.edit
    found = edit.document().find('"type": "human"')
    cursor = edit.textCursor()
    cursor.setPosition(found.selectionStart())
    cursor.setPosition(found.selectionEnd(), QTextCursor.MoveMode.KeepAnchor)
    edit.setTextCursor(cursor)
    edit.setFocus()
    qtbot.keyClicks(edit, '"type": "robot"')

    error = editor.findChild(QLabel, "forkError")
    qtbot.waitUntil(error.isVisible, timeout=TIMEOUT)
    assert error.text() == (
        "messages[0]: unknown message type 'robot'; use one of human, ai, tool, system, chat, "
        "function"
    )
    assert not button.isEnabled()
    editor.submit()
    assert forked.calls == []


def test_ambiguous_update_asks_for_a_node(qtbot: QtBot, editor: ForkEditor, tmp_path: Path) -> None:
    class LogState(TypedDict):
        log: Annotated[list[str], operator.add]

    builder = StateGraph(LogState)
    for name in ("left", "right", "join"):
        builder.add_node(name, lambda state, name=name: {"log": [name]})
    builder.add_edge(START, "left")
    builder.add_edge(START, "right")
    builder.add_edge(["left", "right"], "join")
    graph = LoadedGraph.from_object(builder, spec="tests:parallel")
    path = tmp_path / "parallel.sqlite"

    async def fill() -> None:
        async for _ in run(graph, path, "t", {"log": []}, interrupt_before=["join"]):
            pass

    asyncio.run(fill())
    state = checkpoint(path, "t", 1)
    forked = Forked(editor)
    assert open_on(qtbot, editor, state, graph, path) is None
    combo = editor.findChild(QComboBox, "asNodeCombo")
    button = editor.findChild(QPushButton, "forkSubmit")
    hint = editor.findChild(QLabel, "asNodeHint")

    assert combo.currentText() == CHOOSE_NODE
    assert hint.isVisible() and "cannot tell which node wrote last" in hint.text()
    assert not button.isEnabled()

    combo.setCurrentIndex(combo.findData("right"))
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert forked.calls == [("t", state.meta.checkpoint_id, {}, "right")]


def test_a_failed_fork_keeps_the_edit_and_shows_why(
    qtbot: QtBot, editor: ForkEditor, agent_copy: Path, agent_graph: LoadedGraph
) -> None:
    open_on(qtbot, editor, checkpoint(agent_copy, "agent-math", 1), agent_graph, agent_copy)
    type_after(qtbot, editor, '"Please add 2 and 40', " please")
    qtbot.mouseClick(editor.findChild(QPushButton, "forkSubmit"), Qt.MouseButton.LeftButton)
    text = editor.editor.text()

    editor.finish("Cannot fork from 1f0: database is locked")

    error = editor.findChild(QLabel, "forkError")
    assert error.isVisible() and error.text() == "Cannot fork from 1f0: database is locked"
    assert editor.isVisible() and editor.editor.text() == text
    assert editor.findChild(QPushButton, "forkSubmit").isEnabled()


def test_an_undecodable_checkpoint_cannot_be_forked(
    qtbot: QtBot, editor: ForkEditor, agent_graph: LoadedGraph
) -> None:
    meta = CheckpointMeta("t", "", "1f0-broken", None, 3, "loop", None, {}, ("agent",))
    broken = CheckpointState(meta, {}, error="checkpoint blob could not be decoded: bad")
    editor.edit(broken, agent_graph, "agent")
    editor.show()

    error = editor.findChild(QLabel, "forkError")
    assert error.isVisible()
    assert error.text() == (
        "This checkpoint cannot be forked: checkpoint blob could not be decoded: bad"
    )
    assert not editor.findChild(QPushButton, "forkSubmit").isEnabled()


def test_a_subgraph_checkpoint_forks_in_its_namespace(
    qtbot: QtBot, editor: ForkEditor, fanout_db: FanoutDb, tmp_path: Path
) -> None:
    path = tmp_path / "fanout.sqlite"
    shutil.copy(fanout_db.path, path)
    graph = LoadedGraph.from_object(fanout_graph(None), spec="tests:fanout")
    with SqliteCheckpointSource(path) as source:
        meta = next(
            m
            for m in source.history(fanout_db.thread_id)
            if m.checkpoint_ns and m.writers == ("gather",)
        )
        state = source.load_state(meta)
    ns = meta.checkpoint_ns
    inferred = asyncio.run(infer_as_node(graph, path, meta.thread_id, meta.checkpoint_id, ns))
    editor.edit(state, graph, inferred)
    editor.show()
    forked = Forked(editor)
    combo = editor.findChild(QComboBox, "asNodeCombo")
    assert editor.findChild(QLabel, "forkTitle").text().endswith("after gather · subgraph research")
    assert [combo.itemData(i) for i in range(combo.count())] == ["gather", "summarize", "__start__"]
    assert combo.currentText() == "gather (inferred)"

    editor.editor.set_value({**user_channels(state.values), "notes": ["one hand-written note"]})
    qtbot.mouseClick(editor.findChild(QPushButton, "forkSubmit"), Qt.MouseButton.LeftButton)

    assert forked.calls == [
        (meta.thread_id, meta.checkpoint_id, {"notes": ["one hand-written note"]}, "gather")
    ]
    assert editor.checkpoint_ns == ns

    async def write_and_read() -> Any:
        values, as_node = forked.calls[0][2:]
        new_id = await fork(
            graph, path, meta.thread_id, meta.checkpoint_id, values, as_node, checkpoint_ns=ns
        )
        async with open_saver(path) as saver:
            config = {"thread_id": meta.thread_id, "checkpoint_ns": ns, "checkpoint_id": new_id}
            return await graph.bind(saver).aget_state({"configurable": config})

    snapshot = asyncio.run(write_and_read())
    assert snapshot.values["notes"] == ["one hand-written note"]
    assert snapshot.next == ("summarize",)


def test_a_namespace_the_graph_lacks_blocks_the_fork(
    qtbot: QtBot, editor: ForkEditor, agent_graph: LoadedGraph
) -> None:
    meta = CheckpointMeta("t", "elsewhere:1f0", "1f0-sub", None, 1, "loop", None, {})
    editor.edit(CheckpointState(meta, {"x": 1}), agent_graph, None)

    assert editor.findChild(QLabel, "forkError").text() == (
        "Graph 'tool-agent' has no subgraph at 'elsewhere' (namespace elsewhere:1f0)"
    )
    assert not editor.findChild(QPushButton, "forkSubmit").isEnabled()
