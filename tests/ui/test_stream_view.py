"""The stream view fed with the parts a real run of the demo agent streamed.

The events are recorded once per module: the demo graph runs headless through
``desktop.core.runner.run`` (every stream mode) into a SQLite file of the session.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from desktop.core.graphs import LoadedGraph, load_graph
from desktop.core.inputs import make_input
from desktop.core.run_stream import RunError, StreamEvent
from desktop.core.runner import run
from desktop.core.savers import open_saver
from desktop.ui.widgets.event_log import EventLogModel, LogEntry, log_entry, node_path
from desktop.ui.widgets.stream_view import FLUSH_INTERVAL_MS, StreamView
from tests.builders import batch_graph

MODES = ("messages", "updates", "custom", "tasks", "checkpoints", "values")


async def _record(graph: LoadedGraph, db: Path, input: object) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    async with open_saver(db, allowed_types=graph.msgpack_allowlist) as saver:
        try:
            async for event in run(graph, saver, "t", input, stream_modes=MODES):
                events.append(event)
        except RunError:
            pass
    return events


def record(graph: LoadedGraph, db: Path, input: object) -> list[StreamEvent]:
    """Run ``graph`` on a plain asyncio loop in a worker thread (Qt's loop may be set here)."""

    def work() -> list[StreamEvent]:
        with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
            return runner.run(_record(graph, db, input))

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


@pytest.fixture(scope="module")
def demo_events(tmp_path_factory: pytest.TempPathFactory) -> list[StreamEvent]:
    """Every part of one demo turn: tool call, subgraph, custom events, the interrupt."""
    mp = pytest.MonkeyPatch()
    mp.setenv("REWIND_DEMO_TOKEN_DELAY", "0")
    try:
        graph = load_graph("demo")
    finally:
        mp.undo()
    db = tmp_path_factory.mktemp("stream") / "demo.sqlite"
    return record(graph, db, make_input(text="What is 12 * 49?"))


@pytest.fixture(scope="module")
def error_events(tmp_path_factory: pytest.TempPathFactory) -> list[StreamEvent]:
    graph = LoadedGraph.from_object(batch_graph(None), spec="batch")
    db = tmp_path_factory.mktemp("stream-error") / "batch.sqlite"
    return record(graph, db, {"items": []})


@pytest.fixture
def view(qtbot) -> StreamView:
    widget = StreamView()
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def feed(view: StreamView, events: list[StreamEvent]) -> None:
    view.begin_run("Run on t")
    for event in events:
        view.add_event(event)
    view.flush()


def ai_contents(events: list[StreamEvent]) -> list[str]:
    """Contents of the AI messages the nodes returned (from the ``updates`` parts)."""
    found = []
    for event in events:
        if event.type != "updates":
            continue
        for update in event.data.values():
            for message in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                if message.get("type") == "ai" and message.get("content"):
                    found.append(message["content"])
    return found


def test_node_path_drops_task_ids() -> None:
    assert node_path((), "agent") == "agent"
    assert node_path(("researcher:1f2e",), "gather") == "researcher › gather"
    assert node_path(("outer:1", "inner:2")) == "outer › inner"


def test_tokens_are_grouped_by_node_and_namespace(view: StreamView, demo_events) -> None:
    feed(view, demo_events)
    lines = view.output_text().splitlines()
    assert lines[0].startswith("── Run on t · ")
    headers = [line for line in lines if line in ("agent", "researcher › write_note")]
    assert headers == ["agent", "agent", "researcher › write_note"]
    assert "tools · calculator result" in lines
    assert "→ calls calculator" in lines
    for content in ai_contents(demo_events):
        assert content in lines, f"streamed tokens do not add up to {content!r}"
    tokens = [e for e in demo_events if e.type == "messages" and e.token]
    assert view.token_count == len(tokens)
    assert view.counter.text().startswith(f"{len(tokens)} tokens · ")


def test_tokens_are_buffered_and_appended_never_reset(qtbot, view: StreamView, demo_events) -> None:
    document = view.output.document()
    changes: list[tuple[int, int, int, int]] = []
    document.contentsChange.connect(
        lambda position, removed, added: changes.append(
            (position, removed, added, document.characterCount())
        )
    )
    tokens = [e for e in demo_events if e.type == "messages"]
    half = len(tokens) // 2
    for event in tokens[:half]:
        view.add_event(event)
    assert view.output_text() == "", "tokens are drawn by the timer, not per token"
    qtbot.waitUntil(lambda: view.output_text() != "", timeout=FLUSH_INTERVAL_MS * 10)
    first = view.output_text()
    for event in tokens[half:]:
        view.add_event(event)
    view.flush()
    assert view.output_text().startswith(first)
    assert len(changes) == 2, "one edit per flush"
    for position, removed, added, after in changes:
        assert removed == 0, "text was replaced instead of appended"
        assert position + added == after - 1, "the edit was not at the end of the document"


def test_event_log_rows_and_roles(qtbot, qtmodeltester, view: StreamView, demo_events) -> None:
    feed(view, demo_events)
    model = view.event_model
    qtmodeltester.check(model)
    table = view.findChild(QTableView, "eventLog")
    assert table.model() is model
    rows = [
        (
            model.index(r, 1).data(),
            model.index(r, 2).data(),
            model.index(r, 0).data(EventLogModel.ToneRole),
        )
        for r in range(model.rowCount())
    ]
    assert ("task started", "agent", "") in rows
    assert ("task finished", "tools", "done") in rows
    assert ("task started", "researcher › gather", "") in rows
    assert ("custom", "researcher", "") in rows
    assert ("checkpoint", "researcher", "") in rows
    assert ("interrupt", "graph", "interrupt") in rows
    assert ("task interrupted", "approve", "interrupt") in rows
    assert not any(kind == "values" for kind, _, _ in rows)
    update = next(r for r in range(model.rowCount()) if model.index(r, 1).data() == "update")
    summary = model.index(update, 3).data()
    assert summary.startswith("agent: messages +1 (ai)")
    time_text = model.index(0, 0).data()
    assert time_text == model.index(0, 0).data(EventLogModel.TimeRole).strftime("%H:%M:%S.%f")[:-3]
    assert model.roleNames()[EventLogModel.KindRole] == b"kind"


def test_failed_task_row_is_red(view: StreamView, error_events) -> None:
    feed(view, error_events)
    model = view.event_model
    failed = [r for r in range(model.rowCount()) if model.index(r, 1).data() == "task failed"]
    assert len(failed) == 1
    index = model.index(failed[0], 3)
    cost = model.entry_at(failed[0]).cost
    assert cost is not None and cost.seconds is not None, "a failed task is timed too"
    took = cost.describe()
    assert index.data() == f"{took} · ValueError: cannot split 3 items into 0 batches"
    assert model.index(failed[0], 2).data() == "explode"
    assert index.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#cf222e"
    view.end_run("Run failed: Node 'explode' failed", "error")
    assert view.output_text().rstrip().endswith("Run failed: Node 'explode' failed")


def test_selecting_an_event_shows_all_of_its_data(qtbot, view: StreamView, demo_events) -> None:
    feed(view, demo_events)
    view.tabs.setCurrentIndex(1)
    table = view.event_log
    row = next(
        r
        for r in range(view.event_model.rowCount())
        if view.event_model.index(r, 1).data() == "interrupt"
    )
    table.scrollTo(view.event_model.index(row, 0))
    rect = table.visualRect(view.event_model.index(row, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    detail = view.event_detail.toPlainText()
    assert detail.startswith("interrupt · graph · ")
    payload = json.loads(detail.split("\n\n", 1)[1])
    assert payload["__interrupt__"][0]["value"]["question"].startswith("Send this scripted demo")


def test_values_tab_shows_the_latest_root_values(view: StreamView, demo_events) -> None:
    feed(view, demo_events)
    latest = [e.data for e in demo_events if e.type == "values" and not e.ns][-1]
    assert json.loads(view.values_view.toPlainText()) == latest


def test_log_is_trimmed_and_clear_forgets_everything(view: StreamView, demo_events) -> None:
    model = EventLogModel(max_rows=5)
    entries = [log_entry(e) for e in demo_events if e.type == "tasks"]
    model.append([e for e in entries if isinstance(e, LogEntry)])
    assert model.rowCount() == 5
    assert model.entries[-1] == entries[-1]

    feed(view, demo_events)
    view.clear()
    assert view.output_text() == ""
    assert view.event_model.rowCount() == 0
    assert view.values_view.toPlainText() == ""
    assert view.token_count == 0
