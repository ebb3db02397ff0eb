"""One checkpoint on screen: a mixin of the window's
:class:`~desktop.ui.controller.Controller` (placed before ``QObject``).

Selecting a checkpoint shows its state and its diff against the diff base (its parent,
or a chosen checkpoint). Decoded checkpoints are cached per thread and shared by the
state and diff loads; decoding, diffing and rendering run in worker threads.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from desktop.core.diff import diff_states
from desktop.core.errors import RewindError
from desktop.core.model import CheckpointMeta, CheckpointState
from desktop.core.sources import CheckpointSource
from desktop.ui.bounded import SHOW_ITEMS
from desktop.ui.models.timeline_cells import describe_checkpoint
from desktop.ui.render.diff import RenderedDiff, render_diff
from desktop.ui.render.state import RenderedState, render_state

if TYPE_CHECKING:
    from desktop.ui.controller import Controller

log = logging.getLogger(__name__)

STATE_CACHE_SIZE = 64
"""Decoded checkpoints kept per thread, so stepping back and forth costs nothing."""

CheckpointKey = tuple[str, str]


class CheckpointView:
    """Selection, diff base and the state and diff loads of the shown thread."""

    def select_checkpoint(self: Controller, key: CheckpointKey | None) -> None:
        """Show the state of checkpoint ``key`` (namespace, id) and its diff."""
        timeline = self.timeline
        if key is None or timeline is None or key not in timeline.by_key:
            return
        if key == self._selected:
            return
        if not self.runs.is_running:
            # chosen after the run ended: its last checkpoints, read back later (live
            # watch), no longer move the selection to the new head
            self._run_follows_head = False
        self._selected = key
        self.checkpoint_selected.emit(key)
        meta = timeline.by_key[key]
        self._start("state", self._show_state(meta))
        self._start("diff", self._show_diff(meta))

    def show_more(self: Controller, limit: int) -> None:
        """Render the selected checkpoint again, showing up to ``limit`` items a container."""
        timeline = self.timeline
        if self._selected is None or timeline is None:
            return
        self._start("state", self._show_state(timeline.by_key[self._selected], limit))

    def set_diff_base(self: Controller, key: CheckpointKey | None) -> None:
        """Diff the selection against ``key`` instead of its parent (None: the parent again)."""
        timeline = self.timeline
        if key is not None and (timeline is None or key not in timeline.by_key):
            return
        self._diff_base = key
        self.timeline_model.set_diff_base(key)
        if self._selected is not None and timeline is not None:
            self._start("diff", self._show_diff(timeline.by_key[self._selected]))
        else:
            self._announce_diff_base(None)

    def checkpoint_state(self: Controller, meta: CheckpointMeta) -> asyncio.Future[CheckpointState]:
        """The decoded checkpoint, from the cache the state and diff views share."""
        return self._load_state(meta)

    def _load_state(self: Controller, meta: CheckpointMeta) -> asyncio.Future[CheckpointState]:
        """The decoded checkpoint, shared by the state and diff tasks and cached per thread.

        The load is shielded: cancelling one intent does not abort a decode another needs.
        """
        task = self._states.get(meta.key)
        if task is None or (task.done() and (task.cancelled() or task.exception())):
            source = self._source
            if source is None:
                raise RewindError("No database is open")
            task = asyncio.get_running_loop().create_task(self._read_state(source, meta))
            task.add_done_callback(_mark_retrieved)
            self._states[meta.key] = task
            while len(self._states) > STATE_CACHE_SIZE:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(meta.key)
        return asyncio.shield(task)

    async def _read_state(
        self: Controller, source: CheckpointSource, meta: CheckpointMeta
    ) -> CheckpointState:
        """Decode in a worker thread; with a graph attached, its own reducers give the
        values Rewind derives (delta channels, a pending update), read through LangGraph
        on a read-only saver."""
        state = await asyncio.to_thread(source.load_state, meta)
        graph, path = self.runs.graph, self._path
        if graph is None or path is None:
            return state
        from desktop.core.delta_graph import fold_with_graph, graph_derived_channels

        if not graph_derived_channels(graph, state):
            return state

        try:
            async with self.runs.read_saver(path) as saver:
                (state,) = await fold_with_graph(graph, saver, [state])
        except Exception as error:
            log.info("delta channels folded without the graph: %s", error)
        return state

    async def _show_state(self: Controller, meta: CheckpointMeta, limit: int = SHOW_ITEMS) -> None:
        state = await self._load_state(meta)
        rendered: RenderedState = await asyncio.to_thread(render_state, state, limit)
        self.state_ready.emit(rendered)

    async def _show_diff(self: Controller, meta: CheckpointMeta) -> None:
        timeline = self.timeline
        if timeline is None:
            return
        base = timeline.by_key.get(self._diff_base) if self._diff_base else None
        chosen = base is not None
        if base is None:
            base = timeline.parent_of(meta)
        self._announce_diff_base(base, chosen=chosen)
        new = await self._load_state(meta)
        old = await self._load_state(base) if base is not None else None
        if base is None:
            title = f"{_step_name(meta)} vs an empty state"
        elif chosen:
            title = f"{_step_name(meta)} vs {_step_name(base)}"
        else:
            title = f"What {_step_name(meta)} changed"
        rendered: RenderedDiff = await asyncio.to_thread(_render_diff, old, new, title)
        self.diff_ready.emit(rendered)

    def _announce_diff_base(
        self: Controller, base: CheckpointMeta | None, *, chosen: bool = False
    ) -> None:
        if base is None:
            text = "Compared with an empty state (no parent)" if self._selected else ""
        elif chosen:
            text = f"Compared with the chosen checkpoint {describe_checkpoint(base)}"
        else:
            text = f"Compared with its parent {describe_checkpoint(base)}"
        self.diff_base_changed.emit(text, chosen)


def _mark_retrieved(task: asyncio.Task[Any]) -> None:
    """A shared load whose every waiter was cancelled must not log "never retrieved";
    whoever awaits it next gets the error."""
    if not task.cancelled():
        task.exception()


def _step_name(meta: CheckpointMeta) -> str:
    return f"step {'?' if meta.step is None else meta.step} · {meta.source or '?'}"


def _render_diff(old: CheckpointState | None, new: CheckpointState, title: str) -> RenderedDiff:
    """Diff two states and render the result (worker thread)."""
    return render_diff(diff_states(old.values if old else {}, new.values), title=title)
