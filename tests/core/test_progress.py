"""Who wrote each checkpoint, what runs next and where a run stands (issue 7, section 2).

Every answer is compared with LangGraph's own (``get_state``, ``get_state_history``)
on the same database, written by real graphs under langgraph's ``SqliteSaver``.
"""

from __future__ import annotations

import json
import operator
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

from langchain_core.messages import HumanMessage
from langgraph.types import Command
from typing_extensions import TypedDict

from desktop.cli import main
from desktop.core.progress import WriteRecord, checkpoint_progress
from desktop.core.sources import open_source
from tests.builders import fanout_graph, open_saver, read_saver, thread_config
from tests.core.truth_check import assert_thread_matches_langgraph
from tests.truth_graphs import (
    functional_graph,
    hitl_agent,
    join_graph,
    nested_graph,
    react_agent,
)

ROOT = Path(__file__).resolve().parents[2]


def test_send_fan_out_into_subgraphs_matches_langgraph(fanout_db):
    with read_saver(fanout_db.path) as saver:
        graph = fanout_graph(saver)
        found = assert_thread_matches_langgraph(fanout_db.path, graph, fanout_db.thread_id)
    assert found["summary"].run_state == "finished"
    with open_source(fanout_db.path) as source:
        metas = source.history(fanout_db.thread_id)
    fanned = next(m for m in metas if m.checkpoint_ns == "" and m.writers.count("research") > 1)
    assert fanned.writers == ("research",) * len(fanout_db.topics)


def test_interrupt_before_a_join_is_unfinished_with_the_join_next(tmp_path):
    path = tmp_path / "join.sqlite"
    with open_saver(path) as saver:
        graph = join_graph(saver)
        graph.invoke({"items": []}, thread_config("j"))
        found = assert_thread_matches_langgraph(path, graph, "j")
        assert graph.get_state(thread_config("j")).next == ("join",)
    summary = found["summary"]
    assert (summary.run_state, summary.next_nodes, summary.forked) == (
        "unfinished",
        ("join",),
        False,
    )
    with open_source(path) as source:
        head = source.history("j")[0]
        assert sorted(head.writers) == ["left", "right"]


def test_a_fork_credits_its_node_and_is_not_a_stopped_run(tmp_path):
    path = tmp_path / "join.sqlite"
    with open_saver(path) as saver:
        graph = join_graph(saver)
        graph.invoke({"items": []}, thread_config("j"))
        head = graph.get_state(thread_config("j")).config
        forked = graph.update_state(
            {**head, "metadata": {"rewind_as_node": "left"}}, {"items": ["x"]}, as_node="left"
        )
        plain = graph.update_state(head, {"items": ["y"]}, as_node="right")
        assert_thread_matches_langgraph(path, graph, "j")
    with open_source(path) as source:
        metas = {m.checkpoint_id: m for m in source.history("j")}
        summary = source.thread("j")
    assert metas[forked["configurable"]["checkpoint_id"]].writers == ("left",)
    assert metas[plain["configurable"]["checkpoint_id"]].writers == ()
    assert (summary.head_source, summary.forked, summary.run_state) == (
        "update",
        True,
        "unfinished",
    )


def test_functional_api_names_the_entrypoint_and_one_interrupt(tmp_path):
    path = tmp_path / "func.sqlite"
    with open_saver(path) as saver:
        graph = functional_graph(saver)
        graph.invoke({"n": 3}, thread_config("f"))
        found = assert_thread_matches_langgraph(path, graph, "f")
        assert found["summary"].run_state == "interrupted"
        assert len(found["summary"].progress.interrupts) == len(found["live"].interrupts) == 1
        assert found["summary"].progress.interrupts[0].node == "main"
        graph.invoke(Command(resume="yes"), thread_config("f"))
        found = assert_thread_matches_langgraph(path, graph, "f")
    assert found["summary"].run_state == "finished"
    with open_source(path) as source:
        head = source.history("f")[0]
    assert head.writers == ("main",)


def test_functional_api_task_killed_mid_run_is_unfinished(tmp_path):
    path = tmp_path / "killed.sqlite"
    script = (
        "import sys, sqlite3\n"
        "from langgraph.checkpoint.sqlite import SqliteSaver\n"
        "from tests.truth_graphs import functional_graph\n"
        f"saver = SqliteSaver(sqlite3.connect({str(path)!r}, check_same_thread=False))\n"
        "graph = functional_graph(saver)\n"
        "graph.invoke({'n': 2, 'slow': True, 'ask': False},"
        " {'configurable': {'thread_id': 'k'}}, durability='sync')\n"
    )
    env = {**os.environ, "REWIND_TEST_KILL_IN_TASK": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == -9, done.stderr.decode()
    with read_saver(path) as saver:
        graph = functional_graph(saver)
        found = assert_thread_matches_langgraph(path, graph, "k")
    assert found["live"].next == ("main",)
    assert (found["summary"].run_state, found["summary"].next_nodes) == ("unfinished", ("main",))


def test_nested_subgraphs_with_their_own_checkpointer_over_two_turns(tmp_path):
    path = tmp_path / "nested.sqlite"
    with open_saver(path) as saver:
        graph = nested_graph(saver)
        graph.invoke({"log": []}, thread_config("n"))
        graph.invoke({"log": ["again"]}, thread_config("n"))
        found = assert_thread_matches_langgraph(path, graph, "n")
    assert found["summary"].run_state == "finished"


def test_react_agent_paused_before_tools_and_create_agent_hitl(tmp_path):
    path = tmp_path / "agents.sqlite"
    with open_saver(path) as saver:
        react = react_agent(saver)
        react.invoke({"messages": [HumanMessage("Lyon?")]}, thread_config("react"))
        found = assert_thread_matches_langgraph(path, react, "react")
        assert (found["summary"].run_state, found["summary"].next_nodes) == (
            "unfinished",
            ("tools",),
        )
        react.invoke(None, thread_config("react"))
        assert assert_thread_matches_langgraph(path, react, "react")["live"].next == ()

        agent = hitl_agent(saver)
        agent.invoke({"messages": [HumanMessage("Lyon?")]}, thread_config("hitl"))
        found = assert_thread_matches_langgraph(path, agent, "hitl")
        assert found["summary"].run_state == "interrupted"
        decision = {"decisions": [{"type": "approve"}]}
        agent.invoke(Command(resume=decision), thread_config("hitl"))
        found = assert_thread_matches_langgraph(path, agent, "hitl")
    assert found["summary"].run_state == "finished"


def test_history_cli_prints_nodes_and_next_like_langgraph(tmp_path, capsys):
    path = tmp_path / "join.sqlite"
    with open_saver(path) as saver:
        graph = join_graph(saver)
        graph.invoke({"items": []}, thread_config("j"))
        history = {
            s.config["configurable"]["checkpoint_id"]: s
            for s in graph.get_state_history(thread_config("j"))
        }
    assert main(["history", str(path), "--thread", "j"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # Without a graph, triggered nodes are listed by name (LangGraph: in graph order).
    assert [sorted(line["next"]) for line in lines] == [
        sorted(history[line["checkpoint_id"]].next) for line in lines
    ]
    assert [line["source"] for line in lines] == ["loop", "loop", "input"]
    assert sorted(lines[0]["nodes"]) == ["left", "right"]
    assert lines[1]["nodes"] == ["__start__"] and lines[2]["nodes"] == []
    assert main(["threads", str(path)]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert (entry["status"], entry["next"]) == ("unfinished", ["join"])


def test_triggered_nodes_follow_the_graphs_order_when_given():
    checkpoint = {
        "channel_values": {"branch:to:b": None, "branch:to:a": None},
        "channel_versions": {"branch:to:a": "2", "branch:to:b": "2"},
        "versions_seen": {"a": {"branch:to:a": "1"}},
    }
    assert checkpoint_progress(checkpoint).next == ("b", "a"), "the stored (graph) order"
    assert checkpoint_progress(checkpoint, node_order=["a", "b"]).next == ("a", "b")
    done = [WriteRecord("t1", "~__pregel_pull, a", "x")]
    assert checkpoint_progress(checkpoint, done).remaining == ("b",)
    seen = {**checkpoint, "versions_seen": {"a": {"branch:to:a": "2"}}}
    assert checkpoint_progress(seen).next == ("b",)


def test_status_tells_a_fork_not_run_yet_from_a_stopped_run(tmp_path):
    import asyncio

    from desktop.core.graphs import LoadedGraph
    from desktop.core.run_status import detect_unfinished, thread_status
    from desktop.core.runner import fork

    path = tmp_path / "join.sqlite"
    with open_saver(path) as saver:
        graph = join_graph(saver)
        graph.invoke({"items": []}, thread_config("j"))
        head = graph.get_state(thread_config("j")).config["configurable"]["checkpoint_id"]
    loaded = LoadedGraph.from_object(join_graph(None), spec="join")
    stopped = asyncio.run(thread_status(loaded, path, "j"))
    assert (detect_unfinished(stopped), stopped.forked) == ("crashed", False)
    new_id = asyncio.run(fork(loaded, path, "j", head, {"items": ["z"]}, as_node="left"))
    status = asyncio.run(thread_status(loaded, path, "j"))
    with read_saver(path) as saver:
        truth = join_graph(saver).get_state(thread_config("j"))
    assert status.checkpoint_id == new_id == truth.config["configurable"]["checkpoint_id"]
    assert status.next_nodes == truth.next == ("join",)
    assert (detect_unfinished(status), status.forked, status.source) == ("forked", True, "update")
    with open_source(path) as source:
        summary = source.thread("j")
        state = source.load_state(source.history("j")[0])
    assert (summary.forked, summary.run_state, summary.next_nodes) == (
        True,
        "unfinished",
        ("join",),
    )
    assert state.meta.writers == ("left",) and state.next_nodes == ("join",)


def _credited_updates(location) -> None:
    """``update_state`` reuses the id of the task it stands in for: the writes saved on
    the checkpoint it builds on name the node (LangGraph never stores ``as_node``)."""
    with open_saver(location) as saver:
        graph = join_graph(saver)
        graph.invoke({"items": []}, thread_config("j"))
        head = graph.get_state(thread_config("j"))
        assert head.next == ("join",)
        as_join = graph.update_state(head.config, {"total": 9}, as_node="join")
        as_left = graph.update_state(as_join, {"items": ["x"]}, as_node="left")
        functional = functional_graph(saver)
        functional.invoke({"n": 1}, thread_config("f"))
        waiting = functional.get_state(thread_config("f"))
        as_main = functional.update_state(waiting.config, {"runs": 5})
        assert_thread_matches_langgraph(location, graph, "j")
    with open_source(str(location)) as source:
        writers = {m.checkpoint_id: m.writers for t in ("j", "f") for m in source.history(t)}
    assert writers[as_join["configurable"]["checkpoint_id"]] == ("join",)
    assert writers[as_main["configurable"]["checkpoint_id"]] == ("main",)
    # "left" was not a task of the step it updated: its writes carry a counter, no name.
    assert writers[as_left["configurable"]["checkpoint_id"]] == ()


def test_an_update_by_another_tool_is_credited_when_its_writes_tell(tmp_path):
    _credited_updates(tmp_path / "updates.sqlite")


def test_an_update_by_another_tool_is_credited_on_postgres(pg_db):
    _credited_updates(pg_db.url)


class ParallelLog(TypedDict):
    """What the parallel nodes append to."""

    log: Annotated[list, operator.add]


def test_parallel_next_is_in_graph_order_without_a_graph(tmp_path):
    """Nodes added as zeta, alpha, mid run in parallel: ``get_state().next`` lists them
    in that order (not by name), and so do ``rewind history`` and the thread status."""
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.graph import END, START, StateGraph

    builder = StateGraph(ParallelLog)
    for name in ("zeta", "alpha", "mid", "join"):
        builder.add_node(name, lambda _state, name=name: {"log": [name]})
        if name != "join":
            builder.add_edge(START, name)
    builder.add_edge(["zeta", "alpha", "mid"], "join")
    builder.add_edge("join", END)
    path = tmp_path / "parallel.sqlite"
    conn = sqlite3.connect(path, check_same_thread=False)
    saver = SqliteSaver(conn)
    graph = builder.compile(checkpointer=saver, interrupt_before=["alpha"])
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({"log": []}, config)
    truth = {
        s.config["configurable"]["checkpoint_id"]: s.next for s in graph.get_state_history(config)
    }
    conn.close()
    with open_source(str(path)) as source:
        for meta in source.history("t"):
            assert source.progress(meta).next == truth[meta.checkpoint_id]
        assert source.thread("t").progress.next == ("zeta", "alpha", "mid")


def test_status_from_postgres_heads_matches_langgraph(pg_db):
    """The Postgres listing reads only trigger channels and skips the writes of heads
    whose step has no tasks: an interrupted functional-API entrypoint (the input on
    ``__start__``, the entrypoint named by writes), a join waiting for its barrier, a
    finished thread and an interrupted HITL agent still read as LangGraph says."""
    with open_saver(pg_db.url) as saver:
        functional = functional_graph(saver)
        functional.invoke({"n": 3}, thread_config("f"))
        found = assert_thread_matches_langgraph(pg_db.url, functional, "f")
        assert found["summary"].run_state == "interrupted"
        assert found["summary"].progress.interrupts[0].node == "main"
        joined = join_graph(saver)
        joined.invoke({"items": []}, thread_config("j"))
        found = assert_thread_matches_langgraph(pg_db.url, joined, "j")
        assert (found["summary"].run_state, found["summary"].next_nodes) == (
            "unfinished",
            ("join",),
        )
        functional.invoke(Command(resume="yes"), thread_config("f"))
        found = assert_thread_matches_langgraph(pg_db.url, functional, "f")
        assert found["summary"].run_state == "finished"
        agent = hitl_agent(saver)
        agent.invoke({"messages": [HumanMessage("weather in Paris?")]}, thread_config("h"))
        found = assert_thread_matches_langgraph(pg_db.url, agent, "h")
        assert found["summary"].run_state == "interrupted"
        # Pending Sends (a blob on __pregel_tasks) at the fan-out step.
        fanout = fanout_graph(saver)
        fanout.invoke({"topics": ["solar", "wind"]}, thread_config("s"))
        assert_thread_matches_langgraph(pg_db.url, fanout, "s")
    with open_source(pg_db.url) as source:
        listed = {t.thread_id: t for t in source.list_threads()}
        paged = {t.thread_id: t for t in source.list_threads(limit=10)}
    assert listed == paged
    assert {t: s.run_state for t, s in listed.items()} == {
        "f": "finished",
        "j": "unfinished",
        "h": "interrupted",
        "s": "finished",
    }
