"""Paging shared by the models of listings read a page at a time (threads, Store items).

The model never reads the database. When a view scrolls to the end it calls
``fetchMore``; the model emits ``fetch_requested(generation, offset)`` and the
controller answers with the model's ``append_page`` once the page has been read in a
worker thread. The generation number ties each page to the listing it belongs to, so a
page that arrives after the filter (namespace, search) changed is dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, SignalInstance

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class PagedListing:
    """Mixin (before the Qt model class) holding a listing's generation, total and
    whether a page is being read. The model declares ``fetch_requested = Signal(int, int)``;
    its ``rowCount()`` is the number of rows read so far."""

    fetch_requested: SignalInstance
    rowCount: Callable[..., int]
    _generation = 0
    _total = 0
    _fetching = False

    def _loaded_rows(self) -> int:
        return self.rowCount(_ROOT)

    @property
    def generation(self) -> int:
        """Identifies the current listing; pages of older listings are dropped."""
        return self._generation

    @property
    def total(self) -> int:
        """How many rows match (loaded or not)."""
        return self._total

    @property
    def loaded(self) -> int:
        """How many rows have been read so far."""
        return self._loaded_rows()

    def _new_listing(self, total: int) -> int:
        """Start a new listing of ``total`` rows, its first page loaded; call it between
        ``beginResetModel`` and ``endResetModel``. Returns the new generation."""
        self._generation += 1
        self._total = max(total, self._loaded_rows())
        self._fetching = False
        return self._generation

    def _page_arrived(self, generation: int, rows: int) -> bool:
        """A page of ``rows`` new rows arrived for ``generation``: False when it is stale
        or empty (an empty page means the listing is complete), True to insert it."""
        if generation != self._generation:
            return False
        self._fetching = False
        if not rows:
            self._total = self._loaded_rows()
            return False
        return True

    def page_failed(self, generation: int) -> None:
        """A page could not be read: let the view ask again later."""
        if generation == self._generation:
            self._fetching = False

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and not self._fetching and self._loaded_rows() < self._total

    def fetchMore(self, parent: _Index) -> None:
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        self.fetch_requested.emit(self._generation, self._loaded_rows())
