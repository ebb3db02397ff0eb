"""Window test fixtures: offscreen Qt, a qasync loop driven by pytest-qt, isolated settings.

The asyncio/Qt seam
-------------------
The app runs the controller's tasks on a ``qasync.QEventLoop``, whose timers and
cross-thread wake-ups are ordinary Qt events. In a test, pytest-qt's ``qtbot.waitUntil``
/ ``waitSignal`` spin Qt's event loop, so they drive asyncio as well. The ``qloop``
fixture therefore only has to create the loop and make it the *running* loop of the
thread (``asyncio.get_running_loop()`` must find it for ``create_task`` and
``asyncio.to_thread``); it never calls ``run_forever``, which would block in
``QApplication.exec()``. The loop is not marked running and is not stopped with
``loop.stop()`` (that calls ``QApplication.exit()`` and sets Qt's quit flag). At
teardown every task left is cancelled and driven to completion by ``qtbot.waitUntil``,
then the loop is closed, which joins its worker threads.
"""

import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    # The offscreen screen is 800x800 by default, and Qt keeps restored window geometry
    # on screen; give it a desktop-sized screen so the window can have its real size.
    _SCREEN = Path(tempfile.gettempdir()) / "rewind-tests-offscreen-1920x1200.json"
    _SCREEN.write_text(
        json.dumps({"screens": [{"name": "Offscreen", "width": 1920, "height": 1200}]}),
        encoding="utf-8",
    )
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"

import asyncio
from collections.abc import Callable, Iterator

import pytest
import qasync
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from desktop.ui.app import apply_theme
from desktop.ui.controller import Controller
from desktop.ui.main_window import MainWindow
from desktop.ui.settings import RewindSettings
from tests.builders import ManyThreadsDb, build_many_threads_db

SETTLE_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session", autouse=True)
def isolated_qsettings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point every default ``QSettings()`` at a temporary folder under a test organization."""
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    QCoreApplication.setOrganizationName("RewindTests")
    QCoreApplication.setApplicationName("RewindTests")
    return folder


@pytest.fixture
def qloop(qapp: QApplication, qtbot) -> Iterator[qasync.QEventLoop]:
    """A qasync loop, set as the running loop, driven by qtbot's waits (see module doc)."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    try:
        yield loop
    finally:
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        stuck = ""
        try:
            qtbot.waitUntil(lambda: all(task.done() for task in pending), timeout=SETTLE_TIMEOUT_MS)
        except qtbot.TimeoutError:
            stuck = "; ".join(repr(task) for task in pending if not task.done())
        asyncio.events._set_running_loop(None)
        loop.close()
        asyncio.set_event_loop(None)
        if stuck:
            pytest.fail(f"tasks ignored cancellation at teardown: {stuck}")


@pytest.fixture
def settings(tmp_path: Path) -> RewindSettings:
    """Settings in a private ini file of this test."""
    return RewindSettings(QSettings(str(tmp_path / "rewind.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def controller(qloop: qasync.QEventLoop, qtbot) -> Iterator[Controller]:
    """A controller on the test loop; its database is closed at teardown."""
    controller = Controller()
    yield controller
    done = qloop.create_task(controller.shutdown())
    qtbot.waitUntil(done.done, timeout=SETTLE_TIMEOUT_MS)


@pytest.fixture
def window(qtbot, controller: Controller, settings: RewindSettings) -> MainWindow:
    """The real main window, shown offscreen, bound to ``controller``."""
    window = MainWindow(controller, settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window, timeout=SETTLE_TIMEOUT_MS)
    return window


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[None]:
    """The app's own theme (Fusion, palette, font, stylesheet) as ``rewind`` applies it:
    tab padding and bold titles change what fits. Put back afterwards."""
    saved = (qapp.style().name(), qapp.palette(), qapp.font(), qapp.styleSheet())
    apply_theme(qapp)
    yield
    name, palette, font, sheet = saved
    qapp.setStyleSheet(sheet)
    qapp.setStyle(name)
    qapp.setPalette(palette)
    qapp.setFont(font)


@pytest.fixture(scope="session")
def many_threads_db(tmp_path_factory: pytest.TempPathFactory) -> ManyThreadsDb:
    """10,000 small threads written by ``SqliteSaver``."""
    return build_many_threads_db(tmp_path_factory.mktemp("many") / "many.sqlite", 10_000)


@pytest.fixture
def settle(qtbot, controller: Controller) -> Callable[[Callable[[], object]], None]:
    """``settle(action)``: run ``action`` (which starts intents), wait for ``settled``."""

    def run(action: Callable[[], object]) -> None:
        with qtbot.waitSignal(controller.settled, timeout=SETTLE_TIMEOUT_MS):
            action()
        assert not controller.is_busy

    return run
