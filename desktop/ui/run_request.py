"""What a run from the window is asked to do, and how it ended.

The words :class:`~desktop.ui.run_controller.RunController` and the window share about a
run: its kind (:attr:`RunRequest.kind`), its outcome (the ``outcome`` of
:attr:`~desktop.ui.run_controller.RunController.run_finished`) and
:data:`CONTINUE_RUN`. Nothing here imports LangGraph or the runner, so the window can
name runs before any graph is loaded.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

FINISHED: Final = "finished"
INTERRUPTED: Final = "interrupted"
PAUSED: Final = "paused"
STOPPED: Final = "stopped"
FAILED: Final = "failed"
FORKED: Final = "forked"
"""How a run ended (the ``outcome`` of ``RunController.run_finished``): ``paused``
at a static breakpoint, ``forked`` for a fork that ran nothing after it."""

RUN: Final = "run"
REPLAY: Final = "replay"
RESUME: Final = "resume"
CONTINUE: Final = "continue"
FORK: Final = "fork"
"""What a run does (:attr:`RunRequest.kind`): a run (also from a past checkpoint), a replay,
answering interrupts, continuing a stopped run, or a fork (and what runs after it)."""


class _ContinueRun:
    """Type of :data:`CONTINUE_RUN`."""

    def __repr__(self) -> str:
        return "CONTINUE_RUN"


CONTINUE_RUN: Final = _ContinueRun()
"""The default of ``RunController.start_resume``: no value, continue the stopped run.

Stands for ``desktop.core.runner.NO_VALUE`` (which may be passed too) so that this
module does not import the runner, and LangGraph, when the window opens.
"""


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What the current (or last) run was asked to do, for the window to describe it.

    ``checkpoint_id`` is where it starts when that is not the thread's head (a replay, a
    fork, a run continued from a past checkpoint), ``checkpoint_ns`` that checkpoint's
    namespace.
    """

    kind: str
    thread_id: str
    path: Path | str
    checkpoint_id: str | None = None
    checkpoint_ns: str = ""


def is_continue(value: Any) -> bool:
    """True for :data:`CONTINUE_RUN` and for the runner's own ``NO_VALUE``.

    Whoever holds ``NO_VALUE`` has imported the runner, so it is looked up, not imported.
    """
    if isinstance(value, _ContinueRun):
        return True
    runner = sys.modules.get("desktop.core.runner")
    return runner is not None and value is runner.NO_VALUE
