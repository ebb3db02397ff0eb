"""Keep what the user scrolled to in place while rows arrive above it.

Live updates insert or move rows at the top of a list (the newest thread first). A
view scrolled to the very top shows them; a view the user scrolled down keeps its top
visible row where it was, so reading is never interrupted. Rows have one height (the
thread list's uniform item sizes), so the shift is the anchor's change of row.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QPersistentModelIndex, QPoint
from PySide6.QtWidgets import QAbstractItemView


@dataclass(frozen=True)
class _Anchor:
    index: QPersistentModelIndex
    row: int
    scroll: int
    row_height: int


class ScrollAnchor(QObject):
    """Pins the top visible row of ``view`` across inserts and moves above it."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self._anchor: _Anchor | None = None
        model = view.model()
        model.rowsAboutToBeInserted.connect(self._remember)
        model.rowsAboutToBeMoved.connect(self._remember)
        model.rowsInserted.connect(self._restore)
        model.rowsMoved.connect(self._restore)

    def _remember(self, *_args: object) -> None:
        view = self._view
        self._anchor = None
        scroll = view.verticalScrollBar().value()
        if scroll <= 0:
            return
        index = view.indexAt(QPoint(1, 1))
        if index.isValid():
            height = view.visualRect(index).height()
            self._anchor = _Anchor(QPersistentModelIndex(index), index.row(), scroll, height)

    def _restore(self, *_args: object) -> None:
        anchor, self._anchor = self._anchor, None
        if anchor is None or not anchor.index.isValid():
            return
        shift = anchor.index.row() - anchor.row
        if shift:
            self._view.doItemsLayout()
            self._view.verticalScrollBar().setValue(anchor.scroll + shift * anchor.row_height)
