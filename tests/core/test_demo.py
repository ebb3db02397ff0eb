"""The demo agent, the demo database seeder, and the test database builders.

Everything runs real LangGraph graphs on real SQLite files; the builders are checked
with langgraph's own ``get_state`` / ``get_state_history`` and saver reads.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import platformdirs
import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.store.sqlite.aio import AsyncSqliteStore
from langgraph.types import Command

from desktop.core.demo.agent import (
    DEMO_GRAPH_NAME,
    DEMO_TOKEN_DELAY_ENV,
    DemoConfigError,
    build_demo_builder,
    build_demo_graph,
    demo_token_delay,
)
from desktop.core.demo.seed import (
    DEMO_THREADS,
    DemoSeedError,
    default_demo_path,
    seed_demo_database,
)
from desktop.core.demo.tools import calculator
from tests.builders import (
    AgentDb,
    ErrorDb,
    FanoutDb,
    ForkDb,
    HostileDb,
    InterruptDb,
    PydanticDb,
    batch_graph,
    build_big_thread_db,
    build_hostile_db,
    build_many_threads_db,
    fanout_graph,
    notes_graph,
    order_graph,
    read_saver,
    review_graph,
    steps_graph,
    thread_config,
    tool_agent_graph,
)

PRICING = "What does our pricing research say about the Pro plan?"
ROADMAP = "And what is on the roadmap?"
STREAM_MODES = ["messages", "custom", "updates"]


def _drafts(messages: list) -> list[AIMessage]:
    return [m for m in messages if isinstance(m, AIMessage) and m.name is None and not m.tool_calls]


@pytest.fixture
async def demo(tmp_path: Path):
    path = tmp_path / "demo.sqlite"
    async with (
        AsyncSqliteSaver.from_conn_string(str(path)) as saver,
        AsyncSqliteStore.from_conn_string(str(path)) as store,
    ):
        await store.setup()
        yield build_demo_graph(checkpointer=saver, store=store), saver, store


# --- the demo agent -------------------------------------------------------------------


async def test_demo_turn_streams_tokens_events_and_a_subgraph_then_asks_for_approval(demo):
    graph, saver, store = demo
    config = thread_config("demo-pricing")

    parts = [
        part
        async for part in graph.astream(
            {"messages": [HumanMessage(PRICING)]},
            config,
            stream_mode=STREAM_MODES,
            subgraphs=True,
            version="v2",
        )
    ]

    chunks = [
        (part["ns"], *part["data"])
        for part in parts
        if part["type"] == "messages" and isinstance(part["data"][0], AIMessageChunk)
    ]
    agent_chunks = [m for ns, m, meta in chunks if not ns and meta["langgraph_node"] == "agent"]
    assert any(m.tool_call_chunks for m in agent_chunks)
    researcher_namespaces = {ns[0] for ns, _, _ in chunks if ns}
    assert len(researcher_namespaces) == 1
    assert next(iter(researcher_namespaces)).startswith("researcher:")

    events = [part["data"] for part in parts if part["type"] == "custom"]
    assert {"agent", "researcher", "approve"} <= {event["node"] for event in events}
    assert {"node": "agent", "progress": "calling tools", "tools": ["search_notes"]} in events

    state = await graph.aget_state(config)
    assert state.next == ("approve",)
    draft = _drafts(state.values["messages"])[-1]
    assert state.interrupts[0].value["draft"] == draft.content
    assert "(scripted demo)" in draft.content
    assert PRICING in draft.content
    assert "$49 per seat" in draft.content
    streamed = "".join(m.content for m in agent_chunks if m.id == draft.id)
    assert streamed == draft.content
    tool_messages = [m for m in state.values["messages"] if isinstance(m, ToolMessage)]
    assert [m.name for m in tool_messages] == ["search_notes"]

    namespaces = {t.config["configurable"]["checkpoint_ns"] async for t in saver.alist(config)}
    sub_ns = namespaces - {""}
    assert sub_ns == researcher_namespaces
    sub = await saver.aget_tuple(
        {"configurable": {"thread_id": "demo-pricing", "checkpoint_ns": sub_ns.pop()}}
    )
    assert "pricing-research" in sub.checkpoint["channel_values"]["findings"]
    assert await store.asearch(("memories", "demo-pricing")) == []


async def test_resume_answers_the_approval_and_a_second_turn_differs(demo):
    graph, _, store = demo
    config = thread_config("demo-two-turns")

    await graph.ainvoke({"messages": [HumanMessage(PRICING)]}, config)
    first = await graph.ainvoke(Command(resume="yes"), config)
    first_draft = _drafts(first["messages"])[-2]
    assert first["messages"][-1].content == first_draft.content
    assert first["approval"] == "yes"
    memory = await store.aget(("memories", "demo-two-turns"), "turn-0001")
    assert memory.value == {"question": PRICING, "answer": first_draft.content, "approval": "yes"}

    await graph.ainvoke({"messages": [HumanMessage(ROADMAP)]}, config)
    paused = await graph.aget_state(config)
    second_draft = paused.interrupts[0].value["draft"]
    assert second_draft != first_draft.content
    assert ROADMAP in second_draft
    assert f"I also remember 1 earlier question here, most recently “{PRICING}”" in second_draft

    edited = "Offline mode ships next quarter."
    second = await graph.ainvoke(Command(resume=edited), config)
    assert second["messages"][-1].content == edited
    assert sum(isinstance(m, HumanMessage) for m in second["messages"]) == 2
    memories = await store.asearch(("memories", "demo-two-turns"))
    assert sorted(item.key for item in memories) == ["turn-0001", "turn-0002"]


async def test_demo_runs_without_a_store_and_declines_on_no():
    graph = build_demo_graph(checkpointer=InMemorySaver())
    config = thread_config("no-store")

    paused = await graph.ainvoke({"messages": [HumanMessage("What is 6 * 7?")]}, config)
    assert paused["messages"][2].content == "42"
    final = await graph.ainvoke(Command(resume="no"), config)

    assert "declined" in final["messages"][-1].content
    assert "What is 6 * 7?" in final["messages"][-1].content


async def test_builder_can_be_compiled_with_interrupt_before():
    graph = build_demo_builder(token_delay=0).compile(
        checkpointer=InMemorySaver(), interrupt_before=["tools"]
    )
    config = thread_config("before-tools")
    await graph.ainvoke({"messages": [HumanMessage("What is 2 + 3?")]}, config)

    state = await graph.aget_state(config)
    assert state.next == ("tools",)
    assert state.values["messages"][-1].tool_calls[0]["args"] == {"expression": "2 + 3"}
    assert build_demo_graph().name == DEMO_GRAPH_NAME
    assert "demo" in DEMO_GRAPH_NAME


def test_calculator_tool_is_safe_arithmetic():
    assert calculator.invoke({"expression": "12 * (49 - 4)"}) == "540"
    assert calculator.invoke({"expression": "7 / 2"}) == "3.5"
    assert calculator.invoke({"expression": "__import__('os')"}).startswith("error:")
    assert calculator.invoke({"expression": "9 ** 9999"}).startswith("error: exponent")
    assert calculator.invoke({"expression": "1 / 0"}).startswith("error:")


def test_token_delay_comes_from_argument_then_environment(monkeypatch):
    assert demo_token_delay() == 0.0
    monkeypatch.setenv(DEMO_TOKEN_DELAY_ENV, "0.5")
    assert demo_token_delay() == 0.5
    assert demo_token_delay(0.1) == 0.1
    monkeypatch.delenv(DEMO_TOKEN_DELAY_ENV)
    assert demo_token_delay() == 0.02
    monkeypatch.setenv(DEMO_TOKEN_DELAY_ENV, "fast")
    with pytest.raises(DemoConfigError, match="REWIND_DEMO_TOKEN_DELAY must be a number"):
        demo_token_delay()
    with pytest.raises(DemoConfigError, match="zero or more seconds"):
        demo_token_delay(-1)


# --- the demo database ----------------------------------------------------------------


def test_default_demo_path_honours_the_data_dir(monkeypatch, rewind_test_environment):
    assert default_demo_path() == rewind_test_environment / "demo.sqlite"
    monkeypatch.delenv("REWIND_DATA_DIR")
    assert default_demo_path() == Path(platformdirs.user_data_dir("Rewind")) / "demo.sqlite"


async def test_seed_creates_finished_threads_once():
    path = default_demo_path()
    thread_ids = await seed_demo_database(path)
    assert thread_ids == list(DEMO_THREADS)

    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        graph = build_demo_graph(checkpointer=saver)
        for thread_id, turns in DEMO_THREADS.items():
            state = await graph.aget_state(thread_config(thread_id))
            assert state.next == ()
            assert not state.interrupts
            humans = [m.content for m in state.values["messages"] if isinstance(m, HumanMessage)]
            assert humans == [turn.question for turn in turns]
            assert state.values["approval"] == turns[-1].decision
        edited = await graph.aget_state(thread_config("demo-research-pricing"))
        assert (
            edited.values["messages"][-1].content
            == DEMO_THREADS["demo-research-pricing"][1].decision
        )
        declined = await graph.aget_state(thread_config("demo-declined"))
        assert "declined" in declined.values["messages"][-1].content
        before = Counter([t.config["configurable"]["thread_id"] async for t in saver.alist(None)])

    assert await seed_demo_database(path) == list(DEMO_THREADS)
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        after = Counter([t.config["configurable"]["thread_id"] async for t in saver.alist(None)])
    assert after == before

    async with AsyncSqliteStore.from_conn_string(str(path)) as store:
        memory = await store.aget(("memories", "demo-calculator"), "turn-0001")
    assert "588" in memory.value["answer"]


async def test_seed_refuses_a_file_that_is_not_a_database(not_sqlite_path):
    with pytest.raises(DemoSeedError, match="exists and is not a usable SQLite database"):
        await seed_demo_database(not_sqlite_path)


# --- the test database builders ---------------------------------------------------------


def test_agent_db_has_tool_calls_and_a_multi_turn_thread(agent_db: AgentDb):
    with read_saver(agent_db.path) as saver:
        graph = tool_agent_graph(saver)
        for thread_id in agent_db.thread_ids:
            state = graph.get_state(thread_config(thread_id))
            messages = state.values["messages"]
            humans = [m.content for m in messages if isinstance(m, HumanMessage)]
            assert tuple(humans) == agent_db.questions[thread_id]
            assert any(isinstance(m, ToolMessage) for m in messages)
            assert messages[-1].content == agent_db.answers[thread_id][-1]
            assert state.next == ()
        longer = len(list(graph.get_state_history(thread_config(agent_db.multi_turn_thread))))
        shorter = len(list(graph.get_state_history(thread_config("agent-math"))))
    assert longer > shorter
    assert agent_db.answers["agent-weather"] == (
        "The get_weather tool says: 18°C and sunny.",
        "The get_weather tool says: 4°C with sleet.",
    )


def test_fanout_db_has_one_subgraph_namespace_per_topic(fanout_db: FanoutDb):
    assert len(fanout_db.subgraph_namespaces) == len(fanout_db.topics)
    assert all(ns.startswith("research:") for ns in fanout_db.subgraph_namespaces)
    with read_saver(fanout_db.path) as saver:
        state = fanout_graph(saver).get_state(thread_config(fanout_db.thread_id))
        topics = set()
        for ns in fanout_db.subgraph_namespaces:
            config = {"configurable": {"thread_id": fanout_db.thread_id, "checkpoint_ns": ns}}
            topics.add(saver.get_tuple(config).checkpoint["channel_values"]["topic"])
    assert topics == set(fanout_db.topics)
    assert (
        state.values["report"]
        == fanout_db.report
        == "batteries: 2 notes; solar: 2 notes; wind: 2 notes"
    )


def test_interrupt_db_is_paused_on_the_interrupt(interrupt_db: InterruptDb):
    with read_saver(interrupt_db.path) as saver:
        state = review_graph(saver).get_state(thread_config(interrupt_db.thread_id))
        latest = saver.get_tuple(thread_config(interrupt_db.thread_id))
    assert state.next == (interrupt_db.node,)
    assert state.interrupts[0].value == interrupt_db.interrupt_value
    assert [w[1] for w in latest.pending_writes] == ["__interrupt__"]


def test_error_db_latest_checkpoint_holds_the_error(error_db: ErrorDb):
    with read_saver(error_db.path) as saver:
        state = batch_graph(saver).get_state(thread_config(error_db.thread_id))
        latest = saver.get_tuple(thread_config(error_db.thread_id))
    assert state.next == (error_db.node,)
    assert error_db.error_message in state.tasks[0].error
    assert ("__error__", f"{error_db.error_type}('{error_db.error_message}')") in [
        (w[1], w[2]) for w in latest.pending_writes
    ]


def test_pydantic_db_round_trips_nested_models_and_datetimes(pydantic_db: PydanticDb):
    with read_saver(pydantic_db.path) as saver:
        state = order_graph(saver).get_state(thread_config(pydantic_db.thread_id))
    values = state.values
    assert values["customer"] == pydantic_db.final_state.customer
    assert values["customer"].address.city == "London"
    assert values["priced_at"] == pydantic_db.final_state.priced_at
    assert values["total"] == 68.5


def test_fork_db_has_several_children_and_a_replay(fork_db: ForkDb):
    with read_saver(fork_db.path) as saver:
        history = list(steps_graph(saver).get_state_history(thread_config(fork_db.thread_id)))
    by_id = {s.config["configurable"]["checkpoint_id"]: s for s in history}

    def parent_id(checkpoint_id: str) -> str | None:
        parent = by_id[checkpoint_id].parent_config
        return parent["configurable"]["checkpoint_id"] if parent else None

    children = {cid for cid in by_id if parent_id(cid) == fork_db.fork_parent_id}
    assert children == {fork_db.original_child_id, *fork_db.fork_ids}
    for fork_id, value in zip(fork_db.fork_ids, fork_db.fork_values, strict=True):
        assert by_id[fork_id].metadata["source"] == "update"
        assert by_id[fork_id].values["value"] == value
    assert fork_db.fork_ids[0] in {parent_id(cid) for cid in fork_db.continued_ids}
    replay_children = {cid for cid in by_id if parent_id(cid) == fork_db.replay_from_id}
    assert len(replay_children) == 2, "the original next checkpoint and the replay's"
    assert replay_children & set(fork_db.replay_ids)
    assert fork_db.final_values == {"original": 49, "fork": 121, "replay": 49}


def _strict_serde() -> JsonPlusSerializer:
    return JsonPlusSerializer(allowed_msgpack_modules=None)


def test_hostile_db_tampered_rows_are_there_and_inert_when_read_strictly(hostile_db: HostileDb):
    exec_ref = hostile_db.exec_checkpoint
    with read_saver(hostile_db.path, serde=_strict_serde()) as saver:
        clean = notes_graph(saver).get_state(thread_config(hostile_db.clean_thread_id))
        tampered = saver.get_tuple(
            {
                "configurable": {
                    "thread_id": exec_ref.thread_id,
                    "checkpoint_id": exec_ref.checkpoint_id,
                }
            }
        )
        garbage = {
            "configurable": {
                "thread_id": hostile_db.garbage_checkpoint.thread_id,
                "checkpoint_id": hostile_db.garbage_checkpoint.checkpoint_id,
            }
        }
        with pytest.raises(ValueError, match="invalid type"):
            saver.get_tuple(garbage)
        with pytest.raises(json.JSONDecodeError):
            saver.get_tuple(thread_config(hostile_db.bad_metadata_checkpoint.thread_id))
    assert clean.values == {"note": "hello hostile-clean", "count": 2}
    command = tampered.checkpoint["channel_values"]["note"]
    assert command == [f"touch {hostile_db.marker}"]
    assert not hostile_db.marker.exists()


def test_hostile_payload_really_executes_under_a_permissive_decoder(tmp_path: Path):
    built = build_hostile_db(tmp_path / "live.sqlite", marker=tmp_path / "ran.marker")
    ref = built.exec_checkpoint
    config = {"configurable": {"thread_id": ref.thread_id, "checkpoint_id": ref.checkpoint_id}}
    with read_saver(built.path, serde=_strict_serde()) as saver:
        saver.get_tuple(config)
    assert not built.marker.exists()
    with read_saver(built.path, serde=JsonPlusSerializer(allowed_msgpack_modules=True)) as saver:
        saver.get_tuple(config)
    assert built.marker.exists(), "the payload is supposed to be a live exploit"


def test_non_database_files(not_sqlite_path, empty_path, sqlite_without_tables_path):
    with pytest.raises(sqlite3.DatabaseError), sqlite3.connect(not_sqlite_path) as conn:
        conn.execute("SELECT name FROM sqlite_master").fetchall()
    assert empty_path.stat().st_size == 0
    with sqlite3.connect(sqlite_without_tables_path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"recipes"}


def test_many_threads_builder_writes_real_checkpoints(tmp_path: Path):
    built = build_many_threads_db(tmp_path / "many.sqlite", n=25)
    with read_saver(built.path) as saver:
        tuples = list(saver.list(None))
        latest = saver.get_tuple(thread_config(built.thread_ids[7]))
    assert Counter(t.config["configurable"]["thread_id"] for t in tuples) == dict.fromkeys(
        built.thread_ids, 2
    )
    assert latest.checkpoint["channel_values"] == {"messages": ["question 7", "answer 7"]}
    assert latest.metadata == {"source": "loop", "step": 0, "parents": {}}
    assert latest.parent_config is not None


def test_big_thread_builder_chains_checkpoints_of_a_growing_conversation(tmp_path: Path):
    built = build_big_thread_db(tmp_path / "big.sqlite", checkpoints=12, total_mb=1)
    with read_saver(built.path) as saver:
        tuples = list(saver.list(thread_config(built.thread_id)))
    assert [t.config["configurable"]["checkpoint_id"] for t in reversed(tuples)] == list(
        built.checkpoint_ids
    )
    for newer, older in itertools.pairwise(tuples):
        assert (
            newer.parent_config["configurable"]["checkpoint_id"]
            == older.config["configurable"]["checkpoint_id"]
        )
    states = [t.checkpoint["channel_values"]["messages"] for t in reversed(tuples)]
    assert all(isinstance(m, BaseMessage) for messages in states for m in messages)
    turn = states[3]
    assert [m.type for m in turn] == ["human", "ai", "tool", "ai"]
    assert turn[1].tool_calls[0]["id"] == turn[2].tool_call_id
    for older, newer in itertools.pairwise(states):
        assert newer[-1].id not in {m.id for m in older}
    with sqlite3.connect(built.path) as conn:
        total = conn.execute("SELECT SUM(LENGTH(checkpoint)) FROM checkpoints").fetchone()[0]
    assert 0.5 * 2**20 < total < 1.5 * 2**20


@pytest.mark.skipif(
    not os.environ.get("REWIND_SLOW_TESTS"), reason="set REWIND_SLOW_TESTS=1 (builds ~250 MB)"
)
def test_full_size_benchmark_databases(tmp_path: Path):
    many = build_many_threads_db(tmp_path / "many.sqlite")
    big = build_big_thread_db(tmp_path / "big.sqlite")
    with sqlite3.connect(many.path) as conn:
        threads = conn.execute("SELECT COUNT(DISTINCT thread_id) FROM checkpoints").fetchone()[0]
    assert threads == 10_000
    with sqlite3.connect(big.path) as conn:
        count, total = conn.execute(
            "SELECT COUNT(*), SUM(LENGTH(checkpoint)) FROM checkpoints"
        ).fetchone()
    assert count == 1200
    assert 120 * 1024 * 1024 < total < 140 * 1024 * 1024
    shutil.rmtree(tmp_path)


async def test_interrupted_seed_leaves_no_half_written_demo(tmp_path, monkeypatch):
    from desktop.core.demo import seed

    target = tmp_path / "demo.sqlite"

    def broken_graph(**kwargs):
        raise RuntimeError("window closed during the first seed")

    with monkeypatch.context() as patch:
        patch.setattr(seed, "build_demo_graph", broken_graph)
        with pytest.raises(RuntimeError):
            await seed.seed_demo_database(target)
    assert not target.exists()
    assert await seed.seed_demo_database(target) == list(seed.DEMO_THREADS)
    assert target.exists()


async def test_seeding_leaves_no_task_running_on_the_callers_loop(tmp_path):
    from desktop.core.demo.seed import seed_demo_database

    before = asyncio.all_tasks()
    await seed_demo_database(tmp_path / "demo.sqlite")
    left = {t for t in asyncio.all_tasks() - before if not t.done()}
    assert left == set()
