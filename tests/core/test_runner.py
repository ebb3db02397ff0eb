"""The write path: runs, forks, replays, resumes and cancellation on real SQLite files.

Every graph here is a real LangGraph graph run through ``desktop.core.runner`` against
a database in ``tmp_path``; node executions are counted to prove what ran again.
"""

from __future__ import annotations

import asyncio
import json
import operator
import re
import shutil
import sqlite3
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage
from langgraph.config import get_stream_writer
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.types import interrupt
from pydantic import BaseModel
from typing_extensions import TypedDict

from desktop.core.demo.scripted_model import ScriptedChatModel
from desktop.core.errors import NotFoundError, RewindError, SourceError
from desktop.core.graphs import LoadedGraph, load_graph
from desktop.core.inputs import make_input
from desktop.core.run_status import thread_status
from desktop.core.run_stream import RunError, StreamEvent
from desktop.core.runner import fork, replay, resume, run
from desktop.core.savers import RewindSaver, open_read_saver, open_saver
from tests.builders import HostileDb, InterruptDb, review_graph
from tests.builders import notes_graph as hostile_notes_graph
from tests.faults import CRASH_GRAPH, kill_agent_in_slow_node

DATA = Path(__file__).resolve().parent.parent / "data"


class LogState(TypedDict):
    log: Annotated[list[str], operator.add]
    note: str


def thread(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


async def collect(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in events]


def updated_nodes(events: list[StreamEvent]) -> list[str]:
    return [node for e in events if e.type == "updates" and not e.ns for node in e.data]


def chain(runs: Counter[str]) -> LoadedGraph:
    """``a -> b -> c``; each node logs its name and the note it saw."""

    def node(name: str):
        def step(state: LogState) -> dict[str, Any]:
            runs[name] += 1
            return {"log": [f"{name}:{state.get('note', '')}"]}

        return step

    builder = StateGraph(LogState)
    for name in "abc":
        builder.add_node(name, node(name))
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    return LoadedGraph.from_object(builder, spec="tests:chain")


async def history(loaded: LoadedGraph, saver: RewindSaver, thread_id: str) -> list[Any]:
    return [s async for s in loaded.bind(saver).aget_state_history(thread(thread_id))]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "rewind.db"


def test_make_input_forms() -> None:
    assert make_input(text="hi") == {"messages": [{"role": "user", "content": "hi"}]}
    assert make_input(json_text='{"log": ["x"]}') == {"log": ["x"]}
    assert make_input() is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"json_text": '{"log": '}, "Input is not valid JSON: Expecting value (line 1, column 9)"),
        ({"text": "a", "json_text": "{}"}, "Give the input either as text or as JSON, not both"),
    ],
)
def test_make_input_errors(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(RewindError) as info:
        make_input(**kwargs)
    assert str(info.value) == message


async def test_run_streams_tokens_and_a_second_turn_continues_the_thread(db: Path) -> None:
    def respond(messages: list[BaseMessage]) -> AIMessage:
        return AIMessage(f"You said {messages[-1].text} after {len(messages) - 1} messages.")

    model = ScriptedChatModel(responder=respond)

    async def chat(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("chat", chat)
    builder.add_edge(START, "chat")
    loaded = LoadedGraph.from_object(builder, spec="tests:chat")

    async with open_saver(db, allowed_types=loaded.msgpack_allowlist) as saver:
        first = await collect(run(loaded, saver, "talk", make_input(text="hello")))
        second = await collect(run(loaded, saver, "talk", make_input(text="again")))
        state = await loaded.bind(saver).aget_state(thread("talk"))

    tokens = [e for e in first if e.type == "messages"]
    assert len(tokens) > 3
    assert "".join(e.token for e in tokens) == "You said hello after 0 messages."
    assert {e.node for e in tokens} == {"chat"}
    assert len({e.message_id for e in tokens}) == 1
    assert {"messages", "updates", "tasks", "checkpoints"} <= {e.type for e in first}
    for event in first:
        assert json.loads(json.dumps(event.to_json()))["type"] == event.type

    second_text = "".join(e.token for e in second if e.type == "messages")
    assert second_text == "You said again after 2 messages."
    assert [m.text for m in state.values["messages"]] == [
        "hello",
        "You said hello after 0 messages.",
        "again",
        "You said again after 2 messages.",
    ]


async def test_run_streams_custom_events_and_honours_requested_modes(db: Path) -> None:
    def count(state: LogState) -> dict[str, Any]:
        write = get_stream_writer()
        for step in range(3):
            write({"step": step})
        return {"log": ["count"]}

    builder = StateGraph(LogState)
    builder.add_node("count", count)
    builder.add_edge(START, "count")
    loaded = LoadedGraph.from_object(builder, spec="tests:count")

    events = await collect(run(loaded, db, "t", {"log": []}, stream_modes=["custom"]))

    assert [e.to_json() for e in events] == [
        {"type": "custom", "ns": [], "data": {"step": step}} for step in range(3)
    ]
    async with open_saver(db) as saver:
        assert (await loaded.bind(saver).aget_state(thread("t"))).values["log"] == ["count"]


async def test_fork_writes_an_update_checkpoint_whose_parent_is_the_chosen_one(db: Path) -> None:
    runs: Counter[str] = Counter()
    loaded = chain(runs)
    async with open_saver(db) as saver:
        await collect(run(loaded, saver, "t", {"log": [], "note": "orig"}))
        before = await history(loaded, saver, "t")
        after_a = next(s for s in before if s.next == ("b",))
        chosen = after_a.config["configurable"]["checkpoint_id"]

        new_id = await fork(loaded, saver, "t", chosen, {"note": "edited"})

        after = await history(loaded, saver, "t")
        forked = next(s for s in after if s.config["configurable"]["checkpoint_id"] == new_id)
        assert len(after) == len(before) + 1
        assert forked.metadata["source"] == "update"
        assert forked.parent_config["configurable"]["checkpoint_id"] == chosen
        assert forked.values == {"log": ["a:orig"], "note": "edited"}
        assert forked.next == ("b",)
        assert runs == Counter(a=1, b=1, c=1)

        events = await collect(run(loaded, saver, "t", checkpoint_id=new_id))
        latest = await loaded.bind(saver).aget_state(thread("t"))

    assert updated_nodes(events) == ["b", "c"]
    assert latest.values["log"] == ["a:orig", "b:edited", "c:edited"]
    assert runs == Counter(a=1, b=2, c=2)


async def test_fork_as_node_decides_what_runs_next(db: Path) -> None:
    loaded = chain(Counter())
    async with open_saver(db) as saver:
        await collect(run(loaded, saver, "t", {"log": [], "note": "n"}))
        after_a = next(s for s in await history(loaded, saver, "t") if s.next == ("b",))
        chosen = after_a.config["configurable"]["checkpoint_id"]
        new_id = await fork(loaded, saver, "t", chosen, {"log": ["typed by hand"]}, as_node="b")
        latest = await loaded.bind(saver).aget_state(thread("t"))

    assert latest.config["configurable"]["checkpoint_id"] == new_id
    assert latest.next == ("c",)
    assert latest.values["log"] == ["a:n", "typed by hand"]


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("missing-id", {"note": "x"}), NotFoundError, "Thread 't' has no checkpoint 'missing-id'"),
        ((None, {"nope": 1}), RewindError, "Unknown state key(s) nope; the state has log, note"),
        ((None, ["note"]), RewindError, "Fork values must be a JSON object of state keys"),
        ((None, {"note": "x"}, "zz"), RewindError, "Node zz does not exist"),
    ],
)
async def test_fork_errors(db: Path, args: tuple[Any, ...], error: type, message: str) -> None:
    loaded = chain(Counter())
    async with open_saver(db) as saver:
        await collect(run(loaded, saver, "t", {"log": [], "note": "n"}))
        latest = (await loaded.bind(saver).aget_state(thread("t"))).config
        checkpoint_id = args[0] or latest["configurable"]["checkpoint_id"]
        with pytest.raises(error) as info:
            await fork(loaded, saver, "t", checkpoint_id, *args[1:])
    assert message in str(info.value)


async def test_fork_inside_a_subgraph_namespace(db: Path) -> None:
    sub = StateGraph(LogState)
    sub.add_node("x", lambda state: {"log": ["x"]})
    sub.add_node("y", lambda state: {"log": ["y"]})
    sub.add_edge(START, "x")
    sub.add_edge("x", "y")
    builder = StateGraph(LogState)
    builder.add_node("outer", sub.compile())
    builder.add_edge(START, "outer")
    loaded = LoadedGraph.from_object(builder, spec="tests:outer")

    async with open_saver(db) as saver:
        await collect(run(loaded, saver, "t", {"log": []}))
        inner = [
            t
            async for t in saver.alist(thread("t"))
            if t.config["configurable"]["checkpoint_ns"].startswith("outer:")
        ]
        chosen = next(t for t in inner if t.checkpoint["channel_values"].get("log") == ["x"])
        ns = chosen.config["configurable"]["checkpoint_ns"]
        chosen_id = chosen.config["configurable"]["checkpoint_id"]

        new_id = await fork(loaded, saver, "t", chosen_id, {"log": ["z"]}, checkpoint_ns=ns)
        forked = await saver.aget_tuple(
            {"configurable": {"thread_id": "t", "checkpoint_ns": ns, "checkpoint_id": new_id}}
        )

    assert forked.metadata["source"] == "update"
    assert forked.parent_config["configurable"]["checkpoint_id"] == chosen_id
    assert forked.checkpoint["channel_values"]["log"] == ["x", "z"]


async def test_replay_reexecutes_only_the_nodes_after_the_checkpoint(db: Path) -> None:
    runs: Counter[str] = Counter()
    loaded = chain(runs)
    async with open_saver(db) as saver:
        await collect(run(loaded, saver, "t", {"log": [], "note": "n"}))
        after_a = next(s for s in await history(loaded, saver, "t") if s.next == ("b",))
        chosen = after_a.config["configurable"]["checkpoint_id"]

        events = await collect(replay(loaded, saver, "t", chosen))
        latest = await loaded.bind(saver).aget_state(thread("t"))
        with pytest.raises(NotFoundError, match="has no checkpoint 'nope'"):
            await collect(replay(loaded, saver, "t", "nope"))

    assert updated_nodes(events) == ["b", "c"]
    assert runs == Counter(a=1, b=2, c=2)
    assert latest.values["log"] == ["a:n", "b:n", "c:n"]


def interview() -> LoadedGraph:
    def ask(state: LogState) -> dict[str, Any]:
        name = interrupt({"question": "name?"})
        return {"log": [f"hello {name}"]}

    builder = StateGraph(LogState)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    return LoadedGraph.from_object(builder, spec="tests:interview")


async def test_resume_answers_an_interrupt(db: Path) -> None:
    loaded = interview()
    async with open_saver(db) as saver:
        await collect(run(loaded, saver, "t", {"log": []}))
        status = await thread_status(loaded, saver, "t")
        assert status.next_nodes == ("ask",)
        assert [(i.node, i.value) for i in status.interrupts] == [("ask", {"question": "name?"})]
        assert not status.can_continue
        with pytest.raises(RewindError, match=r"is waiting at interrupt.*resume it with a value"):
            await collect(resume(loaded, saver, "t"))

        events = await collect(resume(loaded, saver, "t", "Ada"))
        state = await loaded.bind(saver).aget_state(thread("t"))
        with pytest.raises(RewindError, match="has nothing to resume: its last run finished"):
            await collect(resume(loaded, saver, "t"))

    assert updated_nodes(events) == ["ask"]
    assert state.values["log"] == ["hello Ada"]
    assert state.next == ()


async def test_resume_several_interrupts_by_id(db: Path) -> None:
    def asker(name: str):
        def ask(state: LogState) -> dict[str, Any]:
            return {"log": [f"{name}={interrupt(name)}"]}

        return ask

    builder = StateGraph(LogState)
    for name in ("left", "right"):
        builder.add_node(name, asker(name))
        builder.add_edge(START, name)
    loaded = LoadedGraph.from_object(builder, spec="tests:two")

    async with open_saver(db) as saver:
        await collect(run(loaded, saver, "t", {"log": []}))
        status = await thread_status(loaded, saver, "t")
        ids = {i.value: i.id for i in status.interrupts}
        with pytest.raises(RewindError, match="has 2 pending interrupts; give the value as a"):
            await collect(resume(loaded, saver, "t", "same"))
        await collect(resume(loaded, saver, "t", {ids["left"]: 1, ids["right"]: 2}))
        state = await loaded.bind(saver).aget_state(thread("t"))

    assert sorted(state.values["log"]) == ["left=1", "right=2"]


async def test_interrupt_before_stops_and_resume_continues(db: Path) -> None:
    runs: Counter[str] = Counter()
    loaded = chain(runs)
    async with open_saver(db) as saver:
        await collect(run(loaded, saver, "t", {"log": [], "note": "n"}, interrupt_before=["c"]))
        status = await thread_status(loaded, saver, "t")
        assert (status.next_nodes, status.can_continue, status.interrupts) == (("c",), True, ())
        with pytest.raises(RewindError, match="no pending interrupt to take a value"):
            await collect(resume(loaded, saver, "t", "unexpected"))
        events = await collect(resume(loaded, saver, "t"))

    assert updated_nodes(events) == ["c"]
    assert runs == Counter(a=1, b=1, c=1)


async def test_resume_a_run_killed_in_another_process(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    log = tmp_path / "executions.log"
    monkeypatch.setenv("CRASH_LOG", str(log))
    loaded = load_graph(f"{CRASH_GRAPH}:graph")
    kill_agent_in_slow_node(db, log)

    status = await thread_status(loaded, db, "crash")
    assert (status.next_nodes, status.can_continue, status.errors) == (("slow",), True, ())
    monkeypatch.setenv("CRASH_SLEEP", "0")
    events = await collect(resume(loaded, db, "crash"))

    executions = log.read_text().split()
    assert Counter(executions) == Counter(a=1, fast=1, slow=2, end=1)
    assert executions[-2:] == ["slow", "end"]
    assert {n for n in updated_nodes(events) if n != "__metadata__"} == {"fast", "slow", "end"}
    async with open_saver(db) as saver:
        final = await loaded.bind(saver).aget_state(thread("crash"))
    assert sorted(final.values["log"]) == ["a", "end", "fast", "slow"]
    assert final.next == ()


async def test_cancelling_the_consumer_stops_the_run_and_it_can_continue(db: Path) -> None:
    runs: Counter[str] = Counter()

    def first(state: LogState) -> dict[str, Any]:
        runs["first"] += 1
        return {"log": ["first"]}

    async def slow(state: LogState) -> dict[str, Any]:
        runs["slow"] += 1
        write = get_stream_writer()
        for step in range(20):
            write(step)
            await asyncio.sleep(0.01)
        return {"log": ["slow"]}

    builder = StateGraph(LogState)
    builder.add_node("first", first)
    builder.add_node("slow", slow)
    builder.add_edge(START, "first")
    builder.add_edge("first", "slow")
    loaded = LoadedGraph.from_object(builder, spec="tests:slow")

    async with open_saver(db) as saver:
        started = asyncio.Event()

        async def consume() -> None:
            async for event in run(loaded, saver, "t", {"log": []}, stream_modes=["custom"]):
                if event.data == 2:
                    started.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(started.wait(), timeout=10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        status = await thread_status(loaded, saver, "t")
        assert status.next_nodes == ("slow",)
        assert status.can_continue
        assert (status.errors, status.stopped) == ((), ("slow",))
        await collect(resume(loaded, saver, "t"))
        state = await loaded.bind(saver).aget_state(thread("t"))

    assert state.values["log"] == ["first", "slow"]
    assert runs == Counter(first=1, slow=2)


async def test_closing_the_saver_right_after_a_cancel_keeps_the_database_usable(
    db: Path,
) -> None:
    async def slow(state: LogState) -> dict[str, Any]:
        write = get_stream_writer()
        for step in range(50):
            write(step)
            await asyncio.sleep(0.01)
        return {"log": ["slow"]}

    builder = StateGraph(LogState)
    builder.add_node("slow", slow)
    builder.add_edge(START, "slow")
    loaded = LoadedGraph.from_object(builder, spec="tests:slow")

    for attempt in range(3):
        async with open_saver(db) as saver:
            started = asyncio.Event()

            async def consume(saver=saver, started=started, thread_id=f"t{attempt}") -> None:
                async for event in run(
                    loaded, saver, thread_id, {"log": []}, stream_modes=["custom"]
                ):
                    if event.data == 1:
                        started.set()

            task = asyncio.create_task(consume())
            await asyncio.wait_for(started.wait(), timeout=10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        # The saver is closed at once: LangGraph's late write of the cancelled task
        # must already be on disk, and the write lock released.
        status = await asyncio.wait_for(thread_status(loaded, db, f"t{attempt}"), timeout=5)
        assert (status.errors, status.stopped) == ((), ("slow",))
        assert status.can_continue


async def test_a_failing_node_raises_run_error_after_what_streamed_before(db: Path) -> None:
    def fine(state: LogState) -> dict[str, Any]:
        return {"log": ["fine"]}

    def explode(state: LogState) -> dict[str, Any]:
        raise ValueError("bad input\nwith a second line")

    builder = StateGraph(LogState)
    builder.add_node("fine", fine)
    builder.add_node("explode", explode)
    builder.add_edge(START, "fine")
    builder.add_edge("fine", "explode")
    loaded = LoadedGraph.from_object(builder, spec="tests:explode")

    seen: list[StreamEvent] = []
    async with open_saver(db) as saver:
        with pytest.raises(RunError) as info:
            async for event in run(loaded, saver, "t", {"log": []}, stream_modes=["updates"]):
                seen.append(event)
        status = await thread_status(loaded, saver, "t")

    assert str(info.value) == "Node 'explode' failed: ValueError: bad input"
    assert info.value.node == "explode"
    assert updated_nodes(seen) == ["fine"]
    assert status.next_nodes == ("explode",)
    assert [e.node for e in status.errors] == ["explode"]
    assert "bad input" in status.errors[0].error


async def test_a_failing_subgraph_node_is_named_by_its_path(db: Path) -> None:
    def inner(state: LogState) -> dict[str, Any]:
        raise KeyError("missing")

    sub = StateGraph(LogState)
    sub.add_node("inner", inner)
    sub.add_edge(START, "inner")
    builder = StateGraph(LogState)
    builder.add_node("outer", sub.compile())
    builder.add_edge(START, "outer")
    loaded = LoadedGraph.from_object(builder, spec="tests:nested")

    with pytest.raises(RunError, match=r"^Node 'outer/inner' failed: KeyError: 'missing'$"):
        await collect(run(loaded, db, "t", {"log": []}))


class Note(BaseModel):
    text: str


class NotesState(TypedDict):
    notes: list[Note]
    seen: Annotated[list[str], operator.add]


def notes_graph() -> LoadedGraph:
    def add(state: NotesState) -> dict[str, Any]:
        kinds = [type(n).__name__ for n in state.get("notes", [])]
        return {"notes": [Note(text="kept")], "seen": [",".join(kinds) or "none"]}

    builder = StateGraph(NotesState)
    builder.add_node("add", add)
    builder.add_edge(START, "add")
    return LoadedGraph.from_object(builder, spec="tests:notes")


async def test_project_classes_inside_untyped_state_revive_on_resume(db: Path) -> None:
    loaded = load_graph(f"{DATA / 'typed_values_graph.py'}:graph")
    async with open_saver(db, allowed_types=loaded.msgpack_allowlist) as saver:
        await collect(run(loaded, saver, "t", {}))
        assert (await thread_status(loaded, saver, "t")).next_nodes == ("ask",)
        await collect(resume(loaded, saver, "t", "yes"))
        state = await loaded.bind(saver).aget_state(thread("t"))

    assert state.values["seen"] == [
        "<Color.BLUE: 'blue'>",
        "datetime.time(9, 30)",
        "Spot(name='home', point=Point(x=1, y=2))",
        "1",
    ]


async def test_state_classes_revive_only_when_the_graph_declares_them(db: Path) -> None:
    loaded = notes_graph()
    assert (__name__, "Note") in loaded.msgpack_allowlist
    async with open_saver(db, allowed_types=loaded.msgpack_allowlist) as saver:
        await collect(run(loaded, saver, "t", {"notes": []}))
        await collect(run(loaded, saver, "t", {"seen": []}))
        revived = await loaded.bind(saver).aget_state(thread("t"))
    async with open_saver(db) as strict:
        as_data = await loaded.bind(strict).aget_state(thread("t"))

    assert revived.values["seen"] == ["none", "Note"]
    assert revived.values["notes"] == [Note(text="kept")]
    assert as_data.values["notes"] == [{"text": "kept"}]


async def test_run_argument_errors(db: Path) -> None:
    loaded = chain(Counter())
    await collect(run(loaded, db, "other", {"log": [], "note": "n"}))
    cases = [
        ({"stream_modes": ["tokens"]}, RewindError, "Unknown stream mode(s) tokens; choose from"),
        ({"interrupt_before": ["zz"]}, RewindError, "interrupt_before: no node named zz; the gr"),
        ({}, NotFoundError, f"Thread 't' not found in {db}; give an input to start it"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error) as info:
            await collect(run(loaded, db, "t", None, **kwargs))
        assert message in str(info.value)
    missing = f"Thread 'ghost' not found in {db}; give an input to start it"
    with pytest.raises(NotFoundError, match=f"^{re.escape(missing)}$"):
        await thread_status(loaded, db, "ghost")


async def test_only_a_new_turn_creates_a_missing_database(db: Path) -> None:
    loaded = chain(Counter())
    attempts = [
        thread_status(loaded, db, "t"),
        collect(run(loaded, db, "t")),
        collect(run(loaded, db, "t", {"log": []}, checkpoint_id="c")),
        collect(replay(loaded, db, "t", "c")),
        collect(resume(loaded, db, "t")),
        fork(loaded, db, "t", "c", {"note": "x"}),
    ]
    for attempt in attempts:
        with pytest.raises(SourceError, match=r"rewind\.db: no such file$"):
            await attempt
    assert list(db.parent.iterdir()) == []

    await collect(run(loaded, db, "t", {"log": [], "note": "n"}))
    assert (await thread_status(loaded, db, "t")).next_nodes == ()


async def test_thread_status_reads_without_writing(db: Path, interrupt_db: InterruptDb) -> None:
    shutil.copy(interrupt_db.path, db)
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    before = db.read_bytes()
    loaded = LoadedGraph.from_object(review_graph(None), spec="tests:review")

    status = await thread_status(loaded, db, interrupt_db.thread_id)

    assert [i.value for i in status.interrupts] == [interrupt_db.interrupt_value]
    assert db.read_bytes() == before
    assert [p.name for p in db.parent.iterdir()] == ["rewind.db"]
    async with open_read_saver(db) as saver:
        assert saver.is_setup
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await saver.conn.execute("CREATE TABLE x (y)")


async def test_open_read_saver_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("this is not sqlite " * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE recipes (title TEXT)")
    cases = [
        (text_file, "is not a readable SQLite database"),
        (other, "has no LangGraph checkpoint tables"),
        (tmp_path, "is a directory, not a checkpoint database file"),
    ]
    for path, message in cases:
        with pytest.raises(SourceError, match=message):
            async with open_read_saver(path):
                pass


async def test_a_checkpoint_langgraph_cannot_decode_is_a_one_line_error(
    tmp_path: Path, hostile_db: HostileDb
) -> None:
    path = tmp_path / "hostile.sqlite"
    shutil.copy(hostile_db.path, path)
    loaded = LoadedGraph.from_object(hostile_notes_graph(None), spec="tests:notes")
    garbage, broken = hostile_db.garbage_checkpoint, hostile_db.bad_metadata_checkpoint
    garbage_line = (
        f"Checkpoint {garbage.checkpoint_id} of thread {garbage.thread_id!r} cannot be read: "
        "ValueError: "
    )
    broken_line = (
        f"The latest checkpoint of thread {broken.thread_id!r} cannot be read: JSONDecodeError: "
    )
    attempts = [
        (collect(replay(loaded, path, garbage.thread_id, garbage.checkpoint_id)), garbage_line),
        (
            collect(run(loaded, path, garbage.thread_id, {}, checkpoint_id=garbage.checkpoint_id)),
            garbage_line,
        ),
        (fork(loaded, path, garbage.thread_id, garbage.checkpoint_id, {"count": 0}), garbage_line),
        (thread_status(loaded, path, broken.thread_id), broken_line),
        (collect(resume(loaded, path, broken.thread_id)), broken_line),
    ]
    for attempt, line in attempts:
        with pytest.raises(SourceError) as info:
            await attempt
        assert str(info.value).startswith(line)
        assert "\n" not in str(info.value)
    assert not hostile_db.marker.exists()


async def test_open_saver_rejects_what_is_not_a_database(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("this is not sqlite " * 100)
    with pytest.raises(SourceError, match="is not a usable checkpoint database"):
        async with open_saver(text_file):
            pass
    with pytest.raises(SourceError, match=r"folder .* does not exist"):
        async with open_saver(tmp_path / "missing" / "x.db"):
            pass


async def test_demo_agent_streams_interrupts_resumes_and_remembers(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWIND_DEMO_TOKEN_DELAY", "0")
    loaded = load_graph("demo")
    async with open_saver(db, allowed_types=loaded.msgpack_allowlist) as saver:
        events = await collect(run(loaded, saver, "demo-1", make_input(text="What is 6*7?")))
        status = await thread_status(loaded, saver, "demo-1")
        await collect(resume(loaded, saver, "demo-1", "yes"))
        memories = await saver.store.asearch(("memories", "demo-1"))
        finished = await thread_status(loaded, saver, "demo-1")

    agent_tokens = [e.token for e in events if e.type == "messages" and e.node == "agent"]
    assert len(agent_tokens) > 5
    assert any(e.ns and e.ns[0].startswith("researcher:") for e in events)
    assert [i.node for i in status.interrupts] == ["approve"]
    assert [m.value["approval"] for m in memories] == ["yes"]
    assert finished.next_nodes == ()
