"""Subgraph checkpoints nest under the parent checkpoint named by their own
``metadata.parents`` (issue 7, section 3), checked against LangGraph's history."""

from __future__ import annotations

from desktop.core.history import build_timeline
from desktop.core.sources import open_source
from tests.builders import open_saver, thread_config
from tests.core.truth_check import checkpoint_config
from tests.truth_graphs import nested_graph


def _enclosing_checkpoint(item, ns):
    current = item.parent
    while current is not None:
        if current.kind == "checkpoint" and current.meta.checkpoint_ns == ns:
            return current.meta
        current = current.parent
    return None


def test_subgraphs_kept_across_two_turns_nest_under_each_turns_step(tmp_path):
    path = tmp_path / "nested.sqlite"
    with open_saver(path) as saver:
        graph = nested_graph(saver)
        graph.invoke({"log": []}, thread_config("n"))
        graph.invoke({"log": ["again"]}, thread_config("n"))
        namespaces = sorted(
            {
                t.config["configurable"]["checkpoint_ns"]
                for t in saver.list(thread_config("n"))
                if t.config["configurable"]["checkpoint_ns"]
            }
        )
        truth = {ns: list(graph.get_state_history(checkpoint_config("n", ns))) for ns in namespaces}
    assert namespaces == ["middle", "middle|inner"]
    with open_source(path) as source:
        timeline = build_timeline("n", source.history("n"))
    placed = 0
    for ns, snapshots in truth.items():
        parent_ns = ns.rpartition("|")[0]
        for snapshot in snapshots:
            key = (ns, snapshot.config["configurable"]["checkpoint_id"])
            anchor = _enclosing_checkpoint(timeline.items_by_key[key], parent_ns)
            assert (
                anchor is not None
                and anchor.checkpoint_id == snapshot.metadata["parents"][parent_ns]
            ), key
            placed += 1
    assert placed == sum(len(s) for s in truth.values()) > 10
    groups = [item for root in timeline.roots for item in root.walk() if item.kind == "subgraph"]
    middle_groups = [g for g in groups if g.label == "subgraph middle"]
    assert len(middle_groups) == 2
    turns = {_enclosing_checkpoint(g.children[0], "").checkpoint_id for g in middle_groups}
    assert len(turns) == 2
