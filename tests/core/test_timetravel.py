"""Time-travel helpers checked against what langgraph itself does on real SQLite files.

Forks built by ``fork_values_from_edit`` are written with ``runner.fork`` and read back
with langgraph's ``aget_state`` / ``aget_state_history``; ``infer_as_node`` is compared
with what ``aupdate_state`` does when no node is named.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import json
import operator
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from langgraph.errors import InvalidUpdateError
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.message import REMOVE_ALL_MESSAGES, add_messages
from langgraph.types import interrupt
from typing_extensions import TypedDict

from desktop.core.errors import NotFoundError, RewindError
from desktop.core.fork_edit import fork_values_from_edit, summarize_fork_values
from desktop.core.forking import channel_kinds, fork_live, fork_target_nodes, infer_as_node
from desktop.core.graphs import LoadedGraph, load_graph
from desktop.core.inputs import resume_value_from_inputs
from desktop.core.model import user_channels
from desktop.core.progress import WaitingInterrupt
from desktop.core.run_status import ThreadStatus, detect_unfinished, thread_status
from desktop.core.runner import fork, resume, run
from desktop.core.savers import open_read_saver, open_saver
from desktop.core.sources.sqlite import SqliteCheckpointSource
from tests.builders import (
    ErrorDb,
    FanoutDb,
    ForkDb,
    InterruptDb,
    PydanticDb,
    batch_graph,
    fanout_graph,
    order_graph,
    review_graph,
    steps_graph,
)

TYPED_GRAPH = Path(__file__).resolve().parents[1] / "data" / "typed_values_graph.py"


class ChatState(MessagesState):
    log: Annotated[list[str], operator.add]
    note: str


def chat_graph() -> LoadedGraph:
    """One node that answers the last message and says which messages it saw."""

    def chat(state: ChatState) -> dict[str, Any]:
        seen = " | ".join(m.text for m in state["messages"])
        return {"messages": [AIMessage(f"saw: {seen}")], "log": ["chat"], "note": "answered"}

    builder = StateGraph(ChatState)
    builder.add_node("chat", chat)
    builder.add_edge(START, "chat")
    return LoadedGraph.from_object(builder, spec="tests:chat")


def thread(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


async def drain(events: Any) -> None:
    async for _ in events:
        pass


@pytest.fixture
async def chat_db(tmp_path: Path) -> Path:
    """Thread ``t``: two turns of ``chat_graph`` ("hello", then "again")."""
    path = tmp_path / "chat.sqlite"
    graph = chat_graph()
    async with open_saver(path) as saver:
        for text in ("hello", "again"):
            await drain(run(graph, saver, "t", {"messages": [{"role": "user", "content": text}]}))
    return path


def head_values(path: Path, thread_id: str) -> tuple[str, dict[str, Any]]:
    """The head checkpoint id and its user channels, read the way the window reads them."""
    with SqliteCheckpointSource(path) as source:
        head = source.history(thread_id)[0]
        return head.checkpoint_id, user_channels(source.load_state(head).values)


async def fork_and_read(
    graph: LoadedGraph, path: Path, checkpoint_id: str, update: dict[str, Any], **kwargs: Any
) -> tuple[Any, list[Any]]:
    """Write the fork with ``runner.fork``; langgraph's state of it and its history."""
    new_id = await fork(graph, path, "t", checkpoint_id, update, **kwargs)
    async with open_saver(path) as saver:
        bound = graph.bind(saver)
        state = await bound.aget_state(thread("t"))
        history = [s async for s in bound.aget_state_history(thread("t"))]
    assert state.config["configurable"]["checkpoint_id"] == new_id
    return state, history


def contents(messages: list[Any]) -> list[str]:
    return [m.text for m in messages]


# -- channel kinds and nodes ---------------------------------------------------------------


def test_channel_kinds_follow_each_keys_reducer() -> None:
    class Formatted(TypedDict):
        messages: Annotated[list, add_messages(format="langchain-openai")]
        counts: Annotated[list[int], operator.add]

    builder = StateGraph(Formatted)
    builder.add_node("n", lambda state: {})
    builder.add_edge(START, "n")
    formatted = LoadedGraph.from_object(builder, spec="tests:formatted")

    assert channel_kinds(chat_graph()) == {
        "messages": "messages",
        "log": "reducer",
        "note": "value",
    }
    assert channel_kinds(formatted) == {"messages": "messages", "counts": "reducer"}


def test_fork_target_nodes_list_the_nodes_then_the_input() -> None:
    steps = LoadedGraph.from_object(steps_graph(None), spec="tests:steps")
    assert fork_target_nodes(steps) == ("double", "increment", "square", "__start__")


def test_subgraph_namespace_has_the_subgraphs_nodes_and_keys(fanout_db: FanoutDb) -> None:
    graph = LoadedGraph.from_object(fanout_graph(None), spec="tests:fanout")
    ns = fanout_db.subgraph_namespaces[0]
    assert fork_target_nodes(graph, ns) == ("gather", "summarize", "__start__")
    assert channel_kinds(graph, ns) == {"topic": "value", "notes": "value", "summaries": "reducer"}
    with pytest.raises(RewindError, match="has no subgraph at 'nowhere'"):
        fork_target_nodes(graph, "nowhere:1234")


# -- fork values from an edit ----------------------------------------------------------


async def test_an_edited_message_is_replaced_in_place(chat_db: Path) -> None:
    graph = chat_graph()
    head_id, original = head_values(chat_db, "t")
    edited = copy.deepcopy(original)
    edited["messages"][1]["content"] = "I was edited"

    update = fork_values_from_edit(original, edited, channel_kinds(graph))

    assert update == {
        "messages": [AIMessage("I was edited", id=original["messages"][1]["id"])],
    }
    assert summarize_fork_values(original, update) == "messages: 1 edited"
    state, history = await fork_and_read(graph, chat_db, head_id, update)
    assert contents(state.values["messages"]) == [
        "hello",
        "I was edited",
        "again",
        "saw: hello | saw: hello | again",
    ]
    assert [m.id for m in state.values["messages"]] == [m["id"] for m in original["messages"]]
    assert state.values["log"] == ["chat", "chat"]
    assert history[0].metadata["source"] == "update"
    assert history[0].parent_config["configurable"]["checkpoint_id"] == head_id

    await drain(run(graph, chat_db, "t", {"messages": [{"role": "user", "content": "third"}]}))
    async with open_saver(chat_db) as saver:
        after = await graph.bind(saver).aget_state(thread("t"))
    assert after.values["messages"][-1].text.startswith("saw: hello | I was edited | again")


async def test_removed_and_appended_messages(chat_db: Path) -> None:
    graph = chat_graph()
    head_id, original = head_values(chat_db, "t")
    edited = copy.deepcopy(original)
    del edited["messages"][2:]
    edited["messages"].append({"role": "user", "content": "a new question"})

    update = fork_values_from_edit(original, edited, channel_kinds(graph))

    removed_ids = [m["id"] for m in original["messages"][2:]]
    assert update["messages"][:2] == [RemoveMessage(id=mid) for mid in removed_ids]
    assert isinstance(update["messages"][2], HumanMessage)
    assert summarize_fork_values(original, update) == "messages: 2 removed, 1 added"
    state, _ = await fork_and_read(graph, chat_db, head_id, update)
    assert contents(state.values["messages"]) == ["hello", "saw: hello", "a new question"]
    assert state.values["messages"][2].id


async def test_an_inserted_message_rewrites_the_list_in_its_new_order(chat_db: Path) -> None:
    graph = chat_graph()
    head_id, original = head_values(chat_db, "t")
    edited = copy.deepcopy(original)
    edited["messages"].insert(1, {"type": "system", "content": "Be brief."})
    edited["messages"][3], edited["messages"][4] = edited["messages"][4], edited["messages"][3]

    update = fork_values_from_edit(original, edited, channel_kinds(graph))
    live = await fork_live(graph, chat_db, "t", head_id)
    with_live = fork_values_from_edit(original, edited, channel_kinds(graph), live=live)

    assert update["messages"][0] == RemoveMessage(id=REMOVE_ALL_MESSAGES)
    assert summarize_fork_values(original, update) == "messages: rewritten (5 messages)"
    assert with_live == update
    assert with_live["messages"][1] is live["messages"][0], "untouched: the stored message"
    state, _ = await fork_and_read(graph, chat_db, head_id, update)
    assert contents(state.values["messages"]) == [
        "hello",
        "Be brief.",
        "saw: hello",
        "saw: hello | saw: hello | again",
        "again",
    ]
    kept = [m.id for m in state.values["messages"] if m.type != "system"]
    assert sorted(kept) == sorted(m["id"] for m in original["messages"])


async def test_a_reducer_key_is_overwritten_instead_of_appended(chat_db: Path) -> None:
    graph = chat_graph()
    head_id, original = head_values(chat_db, "t")
    edited = {**original, "log": ["only this"], "note": "edited"}

    update = fork_values_from_edit(original, edited, channel_kinds(graph))

    assert update == {"log": {"__overwrite__": ["only this"]}, "note": "edited"}
    assert summarize_fork_values(original, update) == "log (replaced) · note"
    state, _ = await fork_and_read(graph, chat_db, head_id, update)
    assert state.values["log"] == ["only this"]
    assert state.values["note"] == "edited"

    naive, _ = await fork_and_read(graph, chat_db, head_id, {"log": ["only this"]})
    assert naive.values["log"] == ["chat", "chat", "only this"], "the reducer appends a raw list"


async def test_without_kinds_messages_are_recognised_by_shape(chat_db: Path) -> None:
    _, original = head_values(chat_db, "t")
    edited = copy.deepcopy(original)
    edited["messages"][0]["content"] = "hi"
    edited["note"] = "x"

    update = fork_values_from_edit(original, edited)

    assert update == {
        "messages": [HumanMessage("hi", id=original["messages"][0]["id"])],
        "note": "x",
    }


def test_an_unchanged_state_gives_an_empty_update() -> None:
    state = {"value": 3, "log": ["double"]}
    assert fork_values_from_edit(state, json.loads(json.dumps(state))) == {}
    assert summarize_fork_values(state, {}) == "No changes"


async def test_a_class_record_is_written_back_as_fields(
    pydantic_db: PydanticDb, tmp_path: Path
) -> None:
    path = tmp_path / "orders.sqlite"
    shutil.copy(pydantic_db.path, path)
    graph = LoadedGraph.from_object(order_graph(None), spec="tests:orders")
    with SqliteCheckpointSource(path) as source:
        after_items = next(m for m in source.history(pydantic_db.thread_id) if m.step == 1)
        original = user_channels(source.load_state(after_items).values)
    edited = copy.deepcopy(original)
    assert edited["customer"]["__type__"] == "tests.builders.Customer"
    edited["customer"]["name"] = "Grace"
    edited["items"] = ["mouse"]

    update = fork_values_from_edit(original, edited, channel_kinds(graph))
    fields = {k: v for k, v in original["customer"].items() if k != "__type__"}
    assert update["customer"] == {**fields, "name": "Grace"}

    new_id = await fork(
        graph, path, pydantic_db.thread_id, after_items.checkpoint_id, update, as_node="add_items"
    )
    async with open_saver(path, allowed_types=graph.msgpack_allowlist) as saver:
        await drain(run(graph, saver, pydantic_db.thread_id, None, checkpoint_id=new_id))
        final = await graph.bind(saver).aget_state(thread(pydantic_db.thread_id))
    assert final.values["customer"]["name"] == "Grace"
    assert final.values["total"] == 19.0


@pytest.fixture
async def typed_db(tmp_path: Path) -> tuple[LoadedGraph, Path]:
    """``typed_values_graph`` run to its interrupt on thread ``t``: an enum, a time and a
    dataclass holding another one sit in the untyped ``extras`` dict."""
    graph = load_graph(f"{TYPED_GRAPH}:graph")
    path = tmp_path / "typed.sqlite"
    await drain(run(graph, path, "t", {}))
    return graph, path


async def test_a_fork_keeps_the_values_the_user_did_not_touch(
    typed_db: tuple[LoadedGraph, Path],
) -> None:
    graph, path = typed_db
    head_id, original = head_values(path, "t")
    assert original["extras"]["color"] == {"__type__": "typed_values_graph.Color", "data": "blue"}
    edited = copy.deepcopy(original)
    edited["extras"]["k"] = 2
    edited["extras"]["spot"]["name"] = "office"
    live = await fork_live(graph, path, "t", head_id)

    update = fork_values_from_edit(original, edited, channel_kinds(graph), live=live)
    new_id = await fork(graph, path, "t", head_id, update)

    models, user = sys.modules["typed_models"], sys.modules["typed_values_graph"]
    async with open_read_saver(path, allowed_types=graph.msgpack_allowlist) as saver:
        state = await graph.bind(saver).aget_state(thread("t"))
    assert state.config["configurable"]["checkpoint_id"] == new_id
    assert state.values["extras"] == {
        "color": user.Color.BLUE,
        "at": datetime.time(9, 30),
        "spot": models.Spot("office", models.Point(1, 2)),
        "k": 2,
    }

    await drain(run(graph, path, "t", None, checkpoint_id=new_id))
    await drain(resume(graph, path, "t", "yes"))
    async with open_read_saver(path, allowed_types=graph.msgpack_allowlist) as saver:
        seen = (await graph.bind(saver).aget_state(thread("t"))).values["seen"]
    assert seen == [
        "<Color.BLUE: 'blue'>",
        "datetime.time(9, 30)",
        "Spot(name='office', point=Point(x=1, y=2))",
        "2",
    ]


async def test_a_changed_record_is_rebuilt_as_its_class_or_refused_by_path(
    typed_db: tuple[LoadedGraph, Path],
) -> None:
    graph, path = typed_db
    head_id, original = head_values(path, "t")
    live = await fork_live(graph, path, "t", head_id)
    kinds = channel_kinds(graph)

    def edit(change: Any, graph_live: dict[str, Any] = live) -> dict[str, Any]:
        edited = copy.deepcopy(original)
        change(edited["extras"])
        return fork_values_from_edit(original, edited, kinds, live=graph_live)

    user = sys.modules["typed_values_graph"]
    update = edit(lambda extras: extras["color"].update(data="red"))
    assert update["extras"]["color"] is user.Color.RED
    assert update["extras"]["spot"] is live["extras"]["spot"]
    update = edit(lambda extras: extras["at"].update(minute=45))
    assert update["extras"]["at"] == datetime.time(9, 45)

    with pytest.raises(RewindError) as info:
        edit(lambda extras: extras["color"].update(data="purple"))
    assert str(info.value) == (
        "extras.color is not a valid typed_values_graph.Color: ValueError: "
        "'purple' is not a valid Color"
    )
    bare = LoadedGraph.from_object(graph.graph, spec="tests:typed")
    bare_live = await fork_live(bare, path, "t", head_id)
    assert bare_live["extras"]["color"] == "blue", "no project classes: plain data"
    with pytest.raises(RewindError) as info:
        edit(lambda extras: extras.update(k=2), bare_live)
    assert str(info.value).startswith(
        "extras.color holds a typed_values_graph.Color that Rewind cannot write back"
    )
    with pytest.raises(NotFoundError, match="has no checkpoint 'nope'"):
        await fork_live(graph, path, "t", "nope")


@pytest.mark.parametrize(
    ("edited", "message"),
    [
        ([1, 2], "The edited state must be a JSON object of state keys, not a list"),
        ({"messages": []}, "Key(s) note removed: a fork can change a state key but not delete"),
        (
            {"messages": [], "note": "", "mood": "happy"},
            "Unknown state key(s) mood; the state has messages, log, note",
        ),
        ({"messages": "hi", "note": ""}, "'messages' holds messages: give a JSON list of message"),
        ({"messages": [3], "note": ""}, "messages[0] must be a message object like"),
        (
            {"messages": [{"type": "robot", "content": "x"}], "note": ""},
            "messages[0]: unknown message type 'robot'; use one of human, ai, tool, system",
        ),
        (
            {"messages": [{"type": "tool", "content": "42"}], "note": ""},
            "messages[0] is not a valid tool message: tool_call_id: Field required",
        ),
        (
            {"messages": [{"type": "human", "id": "m", "content": "a"}] * 2, "note": ""},
            "messages[1]: message id 'm' appears twice",
        ),
        (
            {"messages": [], "note": {"__type__": "bytes", "size": 3}},
            "note holds a bytes that Rewind can only display",
        ),
    ],
)
def test_bad_edits_are_one_line_errors(edited: Any, message: str) -> None:
    original = {"messages": [], "note": ""}
    with pytest.raises(RewindError) as info:
        fork_values_from_edit(original, edited, channel_kinds(chat_graph()))
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


# -- as_node inference -------------------------------------------------------------------


async def updated_as(bound: Any, config: dict[str, Any], as_node: str | None) -> Any:
    """The state langgraph gives after ``update_state`` with ``as_node`` at ``config``."""
    new_config = await bound.aupdate_state(config, {"log": ["edit"]}, as_node=as_node)
    return await bound.aget_state(new_config)


async def test_infer_as_node_matches_langgraphs_update_state(tmp_path: Path) -> None:
    path = tmp_path / "steps.sqlite"
    graph = LoadedGraph.from_object(steps_graph(None), spec="tests:steps")
    async with open_saver(path) as saver:
        await drain(run(graph, saver, "t", {"value": 3, "log": []}))
        bound = graph.bind(saver)
        snapshots = [s async for s in bound.aget_state_history(thread("t"))]
        inferred = [
            await infer_as_node(graph, saver, "t", s.config["configurable"]["checkpoint_id"])
            for s in snapshots
        ]
        assert inferred == ["square", "increment", "double", "__start__", "__start__"]
        for snapshot, node in zip(snapshots, inferred, strict=True):
            assert node is not None
            by_default = await updated_as(bound, snapshot.config, None)
            explicit = await updated_as(bound, snapshot.config, node)
            assert (by_default.next, by_default.values) == (explicit.next, explicit.values)


async def test_infer_as_node_is_none_where_langgraph_finds_it_ambiguous(tmp_path: Path) -> None:
    class LogState(TypedDict):
        log: Annotated[list[str], operator.add]

    builder = StateGraph(LogState)
    for name in ("left", "right", "join"):
        builder.add_node(name, lambda state, name=name: {"log": [name]})
    builder.add_edge(START, "left")
    builder.add_edge(START, "right")
    builder.add_edge(["left", "right"], "join")
    graph = LoadedGraph.from_object(builder, spec="tests:parallel")
    path = tmp_path / "parallel.sqlite"
    async with open_saver(path) as saver:
        await drain(run(graph, saver, "t", {"log": []}))
        bound = graph.bind(saver)
        history = [s async for s in bound.aget_state_history(thread("t"))]
        after_both = next(s for s in history if s.next == ("join",))
        checkpoint_id = after_both.config["configurable"]["checkpoint_id"]

        assert await infer_as_node(graph, saver, "t", checkpoint_id) is None
        with pytest.raises(InvalidUpdateError, match="Ambiguous update"):
            await bound.aupdate_state(after_both.config, {"log": ["edit"]})


async def test_infer_as_node_on_a_stored_fork_and_a_subgraph(
    fork_db: ForkDb, fanout_db: FanoutDb, tmp_path: Path
) -> None:
    steps = LoadedGraph.from_object(steps_graph(None), spec="tests:steps")
    forks = tmp_path / "fork.sqlite"
    shutil.copy(fork_db.path, forks)
    before = forks.read_bytes()
    assert await infer_as_node(steps, forks, fork_db.thread_id, fork_db.fork_parent_id) == "double"
    assert await infer_as_node(steps, forks, fork_db.thread_id, fork_db.fork_ids[0]) == "double"
    with pytest.raises(NotFoundError, match="has no checkpoint 'nope'"):
        await infer_as_node(steps, forks, fork_db.thread_id, "nope")
    assert forks.read_bytes() == before, "a question never writes"

    fanout = LoadedGraph.from_object(fanout_graph(None), spec="tests:fanout")
    research = tmp_path / "fanout.sqlite"
    shutil.copy(fanout_db.path, research)
    ns = fanout_db.subgraph_namespaces[0]
    with SqliteCheckpointSource(research) as source:
        last = next(m for m in source.history(fanout_db.thread_id) if m.checkpoint_ns == ns)
    assert await infer_as_node(fanout, research, fanout_db.thread_id, last.checkpoint_id, ns) == (
        "summarize"
    )


# -- thread condition ----------------------------------------------------------------------


async def test_detect_unfinished_on_real_threads(
    interrupt_db: InterruptDb, error_db: ErrorDb, fork_db: ForkDb, tmp_path: Path
) -> None:
    async def status_of(db_path: Path, graph: Any, thread_id: str) -> ThreadStatus:
        copy_path = tmp_path / db_path.name
        shutil.copy(db_path, copy_path)
        loaded = LoadedGraph.from_object(graph, spec="tests:graph")
        return await thread_status(loaded, copy_path, thread_id)

    waiting = await status_of(interrupt_db.path, review_graph(None), interrupt_db.thread_id)
    failed = await status_of(error_db.path, batch_graph(None), error_db.thread_id)
    done = await status_of(fork_db.path, steps_graph(None), fork_db.thread_id)
    assert detect_unfinished(waiting) == "interrupted"
    assert detect_unfinished(failed) == "error"
    assert detect_unfinished(done) == "finished"

    steps = LoadedGraph.from_object(steps_graph(None), spec="tests:steps")
    paused = tmp_path / "paused.sqlite"
    await drain(run(steps, paused, "t", {"value": 1, "log": []}, interrupt_before=["square"]))
    status = await thread_status(steps, paused, "t")
    assert (status.next_nodes, detect_unfinished(status)) == (("square",), "crashed")


async def test_a_cancelled_run_is_crashed_not_an_error(tmp_path: Path) -> None:
    class LogState(TypedDict):
        log: Annotated[list[str], operator.add]

    started = asyncio.Event()

    async def slow(state: LogState) -> dict[str, Any]:
        started.set()
        await asyncio.sleep(30)
        return {"log": ["slow"]}

    builder = StateGraph(LogState)
    builder.add_node("first", lambda state: {"log": ["first"]})
    builder.add_node("slow", slow)
    builder.add_edge(START, "first")
    builder.add_edge("first", "slow")
    graph = LoadedGraph.from_object(builder, spec="tests:slow")
    async with open_saver(tmp_path / "cancel.sqlite") as saver:
        task = asyncio.create_task(drain(run(graph, saver, "t", {"log": []})))
        await asyncio.wait_for(started.wait(), timeout=10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        status = await thread_status(graph, saver, "t")
    assert (status.errors, status.stopped) == ((), ("slow",))
    assert detect_unfinished(status) == "crashed"


# -- resume values -------------------------------------------------------------------------


def test_resume_value_for_one_interrupt_is_the_value_itself() -> None:
    one = [WaitingInterrupt("i1", {"question": "ok?"}, "review")]
    assert resume_value_from_inputs(one, {"i1": "yes"}, {}) == "yes"
    assert resume_value_from_inputs(one, {"i1": ""}, {"i1": False}) == ""
    assert resume_value_from_inputs(one, {"i1": '{"ok": true}'}, {"i1": True}) == {"ok": True}


def test_resume_value_errors_name_the_interrupt_and_the_position() -> None:
    two = [WaitingInterrupt("i1", "a?", "ask_a"), WaitingInterrupt("i2", "b?", "ask_b")]
    with pytest.raises(RewindError) as info:
        resume_value_from_inputs(two, {"i1": "x", "i2": '{\n  "n": 1,\n}'}, {"i2": True})
    assert str(info.value) == (
        "Interrupt i2 (node ask_b): invalid JSON at line 3, column 1: "
        "Expecting property name enclosed in double quotes"
    )
    with pytest.raises(RewindError, match=r"Interrupt i1 \(node ask_a\): enter a JSON value"):
        resume_value_from_inputs(two, {"i1": "  "}, {"i1": True})
    with pytest.raises(RewindError, match="no pending interrupt"):
        resume_value_from_inputs([], {}, {})


async def test_several_interrupts_resume_with_a_mapping_langgraph_accepts(tmp_path: Path) -> None:
    class Answers(TypedDict, total=False):
        name: str
        size: dict[str, int]

    builder = StateGraph(Answers)
    builder.add_node("ask_name", lambda state: {"name": interrupt("Name?")})
    builder.add_node("ask_size", lambda state: {"size": interrupt({"question": "Size?"})})
    builder.add_edge(START, "ask_name")
    builder.add_edge(START, "ask_size")
    graph = LoadedGraph.from_object(builder, spec="tests:questions")
    path = tmp_path / "questions.sqlite"
    await drain(run(graph, path, "t", {}))
    status = await thread_status(graph, path, "t")
    assert detect_unfinished(status) == "interrupted"
    by_node = {item.node: item.id for item in status.interrupts}

    value = resume_value_from_inputs(
        status.interrupts,
        {by_node["ask_name"]: "Ada", by_node["ask_size"]: '{"width": 3}'},
        {by_node["ask_size"]: True},
    )

    assert value == {by_node["ask_name"]: "Ada", by_node["ask_size"]: {"width": 3}}
    await drain(resume(graph, path, "t", value))
    async with open_saver(path) as saver:
        final = await graph.bind(saver).aget_state(thread("t"))
    assert final.values == {"name": "Ada", "size": {"width": 3}}
    assert final.next == ()
