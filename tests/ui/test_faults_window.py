"""The window under the write-path faults of issue 8, driven through its real widgets.

Input the graph rejects is refused inline before anything is written; a thread another
Rewind process is writing is refused inline; the run panel's step limit stops an endless
graph; Stop on a synchronous node says what it waits for until the node really returned;
quitting does not wait for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.core.executor import DaemonExecutor
from desktop.ui.controller import GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.run_request import FAILED, STOPPED
from tests.ui.test_live_run import (
    attach,
    click_run,
    empty_db,
    isolated_imports,  # noqa: F401  (fixture)
    open_demo,
    panel,
    stored_keys,
    type_input,
)

ROOT = Path(__file__).resolve().parents[2]
GRAPHS = ROOT / "tests" / "data" / "fault_graphs.py"
TIMEOUT = 30_000


@pytest.fixture
def daemon_executor(qloop):
    """The window's default executor, as ``desktop.ui.app`` installs it."""
    qloop.set_default_executor(DaemonExecutor())
    return qloop


def open_with(settle, window: MainWindow, db: Path, graph: str) -> None:
    settle(lambda: window.controller.open_database(db))
    attach(settle, window.controller, GraphOptions(graph=f"{GRAPHS}:{graph}"))


def set_thread(qtbot, window: MainWindow, thread_id: str) -> None:
    edit = panel(window).thread_edit
    edit.clear()
    qtbot.keyClicks(edit, thread_id)


def refused_input(qtbot, window: MainWindow, settle, monkeypatch, text: str) -> str:
    """Run the demo thread with JSON input ``text``: the run is refused inline, as plain
    text, and nothing is written; the refusal's text."""
    db = open_demo(qtbot, window, settle, monkeypatch, "0")
    thread_id = "demo-calculator"
    before = stored_keys(db, thread_id)
    set_thread(qtbot, window, thread_id)
    type_input(qtbot, window, text, as_json=True)
    assert click_run(qtbot, window)[1].startswith(FAILED)
    error = panel(window).error_label
    assert error.isVisible()
    assert error.textFormat() == Qt.TextFormat.PlainText
    assert stored_keys(db, thread_id) == before
    return error.text()


def test_input_the_graph_rejects_is_refused_inline_and_nothing_is_written(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    text = refused_input(qtbot, window, settle, monkeypatch, '{"messages": [{"role": "user"}]}')
    assert text.startswith("Input refused, nothing was written: state key 'messages'")


def test_an_input_key_the_graph_does_not_take_is_refused_inline(
    qtbot, window: MainWindow, settle, monkeypatch
) -> None:
    """A mistyped key in the JSON input is not dropped (LangGraph would run the turn
    without it): the run panel says which keys the graph takes, nothing is written."""
    text = refused_input(
        qtbot, window, settle, monkeypatch, '{"mesages": [{"role": "user", "content": "hi"}]}'
    )
    assert text == (
        "Input refused, nothing was written: unknown input key(s) mesages; "
        "the graph's input keys are messages, approval"
    )


def test_a_thread_another_rewind_is_writing_is_refused_inline(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path,
    isolated_imports,  # noqa: F811
) -> None:
    db = empty_db(tmp_path / "locked.sqlite")
    trace = tmp_path / "trace.txt"
    other = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "desktop",
            "run",
            str(db),
            "--graph",
            f"{GRAPHS}:sleepy",
            "--thread",
            "t1",
            "--input-json",
            '{"log": []}',
            "--durability",
            "sync",
        ],
        cwd=ROOT,
        env={**os.environ, "REWIND_TEST_SLEEP": "60", "REWIND_TEST_TRACE": str(trace)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (trace.exists() and "slow-start" in trace.read_text()):
            assert other.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        open_with(settle, window, db, "sleepy")
        before = stored_keys(db, "t1")
        set_thread(qtbot, window, "t1")
        type_input(qtbot, window, '{"log": ["from the window"]}', as_json=True)
        assert click_run(qtbot, window)[1].startswith(FAILED)
        message = f"thread t1 is being run by another Rewind (pid {other.pid})"
        assert panel(window).error_label.text() == message
        assert message in window.run_status_label.toolTip()
        assert stored_keys(db, "t1") == before
    finally:
        other.kill()
        other.wait()


def test_the_step_limit_of_the_run_settings_stops_an_endless_graph(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path,
    isolated_imports,  # noqa: F811
) -> None:
    db = empty_db(tmp_path / "endless.sqlite")
    open_with(settle, window, db, "endless")
    from tests.ui.test_run_settings import open_settings, save, set_limit

    dialog = open_settings(qtbot, window)
    assert dialog.limit_spin.value() == 25
    set_limit(qtbot, dialog, 4)
    save(qtbot, dialog)
    assert window.controller.runs.recursion_limit == 4
    set_thread(qtbot, window, "loop")
    type_input(qtbot, window, '{"log": []}', as_json=True)
    thread_id, outcome = click_run(qtbot, window)
    assert thread_id == "loop"
    assert outcome.startswith(FAILED)
    assert "recursion limit (4 steps)" in outcome
    assert len(stored_keys(db, "loop")) <= 6


def test_stop_on_a_synchronous_node_waits_honestly_and_quitting_does_not(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path,
    monkeypatch,
    daemon_executor,
    isolated_imports,  # noqa: F811
) -> None:
    db = empty_db(tmp_path / "sleepy.sqlite")
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("REWIND_TEST_TRACE", str(trace))
    monkeypatch.setenv("REWIND_TEST_SLEEP", "2")
    open_with(settle, window, db, "sleepy")
    runs = window.controller.runs
    run_panel = panel(window)
    set_thread(qtbot, window, "t")
    type_input(qtbot, window, '{"log": []}', as_json=True)
    qtbot.mouseClick(run_panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.run_status_label.text() == "Running · slow", timeout=TIMEOUT)

    with qtbot.waitSignal(runs.stopping, timeout=TIMEOUT):
        qtbot.mouseClick(run_panel.stop_button, Qt.MouseButton.LeftButton)
    status = window.run_status_label.text()
    assert status == "Stopping: waiting for node slow (synchronous)"
    assert runs.is_running, "not stopped while the node still runs"
    assert not run_panel.run_button.isEnabled()
    assert "slow-end" not in trace.read_text()
    with qtbot.waitSignal(runs.run_finished, timeout=TIMEOUT) as finished:
        qtbot.mouseClick(run_panel.stop_button, Qt.MouseButton.LeftButton)
        assert runs.is_running, "a second Stop does not pretend the node stopped"
    assert finished.args == ["t", STOPPED]
    assert "slow-end" in trace.read_text(), "stopped is said only once the node returned"
    assert window.run_status_label.text().startswith("Run stopped")

    # quitting while a synchronous node is blocked: shutdown does not wait for it, and
    # the node's thread is a daemon that cannot keep the process alive
    monkeypatch.setenv("REWIND_TEST_SLEEP", "60")
    type_input(qtbot, window, '{"log": []}', as_json=True)
    qtbot.mouseClick(run_panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: trace.read_text().count("slow-start") == 2, timeout=TIMEOUT)
    workers = [t for t in threading.enumerate() if t.name == "rewind-worker" and t.is_alive()]
    assert workers and all(t.daemon for t in workers)
    done = daemon_executor.create_task(window.controller.shutdown())
    qtbot.waitUntil(done.done, timeout=10_000)
    assert trace.read_text().count("slow-end") == 1


def test_a_late_answer_to_an_interrupt_another_rewind_answered_is_refused(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path,
    isolated_imports,  # noqa: F811
) -> None:
    db = tmp_path / "approval.sqlite"
    trace = tmp_path / "trace.txt"
    cli_env = {**os.environ, "REWIND_TEST_SLEEP": "0", "REWIND_TEST_TRACE": str(trace)}
    command = [sys.executable, "-m", "desktop"]
    where = [str(db), "--graph", f"{GRAPHS}:approval", "--thread", "t"]
    subprocess.run(
        [*command, "run", *where, "--input-json", '{"log": []}'],
        cwd=ROOT,
        env=cli_env,
        check=True,
        capture_output=True,
    )
    settle(lambda: window.controller.open_database(db, thread_id="t"))
    attach(settle, window.controller, GraphOptions(graph=f"{GRAPHS}:approval"))
    resume_panel = window.resume_panel
    qtbot.waitUntil(lambda: len(resume_panel.cards) == 1, timeout=TIMEOUT)
    (card,) = resume_panel.cards
    pending = window.controller.thread_status.interrupts[0].id

    # another Rewind answers it while the window still shows it
    subprocess.run(
        [*command, "resume", *where, "--value", "yes"],
        cwd=ROOT,
        env=cli_env,
        check=True,
        capture_output=True,
    )
    card.value_edit.setPlainText("no")
    with qtbot.waitSignal(window.controller.runs.run_finished, timeout=TIMEOUT) as finished:
        qtbot.mouseClick(resume_panel.resume_button, Qt.MouseButton.LeftButton)
    assert finished.args == ["t", FAILED]
    refusal = panel(window).error_label.text()
    assert refusal.startswith(f"Interrupt {pending} of thread 't' is no longer pending"), refusal
    assert [t for t in trace.read_text().splitlines() if t.startswith("approve:")] == [
        "approve:yes"
    ]
