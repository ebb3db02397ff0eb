"""Parts of the window its first screen does not show, built after that screen.

The first screen of threads waits for the window's construction (the database is read
meanwhile, `app.start_window`), and every widget built costs twice: once made, once
polished when the application stylesheet is set at the end (`style_build.py`). Parts
hidden at first (the Output/Events pane, folded until a graph is attached; the Store
dock; the Attach graph dialog) are therefore :class:`LaterPart`\\ s: built the first time
something asks for them (:meth:`LaterPart.get`: a run starts, the dock opens, the user
drags the pane open), and otherwise once the window has settled, one part per turn of
the event loop (:meth:`LaterParts.build_remaining`), so no turn stalls on all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QSplitter, QWidget

T = TypeVar("T")


class LaterPart(Generic[T]):
    """One part, built by ``build`` at the first :meth:`get`."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build: Callable[[], T] | None = build
        self._value: T | None = None

    @property
    def built(self) -> bool:
        return self._build is None

    def get(self) -> T:
        """The part, built now when it was not yet."""
        build = self._build
        if build is not None:
            self._build = None
            self._value = build()
        return self._value  # type: ignore[return-value]


class LaterParts(QObject):
    """The window's later parts, and the idle-time construction of the rest of them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._parts: list[LaterPart[object]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._build_next)

    def add(self, build: Callable[[], T]) -> LaterPart[T]:
        part: LaterPart[T] = LaterPart(build)
        self._parts.append(part)  # type: ignore[arg-type]
        return part

    @property
    def pending(self) -> int:
        """How many parts are not built yet."""
        return sum(not part.built for part in self._parts)

    def build_remaining(self) -> None:
        """Build the parts nothing asked for yet, one per turn of the event loop."""
        if self.pending:
            self._timer.start()

    def _build_next(self) -> None:
        part = next((part for part in self._parts if not part.built), None)
        if part is None:
            return
        part.get()
        if self.pending:
            self._timer.start()


class SplitterSlot(QWidget):
    """Holds a splitter's place for a part built later; the part takes the place (same
    size, same collapsed state) when it is built, or as soon as the splitter gives the
    slot room (the user drags the pane open, a saved layout had it open)."""

    def __init__(self, part: LaterPart[QWidget], splitter: QSplitter, name: str) -> None:
        super().__init__(splitter)
        self.setObjectName(name)
        # A splitter keeps a child folded (size 0) only when its minimum is not zero.
        self.setMinimumSize(1, 1)
        self._part = part
        self._splitter = splitter

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Judged once the splitter's layout is done: a widget gets a resize event with its
        # provisional geometry when the window first shows, collapsed or not.
        QTimer.singleShot(0, self, self._build_when_open)

    def _build_when_open(self) -> None:
        index = self._splitter.indexOf(self)
        if not self._part.built and index >= 0 and self._splitter.sizes()[index] > 0:
            self._part.get()


def put_in_slot(splitter: QSplitter, slot: SplitterSlot, widget: QWidget) -> None:
    """Put ``widget`` where ``slot`` stood in ``splitter`` (its size and collapse kept)."""
    sizes = splitter.sizes()
    splitter.replaceWidget(splitter.indexOf(slot), widget)
    splitter.setSizes(sizes)  # replaceWidget takes the slot's geometry, not its size
    slot.hide()
    slot.deleteLater()
