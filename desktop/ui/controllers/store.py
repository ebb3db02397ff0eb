"""The Store view's async work: open the Store, list namespaces, page items, render one.

The Store read is the one ``rewind store`` uses (:mod:`desktop.core.store`), always in a
worker thread. It follows the window's database (the Store kept in the checkpoint
database) unless ``--store PATH|URL`` named another one. It reads only while the view
is visible: a database opened with the view hidden is read when the view is shown.
One task per intent; a new one of the same kind cancels the last.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop.core.errors import RewindError
from desktop.core.store import NamespaceCount, StoreItem, StoreReader, open_store
from desktop.ui.intents import IntentTasks
from desktop.ui.models.store import PAGE_SIZE, NamespaceTreeModel, StoreItemsModel
from desktop.ui.store_render import render_store_item

if TYPE_CHECKING:
    from desktop.ui.controller import Controller


SEARCH_DEBOUNCE_SECONDS = 0.2
"""Typing in the search box re-queries once the user pauses this long."""

LIVE_SETTLE_SECONDS = 0.3
"""Commits seen by the live watch within this window are read back together."""


class StoreController(QObject):
    """Owns the open Store reader, the namespace and item models, and their loads."""

    opened = Signal(str)
    """A Store is open (its location, without any password)."""

    namespaces_changed = Signal()
    """The namespace tree was rebuilt (another process wrote to the Store)."""

    unavailable = Signal(str)
    """No Store can be shown; the one-line reason."""

    count_changed = Signal(int)
    """How many items match the namespace and search."""

    value_ready = Signal(str, str)
    """``(title, html)`` of the chosen item's value."""

    value_cleared = Signal(str)
    """No item is chosen; the message says why."""

    def __init__(self, controller: Controller) -> None:
        super().__init__(controller)
        self._controller = controller
        self.namespaces_model = NamespaceTreeModel(self)
        self.items_model = StoreItemsModel(self)
        self.items_model.fetch_requested.connect(self._fetch_page)
        self._override: str | None = None
        self._reader: StoreReader | None = None
        self._wanted: str | None = None
        self._opened: str | None = None
        self._active = False
        self._prefix: tuple[str, ...] = ()
        self._text = ""
        self._tasks = IntentTasks("store", self.unavailable.emit)
        controller.database_opened.connect(lambda _path: self._database_changed())
        controller.watch.committed.connect(self._committed)

    @property
    def reader(self) -> StoreReader | None:
        """The open Store, if any."""
        return self._reader

    @property
    def prefix(self) -> tuple[str, ...]:
        """The chosen namespace prefix (empty: every namespace)."""
        return self._prefix

    @property
    def is_busy(self) -> bool:
        """True while a load is running."""
        return self._tasks.any_running()

    def set_store_location(self, location: str | None) -> None:
        """Read the Store at ``location`` (``--store``) instead of the checkpoint database's."""
        self._override = location or None
        self._database_changed()

    def set_active(self, active: bool) -> None:
        """The view was shown (read what is wanted, if not read yet) or hidden."""
        self._active = active
        if active and self._wanted is not None and self._wanted != self._opened:
            self._start("open", self._open(self._wanted))

    def refresh(self) -> None:
        """Read the Store again (namespaces and the current listing)."""
        if self._wanted is not None:
            self._opened = None
            self.set_active(self._active)

    def select_namespace(self, prefix: tuple[str, ...]) -> None:
        """List the items of ``prefix`` and the namespaces under it."""
        if prefix == self._prefix:
            return
        self._prefix = prefix
        self._start("list", self._list(), cancels=("page", "value"))

    def set_search(self, text: str) -> None:
        """List only items whose key or value contains ``text`` (debounced)."""
        if text == self._text:
            return
        self._text = text
        self._start("list", self._list(debounce=True), cancels=("page", "value"))

    def select_item(self, item: StoreItem | None) -> None:
        """Render ``item``'s value (in a worker thread) for the value pane."""
        if item is None:
            self._cancel("value")
            self.value_cleared.emit("Select an item to see its value")
            return
        self._start("value", self._render(item))

    async def shutdown(self) -> None:
        """Cancel every load and close the Store."""
        self._tasks.cancel_all()
        reader, self._reader = self._reader, None
        if reader is not None:
            await asyncio.to_thread(reader.close)

    # -- plumbing ------------------------------------------------------------------------

    def _database_changed(self) -> None:
        path = self._controller.path
        self._wanted = self._override or (str(path) if path is not None else None)
        self.set_active(self._active)

    def _start(
        self, kind: str, coro: Coroutine[Any, Any, None], cancels: tuple[str, ...] = ()
    ) -> None:
        self._tasks.start(kind, coro, cancels)

    def _cancel(self, kind: str) -> None:
        self._tasks.cancel(kind)

    def _committed(self) -> None:
        """The live watch saw a commit to the open database: if that is where the shown
        Store lives, read it back soon (commits meanwhile are read together)."""
        if not self._active or self._reader is None or self._override is not None:
            return
        task = self._tasks.get("live")
        if task is None or task.done():
            self._start("live", self._reload())

    # -- loads ---------------------------------------------------------------------------

    async def _reload(self) -> None:
        """Re-read the namespaces and the rows on screen; show them only if they changed."""
        await asyncio.sleep(LIVE_SETTLE_SECONDS)
        reader = self._reader
        if reader is None or "list" in self._tasks or "page" in self._tasks:
            return
        prefix, text = self._prefix, self._text
        rows = max(PAGE_SIZE, self.items_model.loaded)
        namespaces, total, items = await asyncio.to_thread(_snapshot, reader, prefix, text, rows)
        if reader is not self._reader or (prefix, text) != (self._prefix, self._text):
            return
        if namespaces != self.namespaces_model.namespaces:
            self.namespaces_model.set_namespaces(namespaces)
            self.namespaces_changed.emit()
        shown = [self.items_model.item_at(row) for row in range(self.items_model.loaded)]
        if items != shown or total != self.items_model.total:
            self.items_model.reset(items, total)
            self.count_changed.emit(total)

    async def _open(self, location: str) -> None:
        for kind in ("list", "page", "value"):
            self._cancel(kind)
        old, self._reader = self._reader, None
        if old is not None:
            await asyncio.to_thread(old.close)
        self._opened = location
        self.namespaces_model.set_namespaces([])
        self.items_model.reset([], 0)
        self.value_cleared.emit("Select an item to see its value")
        try:
            reader = await asyncio.to_thread(open_store, location)
        except RewindError as error:
            self.unavailable.emit(str(error))
            return
        try:
            namespaces = await asyncio.to_thread(reader.namespaces)
        except BaseException:
            await asyncio.to_thread(reader.close)
            raise
        self._reader = reader
        self.namespaces_model.set_namespaces(namespaces)
        if not _has_prefix(namespaces, self._prefix):
            self._prefix = ()
        self.opened.emit(reader.location)
        await self._list()

    async def _list(self, *, debounce: bool = False) -> None:
        if debounce:
            await asyncio.sleep(SEARCH_DEBOUNCE_SECONDS)
        reader = self._reader
        if reader is None:
            return
        prefix, text = self._prefix, self._text
        total, first = await asyncio.to_thread(_first_page, reader, prefix, text)
        if reader is not self._reader:
            return
        self.items_model.reset(first, total)
        self.count_changed.emit(total)
        if first:
            self.value_cleared.emit("Select an item to see its value")
        elif text.strip():
            self.value_cleared.emit("No items match the search")
        else:
            self.value_cleared.emit("No items in this namespace")

    def _fetch_page(self, generation: int, offset: int) -> None:
        if self._reader is not None:
            self._start("page", self._read_page(self._reader, generation, offset))

    async def _read_page(self, reader: StoreReader, generation: int, offset: int) -> None:
        try:
            page = await asyncio.to_thread(
                reader.items, self._prefix, self._text, offset=offset, limit=PAGE_SIZE
            )
        except BaseException:
            self.items_model.page_failed(generation)
            raise
        self.items_model.append_page(generation, page)

    async def _render(self, item: StoreItem) -> None:
        title, html = await asyncio.to_thread(render_store_item, item)
        self.value_ready.emit(title, html)


def _first_page(
    reader: StoreReader, prefix: tuple[str, ...], text: str
) -> tuple[int, list[StoreItem]]:
    """Count and first page of a listing (worker thread)."""
    return reader.count_items(prefix, text), reader.items(prefix, text, limit=PAGE_SIZE)


def _snapshot(
    reader: StoreReader, prefix: tuple[str, ...], text: str, rows: int
) -> tuple[list[NamespaceCount], int, list[StoreItem]]:
    """Namespaces, count and the first ``rows`` items of a listing (worker thread)."""
    return (
        reader.namespaces(),
        reader.count_items(prefix, text),
        reader.items(prefix, text, limit=rows),
    )


def _has_prefix(namespaces: list[NamespaceCount], prefix: tuple[str, ...]) -> bool:
    return not prefix or any(entry.namespace[: len(prefix)] == prefix for entry in namespaces)
