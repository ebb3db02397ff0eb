"""Per-task durations and token counts in the event log (issue 11), from a real run of the
demo agent in the window; tokens checked against the usage LangGraph saved."""

from __future__ import annotations

import re
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from desktop.core.run_stream import StreamEvent
from desktop.ui.controllers.run_summary import TaskCost, format_duration
from desktop.ui.main_window import MainWindow
from desktop.ui.run_request import INTERRUPTED
from tests.ui.test_live_run import (
    click_run,
    graph_state,
    open_demo,
    panel,
    type_input,
    wait_for_timeline,
)

RESULTS = ("task finished", "task interrupted", "task failed")


def test_each_task_result_says_how_long_it_ran_and_its_tokens(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    db = open_demo(qtbot, window, settle, monkeypatch, "0.004")
    starts: dict[str, float] = {}
    took: dict[str, float] = {}

    def clock(event: StreamEvent) -> None:  # our own watch on the same parts, as they arrive
        data = event.data
        if event.type == "tasks" and isinstance(data, dict):
            now = time.monotonic()
            if "input" in data:
                starts[data["id"]] = now
            else:
                took[data["id"]] = now - starts[data["id"]]

    window.controller.runs.event_received.connect(clock)
    qtbot.mouseClick(panel(window).new_thread_button, Qt.MouseButton.LeftButton)
    thread_id = panel(window).thread_id
    type_input(qtbot, window, "What is 12 * 49?")
    assert click_run(qtbot, window) == (thread_id, INTERRUPTED)
    wait_for_timeline(qtbot, window, db, thread_id)

    table = window.findChild(QTableView, "eventLog")
    model = table.model()
    rows = [
        (row, model.entry_at(row))
        for row in range(model.rowCount())
        if model.entry_at(row).kind in RESULTS
    ]
    assert len(rows) == len(took) == len(starts), "every task that started has a result row"
    by_name: dict[str, list[TaskCost]] = {}
    for row, entry in rows:
        cost = entry.cost
        assert cost is not None and cost.seconds is not None, entry
        assert abs(cost.seconds - took[entry.data["id"]]) < 0.05, "timed from start to result"
        shown = model.index(row, 3).data()
        assert shown.startswith(f"{format_duration(cost.seconds)} · "), shown
        by_name.setdefault(entry.where, []).append(cost)

    # the chat model's tokens land on the tasks that called it, as LangGraph saved them
    snapshot = graph_state("demo", db, thread_id)
    saved = [
        m.usage_metadata["total_tokens"]
        for m in snapshot.values["messages"]
        if getattr(m, "usage_metadata", None)
    ]
    agent_tokens = [cost.tokens for cost in by_name["agent"]]
    assert agent_tokens == saved[: len(agent_tokens)] and all(agent_tokens)
    assert [cost.tokens for cost in by_name["tools"]] == [0]
    (inner,) = by_name["researcher › write_note"]
    (outer,) = by_name["researcher"]
    assert inner.tokens > 0 and outer.tokens == inner.tokens, "a subgraph counts its tasks"
    assert outer.seconds >= inner.seconds
    run_tokens = sum(
        cost.tokens for where, costs in by_name.items() for cost in costs if "›" not in where
    )
    assert window.run_status_label.text().endswith(f" · {run_tokens:,} tokens)")

    # what the table shows for an agent task, and the detail pane when it is clicked
    agent_row = next(row for row, entry in rows if entry.where == "agent")
    text = model.index(agent_row, 3).data()
    assert re.fullmatch(r"\d+(?: ms|\.\d+ s) · \d+ tokens · wrote messages", text), text
    window.stream_view.tabs.setCurrentIndex(1)
    table.scrollTo(model.index(agent_row, 0))
    rect = table.visualRect(model.index(agent_row, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    detail = window.stream_view.event_detail.toPlainText().splitlines()[0]
    assert detail.endswith(f" · took {model.entry_at(agent_row).cost.describe()}")


def test_durations_read_like_people_write_them() -> None:
    assert [format_duration(s) for s in (0.0004, 0.412, 1.2345, 12.34, 125)] == [
        "0 ms",
        "412 ms",
        "1.23 s",
        "12.3 s",
        "2 min 5 s",
    ]
    assert TaskCost(0.412, 1234).describe() == "412 ms · 1,234 tokens"
    assert TaskCost(None, 1).describe() == "1 token"
