"""An event loop's default executor that never keeps the process alive, and can tell
which of its threads a run started.

LangGraph runs synchronous nodes with ``run_in_executor(None, ...)``, on the running
loop's default executor. A standard thread pool joins its threads at exit, so a node
blocked for a minute kept Rewind alive after Ctrl-C or after the window closed. Here
each call runs on a daemon thread, and calls made inside :func:`run_scope` are recorded,
so a stopped run can wait for (or knowingly abandon) the threads it left behind.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator
from typing import Any

_SCOPE: contextvars.ContextVar[RunThreads | None] = contextvars.ContextVar(
    "rewind_run_threads", default=None
)


class RunThreads:
    """The executor calls made inside one :func:`run_scope` (a run and its tasks)."""

    def __init__(self) -> None:
        self._futures: set[concurrent.futures.Future[Any]] = set()
        self._lock = threading.Lock()

    def add(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._discard)

    def _discard(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)

    def pending(self) -> list[concurrent.futures.Future[Any]]:
        """Calls still running (a synchronous node abandoned by a cancel keeps running)."""
        with self._lock:
            return [f for f in self._futures if not f.done()]


@contextlib.contextmanager
def run_scope() -> Iterator[RunThreads]:
    """Record the executor calls of the code (and the tasks it starts) inside."""
    threads = RunThreads()
    token = _SCOPE.set(threads)
    try:
        yield threads
    finally:
        _SCOPE.reset(token)


class DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs every call on a new daemon thread; ``shutdown`` never waits for them.

    A ``ThreadPoolExecutor`` only by type (asyncio's ``set_default_executor`` asks for
    one); its pool of non-daemon threads is never used.
    """

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="rewind-unused")
        self._shutdown = False

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Any]:
        if self._shutdown:
            raise RuntimeError("cannot schedule new calls after shutdown")
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        scope = _SCOPE.get()
        if scope is not None:
            scope.add(future)

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

        threading.Thread(target=work, name="rewind-worker", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse new calls; running ones are left to finish (or die with the process)."""
        self._shutdown = True
