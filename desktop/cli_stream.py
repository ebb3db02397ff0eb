"""Streaming commands in a terminal: JSON lines on stdout, and a Ctrl-C that stops now.

While ``run``, ``replay`` or ``resume`` load and run the user's graph, whatever the
graph prints (``print``, C code, child processes) goes to stderr, so stdout carries
only the JSON lines. Ctrl-C cancels the run; a synchronous node cannot be interrupted
inside Python, so Rewind abandons it (LangGraph runs it again on resume) and exits
within a second with one line naming it, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from desktop.core.executor import DaemonExecutor

if TYPE_CHECKING:
    from desktop.core.running import RunningNodes

EXIT_INTERRUPTED = 130
STOP_GRACE_SECONDS = 0.7
"""How long a cancelled run may take to record its last writes before Rewind exits anyway."""


@contextlib.contextmanager
def graph_output_to_stderr() -> Iterator[TextIO]:
    """Send everything written to stdout to stderr while inside; yield the real stdout.

    Python's ``sys.stdout`` is pointed at stderr, and when stdout is a real file
    descriptor, that descriptor too (for C code and child processes); the yielded
    stream writes to the original stdout.
    """
    out = sys.stdout
    try:
        fd = out.fileno()
        err_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        fd = err_fd = None
    if fd is None or err_fd is None:
        sys.stdout = sys.stderr
        try:
            yield out
        finally:
            sys.stdout = out
        return
    out.flush()
    kept = os.dup(fd)
    json_out = open(kept, "w", encoding=out.encoding or "utf-8", closefd=False)  # noqa: SIM115
    os.dup2(err_fd, fd)
    sys.stdout = sys.stderr
    try:
        yield json_out
    finally:
        sys.stdout = out
        with contextlib.suppress(OSError, ValueError):
            json_out.flush()
        os.dup2(kept, fd)
        os.close(kept)


class _Stop:
    """The Ctrl-C handler of one streamed command."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any], running: RunningNodes
    ) -> None:
        self.loop, self.task, self.running = loop, task, running
        self.requested = False
        self.abandoned = ""
        self._said = threading.Lock()
        self._done_saying = False

    def handle(self, _signum: int, _frame: Any) -> None:
        if self.requested:
            self.exit_now()
        self.requested = True
        self.abandoned = self.running.describe()
        self.loop.call_soon_threadsafe(self.task.cancel)
        watchdog = threading.Timer(STOP_GRACE_SECONDS, self.exit_now)
        watchdog.daemon = True
        watchdog.start()

    def message(self) -> str:
        if self.abandoned:
            return (
                f"rewind: stopped; abandoned {self.abandoned} mid-step (it runs again on resume)\n"
            )
        return "rewind: stopped; the thread keeps every finished step\n"

    def say(self) -> None:
        with self._said:
            if not self._done_saying:
                self._done_saying = True
                with contextlib.suppress(OSError, ValueError):
                    sys.stderr.write(self.message())
                    sys.stderr.flush()

    def exit_now(self) -> None:
        """Leave at once, without waiting for the abandoned node's thread or for the
        interpreter's clean-up (the run was cancelled and its connections closed, or it
        did not wind down in time, or Ctrl-C came twice)."""
        self.say()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(EXIT_INTERRUPTED)


def run_streaming(main: Coroutine[Any, Any, int], running: RunningNodes) -> int:
    """Run ``main`` (a streamed command) on a new event loop, with Rewind's Ctrl-C.

    Synchronous nodes run on daemon threads (:class:`DaemonExecutor`), so an abandoned
    one never keeps the process alive.
    """
    loop = asyncio.new_event_loop()
    loop.set_default_executor(DaemonExecutor())
    task = loop.create_task(main)
    stop = _Stop(loop, task, running)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, stop.handle) if in_main_thread else None
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        if not stop.requested:
            raise
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
        _close(loop)
    if stop.requested:
        stop.exit_now()
    return task.result()


def _close(loop: asyncio.AbstractEventLoop) -> None:
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=STOP_GRACE_SECONDS))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
