"""The Run settings' durability choice reaches LangGraph (issue 7, section 5), driven by
real clicks and keys; every count and value is checked with LangGraph on the file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from PySide6.QtCore import Qt

from desktop.core.graphs import load_graph
from desktop.ui.main_window import MainWindow
from desktop.ui.models.timeline import TimelineModel
from desktop.ui.run_request import FINISHED
from tests.builders import read_saver, thread_config
from tests.ui.test_live_run import (
    click_run,
    isolated_imports,  # noqa: F401  (fixture)
    open_empty,
    panel,
    type_input,
    wait_for_timeline,
)
from tests.ui.test_run_settings import choose_durability, open_settings, save
from tests.ui.test_window import click_row, open_db, open_thread, timeline, visible_rows

ROOT = Path(__file__).resolve().parents[2]
GRAPHS = ROOT / "tests" / "truth_graphs.py"


def _count(db: Path, thread_id: str) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (thread_id,)
        ).fetchone()[0]


def _choose(qtbot, window: MainWindow, mode: str) -> None:
    dialog = open_settings(qtbot, window)
    choose_durability(qtbot, dialog, mode)
    save(qtbot, dialog)


def _run_on(qtbot, window: MainWindow, thread_id: str) -> tuple[str, str]:
    run_panel = panel(window)
    run_panel.thread_edit.clear()
    qtbot.keyClicks(run_panel.thread_edit, thread_id)
    type_input(qtbot, window, "{}", as_json=True)
    return click_run(qtbot, window)


def test_run_settings_durability_reaches_langgraph(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path: Path,
    isolated_imports,  # noqa: F811
) -> None:
    spec = f"{GRAPHS}:inner_call_app"
    db = open_empty(window, settle, tmp_path / "durable.sqlite", spec)
    assert window.controller.runs.durability is None

    assert _run_on(qtbot, window, "default") == ("default", FINISHED)
    wait_for_timeline(qtbot, window, db, "default")

    _choose(qtbot, window, "exit")
    assert window.controller.runs.durability == "exit"
    assert _run_on(qtbot, window, "exit") == ("exit", FINISHED)
    wait_for_timeline(qtbot, window, db, "exit")

    _choose(qtbot, window, "sync")
    _, outcome = _run_on(qtbot, window, "sync")
    assert "_put_checkpoint_fut" in outcome, "sync breaks an inner graph, as in LangGraph"

    graph = load_graph(spec)
    with read_saver(db) as saver:
        bound = graph.bind(saver)
        for thread in ("default", "exit"):
            assert bound.get_state(thread_config(thread)).values["notes"] == [
                "inner ran",
                "finished",
            ]
        history = {
            t: len(list(bound.get_state_history(thread_config(t)))) for t in ("default", "exit")
        }
    assert history == {"default": _count(db, "default"), "exit": _count(db, "exit")}
    assert history["exit"] == 1 < history["default"]


def test_a_checkpoint_saved_after_several_steps_says_so(
    qtbot, window: MainWindow, settle, tmp_path: Path
) -> None:
    """The demo resumed under ``exit``: its one checkpoint (step 6) is written by
    ``approve``, its parent's task, as LangGraph says; the header and the row's tooltip
    add that one more step ran before it was saved."""
    db = tmp_path / "exit.sqlite"
    run = ("--graph", "demo", "--thread", "e1", "--durability", "exit")
    for command in (("run", "--input", "What is 12 * 49?"), ("resume", "--value", "yes")):
        rewind = [sys.executable, "-m", "desktop", command[0], str(db), *run, *command[1:]]
        subprocess.run(rewind, cwd=ROOT, check=True, capture_output=True)
    window.resize(1280, 800)
    open_db(qtbot, window, settle, db)
    open_thread(qtbot, window, settle, "e1")
    view = timeline(window)
    rows = {i.data(TimelineModel.StepRole): i for i in visible_rows(view)}
    assert sorted(rows) == [4, 6]
    facts = window.state_view.header.facts
    settle(lambda: click_row(qtbot, view, rows[4]))
    assert facts.text() == "thread e1 · next approve"
    saved = rows[6]
    settle(lambda: click_row(qtbot, view, saved))
    assert saved.data(TimelineModel.WritersRole) == ["approve"]
    assert (
        facts.text() == "thread e1 · written by approve (+1 step not saved on their own) · next —"
    )
    tip = saved.data(Qt.ItemDataRole.ToolTipRole)
    assert "written by approve (+1 step not saved on their own)" in tip
