"""Check a run's input the way the graph will take it, before anything is written.

LangGraph saves the input as the thread's first checkpoint of the turn and applies it
to the state only in the next step: an input a reducer rejects (a message without
``content``), or one that does not fit a pydantic state, would leave a checkpoint that
``status`` and ``resume`` cannot read. :func:`check_input` applies the input here first,
with the graph's own reducers and schema, to the state the run starts from.
:func:`make_input` and :func:`resume_value_from_inputs` build a run's input and a
resume's value from what the user typed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph._internal._typing import MISSING
from langgraph.channels.binop import BinaryOperatorAggregate
from langgraph.graph import StateGraph
from langgraph.graph.message import add_messages
from langgraph.managed.base import is_managed_value
from langgraph.pregel import Pregel
from langgraph.pregel.main import _coerce_context
from langgraph.types import Command
from pydantic import BaseModel, ValidationError

from desktop.core.errors import RewindError, error_line
from desktop.core.progress import WaitingInterrupt

_REFUSED = "Input refused, nothing was written"


def check_input_shape(graph: Pregel, input: Any) -> None:
    """Refuse a non-object input to a ``StateGraph`` (LangGraph would save it as the
    turn's input checkpoint, then fail with "Expected dict"); a functional-API
    entrypoint takes any value."""
    if input is None or isinstance(input, Mapping | BaseModel | Command):
        return
    if isinstance(getattr(graph, "builder", None), StateGraph):
        shown = json.dumps(input, ensure_ascii=False, default=str)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise RewindError(
            f"{_REFUSED}: this graph takes an object of state keys as input, "
            f"not a {type(input).__name__} ({shown})"
        )


def check_input(graph: Pregel, stored: Mapping[str, Any], input: Any) -> None:
    """Raise :class:`RewindError` (one line) when ``graph`` would reject ``input``.

    ``stored`` holds the channel values of the checkpoint the run starts from (empty
    for a new thread). Each state key of ``input`` is applied to a copy of its channel
    through the graph's reducer; with a pydantic state, the resulting state must also
    validate against the state model, as each node's input will.
    """
    if not isinstance(input, Mapping):
        return
    _check_input_keys(graph, input)
    merged = {k: v for k, v in stored.items() if isinstance(k, str) and not k.startswith("__")}
    for key, value in input.items():
        channel = graph.channels.get(key) if isinstance(key, str) else None
        if channel is None or key.startswith("__"):
            continue
        probe = channel.from_checkpoint(stored.get(key, MISSING))
        try:
            probe.update([value])
            merged[key] = probe.get()
        except Exception as exc:
            raise RewindError(
                f"{_REFUSED}: state key {key!r} does not accept it ({error_line(exc)})"
            ) from exc
    schema = getattr(getattr(graph, "builder", None), "state_schema", None)
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        try:
            schema.model_validate(merged)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ())) or "state"
            raise RewindError(
                f"{_REFUSED}: it does not fit {schema.__name__} "
                f"({exc.error_count()} error(s); {where}: {first.get('msg', '')})"
            ) from None


def input_keys(graph: Pregel) -> list[str] | None:
    """The state keys a ``StateGraph`` takes as input (its input schema's, managed
    values left out, as LangGraph's ``__start__`` node writes them), or ``None`` for a
    graph that takes any value (a functional-API entrypoint)."""
    builder = getattr(graph, "builder", None)
    if not isinstance(builder, StateGraph):
        return None
    fields = builder.schemas.get(builder.input_schema, {})
    return [key for key, spec in fields.items() if not is_managed_value(spec)]


def takes_messages(graph: Pregel, key: str) -> bool:
    """Whether state key ``key`` folds messages with LangGraph's ``add_messages`` (so a
    user message, ``[{"role": "user", "content": ...}]``, is a value it takes)."""
    channel = graph.channels.get(key)
    return isinstance(channel, BinaryOperatorAggregate) and channel.operator is add_messages


def _check_input_keys(graph: Pregel, input: Mapping[str, Any]) -> None:
    """Refuse input keys the graph's input schema lacks: LangGraph drops them without a
    word and runs the turn as if they were not given (a mistyped ``"mesages"`` would
    re-run the agent on the old state)."""
    accepted = input_keys(graph)
    if accepted is None:
        return
    unknown = [str(key) for key in input if key not in accepted]
    if unknown:
        raise RewindError(
            f"{_REFUSED}: unknown input key(s) {', '.join(unknown)}; "
            f"the graph's input keys are {', '.join(accepted) or 'none'}"
        )


def check_text_input(graph: Pregel) -> None:
    """Refuse text input (``rewind run --input TEXT``: a user message under ``messages``)
    to a graph that takes no ``messages`` key, naming the keys it takes and how to give
    them, rather than refusing a key the user never typed."""
    keys = input_keys(graph)
    if keys is None or "messages" in keys:
        return
    if not keys:
        raise RewindError(f"{_REFUSED}: this graph takes no input; leave out --input")
    example = json.dumps(keys[0], ensure_ascii=False)
    raise RewindError(
        f"{_REFUSED}: --input TEXT sends a chat message and this graph takes none; "
        f"give its input keys ({', '.join(keys)}) as JSON: --input-json '{{{example}: ...}}'"
    )


def context_problem(graph: Pregel, context: Any) -> str | None:
    """Why the graph's ``context_schema`` cannot be built from ``context``, or None.

    LangGraph builds a dataclass or pydantic ``context_schema`` from the given object
    when a run starts (``_coerce_context``); a missing or unknown field fails there.
    """
    schema = getattr(graph, "context_schema", None)
    if context is None or schema is None:
        return None
    try:
        _coerce_context(schema, context)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "context"
        detail = f"{exc.error_count()} error(s); {where}: {first.get('msg', '')}"
    except Exception as exc:
        detail = error_line(exc)
    else:
        return None
    return f"does not fit {schema.__name__} ({detail})"


def context_note(graph: Pregel) -> str | None:
    """What a run ``context`` becomes in a graph without a ``context_schema``: LangGraph
    neither checks nor drops it, nodes get the object as given (``runtime.context``)."""
    if getattr(graph, "context_schema", None) is not None:
        return None
    return (
        "the graph declares no context_schema: LangGraph passes the context to its nodes "
        "as given, a plain dict in runtime.context, unchecked"
    )


def check_context(graph: Pregel, context: Any) -> None:
    """Refuse, before anything is written, a run ``context`` LangGraph would fail to
    build the graph's ``context_schema`` from (:func:`context_problem`)."""
    problem = context_problem(graph, context)
    if problem:
        raise RewindError(f"Context refused, nothing was written: it {problem}")


def make_input(text: str | None = None, json_text: str | None = None) -> Any:
    """The graph input for a run: a user message, a JSON value, or ``None`` to continue."""
    if text is not None and json_text is not None:
        raise RewindError("Give the input either as text or as JSON, not both")
    if text is not None:
        return {"messages": [{"role": "user", "content": text}]}
    if json_text is None:
        return None
    try:
        return json.loads(json_text)
    except json.JSONDecodeError as exc:
        raise RewindError(
            f"Input is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc


def resume_value_from_inputs(
    interrupts: Sequence[WaitingInterrupt],
    texts: Mapping[str, str],
    as_json: Mapping[str, bool],
) -> Any:
    """The ``Command(resume=...)`` value for what the user typed per interrupt.

    Each interrupt's text is taken as a string, or parsed as JSON when ``as_json`` says
    so. One pending interrupt gets its value directly; several get a mapping of
    interrupt id to value, as langgraph expects.
    """
    if not interrupts:
        raise RewindError("This thread has no pending interrupt to resume")
    values = {item.id: _resume_value(item, texts, as_json) for item in interrupts}
    if len(interrupts) == 1:
        return values[interrupts[0].id]
    return values


def _resume_value(
    item: WaitingInterrupt, texts: Mapping[str, str], as_json: Mapping[str, bool]
) -> Any:
    text = texts.get(item.id, "")
    if not as_json.get(item.id, False):
        return text
    if not text.strip():
        raise RewindError(f"Interrupt {item.id} (node {item.node}): enter a JSON value")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RewindError(
            f"Interrupt {item.id} (node {item.node}): invalid JSON at line {exc.lineno}, "
            f"column {exc.colno}: {exc.msg}"
        ) from exc
