"""What each kind of run from the window streams: the core runner's call behind it.

A run (:func:`desktop.core.runner.run`, also from a past checkpoint and with
breakpoints), a replay, a resume or continue, and a fork (then, optionally, a run from
the new checkpoint) are each an :data:`EventStream`: given the attached graph, the open
saver and the run's :class:`~desktop.core.running.RunningNodes`, the parts the run
streams. :class:`~desktop.ui.run_controller.RunController` starts one at a time and
turns its parts into signals. Every kind gets the same options from the Run settings
(:func:`run_options`).

The core runner is imported only when a stream starts (it pulls in LangGraph), so
opening the window for inspection stays fast.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

from desktop.ui.run_request import is_continue

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph
    from desktop.core.run_settings import RunSettings
    from desktop.core.run_stream import StreamEvent
    from desktop.core.running import RunningNodes
    from desktop.core.savers import RewindSaver

LIVE_MODES: Final = ("messages", "updates", "custom", "tasks", "checkpoints")
"""What a run from the window streams; ``values`` is added on demand."""

EventStream = Callable[
    ["LoadedGraph", "RewindSaver", "RunningNodes | None"], AsyncIterator["StreamEvent"]
]
"""A run's parts, given the graph, the open saver and the nodes running now."""


def stream_modes(values: bool) -> tuple[str, ...]:
    """The stream modes of a run from the window; ``values`` adds the full state per step."""
    return (*LIVE_MODES, "values") if values else LIVE_MODES


def run_options(settings: RunSettings) -> dict[str, Any]:
    """The runner's keyword arguments for ``settings`` (taken when a run starts)."""
    return {
        "recursion_limit": settings.recursion_limit,
        "durability": settings.durability,
        "configurable": dict(settings.configurable) or None,
        "context": None if settings.context is None else dict(settings.context),
    }


def run_stream(
    thread_id: str,
    input: Any,
    options: Mapping[str, Any],
    *,
    values: bool = False,
    checkpoint_id: str | None = None,
    interrupt_before: Sequence[str] | None = None,
    interrupt_after: Sequence[str] | None = None,
) -> EventStream:
    """``runner.run`` on ``thread_id``: from its head, or from ``checkpoint_id``."""
    return _runner_stream(
        lambda runner: runner.run,
        thread_id,
        input,
        checkpoint_id=checkpoint_id,
        stream_modes=stream_modes(values),
        interrupt_before=interrupt_before or None,
        interrupt_after=interrupt_after or None,
        **options,
    )


def replay_stream(
    thread_id: str, checkpoint_id: str, options: Mapping[str, Any], *, values: bool = False
) -> EventStream:
    """``runner.replay`` of ``thread_id`` from ``checkpoint_id``."""
    return _runner_stream(
        lambda runner: runner.replay,
        thread_id,
        checkpoint_id,
        stream_modes=stream_modes(values),
        **options,
    )


def resume_stream(
    thread_id: str,
    value: Any,
    options: Mapping[str, Any],
    *,
    values: bool = False,
    answers: Sequence[str] | None = None,
) -> EventStream:
    """``runner.resume`` of ``thread_id``: ``value`` answers its interrupts, or
    (:data:`~desktop.ui.run_request.CONTINUE_RUN`: no value, the runner's ``NO_VALUE``)
    its stopped run goes on."""
    continuing = is_continue(value)
    return _runner_stream(
        lambda runner: runner.resume,
        thread_id,
        *(() if continuing else (value,)),
        stream_modes=stream_modes(values),
        answers=None if continuing else answers,
        **options,
    )


def fork_stream(
    thread_id: str,
    checkpoint_id: str,
    update: Mapping[str, Any],
    as_node: str | None,
    checkpoint_ns: str,
    options: Mapping[str, Any],
    forked: Callable[[str], None],
    *,
    continue_after: bool = False,
    values: bool = False,
    interrupt_before: Sequence[str] | None = None,
    interrupt_after: Sequence[str] | None = None,
) -> EventStream:
    """``runner.fork`` after ``checkpoint_id``; ``forked`` is told the new checkpoint's id.

    With ``continue_after``, the graph then runs from the new checkpoint
    (:func:`run_stream` with no input from it), streamed like any run.
    """

    async def fork_then_run(
        graph: LoadedGraph, saver: RewindSaver, running: RunningNodes | None
    ) -> AsyncIterator[StreamEvent]:
        from desktop.core.runner import fork

        new_id = await fork(graph, saver, thread_id, checkpoint_id, update, as_node, checkpoint_ns)
        forked(new_id)
        if not continue_after:
            return
        run_on = run_stream(
            thread_id,
            None,
            options,
            values=values,
            checkpoint_id=new_id,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
        )
        async for event in run_on(graph, saver, running):
            yield event

    return fork_then_run


def _runner_stream(
    pick: Callable[[ModuleType], Callable[..., AsyncIterator[StreamEvent]]],
    thread_id: str,
    *args: Any,
    **kwargs: Any,
) -> EventStream:
    """The stream of ``pick(runner)(graph, saver, thread_id, *args, running=..., **kwargs)``;
    the runner (and LangGraph) is imported only when the stream starts."""

    def events(
        graph: LoadedGraph, saver: RewindSaver, running: RunningNodes | None
    ) -> AsyncIterator[StreamEvent]:
        from desktop.core import runner

        return pick(runner)(graph, saver, thread_id, *args, running=running, **kwargs)

    return events
