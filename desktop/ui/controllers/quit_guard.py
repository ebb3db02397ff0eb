"""Quitting while a run is active asks first.

:class:`QuitGuard` sits in the window's ``closeEvent``: with no run going the window
closes; during a run the close is refused and a non-modal question offers "Stop run and
quit" (the run is cancelled as Stop does, then the window closes) or "Keep running".
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMessageBox, QWidget


class QuitGuard:
    """Decides whether ``window`` may close now; asks when ``running()`` says a run is on."""

    def __init__(
        self, window: QWidget, running: Callable[[], bool], describe: Callable[[], str]
    ) -> None:
        self._window = window
        self._running = running
        self._describe = describe
        self._confirmed = False
        self.box: QMessageBox | None = None

    def allow(self, event: QCloseEvent) -> bool:
        """True if the window may close; otherwise ignore ``event`` and ask."""
        if self._confirmed or not self._running():
            return True
        event.ignore()
        self._ask()
        return False

    def _ask(self) -> None:
        if self.box is None:
            box = QMessageBox(self._window)
            box.setObjectName("quitWhileRunning")
            box.setIcon(QMessageBox.Icon.Question)
            box.setWindowTitle("Quit Rewind?")
            self.quit_button = box.addButton("Stop run and quit", QMessageBox.ButtonRole.AcceptRole)
            self.quit_button.setObjectName("quitStopRun")
            keep = box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
            keep.setObjectName("quitKeepRunning")
            box.setDefaultButton(keep)
            self.quit_button.clicked.connect(self._quit)
            self.box = box
        self.box.setText(f"{self._describe()} is still running.")
        self.box.setInformativeText(
            "Quitting stops it as Stop does: every finished step stays in the database and "
            "the run can be continued later."
        )
        self.box.open()

    def _quit(self) -> None:
        """Close once the question has gone (closing from inside its click is refused)."""
        self._confirmed = True
        QTimer.singleShot(0, self._window.close)
