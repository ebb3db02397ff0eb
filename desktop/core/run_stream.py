"""A run streamed through LangGraph's ``astream(..., version="v2")`` as JSON-safe events.

The CLI prints each :class:`StreamEvent` as a line of JSON; the window's run controller
consumes the same async iterator inside its qasync loop. A graph failure ends the
stream with one :class:`RunError` line naming the failing node; a cancelled run settles
the writes LangGraph still has in flight before the cancellation goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.errors import GraphRecursionError
from langgraph.pregel import Pregel
from langgraph.types import Durability

from desktop.core.errors import RewindError, error_line
from desktop.core.live_json import to_jsonable
from desktop.core.running import RunningNodes
from desktop.core.savers import settle_saver_writes

STREAM_MODES: Final = ("values", "updates", "messages", "custom", "checkpoints", "tasks", "debug")
DEFAULT_MODES: Final = ("messages", "updates", "custom", "tasks", "checkpoints")
DEFAULT_RECURSION_LIMIT: Final = 25
"""LangGraph's own default number of steps a run may take."""


class RunError(RewindError):
    """The graph raised while running; ``node`` is the failing node when known."""

    def __init__(self, message: str, node: str | None = None) -> None:
        super().__init__(message)
        self.node = node


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One streamed part of a run, JSON-safe.

    ``type`` is the stream mode and ``ns`` the subgraph path (empty for the root
    graph). For ``messages`` parts, ``token`` (the text of the chunk), ``node`` and
    ``message_id`` are pulled out so the UI can append tokens without digging.
    """

    type: str
    ns: tuple[str, ...]
    data: Any
    token: str | None = None
    node: str | None = None
    message_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The event as printed by ``rewind run`` (one JSON object per line)."""
        return {"type": self.type, "ns": list(self.ns), "data": self.data}


def check_modes(stream_modes: Sequence[str]) -> tuple[str, ...]:
    """The stream modes asked for, each once; an unknown one is refused in one line."""
    unknown = [mode for mode in stream_modes if mode not in STREAM_MODES]
    if unknown:
        raise RewindError(
            f"Unknown stream mode(s) {', '.join(unknown)}; choose from {', '.join(STREAM_MODES)}"
        )
    return tuple(dict.fromkeys(stream_modes))


async def stream_run(
    graph: Pregel,
    input: Any,
    config: RunnableConfig,
    modes: tuple[str, ...],
    *,
    interrupt_before: Sequence[str] | None = None,
    interrupt_after: Sequence[str] | None = None,
    recursion_limit: int | None = None,
    running: RunningNodes | None = None,
    durability: Durability | None = None,
    configurable: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> AsyncIterator[StreamEvent]:
    """Stream a run, turning a graph failure into a one-line :class:`RunError`.

    ``tasks`` is always streamed internally: its error results name the failing node.
    A cancelled run leaves the thread at its last saved step (with ``exit``
    durability, the checkpoint the run started from).
    """
    requested = set(modes)
    failed: str | None = None
    if recursion_limit is not None:
        config = {**config, "recursion_limit": recursion_limit}
    if configurable:
        config = {**config, "configurable": {**configurable, **config["configurable"]}}
    try:
        async for part in graph.astream(
            input,
            config,
            stream_mode=[*modes, *(() if "tasks" in requested else ("tasks",))],
            version="v2",
            subgraphs=True,
            durability=durability,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            context=context,
        ):
            if part["type"] == "tasks":
                if running is not None:
                    running.update(part["ns"], part["data"])
                if failed is None and part["data"].get("error"):
                    failed = _node_path(part["ns"], part["data"]["name"])
            if part["type"] in requested:
                yield _event(part)
    except asyncio.CancelledError:
        if isinstance(graph.checkpointer, BaseCheckpointSaver):
            await settle_saver_writes(graph.checkpointer)
        raise
    except GraphRecursionError as exc:
        limit = config.get("recursion_limit", DEFAULT_RECURSION_LIMIT)
        raise RunError(
            f"Run stopped at the recursion limit ({limit} steps) before reaching its end; "
            "raise the limit (--recursion-limit) if the graph needs more steps"
        ) from exc
    except Exception as exc:
        where = f"Node {failed!r} failed" if failed else "Run failed"
        raise RunError(f"{where}: {error_line(exc)}", node=failed) from exc


def _event(part: Mapping[str, Any]) -> StreamEvent:
    kind, ns, data = part["type"], tuple(part["ns"]), part["data"]
    if kind == "messages":
        message, metadata = data
        is_message = isinstance(message, BaseMessage)
        return StreamEvent(
            type=kind,
            ns=ns,
            data={"message": to_jsonable(message), "metadata": to_jsonable(metadata)},
            token=message.text if is_message else None,
            node=metadata.get("langgraph_node"),
            message_id=message.id if is_message else None,
        )
    if kind == "tasks" and isinstance(data.get("error"), BaseException):
        data = {**data, "error": error_line(data["error"])}
    return StreamEvent(type=kind, ns=ns, data=to_jsonable(data))


def _node_path(ns: Sequence[str], name: str) -> str:
    return "/".join([*(part.split(":", 1)[0] for part in ns), name])
