"""The timeline tree: main line, branches and subgraph groups."""

from __future__ import annotations

import operator
from typing import Annotated

from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from typing_extensions import TypedDict

from desktop.core.history import build_timeline
from desktop.core.model import CheckpointMeta
from desktop.core.sources.sqlite import SqliteCheckpointSource
from tests.builders import open_saver, thread_config


def meta(cid: str, parent: str | None, step: int, source: str = "loop", ns: str = "", **md):
    metadata = {"step": step, "source": source, **md}
    return CheckpointMeta("t", ns, cid, parent, step, source, None, metadata)


def shape(items, depth=0):
    out = []
    for item in items:
        ident = item.meta.checkpoint_id if item.meta else item.kind
        out.append(("  " * depth) + ident)
        out.extend(shape(item.children, depth + 1))
    return out


def test_linear_thread_is_a_flat_line_oldest_first():
    timeline = build_timeline("t", [meta("c3", "c2", 2), meta("c1", None, 0), meta("c2", "c1", 1)])
    assert shape(timeline.roots) == ["c1", "c2", "c3"]
    assert timeline.head.checkpoint_id == "c3"
    assert all(item.on_head_line for item in timeline.roots)


def test_fork_becomes_a_branch_under_its_parent_and_head_follows_newest():
    metas = [
        meta("c1", None, -1, "input"),
        meta("c2", "c1", 0),
        meta("c3", "c2", 1),
        meta("c4", "c2", 1, "update"),
        meta("c5", "c4", 2),
    ]
    timeline = build_timeline("t", metas)
    assert shape(timeline.roots) == ["c1", "c2", "  branch", "    c3", "c4", "c5"]
    branch = timeline.roots[1].children[0]
    assert branch.kind == "branch"
    assert branch.label == "branch (loop) after step 0"
    assert not branch.children[0].on_head_line
    assert [m.checkpoint_id for m in timeline.branch_tips()] == ["c5", "c3"]
    assert [m.checkpoint_id for m in timeline.lineage(timeline.by_key[("", "c3")])] == [
        "c1",
        "c2",
        "c3",
    ]


def test_subgraph_checkpoints_nest_under_the_parent_checkpoint_that_ran_them():
    ns = "researcher:task-1"
    metas = [
        meta("c1", None, -1, "input"),
        meta("c2", "c1", 0),
        meta("c3", "c2", 1),
        meta("s1", None, -1, "input", ns=ns, parents={"": "c2"}),
        meta("s2", "s1", 0, ns=ns, parents={"": "c2"}),
    ]
    timeline = build_timeline("t", metas)
    assert shape(timeline.roots) == ["c1", "c2", "  subgraph", "    s1", "    s2", "c3"]
    group = timeline.roots[1].children[0]
    assert group.label == "subgraph researcher · task task-1"


def test_long_threads_do_not_recurse():
    metas = [meta("c0000", None, 0)]
    metas += [meta(f"c{i:04d}", f"c{i - 1:04d}", i) for i in range(1, 5000)]
    timeline = build_timeline("t", metas)
    assert len(timeline.roots) == 5000
    assert timeline.head.checkpoint_id == "c4999"


def test_orphans_whose_parent_is_missing_start_their_own_branch():
    metas = [meta("c1", None, 0), meta("c2", "c1", 1), meta("b0", "gone", 5)]
    timeline = build_timeline("t", metas)
    assert shape(timeline.roots) == ["c1", "c2", "branch", "  b0"]
    metas.append(meta("x9", "gone", 6))
    timeline = build_timeline("t", metas)
    assert timeline.head.checkpoint_id == "x9"
    assert shape(timeline.roots) == ["x9", "branch", "  c1", "  c2", "branch", "  b0"]


def test_parent_loops_in_a_tampered_database_are_cut_not_followed_forever():
    selfish = build_timeline("t", [meta("c1", "c1", 0), meta("c2", "c1", 1)])
    assert shape(selfish.roots) == ["c1", "c2"]
    loop = build_timeline("t", [meta("c1", "c2", 0), meta("c2", "c1", 1), meta("c3", "c2", 2)])
    assert sorted(m.checkpoint_id for m in loop.by_key.values()) == ["c1", "c2", "c3"]
    rows = [i.meta.checkpoint_id for r in loop.roots for i in r.walk() if i.meta]
    assert sorted(rows) == ["c1", "c2", "c3"]
    assert [m.checkpoint_id for m in loop.lineage(loop.by_key[("", "c3")])][-1] == "c3"


class _LogState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def _subgraph_timeline(path, *, checkpointer: bool, finished: bool):
    """A real graph whose ``research`` node is a subgraph, run to its end (or stopped at
    an interrupt inside the subgraph) with ``SqliteSaver``, read back as a timeline."""

    def search(state: _LogState) -> dict:
        return {"log": ["search" if finished else interrupt("ok?")]}

    inner = StateGraph(_LogState)
    inner.add_node("search", search)
    inner.add_edge(START, "search")
    outer = StateGraph(_LogState)
    outer.add_node("research", inner.compile(checkpointer=True if checkpointer else None))
    outer.add_node("write", lambda state: {"log": ["write"]})
    outer.add_edge(START, "research")
    outer.add_edge("research", "write")
    with open_saver(path) as saver:
        outer.compile(checkpointer=saver).invoke({"log": []}, thread_config("t"))
    with SqliteCheckpointSource(path) as source:
        return build_timeline("t", source.history("t"))


def _newest_in_subgraph(timeline):
    return max(
        (m for m in timeline.by_key.values() if m.checkpoint_ns), key=lambda m: m.checkpoint_id
    )


def test_a_finished_subgraph_run_names_the_parent_checkpoint_that_ran_it(tmp_path):
    timeline = _subgraph_timeline(tmp_path / "done.sqlite", checkpointer=False, finished=True)
    inside = _newest_in_subgraph(timeline)
    assert inside.checkpoint_ns.startswith("research:")
    parent = timeline.finished_subgraph_parent(inside)
    assert parent is not None and parent == timeline.subgraph_parent(inside)
    assert parent.checkpoint_ns == "" and parent.step == 0


def test_a_subgraph_run_still_in_its_step_or_with_its_own_checkpointer_is_not_flagged(tmp_path):
    waiting = _subgraph_timeline(tmp_path / "wait.sqlite", checkpointer=False, finished=False)
    inside = _newest_in_subgraph(waiting)
    assert waiting.subgraph_parent(inside) is not None
    assert waiting.finished_subgraph_parent(inside) is None
    kept = _subgraph_timeline(tmp_path / "kept.sqlite", checkpointer=True, finished=True)
    inside = _newest_in_subgraph(kept)
    assert inside.checkpoint_ns == "research", "checkpointer=True keeps one namespace"
    assert kept.finished_subgraph_parent(inside) is None
