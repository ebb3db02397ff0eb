"""What the next runs from the window are asked to do: their settings and their requests.

:class:`RunRequests` is the part of :class:`~desktop.ui.run_controller.RunController`
(a mixin before ``QObject``) that takes a request: a run (also from a past checkpoint
and with breakpoints), a replay, a resume or continue, and a fork (then optionally a
run). Each becomes a :class:`~desktop.ui.run_request.RunRequest` and the stream behind
it (:mod:`desktop.ui.run_streams`), given the current Run settings (configurable,
context, recursion limit, durability; LangGraph's defaults when unset), and is handed
to the controller's ``_launch``, which runs one at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import SignalInstance

from desktop.core.pgurl import location_of
from desktop.core.run_settings import RunSettings
from desktop.ui.run_request import (
    CONTINUE,
    CONTINUE_RUN,
    FINISHED,
    FORK,
    FORKED,
    REPLAY,
    RESUME,
    RUN,
    RunRequest,
    is_continue,
)
from desktop.ui.run_streams import (
    fork_stream,
    replay_stream,
    resume_stream,
    run_options,
    run_stream,
)


class RunRequests:
    """Mixin (before ``QObject``) with the Run settings and the run, replay, resume and fork
    requests. The controller declares ``checkpoint_saved``, ``forked``, ``fork_failed``
    and ``_launch(request, events, *, refusal=None, done=FINISHED) -> bool``."""

    checkpoint_saved: SignalInstance
    forked: SignalInstance
    fork_failed: SignalInstance
    _launch: Callable[..., bool]
    _settings = RunSettings()

    @property
    def settings(self) -> RunSettings:
        """What the next runs, replays, resumes and continues are given: configurable,
        context, recursion limit and durability (LangGraph's defaults when unset)."""
        return self._settings

    def set_settings(self, settings: RunSettings) -> None:
        """Use ``settings`` from the next run on (a run going keeps its own)."""
        self._settings = settings

    @property
    def durability(self) -> str | None:
        """LangGraph's durability for the next runs; None is LangGraph's default (async)."""
        return self._settings.durability

    @property
    def recursion_limit(self) -> int | None:
        """The step limit of the next runs (None: LangGraph's default, 25)."""
        return self._settings.recursion_limit

    def start(
        self,
        path: str | Path,
        thread_id: str,
        input: Any = None,
        *,
        values: bool = False,
        checkpoint_id: str | None = None,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
    ) -> bool:
        """Start a run of the attached graph on ``thread_id``; False when one cannot start.

        ``input=None`` continues the thread from its latest checkpoint, or from
        ``checkpoint_id`` when given; an input with a ``checkpoint_id`` starts a new
        branch there. ``interrupt_before``/``interrupt_after`` are static breakpoints.
        ``values`` adds the ``values`` stream mode (the full state after every step).
        """
        events = run_stream(
            thread_id,
            input,
            run_options(self._settings),
            values=values,
            checkpoint_id=checkpoint_id,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
        )
        return self._launch(RunRequest(RUN, thread_id, location_of(path), checkpoint_id), events)

    def start_replay(
        self, path: str | Path, thread_id: str, checkpoint_id: str, *, values: bool = False
    ) -> bool:
        """Replay ``thread_id`` from ``checkpoint_id`` (``runner.replay``), streamed live.

        The nodes before that checkpoint are not run again; LangGraph writes the new
        steps as a branch after it.
        """
        events = replay_stream(thread_id, checkpoint_id, run_options(self._settings), values=values)
        return self._launch(RunRequest(REPLAY, thread_id, location_of(path), checkpoint_id), events)

    def start_resume(
        self,
        path: str | Path,
        thread_id: str,
        value: Any = CONTINUE_RUN,
        *,
        values: bool = False,
        answers: Sequence[str] | None = None,
    ) -> bool:
        """Resume ``thread_id`` (``runner.resume``): answer its interrupts with ``value``, or,
        without one, continue its stopped run from the latest checkpoint.

        ``answers`` are the ids of the interrupts the user answered (as shown); the
        resume is refused when another run answered one of them meanwhile.
        """
        options = run_options(self._settings)
        events = resume_stream(thread_id, value, options, values=values, answers=answers)
        kind = CONTINUE if is_continue(value) else RESUME
        return self._launch(RunRequest(kind, thread_id, location_of(path)), events)

    def start_fork(
        self,
        path: str | Path,
        thread_id: str,
        checkpoint_id: str,
        update: Mapping[str, Any],
        as_node: str | None = None,
        checkpoint_ns: str = "",
        *,
        continue_after: bool = False,
        values: bool = False,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
    ) -> bool:
        """Write a fork after ``checkpoint_id`` (``runner.fork``), then optionally run on.

        :attr:`forked` names the new checkpoint (or :attr:`fork_failed` says why there is
        none). With ``continue_after``, the graph then runs from the new checkpoint
        (``run(None, checkpoint_id=new)``), streamed like any run.
        """
        request = RunRequest(FORK, thread_id, location_of(path), checkpoint_id, checkpoint_ns)
        events = fork_stream(
            thread_id,
            checkpoint_id,
            update,
            as_node,
            checkpoint_ns,
            run_options(self._settings),
            partial(self._forked, thread_id, checkpoint_ns),
            continue_after=continue_after,
            values=values,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
        )
        return self._launch(
            request,
            events,
            refusal=self.fork_failed,
            done=FINISHED if continue_after else FORKED,
        )

    def _forked(self, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> None:
        """A fork wrote ``checkpoint_id``: it is saved, and it is the fork's."""
        self.checkpoint_saved.emit(thread_id, checkpoint_ns, checkpoint_id)
        self.forked.emit(thread_id, checkpoint_ns, checkpoint_id)
