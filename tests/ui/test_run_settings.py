"""The Run settings dialog (issue 11): configurable, context, step limit and durability typed
with real keys and clicks, validated inline, remembered per graph, and used by Run,
Resume and Replay; what reached the graph is read back with LangGraph on the file."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QPlainTextEdit, QPushButton

from desktop.core.run_settings import RunSettings
from desktop.ui.controller import GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.run_request import FINISHED, INTERRUPTED
from desktop.ui.widgets.json_editor import JsonEditor
from desktop.ui.widgets.run_settings_dialog import RunSettingsDialog
from tests.builders import read_saver, thread_config
from tests.data.settings_graphs import context_graph
from tests.ui.test_faults_window import set_thread
from tests.ui.test_live_run import (
    attach,
    empty_db,
    isolated_imports,  # noqa: F401  (fixture)
    open_empty,
    panel,
    type_input,
    wait_for_timeline,
)
from tests.ui.test_time_travel import (
    TIMEOUT,
    activate,
    click_row,
    snapshot_key,
    toolbar_button,
    wait_run,
)

DATA = Path(__file__).resolve().parents[1] / "data"
CONTEXT_SPEC = f"{DATA / 'settings_graphs.py'}:context_app"
CONFIGURABLE_SPEC = f"{DATA / 'settings_graphs.py'}:configurable_app"


# -- driving the dialog (also used by the durability and step-limit tests) ---------------


def open_settings(qtbot, window: MainWindow) -> RunSettingsDialog:
    """Click the run panel's Settings… button; the dialog that opens."""
    qtbot.mouseClick(panel(window).settings_button, Qt.MouseButton.LeftButton)
    dialog = window.run_settings.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=TIMEOUT)
    return dialog


def type_json(qtbot, editor: JsonEditor, text: str) -> None:
    """Select everything in ``editor`` with Ctrl+A and type ``text`` over it."""
    editor.edit.setFocus()
    qtbot.keyClick(editor.edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor.edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(editor.edit, text)


def set_limit(qtbot, dialog: RunSettingsDialog, limit: int) -> None:
    spin = dialog.limit_spin
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, str(limit))
    assert spin.value() == limit


def choose_durability(qtbot, dialog: RunSettingsDialog, mode: str | None) -> None:
    combo = dialog.durability
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    while combo.currentData() != mode:
        index = combo.currentIndex()
        qtbot.keyClick(combo, Qt.Key.Key_Down)
        assert combo.currentIndex() != index, f"no durability {mode!r}"


def save(qtbot, dialog: RunSettingsDialog) -> None:
    assert dialog.save_button.isEnabled(), dialog.findChild(QLabel, "jsonError").text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=TIMEOUT)


def shown_error(editor: JsonEditor) -> str:
    label = editor.error_label
    return label.text() if label.isVisibleTo(editor) else ""


# -- the tests ---------------------------------------------------------------------------


def test_inline_validation_keeps_save_disabled_until_the_json_is_acceptable(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path: Path,
    isolated_imports,  # noqa: F811
) -> None:
    db = empty_db(tmp_path / "ctx.sqlite")
    settle(lambda: window.controller.open_database(db))
    assert not panel(window).settings_button.isEnabled(), "settings belong to a graph"
    attach(settle, window.controller, GraphOptions(graph=CONTEXT_SPEC))
    dialog = open_settings(qtbot, window)
    hint = dialog.findChild(QLabel, "contextHint").text()
    assert hint == "context_schema Persona: user_name (required), tone"

    cases = [
        (dialog.configurable, '{"user_id": ', "Line 1, column 13: Expecting value"),
        (dialog.configurable, "[1]", "Configurable must be a JSON object ({...}), not list"),
        (dialog.configurable, '{"thread_id": "x"}', "Configurable may not set 'thread_id'"),
        (dialog.context, '"Ada"', "Context must be a JSON object ({...}), not str"),
        (dialog.context, '{"tone": "warm"}', "Context does not fit Persona (TypeError: "),
    ]
    for editor, text, said in cases:
        type_json(qtbot, editor, text)
        assert shown_error(editor).startswith(said), (text, shown_error(editor))
        assert not dialog.save_button.isEnabled()
        type_json(qtbot, editor, "")
        assert shown_error(editor) == "" and dialog.save_button.isEnabled(), "empty is no setting"

    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton
    )
    assert window.controller.runs.settings == RunSettings()
    assert panel(window).settings_button.text() == "Settings…"


def test_settings_reach_run_resume_and_replay_and_are_remembered_per_graph(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path: Path,
    isolated_imports,  # noqa: F811
) -> None:
    db = open_empty(window, settle, tmp_path / "ctx.sqlite", CONTEXT_SPEC)
    activate(qtbot, window)

    dialog = open_settings(qtbot, window)
    type_json(qtbot, dialog.configurable, '{"user_id": "u7"}')
    type_json(qtbot, dialog.context, '{"user_name": "Ada", "tone": "warm"}')
    set_limit(qtbot, dialog, 30)
    save(qtbot, dialog)
    expected = RunSettings({"user_id": "u7"}, {"user_name": "Ada", "tone": "warm"}, 30)
    assert window.controller.runs.settings == expected
    assert panel(window).settings_button.text() == "Settings ●"

    # Run: the node read runtime.context; LangGraph kept the configurable in the metadata
    set_thread(qtbot, window, "c1")
    type_input(qtbot, window, "{}", as_json=True)
    run_button = panel(window).run_button
    run = wait_run(qtbot, window, lambda: qtbot.mouseClick(run_button, Qt.MouseButton.LeftButton))
    assert run == INTERRUPTED
    with read_saver(db) as saver:
        graph = context_graph(saver)
        assert graph.get_state(thread_config("c1")).values["log"] == ["greet Ada (warm)"]
        history = list(graph.get_state_history(thread_config("c1")))
    assert {s.metadata.get("user_id") for s in history} == {"u7"}

    # Resume (the resume panel) with a context changed in between
    dialog = open_settings(qtbot, window)
    type_json(qtbot, dialog.context, '{"user_name": "Bob"}')
    save(qtbot, dialog)
    (card,) = window.resume_panel.cards
    qtbot.keyClicks(card.findChild(QPlainTextEdit, "resumeValue"), "yes")
    resume_button = window.resume_panel.findChild(QPushButton, "resumeButton")
    resumed = wait_run(
        qtbot, window, lambda: qtbot.mouseClick(resume_button, Qt.MouseButton.LeftButton)
    )
    assert resumed == FINISHED
    with read_saver(db) as saver:
        log = context_graph(saver).get_state(thread_config("c1")).values["log"]
    assert log == ["greet Ada (warm)", "confirm yes for Bob"]

    # Replay (the toolbar) from before greet: greet runs again with the new context
    before_greet = next(s for s in history if s.next == ("greet",))
    click_row(qtbot, window, settle, snapshot_key(before_greet))
    assert window.time_travel.replay.isEnabled()
    button = toolbar_button(window, window.time_travel.replay)
    replay = wait_run(qtbot, window, lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))
    assert replay == INTERRUPTED
    with read_saver(db) as saver:
        log = context_graph(saver).get_state(thread_config("c1")).values["log"]
    assert log == ["greet Bob (plain)"]

    # remembered per graph: another graph has its own (default) settings, this one comes back
    remembered = window.controller.runs.settings
    attach(settle, window.controller, GraphOptions(graph=CONFIGURABLE_SPEC))
    assert window.controller.runs.settings == RunSettings()
    assert panel(window).settings_button.text() == "Settings…"
    attach(settle, window.controller, GraphOptions(graph=CONTEXT_SPEC))
    assert window.controller.runs.settings == remembered
    dialog = open_settings(qtbot, window)
    assert dialog.context.value() == {"user_name": "Bob"}
    assert dialog.configurable.value() == {"user_id": "u7"}
    assert dialog.limit_spin.value() == 30
    qtbot.mouseClick(dialog.defaults_button, Qt.MouseButton.LeftButton)
    save(qtbot, dialog)
    assert window.controller.runs.settings == RunSettings()
    assert window.settings.run_settings(CONTEXT_SPEC) == RunSettings(), "defaults are forgotten"


def test_continue_from_a_checkpoint_and_fork_continue_use_the_settings(
    qtbot,
    window: MainWindow,
    settle,
    tmp_path: Path,
    isolated_imports,  # noqa: F811
) -> None:
    db = open_empty(window, settle, tmp_path / "ctx.sqlite", CONTEXT_SPEC)
    activate(qtbot, window)

    def use_context(name: str) -> None:
        dialog = open_settings(qtbot, window)
        type_json(qtbot, dialog.context, json.dumps({"user_name": name}))
        save(qtbot, dialog)
        activate(qtbot, window)
        if window.controller.thread_id == "c2":  # the rows the click aims at are all there
            wait_for_timeline(qtbot, window, db, "c2")

    def log() -> list[str]:
        with read_saver(db) as saver:
            return context_graph(saver).get_state(thread_config("c2")).values["log"]

    use_context("Ada")
    set_thread(qtbot, window, "c2")
    type_input(qtbot, window, "{}", as_json=True)
    run_button = panel(window).run_button
    run = wait_run(qtbot, window, lambda: qtbot.mouseClick(run_button, Qt.MouseButton.LeftButton))
    assert run == INTERRUPTED and log() == ["greet Ada (plain)"]
    with read_saver(db) as saver:
        history = list(context_graph(saver).get_state_history(thread_config("c2")))
    before_greet = next(s for s in history if s.next == ("greet",))

    # Continue from this checkpoint (toolbar), then Run: greet runs again with the new context
    use_context("Cy")
    click_row(qtbot, window, settle, snapshot_key(before_greet))
    continue_from = toolbar_button(window, window.time_travel.continue_from)
    qtbot.mouseClick(continue_from, Qt.MouseButton.LeftButton)
    assert window.controller.continue_point is not None
    run = wait_run(qtbot, window, lambda: qtbot.mouseClick(run_button, Qt.MouseButton.LeftButton))
    assert run == INTERRUPTED and log() == ["greet Cy (plain)"]

    # Fork with "Continue after fork": the run after the fork gets the settings too
    use_context("Dee")
    click_row(qtbot, window, settle, snapshot_key(before_greet))
    fork_button = toolbar_button(window, window.time_travel.fork)
    settle(lambda: qtbot.mouseClick(fork_button, Qt.MouseButton.LeftButton))
    editor = window.fork_editor
    qtbot.waitExposed(editor, timeout=TIMEOUT)
    editor.editor.set_value({"log": ["forked"]})
    qtbot.mouseClick(editor.findChild(QCheckBox, "continueAfterFork"), Qt.MouseButton.LeftButton)
    submit = editor.findChild(QPushButton, "forkSubmit")
    run = wait_run(qtbot, window, lambda: qtbot.mouseClick(submit, Qt.MouseButton.LeftButton))
    assert run == INTERRUPTED and log() == ["forked", "greet Dee (plain)"]
