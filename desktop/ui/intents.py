"""One asyncio task per kind of intent, for the window's controllers.

Starting an intent of a kind cancels the task of that kind still running (a newer click
wins), and may cancel other kinds with it. A failing intent never escapes as a
traceback: a :class:`RewindError` is reported by its one-line message, anything else as
"Unexpected error: ..." (and logged with its traceback).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from desktop.core.errors import RewindError

log = logging.getLogger(__name__)


class IntentTasks:
    """The running task of each kind; ``on_error`` gets a failure's one-line message.

    ``on_busy(True)`` is called when the first task starts and ``on_busy(False)`` when
    the last one ends (not when it is cancelled by a newer one of its kind).
    """

    def __init__(
        self,
        prefix: str,
        on_error: Callable[[str], None],
        on_busy: Callable[[bool], None] | None = None,
    ) -> None:
        self._prefix = prefix
        self._on_error = on_error
        self._on_busy = on_busy
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def __contains__(self, kind: str) -> bool:
        return kind in self._tasks

    def get(self, kind: str) -> asyncio.Task[None] | None:
        """The task of ``kind`` still running, or None."""
        return self._tasks.get(kind)

    def any_running(self) -> bool:
        """True while a task of any kind has not finished."""
        return any(not task.done() for task in self._tasks.values())

    def start(
        self, kind: str, coro: Coroutine[Any, Any, None], cancels: tuple[str, ...] = ()
    ) -> None:
        """Run ``coro`` as the task of ``kind``, cancelling ``kind`` and ``cancels`` first."""
        for name in (kind, *cancels):
            self.cancel(name)
        was_idle = not self._tasks
        task = asyncio.get_running_loop().create_task(
            self._guard(coro), name=f"{self._prefix}-{kind}"
        )
        self._tasks[kind] = task
        task.add_done_callback(lambda done, kind=kind: self._finished(kind, done, coro))
        if was_idle and self._on_busy is not None:
            self._on_busy(True)

    def cancel(self, kind: str) -> None:
        """Cancel the task of ``kind``, if any."""
        task = self._tasks.pop(kind, None)
        if task is not None:
            task.cancel()

    def cancel_all(self) -> None:
        """Cancel every task (the window is going away)."""
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()

    def _finished(
        self, kind: str, task: asyncio.Task[None], coro: Coroutine[Any, Any, None]
    ) -> None:
        coro.close()
        if self._tasks.get(kind) is task:
            del self._tasks[kind]
        if not self._tasks and self._on_busy is not None:
            self._on_busy(False)

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except RewindError as error:
            self._on_error(str(error))
        except Exception as error:
            log.exception("unexpected error in a %s task", self._prefix)
            detail = " ".join(str(error).split()) or type(error).__name__
            self._on_error(f"Unexpected error: {detail}")
