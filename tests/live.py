"""Helpers for live-watch tests: a real second process writing checkpoints, and reading
another process's output line by line with a timeout."""

from __future__ import annotations

import queue
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

WRITER = Path(__file__).parent / "data" / "live_writer.py"
LINE_TIMEOUT = 30.0
TURN_CHECKPOINTS = 3
"""Checkpoints one turn of the writer's graph saves."""


def truth_ids(path: Path, thread_id: str) -> list[str]:
    """LangGraph's own history of a thread in a SQLite file, newest first (read-only)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        saver = SqliteSaver(conn)
        saver.is_setup = True
        config = {"configurable": {"thread_id": thread_id}}
        return [t.config["configurable"]["checkpoint_id"] for t in saver.list(config)]
    finally:
        conn.close()


class LineReader:
    """Collects a pipe's lines on a thread, so tests can wait for them with a timeout."""

    def __init__(self, pipe: IO[str]) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(pipe,), daemon=True)
        self._thread.start()

    def _pump(self, pipe: IO[str]) -> None:
        for line in pipe:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def next(self, timeout: float = LINE_TIMEOUT) -> str:
        """The next line; AssertionError if none arrives in time or the pipe closed."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line within {timeout} s") from None
        assert line is not None, "the process closed its output"
        return line

    def take(self, count: int, timeout: float = LINE_TIMEOUT) -> list[str]:
        """The next ``count`` lines."""
        return [self.next(timeout) for _ in range(count)]

    def pending(self) -> list[str]:
        """Lines already received and not yet taken."""
        found = []
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return found
            if line is not None:
                found.append(line)


class LiveWriter:
    """``tests/data/live_writer.py`` on ``location``: LangGraph's own saver in another
    process; :meth:`turn` runs one turn of its graph on a thread and waits for it."""

    def __init__(self, location: str | Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WRITER), str(location)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self._out = LineReader(self.process.stdout)
        assert self._out.next(120) == "ready"

    def turn(self, thread_id: str) -> None:
        """Run one turn on ``thread_id`` (3 checkpoints) and wait for it."""
        self.start_turns(thread_id)
        self.finish_turns(thread_id)

    def start_turns(self, *thread_ids: str) -> None:
        """Ask for one turn on each thread, in order, without waiting (the caller's
        event loop keeps running while the writer commits)."""
        assert self.process.stdin is not None
        self.process.stdin.write("".join(f"{t}\n" for t in thread_ids))
        self.process.stdin.flush()

    def finish_turns(self, *thread_ids: str) -> None:
        """Wait until the turns :meth:`start_turns` asked for are done."""
        for thread_id in thread_ids:
            assert self._out.next(120) == f"done {thread_id}"

    def delete(self, thread_id: str) -> None:
        """Delete a thread through LangGraph's saver in the writer process and wait."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"delete {thread_id}\n")
        self.process.stdin.flush()
        assert self._out.next(120) == f"deleted {thread_id}"

    def close(self) -> None:
        """End the writer (it exits when its stdin closes)."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)

    def __enter__(self) -> LiveWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
