"""Builders of real checkpoint databases for the read-side tests and the benchmarks.

Every database is written by langgraph's own ``SqliteSaver`` (sync, one
``sqlite3`` connection per file) or, given a ``postgresql://`` URL, ``PostgresSaver``,
while running real graphs, or, for the two large
benchmark files, by ``SqliteSaver.put`` with real checkpoints from
``langgraph.checkpoint.base``. Only the hostile builders touch rows by hand, and that
is the point of them. Each builder returns the path and the ids a test needs.
"""

from __future__ import annotations

import operator
import random
import re
import shlex
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import ormsgpack
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.base import BaseCheckpointSaver, create_checkpoint, empty_checkpoint
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.jsonplus import EXT_CONSTRUCTOR_POS_ARGS
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Send, interrupt
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from desktop.core.demo.scripted_model import ScriptedChatModel


@contextmanager
def open_saver(path: Path | str) -> Iterator[BaseCheckpointSaver]:
    """A ``SqliteSaver`` on its own connection to ``path``, closed afterwards; for a
    ``postgresql://`` URL, a set-up ``PostgresSaver`` on its own connection."""
    if isinstance(path, str) and path.startswith("postgresql://"):
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(path) as saver:
            saver.setup()
            yield saver
        return
    with closing(sqlite3.connect(path, check_same_thread=False)) as conn:
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver


@contextmanager
def read_saver(
    path: Path | str, serde: SerializerProtocol | None = None
) -> Iterator[BaseCheckpointSaver]:
    """A ``SqliteSaver`` on a read-only connection, for checking a database without
    changing it (``setup()`` is skipped: it would write); for a ``postgresql://`` URL, a
    ``PostgresSaver`` on a read-only session."""
    if isinstance(path, str):
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row

        with psycopg.connect(
            path,
            autocommit=True,
            prepare_threshold=0,
            row_factory=dict_row,
            options="-c default_transaction_read_only=on",
        ) as conn:
            yield PostgresSaver(conn, serde=serde)
        return
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, check_same_thread=False)) as conn:
        saver = SqliteSaver(conn, serde=serde)
        saver.is_setup = True
        yield saver


def thread_config(thread_id: str) -> dict[str, Any]:
    """The config that names a thread, as every LangGraph call expects it."""
    return {"configurable": {"thread_id": thread_id}}


def langgraph_state_after(
    factory: Callable[[BaseCheckpointSaver], Any], path: Path, given: Any, thread_id: str
) -> Any:
    """LangGraph's own answer: ``factory``'s graph invoked with ``given`` on a fresh
    database at ``path``, and its ``get_state`` after."""
    with open_saver(path) as saver:
        graph = factory(saver)
        graph.invoke(given, thread_config(thread_id))
        return graph.get_state(thread_config(thread_id))


@dataclass(frozen=True)
class CheckpointRef:
    """One checkpoint of a thread (root namespace)."""

    thread_id: str
    checkpoint_id: str


# --- tool-calling agent -------------------------------------------------------------

WEATHER = {"paris": "18°C and sunny", "oslo": "4°C with sleet", "lima": "22°C and cloudy"}


@tool
def get_weather(city: str) -> str:
    """Canned weather for a city."""
    return WEATHER.get(city.lower(), "no forecast available")


@tool
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


def agent_responder(messages: list[BaseMessage]) -> AIMessage:
    """Reply like a tool-using assistant: call a tool for a question, then answer."""
    last = messages[-1]
    if isinstance(last, ToolMessage):
        return AIMessage(f"The {last.name} tool says: {last.text}.")
    question = last.text
    if city := re.search(r"\bin ([A-Z][a-z]+)", question):
        return AIMessage(
            f"Checking the weather in {city[1]}.",
            tool_calls=[{"name": "get_weather", "args": {"city": city[1]}, "id": None}],
        )
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", question)]
    if len(numbers) >= 2:
        return AIMessage(
            "Adding those up.",
            tool_calls=[{"name": "add", "args": {"a": numbers[0], "b": numbers[1]}, "id": None}],
        )
    return AIMessage(f"You said: {question}")


@dataclass(frozen=True)
class AgentDb:
    """Two threads of a tool-calling agent; ``multi_turn_thread`` has two turns."""

    path: Path
    thread_ids: tuple[str, ...]
    multi_turn_thread: str
    questions: dict[str, tuple[str, ...]]
    answers: dict[str, tuple[str, ...]]


def tool_agent_graph(checkpointer: BaseCheckpointSaver | None) -> CompiledStateGraph:
    """ScriptedChatModel + ToolNode, the classic ReAct loop."""
    model = ScriptedChatModel(responder=agent_responder).bind_tools([get_weather, add])

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([get_weather, add]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return builder.compile(checkpointer=checkpointer, name="tool-agent")


def build_agent_db(path: Path) -> AgentDb:
    """A tool-calling agent: ``agent-weather`` (two turns) and ``agent-math`` (one)."""
    questions = {
        "agent-weather": ("What is the weather in Paris?", "And in Oslo?"),
        "agent-math": ("Please add 2 and 40",),
    }
    answers: dict[str, tuple[str, ...]] = {}
    with open_saver(path) as saver:
        graph = tool_agent_graph(saver)
        for thread_id, turns in questions.items():
            replies = []
            for question in turns:
                result = graph.invoke(
                    {"messages": [HumanMessage(question)]}, thread_config(thread_id)
                )
                replies.append(result["messages"][-1].text)
            answers[thread_id] = tuple(replies)
    return AgentDb(path, tuple(questions), "agent-weather", questions, answers)


# --- Send fan-out into a subgraph ---------------------------------------------------


class TopicState(TypedDict, total=False):
    """State of the research subgraph: one topic at a time."""

    topic: str
    notes: list[str]
    summaries: Annotated[list[str], operator.add]


class FanoutState(TypedDict, total=False):
    """State of the fan-out parent: topics in, summaries collected, a report out."""

    topics: list[str]
    summaries: Annotated[list[str], operator.add]
    report: str


@dataclass(frozen=True)
class FanoutDb:
    """One thread whose ``research`` subgraph ran once per topic via ``Send``."""

    path: Path
    thread_id: str
    topics: tuple[str, ...]
    subgraph_namespaces: tuple[str, ...]
    report: str


def _gather(state: TopicState) -> dict[str, Any]:
    return {"notes": [f"{state['topic']} fact {n}" for n in (1, 2)]}


def _summarize(state: TopicState) -> dict[str, Any]:
    return {"summaries": [f"{state['topic']}: {len(state['notes'])} notes"]}


def _plan(state: FanoutState) -> dict[str, Any]:
    return {"topics": sorted(state["topics"])}


def _fan_out(state: FanoutState) -> list[Send]:
    return [Send("research", {"topic": topic}) for topic in state["topics"]]


def _combine(state: FanoutState) -> dict[str, Any]:
    return {"report": "; ".join(sorted(state["summaries"]))}


def fanout_graph(checkpointer: BaseCheckpointSaver | None) -> CompiledStateGraph:
    """``plan`` sends each topic to a compiled ``research`` subgraph, then ``combine``."""
    sub = StateGraph(TopicState)
    sub.add_node("gather", _gather)
    sub.add_node("summarize", _summarize)
    sub.add_edge(START, "gather")
    sub.add_edge("gather", "summarize")
    sub.add_edge("summarize", END)

    parent = StateGraph(FanoutState)
    parent.add_node("plan", _plan)
    parent.add_node("research", sub.compile(name="research"))
    parent.add_node("combine", _combine)
    parent.add_edge(START, "plan")
    parent.add_conditional_edges("plan", _fan_out, ["research"])
    parent.add_edge("research", "combine")
    parent.add_edge("combine", END)
    return parent.compile(checkpointer=checkpointer, name="fanout")


def build_fanout_db(path: Path) -> FanoutDb:
    """One run of ``fanout_graph`` over three topics."""
    thread_id = "fanout-research"
    topics = ("batteries", "solar", "wind")
    with open_saver(path) as saver:
        graph = fanout_graph(saver)
        result = graph.invoke({"topics": list(topics)}, thread_config(thread_id))
        namespaces = sorted(
            {
                t.config["configurable"]["checkpoint_ns"]
                for t in saver.list(thread_config(thread_id))
                if t.config["configurable"]["checkpoint_ns"]
            }
        )
    return FanoutDb(path, thread_id, topics, tuple(namespaces), result["report"])


# --- interrupt ------------------------------------------------------------------------


class ReviewState(TypedDict, total=False):
    """A request, a draft reply, and a human verdict on it."""

    request: str
    draft: str
    verdict: str


@dataclass(frozen=True)
class InterruptDb:
    """A thread paused on ``interrupt()`` in node ``node``, never resumed."""

    path: Path
    thread_id: str
    node: str
    interrupt_value: dict[str, Any]


def _draft(state: ReviewState) -> dict[str, Any]:
    return {"draft": f"Dear customer, about {state['request']}: it is fixed."}


def _review(state: ReviewState) -> dict[str, Any]:
    return {"verdict": interrupt({"question": "Send this reply?", "draft": state["draft"]})}


def _publish(state: ReviewState) -> dict[str, Any]:
    return {"draft": f"{state['draft']} ({state['verdict']})"}


def review_graph(checkpointer: BaseCheckpointSaver | None) -> CompiledStateGraph:
    """``draft`` -> ``review`` (asks a human via ``interrupt()``) -> ``publish``."""
    builder = StateGraph(ReviewState)
    builder.add_node("draft", _draft)
    builder.add_node("review", _review)
    builder.add_node("publish", _publish)
    builder.add_edge(START, "draft")
    builder.add_edge("draft", "review")
    builder.add_edge("review", "publish")
    builder.add_edge("publish", END)
    return builder.compile(checkpointer=checkpointer, name="review")


def build_interrupt_db(path: Path) -> InterruptDb:
    """``review_graph`` run until its ``interrupt()``; nobody answers."""
    thread_id = "needs-approval"
    with open_saver(path) as saver:
        graph = review_graph(saver)
        graph.invoke({"request": "the login bug"}, thread_config(thread_id))
    draft = _draft({"request": "the login bug"})["draft"]
    return InterruptDb(path, thread_id, "review", {"question": "Send this reply?", "draft": draft})


# --- a node that raises ---------------------------------------------------------------


class BatchState(TypedDict, total=False):
    """A batch of items to process."""

    items: list[int]
    total: int


@dataclass(frozen=True)
class ErrorDb:
    """A thread whose node ``node`` raised ``error_type(error_message)``."""

    path: Path
    thread_id: str
    node: str
    error_type: str
    error_message: str


BATCH_ERROR = "cannot split 3 items into 0 batches"


def _load(state: BatchState) -> dict[str, Any]:
    return {"items": [1, 2, 3]}


def _explode(state: BatchState) -> dict[str, Any]:
    raise ValueError(BATCH_ERROR)


def batch_graph(checkpointer: BaseCheckpointSaver | None) -> CompiledStateGraph:
    """``load`` succeeds, then ``explode`` raises ``ValueError``."""
    builder = StateGraph(BatchState)
    builder.add_node("load", _load)
    builder.add_node("explode", _explode)
    builder.add_edge(START, "load")
    builder.add_edge("load", "explode")
    builder.add_edge("explode", END)
    return builder.compile(checkpointer=checkpointer, name="batch")


def build_error_db(path: Path) -> ErrorDb:
    """``batch_graph`` run once: the error is saved as an ``__error__`` pending write."""
    thread_id = "crashed-batch"
    with open_saver(path) as saver:
        graph = batch_graph(saver)
        try:
            graph.invoke({"items": []}, thread_config(thread_id))
        except ValueError as error:
            if str(error) != BATCH_ERROR:
                raise
        else:
            raise AssertionError("the explode node was expected to raise")
    return ErrorDb(path, thread_id, "explode", "ValueError", BATCH_ERROR)


# --- pydantic state -------------------------------------------------------------------


class Address(BaseModel):
    """Nested model inside the pydantic state."""

    street: str
    city: str


class Customer(BaseModel):
    """A model holding a nested model and a datetime."""

    name: str
    address: Address
    signed_up: datetime


class OrderState(BaseModel):
    """Graph state as a pydantic model."""

    customer: Customer
    items: list[str] = Field(default_factory=list)
    total: float = 0.0
    priced_at: datetime | None = None


@dataclass(frozen=True)
class PydanticDb:
    """One thread of a graph whose state is ``OrderState`` (pydantic)."""

    path: Path
    thread_id: str
    final_state: OrderState


PRICES = {"keyboard": 49.5, "mouse": 19.0}
PRICED_AT = datetime(2024, 5, 4, 9, 30, tzinfo=UTC)


def _add_items(state: OrderState) -> dict[str, Any]:
    return {"items": [*state.items, "keyboard", "mouse"]}


def _price(state: OrderState) -> dict[str, Any]:
    return {"total": sum(PRICES[item] for item in state.items), "priced_at": PRICED_AT}


def order_graph(checkpointer: BaseCheckpointSaver | None) -> CompiledStateGraph:
    """``add_items`` -> ``price`` on a pydantic state with a nested model and datetimes."""
    builder = StateGraph(OrderState)
    builder.add_node("add_items", _add_items)
    builder.add_node("price", _price)
    builder.add_edge(START, "add_items")
    builder.add_edge("add_items", "price")
    builder.add_edge("price", END)
    return builder.compile(checkpointer=checkpointer, name="orders")


def build_pydantic_db(path: Path) -> PydanticDb:
    """``order_graph`` run once for a customer with an address."""
    customer = Customer(
        name="Ada",
        address=Address(street="12 Analytical Row", city="London"),
        signed_up=datetime(2023, 12, 10, 8, 0, tzinfo=UTC),
    )
    thread_id = "pydantic-order"
    with open_saver(path) as saver:
        graph = order_graph(saver)
        result = graph.invoke(OrderState(customer=customer), thread_config(thread_id))
    return PydanticDb(path, thread_id, OrderState(**result))


# --- forks and a replay ---------------------------------------------------------------


class StepState(TypedDict, total=False):
    """A number transformed step by step, with a log of what happened."""

    value: int
    log: Annotated[list[str], operator.add]


@dataclass(frozen=True)
class ForkDb:
    """A thread with a fork point and a replay.

    ``fork_parent_id`` (the checkpoint after ``double``) has several children: the
    original next checkpoint ``original_child_id`` and one ``update_state`` fork per
    value in ``fork_values`` (``fork_ids``). ``fork_ids[0]`` was then run to the end,
    adding ``continued_ids``. ``replay_from_id`` (the original checkpoint before
    ``square``) was replayed with ``stream(None, ...)``, adding ``replay_ids``.
    ``final_values`` holds the end ``value`` of each line: original, fork, replay.
    """

    path: Path
    thread_id: str
    fork_parent_id: str
    original_child_id: str
    fork_ids: tuple[str, ...]
    fork_values: tuple[int, ...]
    continued_ids: tuple[str, ...]
    replay_from_id: str
    replay_ids: tuple[str, ...]
    final_values: dict[str, int]


def _double(state: StepState) -> dict[str, Any]:
    return {"value": state["value"] * 2, "log": ["double"]}


def _increment(state: StepState) -> dict[str, Any]:
    return {"value": state["value"] + 1, "log": ["increment"]}


def _square(state: StepState) -> dict[str, Any]:
    return {"value": state["value"] ** 2, "log": ["square"]}


def steps_graph(checkpointer: BaseCheckpointSaver | None) -> CompiledStateGraph:
    """``double`` -> ``increment`` -> ``square``."""
    builder = StateGraph(StepState)
    builder.add_node("double", _double)
    builder.add_node("increment", _increment)
    builder.add_node("square", _square)
    builder.add_edge(START, "double")
    builder.add_edge("double", "increment")
    builder.add_edge("increment", "square")
    builder.add_edge("square", END)
    return builder.compile(checkpointer=checkpointer, name="steps")


def _checkpoint_id(config: dict[str, Any]) -> str:
    return config["configurable"]["checkpoint_id"]


def build_fork_db(path: Path) -> ForkDb:
    """``steps_graph`` run from 3, forked three times after ``double``, then replayed."""
    thread_id = "forked-math"
    config = thread_config(thread_id)
    fork_values = (10, 20, 30)
    with open_saver(path) as saver:
        graph = steps_graph(saver)

        def known_ids() -> set[str]:
            return {_checkpoint_id(t.config) for t in saver.list(config)}

        original = graph.invoke({"value": 3, "log": []}, config)
        history = list(graph.get_state_history(config))
        parent = next(s for s in history if s.next == ("increment",))
        original_child = next(s for s in history if s.next == ("square",))
        fork_configs = [
            graph.update_state(parent.config, {"value": value}, as_node="double")
            for value in fork_values
        ]
        before = known_ids()
        forked = graph.invoke(None, fork_configs[0])
        continued = known_ids() - before
        before = known_ids()
        replayed = list(graph.stream(None, original_child.config, stream_mode="values"))[-1]
        replay = known_ids() - before
    return ForkDb(
        path=path,
        thread_id=thread_id,
        fork_parent_id=_checkpoint_id(parent.config),
        original_child_id=_checkpoint_id(original_child.config),
        fork_ids=tuple(_checkpoint_id(c) for c in fork_configs),
        fork_values=fork_values,
        continued_ids=tuple(sorted(continued)),
        replay_from_id=_checkpoint_id(original_child.config),
        replay_ids=tuple(sorted(replay)),
        final_values={
            "original": original["value"],
            "fork": forked["value"],
            "replay": replayed["value"],
        },
    )


# --- large databases for benchmarks ---------------------------------------------------


@dataclass(frozen=True)
class ManyThreadsDb:
    """``len(thread_ids)`` threads of two checkpoints each (input, then one step)."""

    path: Path
    thread_ids: tuple[str, ...]


def _put_step(
    saver: SqliteSaver,
    config: dict[str, Any],
    previous: Any,
    values: dict[str, Any],
    step: int,
    source: str,
) -> tuple[dict[str, Any], Any]:
    versions = {
        name: saver.get_next_version(previous["channel_versions"].get(name), None)
        for name in values
    }
    checkpoint = create_checkpoint(previous, None, step)
    checkpoint["channel_values"] = values
    checkpoint["channel_versions"] = {**previous["channel_versions"], **versions}
    metadata = {"source": source, "step": step, "parents": {}}
    return saver.put(config, checkpoint, metadata, versions), checkpoint


@contextmanager
def _fast_saver(path: Path) -> Iterator[SqliteSaver]:
    with open_saver(path) as saver:
        saver.conn.execute("PRAGMA synchronous=OFF")
        yield saver


def build_many_threads_db(path: Path, n: int = 10_000) -> ManyThreadsDb:
    """``n`` small threads written with ``SqliteSaver.put`` and real checkpoints."""
    thread_ids = tuple(f"thread-{index:05d}" for index in range(n))
    with _fast_saver(path) as saver:
        for index, thread_id in enumerate(thread_ids):
            config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
            question = {"messages": [f"question {index}"]}
            config, first = _put_step(
                saver, config, empty_checkpoint(), {"__start__": question}, -1, "input"
            )
            answer = {"messages": [f"question {index}", f"answer {index}"]}
            _put_step(saver, config, first, answer, 0, "loop")
    return ManyThreadsDb(path, thread_ids)


@dataclass(frozen=True)
class BigThreadDb:
    """One thread with ``len(checkpoint_ids)`` checkpoints of ~``bytes_per_checkpoint``."""

    path: Path
    thread_id: str
    checkpoint_ids: tuple[str, ...]
    bytes_per_checkpoint: int


_TURN = ("human", "tool_call", "tool", "answer")
"""The messages of one agent turn, in order: question, tool call, tool result, answer."""

_TURN_WEIGHTS = {"human": 0.4, "tool_call": 0.4, "tool": 2.0, "answer": 1.2}
"""Each message's share of the average message size: tool results are the big ones."""

_MESSAGE_BYTES = 800
"""Typical serialized size of one message, which sets how many messages a state keeps."""

_CORPUS_SLACK = 65_536
"""Range of random offsets (at a word start) that message texts are sliced from."""

_CORPUS_WORDS = ("agent", "token", "state", "graph", "node", "tool", "memory", "retry", "draft")


def _corpus(size: int, rng: random.Random) -> str:
    """``size`` characters of varied words, to slice message texts from."""
    text = " ".join(rng.choices(_CORPUS_WORDS, k=size // 5 + 1))
    return text[:size]


def _message_windows(checkpoints: int, window: int) -> list[tuple[int, int]]:
    """``(first, end)`` message indexes of each checkpoint's state: one new message per
    checkpoint; past ``window`` messages the oldest are trimmed, from a question on when
    the window holds whole turns (like ``trim_messages(start_on="human")``)."""
    spans = []
    for end in range(1, checkpoints + 1):
        first = max(0, end - window)
        if window >= len(_TURN):
            first = -(-first // len(_TURN)) * len(_TURN)
        spans.append((first, end))
    return spans


def _turn_message(index: int, text: str) -> BaseMessage:
    """The ``index``-th message of the conversation, as a real LangChain message."""
    turn, role = divmod(index, len(_TURN))
    call_id = f"call_{turn:08d}"
    usage = {"input_tokens": 900 + index, "output_tokens": 60, "total_tokens": 960 + index}
    if _TURN[role] == "human":
        return HumanMessage(text, id=f"human-{index:06d}")
    if _TURN[role] == "tool_call":
        return AIMessage(
            text,
            id=f"run-{index:06d}",
            tool_calls=[{"name": "search", "args": {"query": f"turn {turn}"}, "id": call_id}],
            response_metadata={"model_name": "scripted", "finish_reason": "tool_calls"},
            usage_metadata=usage,
        )
    if _TURN[role] == "tool":
        return ToolMessage(text, id=f"tool-{index:06d}", tool_call_id=call_id, name="search")
    return AIMessage(
        text,
        id=f"run-{index:06d}",
        response_metadata={"model_name": "scripted", "finish_reason": "stop"},
        usage_metadata=usage,
    )


def build_big_thread_db(path: Path, checkpoints: int = 1200, total_mb: int = 125) -> BigThreadDb:
    """One long agent conversation whose checkpoint states add up to about ``total_mb`` MB.

    Each checkpoint adds one message (question, tool call, tool result, answer, ...) to
    ``messages``, written by ``SqliteSaver.put`` as real LangChain message objects, so
    ``SqliteSaver.list`` pays what it pays on a real agent's thread. Once a state holds
    about ``bytes_per_checkpoint`` of messages (reached within the first eighth of the
    thread) the oldest turns are trimmed, as long-running agents do. Message sizes are
    calibrated so the states total about ``total_mb``.
    """
    size = total_mb * 1024 * 1024 // checkpoints
    window = max(len(_TURN), min(size // _MESSAGE_BYTES, checkpoints // 8))
    spans = _message_windows(checkpoints, window)
    average = total_mb * 1024 * 1024 / sum(end - first for first, end in spans)
    thread_id = "big-thread"
    ids = []
    with _fast_saver(path) as saver:
        overhead = {
            kind: len(saver.serde.dumps_typed(_turn_message(role, ""))[1])
            for role, kind in enumerate(_TURN)
        }
        lengths = [max(16, round(average * _TURN_WEIGHTS[kind]) - overhead[kind]) for kind in _TURN]
        rng = random.Random(1200)
        corpus = _corpus(max(lengths) + 2 * _CORPUS_SLACK, rng)
        messages = []
        for index in range(checkpoints):
            start = corpus.find(" ", rng.randrange(_CORPUS_SLACK)) + 1
            length = lengths[index % len(_TURN)]
            messages.append(_turn_message(index, corpus[start : start + length]))
        config: dict[str, Any] = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        previous = empty_checkpoint()
        for step, (first, end) in enumerate(spans):
            values = {"messages": messages[first:end]}
            config, previous = _put_step(saver, config, previous, values, step, "loop")
            ids.append(config["configurable"]["checkpoint_id"])
    return BigThreadDb(path, thread_id, tuple(ids), size)


# --- hostile files --------------------------------------------------------------------


class NoteState(TypedDict, total=False):
    """A note and a counter: a tiny graph whose rows the hostile builder tampers with."""

    note: str
    count: int


@dataclass(frozen=True)
class HostileDb:
    """A real database with three tampered checkpoints and one clean thread.

    ``exec_checkpoint`` holds msgpack that asks langgraph's deserializer to call
    ``os.system`` to create ``marker``; ``garbage_checkpoint`` holds bytes that are
    not msgpack; ``bad_metadata_checkpoint`` has metadata that is not JSON. If
    ``marker`` exists, something executed the payload.
    """

    path: Path
    marker: Path
    clean_thread_id: str
    exec_checkpoint: CheckpointRef
    garbage_checkpoint: CheckpointRef
    bad_metadata_checkpoint: CheckpointRef


GARBAGE_BLOB = b"\xc1\xc1 this is not msgpack \xff\x00"
BAD_METADATA = b'{"source": "loop", "step": 1, oops'


def exec_payload(marker: Path) -> ormsgpack.Ext:
    """An msgpack ext value that langgraph's permissive decoder turns into ``os.system``."""
    command = f"touch {shlex.quote(str(marker))}"
    return ormsgpack.Ext(EXT_CONSTRUCTOR_POS_ARGS, ormsgpack.packb(("os", "system", [command])))


def _checkpoint_ids(conn: sqlite3.Connection, thread_id: str) -> list[str]:
    rows = conn.execute(
        "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' "
        "ORDER BY checkpoint_id",
        (thread_id,),
    )
    return [row[0] for row in rows]


def _write_note(state: NoteState) -> dict[str, Any]:
    return {"note": f"hello {state['note']}", "count": 1}


def _bump(state: NoteState) -> dict[str, Any]:
    return {"count": state["count"] + 1}


def notes_graph(checkpointer: BaseCheckpointSaver | None) -> CompiledStateGraph:
    """``write`` -> ``bump``: the tiny graph whose rows the hostile builder tampers with."""
    builder = StateGraph(NoteState)
    builder.add_node("write", _write_note)
    builder.add_node("bump", _bump)
    builder.add_edge(START, "write")
    builder.add_edge("write", "bump")
    builder.add_edge("bump", END)
    return builder.compile(checkpointer=checkpointer, name="notes")


def build_hostile_db(path: Path, marker: Path | None = None) -> HostileDb:
    """Run ``notes_graph`` on four threads, then tamper with three of them by plain SQL."""
    marker = marker or path.with_name(f"{path.stem}-PWNED.marker")
    threads = ("hostile-clean", "hostile-exec", "hostile-garbage", "hostile-metadata")
    with open_saver(path) as saver:
        graph = notes_graph(saver)
        for thread_id in threads:
            graph.invoke({"note": thread_id}, thread_config(thread_id))
        exec_id = _checkpoint_ids(saver.conn, "hostile-exec")[-1]
        garbage_id = _checkpoint_ids(saver.conn, "hostile-garbage")[1]
        metadata_id = _checkpoint_ids(saver.conn, "hostile-metadata")[-1]

        tampered = saver.get_tuple(
            {"configurable": {"thread_id": "hostile-exec", "checkpoint_id": exec_id}}
        ).checkpoint
        tampered["channel_values"]["note"] = exec_payload(marker)
        kind, blob = saver.serde.dumps_typed(tampered)
        with saver.conn:
            saver.conn.execute(
                "UPDATE checkpoints SET type = ?, checkpoint = ? "
                "WHERE thread_id = 'hostile-exec' AND checkpoint_id = ?",
                (kind, blob, exec_id),
            )
            saver.conn.execute(
                "UPDATE checkpoints SET checkpoint = ? "
                "WHERE thread_id = 'hostile-garbage' AND checkpoint_id = ?",
                (GARBAGE_BLOB, garbage_id),
            )
            saver.conn.execute(
                "UPDATE checkpoints SET metadata = ? "
                "WHERE thread_id = 'hostile-metadata' AND checkpoint_id = ?",
                (BAD_METADATA, metadata_id),
            )
    return HostileDb(
        path=path,
        marker=marker,
        clean_thread_id="hostile-clean",
        exec_checkpoint=CheckpointRef("hostile-exec", exec_id),
        garbage_checkpoint=CheckpointRef("hostile-garbage", garbage_id),
        bad_metadata_checkpoint=CheckpointRef("hostile-metadata", metadata_id),
    )


def write_not_sqlite(path: Path) -> Path:
    """A file that is plainly not a SQLite database."""
    path.write_text("This is a grocery list, not a SQLite database.\n" * 40, encoding="utf-8")
    return path


def write_empty(path: Path) -> Path:
    """A zero-byte file."""
    path.write_bytes(b"")
    return path


def build_sqlite_without_tables(path: Path) -> Path:
    """A valid SQLite database that has no LangGraph checkpoint tables."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, title TEXT NOT NULL)")
        conn.execute("INSERT INTO recipes (title) VALUES ('pancakes')")
    return path
