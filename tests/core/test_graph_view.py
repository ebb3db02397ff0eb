"""The graph picture and node states, checked against LangGraph's own answers.

Nodes and edges must equal ``get_graph(xray=True)``; each node's state at a checkpoint
must agree with ``get_state_history`` (``next``, the tasks of the step that wrote it,
tasks with unanswered interrupts, failed tasks), read through Rewind's read-only source.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop.core.graph_config import config_graph_ids
from desktop.core.graph_infer import infer_picture
from desktop.core.graph_layout import layout_picture
from desktop.core.graph_reload import reload_graph
from desktop.core.graph_view import (
    END,
    ERROR,
    IDLE,
    INTERRUPTED,
    NEXT,
    WROTE,
    checkpoint_activity,
    checkpoints_written_by,
    collapse,
    graph_json,
    node_states,
    picture_of,
    running_node_id,
    xray_prefix,
)
from desktop.core.graphs import GraphLoadError, load_graph
from desktop.core.sources import open_source
from tests.builders import thread_config
from tests.graph_builders import PIPELINE_SPEC, PipelineDb, build_pipeline_db

DATA = Path(__file__).resolve().parent.parent / "data"
GRAPHS = DATA / "graph_view_graphs.py"
PROJECT = DATA / "lg_project" / "langgraph.json"


@pytest.fixture(scope="module")
def pipeline_db(tmp_path_factory: pytest.TempPathFactory) -> PipelineDb:
    return build_pipeline_db(tmp_path_factory.mktemp("graph_view") / "pipeline.sqlite")


def _expected(graph, snapshot, parent) -> dict[str, set[str]]:
    """Node names per state, as LangGraph's snapshots tell them."""
    tasks = snapshot.tasks
    source = snapshot.metadata.get("source")
    wrote = {t.name for t in parent.tasks} if parent is not None and source == "loop" else set()
    return {
        "next": set(snapshot.next),
        "error": {t.name for t in tasks if t.error is not None},
        "interrupted": {t.name for t in tasks if t.interrupts and t.result is None},
        "wrote": wrote,
    }


def _compare_history(loaded, path: Path, thread_id: str) -> int:
    from langgraph.checkpoint.sqlite import SqliteSaver

    compared = 0
    with SqliteSaver.from_conn_string(str(path)) as saver:
        graph = loaded.bind(saver)
        history = list(graph.get_state_history(thread_config(thread_id)))
    by_id = {s.config["configurable"]["checkpoint_id"]: s for s in history}
    with open_source(path) as source:
        metas = {m.checkpoint_id: m for m in source.history(thread_id) if not m.checkpoint_ns}
        for checkpoint_id, snapshot in by_id.items():
            parent_id = (snapshot.parent_config or {}).get("configurable", {}).get("checkpoint_id")
            expected = _expected(loaded.graph, snapshot, by_id.get(parent_id))
            activity = checkpoint_activity(source.load_state(metas[checkpoint_id]))
            assert set(activity.next) == expected["next"], checkpoint_id
            assert set(activity.errors) == expected["error"], checkpoint_id
            assert set(activity.interrupted) == expected["interrupted"], checkpoint_id
            assert set(activity.wrote) == expected["wrote"], checkpoint_id
            compared += 1
    return compared


def test_picture_equals_get_graph_xray() -> None:
    for spec in ("demo", f"{GRAPHS}:pipeline"):
        graph = load_graph(spec).graph
        drawn = graph.get_graph(xray=True)
        shape = graph_json(picture_of(graph))
        assert [n["id"] for n in shape["nodes"]] == list(drawn.nodes)
        assert [n["name"] for n in shape["nodes"]] == [n.name for n in drawn.nodes.values()]
        kinds = {n["id"]: n["kind"] for n in shape["nodes"]}
        assert kinds["__start__"] == "start" and kinds["__end__"] == "end"
        assert {k for i, k in kinds.items() if i not in ("__start__", "__end__")} == {"node"}
        assert shape["edges"] == [
            {
                "source": e.source,
                "target": e.target,
                "conditional": e.conditional,
                "label": e.data,
            }
            for e in drawn.edges
        ]
        assert all(n["state"] == IDLE and n["error"] is None for n in shape["nodes"])


def test_conditional_edges_keep_langgraph_labels() -> None:
    picture = picture_of(load_graph(f"{GRAPHS}:pipeline").graph)
    labelled = {(e.source, e.target): e.label for e in picture.edges if e.conditional}
    assert labelled == {("review", "plan"): "again", ("review", "publish"): "ok"}
    assert picture.subgraphs == ("research",)


def test_states_agree_with_get_state_history(pipeline_db: PipelineDb) -> None:
    loaded = load_graph(f"{GRAPHS}:pipeline")
    assert _compare_history(loaded, pipeline_db.path, pipeline_db.thread_id) >= 9
    assert _compare_history(loaded, pipeline_db.path, pipeline_db.waiting_thread) >= 4
    failing = load_graph(f"{GRAPHS}:failing")
    assert _compare_history(failing, pipeline_db.path, pipeline_db.failed_thread) >= 3


def test_states_in_the_picture(pipeline_db: PipelineDb) -> None:
    """Subgraph nodes take their subgraph node's state; precedence; __end__ idle."""
    picture = picture_of(load_graph(f"{GRAPHS}:pipeline").graph)
    with open_source(pipeline_db.path) as source:
        history = [m for m in source.history(pipeline_db.thread_id) if not m.checkpoint_ns]
        states = {m.checkpoint_id: source.load_state(m) for m in history}
        head = source.history(pipeline_db.waiting_thread)[0]
        waiting = node_states(picture, checkpoint_activity(source.load_state(head)))
    assert waiting["review"].state == INTERRUPTED
    assert waiting["research:search"].state == waiting["research:summarize"].state == WROTE
    assert {waiting[i].state for i in ("plan", "publish", END)} == {IDLE}
    seen: set[str] = set()
    for state in states.values():
        shown = node_states(picture, checkpoint_activity(state))
        assert shown[END].state == IDLE
        assert shown["research:search"] == shown["research:summarize"]
        if "research" in state.next_nodes:
            assert shown["research:search"].state == NEXT
            seen.add("subgraph-next")
        if state.meta.writers == ("research",) and state.meta.source == "loop":
            assert shown["research:summarize"].state == WROTE
            seen.add("subgraph-wrote")
        if state.meta.step == 0:
            assert shown["__start__"].state == WROTE
            seen.add("start")
        assert shown["review"].state != INTERRUPTED
    assert seen == {"subgraph-next", "subgraph-wrote", "start"}


def test_error_state_carries_the_failure_text(pipeline_db: PipelineDb) -> None:
    picture = picture_of(load_graph(f"{GRAPHS}:failing").graph)
    with open_source(pipeline_db.path) as source:
        head = source.history(pipeline_db.failed_thread)[0]
        shown = node_states(picture, checkpoint_activity(source.load_state(head)))
    assert shown["explode"].state == ERROR
    assert "the price list is empty" in (shown["explode"].error or "")
    assert shown["plan"].state == WROTE


def test_inferred_picture_only_has_real_transitions(pipeline_db: PipelineDb) -> None:
    real = picture_of(load_graph(f"{GRAPHS}:pipeline").graph)
    real_edges = {(e.source, e.target) for e in real.edges}
    with open_source(pipeline_db.path) as source:
        history = source.history(pipeline_db.thread_id)
        head = source.thread(pipeline_db.thread_id)
    inferred = infer_picture(history, [head.latest_checkpoint_id])
    assert inferred.inferred
    ids = [n.id for n in inferred.nodes]
    assert set(ids) == {n.id for n in real.nodes}
    edges = {(e.source, e.target) for e in inferred.edges}
    assert edges <= real_edges
    assert {("plan", "research:search"), ("research:summarize", "review")} <= edges
    assert ("publish", END) in edges


def test_collapse_folds_a_subgraph_into_one_node() -> None:
    picture = picture_of(load_graph(f"{GRAPHS}:pipeline").graph)
    folded = collapse(picture, ["research"])
    assert folded.node("research") is not None and folded.node("research:search") is None
    edges = {(e.source, e.target) for e in folded.edges}
    assert {("plan", "research"), ("research", "review")} <= edges
    assert not any("research:" in s + t for s, t in edges)
    assert folded.subgraphs == ("research",)
    assert collapse(folded, []) is folded


def test_layout_places_every_node_and_frames_subgraphs() -> None:
    picture = picture_of(load_graph("demo").graph)
    layout = layout_picture(picture, lambda node_id: (10.0 * len(node_id) + 20, 30.0))
    assert set(layout.nodes) == {n.id for n in picture.nodes}
    assert {(e.source, e.target) for e in picture.edges} == set(layout.edges)
    frame = layout.frames["researcher"]
    for node_id in ("researcher:gather", "researcher:write_note"):
        box = layout.nodes[node_id]
        assert frame.x < box.x and box.x + box.w < frame.x + frame.w
        assert frame.y < box.y and box.y + box.h < frame.y + frame.h
    start, end = layout.nodes["__start__"], layout.nodes["__end__"]
    assert start.y < end.y


def test_checkpoints_written_by_a_node(pipeline_db: PipelineDb) -> None:
    with open_source(pipeline_db.path) as source:
        history = source.history(pipeline_db.thread_id)
    plans = checkpoints_written_by(history, "plan")
    assert len(plans) == 2
    assert all("plan" in m.writers and not m.checkpoint_ns for m in plans)
    inner = checkpoints_written_by(history, "research:search")
    assert len(inner) == 2 and all(m.checkpoint_ns.startswith("research:") for m in inner)


def test_namespaces_map_to_xray_ids() -> None:
    assert xray_prefix("") == ""
    assert xray_prefix("research:1a|inner:2b") == "research:inner:"
    assert running_node_id(["research:1a"], "search") == "research:search"
    assert running_node_id([], "plan") == "plan"


def test_langgraph_json_graphs_and_missing_env(tmp_path: Path) -> None:
    assert config_graph_ids(PROJECT) == ["greeter", "echo"]
    with pytest.raises(GraphLoadError, match="choose one with --graph-id: greeter, echo"):
        load_graph(config_path=PROJECT)
    (tmp_path / "g.py").write_text((DATA / "lg_project" / "src" / "echo.py").read_text())
    config = tmp_path / "langgraph.json"
    config.write_text('{"graphs": {"g": "./g.py:graph"}, "env": ".env"}')
    loaded = load_graph(config_path=config)
    assert loaded.node_names == ("echo",)
    assert len(loaded.warnings) == 1 and "env file not found" in loaded.warnings[0]


def test_reload_picks_up_edits_and_a_failure_keeps_the_old_graph(tmp_path: Path) -> None:
    helper = tmp_path / "reload_helper_mod.py"
    helper.write_text("NAME = 'first'\n")
    source = tmp_path / "reload_graph_mod.py"
    source.write_text(
        "from langgraph.graph import START, StateGraph\n"
        "from typing_extensions import TypedDict\n"
        "from reload_helper_mod import NAME\n"
        "class S(TypedDict):\n    x: int\n"
        "b = StateGraph(S)\nb.add_node(NAME, lambda s: {'x': 1})\nb.add_edge(START, NAME)\n"
        "graph = b.compile()\n"
    )
    first = load_graph(f"{source}:graph")
    assert first.node_names == ("first",)
    helper.write_text("NAME = 'second'\n")
    second = reload_graph(first)
    assert second.node_names == ("second",)
    helper.write_text("NAME = \n")
    with pytest.raises(GraphLoadError, match="SyntaxError"):
        reload_graph(second)
    assert sys.modules["reload_helper_mod"].NAME == "second"
    assert "desktop.core.graph_view" in sys.modules


def test_states_at_a_subgraph_checkpoint_light_its_inner_nodes(pipeline_db: PipelineDb) -> None:
    """A checkpoint of the ``research`` subgraph: its own nodes at their xray ids."""
    loaded = load_graph(PIPELINE_SPEC)
    picture = picture_of(loaded.graph)
    with open_source(pipeline_db.path) as source:
        history = source.history(pipeline_db.waiting_thread)
        inner = next(m for m in history if m.checkpoint_ns and m.step == 1)
        shown = node_states(picture, checkpoint_activity(source.load_state(inner)))
    assert shown["research:search"].state == WROTE
    assert shown["research:summarize"].state == NEXT
    assert {shown[i].state for i in ("plan", "review", "publish", END)} == {IDLE}
