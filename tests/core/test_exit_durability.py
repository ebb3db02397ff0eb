"""Who wrote a checkpoint saved under ``durability="exit"`` (issue 7): LangGraph saves a
run's last checkpoint only, several steps folded into it, and credits it to its parent's
tasks whatever writes were saved. Real graphs on SQLite files and on PostgreSQL, every
checkpoint compared with ``get_state`` / ``get_state_history`` by
:func:`tests.core.truth_check.assert_thread_matches_langgraph`.
"""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from langchain_core.messages import HumanMessage
from langgraph.types import Command

from desktop.cli import main
from desktop.core.demo.agent import build_demo_graph
from desktop.core.sources import open_source
from tests.builders import open_saver, thread_config
from tests.core.truth_check import assert_thread_matches_langgraph
from tests.delta_builders import deep_agent_graph
from tests.truth_graphs import functional_graph, hitl_agent

EXIT = {"durability": "exit"}


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path) -> str:
    """Where the runs are saved: a SQLite file, or a fresh Postgres database."""
    if request.param == "sqlite":
        return str(tmp_path / "exit.sqlite")
    return request.getfixturevalue("pg_db").url


def _root_writers(location: str, thread_id: str) -> list[tuple[int | None, tuple[str, ...]]]:
    with open_source(location) as source:
        return [(m.step, m.writers) for m in source.history(thread_id) if not m.checkpoint_ns]


def test_demo_resumed_under_exit_is_written_by_the_approval(database, capsys):
    """The resume runs approve and the answer in one go: the one checkpoint it saves
    (step 6) has the interrupted step 4 as parent, whose task was ``approve``."""
    run = ("--graph", "demo", "--thread", "e1", "--durability", "exit")
    assert main(["run", database, *run, "--input", "What is 12 * 49?"]) == 0
    assert main(["resume", database, *run, "--value", "yes"]) == 0
    assert main(["run", database, *run, "--input", "And 3 * 4?"]) == 0
    capsys.readouterr()
    with open_saver(database) as saver:
        found = assert_thread_matches_langgraph(
            database, build_demo_graph(checkpointer=saver), "e1"
        )
    assert found["checkpoints"] == 3
    assert _root_writers(database, "e1") == [(12, ()), (6, ("approve",)), (4, ())]
    assert main(["history", database, "--thread", "e1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["nodes"] for line in lines] == [[], ["approve"], []]
    # Step 12: the new input, __start__, agent... ran from the finished step 6 unsaved.
    assert [line.get("steps_folded") for line in lines] == [5, 1, None]


def test_agents_over_several_exit_turns_match_langgraph(database):
    """create_agent's HITL resumed, deepagents' second turn (its delta channels store
    the first step's writes, ``__start__``'s among them, on the parent) and a
    functional-API entrypoint resumed in one step, all under ``exit``."""
    with open_saver(database) as saver:
        agent = hitl_agent(saver)
        agent.invoke({"messages": [HumanMessage("Lyon?")]}, thread_config("hitl"), **EXIT)
        decision = {"decisions": [{"type": "approve"}]}
        agent.invoke(Command(resume=decision), thread_config("hitl"), **EXIT)
        assert_thread_matches_langgraph(database, agent, "hitl")

        deep = deep_agent_graph(saver)
        for text in ("write notes", "again"):
            deep.invoke({"messages": [HumanMessage(text)]}, thread_config("deep"), **EXIT)
        found = assert_thread_matches_langgraph(database, deep, "deep")
        assert found["summary"].run_state == "finished"

        entry = functional_graph(saver)
        entry.invoke({"n": 3}, thread_config("f"), **EXIT)
        entry.invoke(Command(resume="yes"), thread_config("f"), **EXIT)
        assert_thread_matches_langgraph(database, entry, "f")
    assert _root_writers(database, "hitl")[0][1] == ("HumanInTheLoopMiddleware.after_model",)
    assert "__start__" not in _root_writers(database, "deep")[0][1]
    assert _root_writers(database, "f")[0][1] == ("main",)


def test_sync_runs_beside_an_exit_run_keep_step_by_step_writers(tmp_path):
    """One thread, a sync run then an exit run: the sync steps still name the tasks
    their writes tell, the exit checkpoint its parent's tasks."""
    path = tmp_path / "mixed.sqlite"
    with open_saver(path) as saver:
        agent = hitl_agent(saver)
        agent.invoke({"messages": [HumanMessage("Lyon?")]}, thread_config("m"))
        decision = {"decisions": [{"type": "approve"}]}
        agent.invoke(Command(resume=decision), thread_config("m"), **EXIT)
        agent.invoke({"messages": [HumanMessage("Paris?")]}, thread_config("m"))
        found = assert_thread_matches_langgraph(path, agent, "m")
    assert found["checkpoints"] > 6
    steps = [step for step, _ in _root_writers(path, "m")]
    assert any(a - b > 1 for a, b in pairwise(steps))
