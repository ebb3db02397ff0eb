"""The composition root of the window: QApplication, the qasync loop, controller and window.

``rewind [PATH.db]`` ends up in :func:`run_app`. The Qt event loop *is* the asyncio loop
(qasync), started with :func:`qasync.run`, which works the same on Python 3.11 (event
loop policy) and 3.12+ (``loop_factory``) and closes the loop cleanly: pending tasks are
cancelled and the worker threads are joined. ``--screenshot PNG`` renders the window
once everything asked for has loaded (the controller's ``settled`` signal), saves it and
exits, without showing any dialog.

``--graph``/``--config`` attach the user's graph for runs (loaded in a worker thread);
``rewind`` with no PATH and no graph opens the demo database with the built-in demo agent.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import qasync
from PySide6.QtCore import (
    QCoreApplication,
    QMessageLogContext,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from desktop.core.errors import RewindError
from desktop.core.executor import DaemonExecutor
from desktop.core.heap import freeze_long_lived
from desktop.ui import palette
from desktop.ui.controller import Controller, GraphOptions
from desktop.ui.main_window import MainWindow
from desktop.ui.settings import RewindSettings
from desktop.ui.widgets import breakpoints, diff_view, resume_panel, state_header, stylesheet

APP_NAME = "Rewind"


_BASE_STYLESHEET = """
QMainWindow, QWidget#timelinePane, QWidget#threadPane, QWidget#diffPane, QWidget#detailColumn {
    background: @background;
}
QSplitter::handle { background: @border; }
QSplitter::handle:horizontal { width: 1px; }
QSplitter::handle:vertical { height: 1px; }
QLineEdit#threadFilter {
    padding: 5px 8px; border: 1px solid @border; border-radius: 6px; background: @canvas;
}
QLineEdit#threadFilter:focus { border-color: @accent; background: @background; }
QLabel#threadCount, QLabel#diffBaseLabel { color: @text_subtle; }
QLabel#timelineTitle { font-weight: 600; padding: 0 8px; }
QLabel#messageBanner {
    background: @interrupted_bg; color: @interrupted_text; padding: 8px 12px;
    border-bottom: 1px solid @interrupted_border;
}
QListView#threadList, QTreeView#timeline { border: none; background: @background; }
QTreeView#timeline::item { padding: 3px 0; }
QTreeView#timeline::item:selected { background: @accent_bg; color: @text; }
QHeaderView::section {
    background: @canvas; color: @text_muted; border: none; border-bottom: 1px solid @border;
    border-right: 1px solid @canvas_inset; padding: 4px 6px;
}
QStatusBar { background: @canvas; border-top: 1px solid @border; color: @text_muted; }
QStatusBar QLabel { padding: 0 6px; }
QPushButton#resetDiffBase { padding: 3px 10px; }
QTextBrowser { border: none; }
QWidget#runPanel { background: @canvas; border-top: 1px solid @border; }
QLabel#runGraphLabel { color: @text_muted; font-weight: 600; }
QLabel#runThreadLabel { color: @text_muted; }
QLabel#runInputError { color: @error; }
QPlainTextEdit#runInput { background: @background; border: 1px solid @border; border-radius: 6px; }
QPlainTextEdit#runInput:focus { border-color: @accent; }
QPlainTextEdit#runInput:disabled { background: @canvas; }
QPushButton#runButton {
    background: @run_button; color: @text_on_emphasis; border: 1px solid @success; font-weight: 600;
    padding: 4px 18px;
}
QPushButton#runButton:hover { background: @success; }
QPushButton#runButton:disabled {
    background: @run_button_disabled; border-color: @run_button_disabled; color: @text_on_emphasis;
}
QPushButton#stopButton:enabled { color: @error; }
QWidget#streamView QPlainTextEdit, QTableView#eventLog { border: none; background: @background; }
QLabel#streamCounter { color: @text_subtle; }
QLabel#runStatus[tone="error"] { color: @error; }
QLabel#runStatus[tone="interrupt"] { color: @interrupted; }
QToolBar#timeTravelToolbar { spacing: 2px; padding: 3px 8px; }
QToolBar#timeTravelToolbar QToolButton {
    padding: 4px 10px; border: 1px solid transparent; border-radius: 6px; color: @text;
}
QToolBar#timeTravelToolbar QToolButton:hover { background: @canvas_inset; border-color: @border; }
QToolBar#timeTravelToolbar QToolButton:pressed { background: @accent_bg; }
QToolBar#timeTravelToolbar QToolButton:disabled { color: @text_disabled; }
QLabel#timeTravelTitle { color: @text_muted; font-weight: 600; padding: 0 8px 0 2px; }
QWidget#runArea { background: @canvas; border-top: 1px solid @border; }
QWidget#runArea QWidget#runPanel { border-top: none; }
QLabel#nextRunLabel { color: @text_muted; padding: 3px 0; }
QLabel#nextRunLabel[pinned="true"] {
    color: @success_text; background: @success_bg; border: 1px solid @success_border;
    border-radius: 6px; padding: 3px 8px; font-weight: 600;
}
QPushButton#backToHead { padding: 3px 10px; }
QToolButton#breakpointsButton {
    padding: 3px 20px 3px 10px; border: 1px solid @border; border-radius: 6px;
    background: @background;
}
QToolButton#breakpointsButton:hover { background: @hover_on_white; }
QToolButton#breakpointsButton:disabled { color: @text_disabled; background: @canvas; }
QToolButton#breakpointsButton[active="true"] {
    color: @error_text; border-color: @error_border; background: @error_bg;
}
QToolButton#breakpointsButton::menu-indicator { subcontrol-position: right center; right: 6px; }
QMenu#breakpointsPopup { padding: 0; }
"""


def apply_theme(app: QApplication) -> None:
    """A clean light theme that looks the same on every platform (Fusion + palette)."""
    app.setStyle(QStyleFactory.create("Fusion"))
    qt_palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: palette.BACKGROUND,
        QPalette.ColorRole.WindowText: palette.TEXT,
        QPalette.ColorRole.Base: palette.BACKGROUND,
        QPalette.ColorRole.AlternateBase: palette.CANVAS,
        QPalette.ColorRole.Text: palette.TEXT,
        QPalette.ColorRole.Button: palette.CANVAS,
        QPalette.ColorRole.ButtonText: palette.TEXT,
        QPalette.ColorRole.Highlight: palette.ACCENT_BG,
        QPalette.ColorRole.HighlightedText: palette.TEXT,
        QPalette.ColorRole.ToolTipBase: palette.BACKGROUND,
        QPalette.ColorRole.ToolTipText: palette.TEXT,
        QPalette.ColorRole.PlaceholderText: palette.TEXT_DISABLED,
        QPalette.ColorRole.Link: palette.ACCENT,
        QPalette.ColorRole.Mid: palette.BORDER,
    }
    for role, color in colors.items():
        qt_palette.setColor(role, QColor(color))
    disabled = QColor(palette.TEXT_DISABLED)
    qt_palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, disabled)
    qt_palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, disabled)
    app.setPalette(qt_palette)
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)
    app.setStyleSheet(application_stylesheet())


def application_stylesheet() -> str:
    """The window's stylesheet, set once on the application: the base rules, the shipped
    ``style.qss`` and the rules of widgets that had their own sheet (a widget's own sheet
    makes Qt restyle it and its children apart: ~10 ms more to build the window)."""
    widgets = (state_header.STYLE, diff_view.STYLE, resume_panel.STYLE, breakpoints.STYLE)
    base, widget_rules = _BASE_STYLESHEET, "".join(widgets)
    return palette.fill_stylesheet(base) + stylesheet() + palette.fill_stylesheet(widget_rules)


def run_app(options: argparse.Namespace) -> int:
    """Open the window for ``options`` (from ``build_gui_parser``) and run until it closes.

    In screenshot mode the first error is raised as :class:`RewindError` (the CLI prints
    it as one line and exits 1); otherwise errors are shown in the window.
    """
    qInstallMessageHandler(_qt_message)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "rewind"])
    assert isinstance(app, QApplication)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    if options.screenshot:
        return qasync.run(_screenshot(options))
    return qasync.run(_interactive(options))


_QT_NOISE = ("This plugin does not support propagateSizeHints()",)
"""Qt platform messages that say nothing to a user (the offscreen plugin's size hints)."""


def _qt_message(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's own log lines go to stderr as usual, minus the platform plugin's noise."""
    if message in _QT_NOISE:
        return
    sys.stderr.write(message + "\n")


def _graph_options(options: argparse.Namespace) -> GraphOptions:
    """The graph to attach: as given, or the built-in demo for the demo database."""
    graph = getattr(options, "graph", None)
    config = getattr(options, "config", None)
    if not options.path and not graph and not config:
        graph = "demo"
    return GraphOptions(graph=graph, config=config, graph_id=getattr(options, "graph_id", None))


def start_window(
    options: argparse.Namespace, settings: RewindSettings | None, *, error_dialogs: bool = True
) -> tuple[Controller, MainWindow]:
    """The controller and its window for ``options`` (not shown yet).

    A database named on the command line is read from here on, in a worker thread,
    while the window is built: the first screen of threads waits for the longer of
    the two, not for both.

    What was imported lives as long as the process: it is kept out of the garbage
    collector's reach first (``gc.freeze``, no collection: one at this point walked
    ~140,000 objects for ~100 ms to free ~10, and young collections while the window is
    built walked the imports not yet promoted, ~17 ms each); the window and what the
    first screen read are frozen once the window has settled (a collection of only
    those, ~3 ms).
    """
    freeze_long_lived()
    controller = Controller(_graph_options(options))
    if options.path:
        controller.open_database(
            options.path, thread_id=options.thread, checkpoint_id=options.checkpoint
        )
    window = MainWindow(controller, settings, error_dialogs=error_dialogs)
    apply_window_size(window, options)
    _freeze_when_settled(controller)
    return controller, window


def _freeze_when_settled(controller: Controller) -> None:
    """Once, when the first screen is complete: free what start-up left as garbage and
    keep the window's objects out of later full collections."""

    def settled() -> None:
        controller.settled.disconnect(settled)
        freeze_long_lived(collect=True)

    controller.settled.connect(settled)


def _open(controller: Controller, options: argparse.Namespace) -> None:
    """Start loading the graph, and the demo when no database is named (a named one is
    already being read: :func:`start_window`)."""
    controller.attach_graph()
    controller.store.set_store_location(getattr(options, "store", None))
    if not options.path:
        controller.open_demo(thread_id=options.thread, checkpoint_id=options.checkpoint)


def apply_window_size(window: MainWindow, options: argparse.Namespace) -> None:
    """``--window-size WxH``: the window opens at that size, whatever size it had last time
    (a maximized or full-screen window is made normal first; the size is then remembered
    as usual when it closes)."""
    size = getattr(options, "window_size", None)
    if not size:
        return
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(*size)


def _check_size(window: MainWindow, asked: tuple[int, int] | None) -> None:
    """A screenshot at ``--window-size`` is that size, or an error (never a bigger PNG)."""
    if asked and (window.width(), window.height()) != asked:
        hint = window.minimumSizeHint()
        raise RewindError(
            f"The window cannot be {asked[0]}x{asked[1]}: it needs at least "
            f"{hint.width()}x{hint.height()}"
        )


def _use_daemon_executor() -> None:
    """Run blocking work (and the graph's synchronous nodes) on daemon threads, so a node
    still blocked when the window closes never keeps the process alive."""
    asyncio.get_running_loop().set_default_executor(DaemonExecutor())


async def _interactive(options: argparse.Namespace) -> int:
    _use_daemon_executor()
    controller, window = start_window(options, RewindSettings())
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    _open(controller, options)
    await closed.wait()
    await controller.shutdown()
    return 0


async def _screenshot(options: argparse.Namespace) -> int:
    _use_daemon_executor()
    controller, window = start_window(options, None, error_dialogs=False)
    errors: list[str] = []
    controller.error_occurred.connect(errors.append)
    controller.notice.connect(lambda message: message and errors.append(message))
    settled = asyncio.Event()
    controller.settled.connect(settled.set)
    window.show()
    _open(controller, options)
    await settled.wait()
    try:
        if errors:
            raise RewindError(errors[0])
        QCoreApplication.sendPostedEvents()
        _check_size(window, getattr(options, "window_size", None))
        target = Path(options.screenshot).expanduser()
        if not window.grab().save(str(target)):
            raise RewindError(f"Cannot write the screenshot to {target}")
    finally:
        window.close()
        await controller.shutdown()
    return 0
