"""Forking a deepagents thread from its rebuilt state, as the fork editor does.

The state shown (delta channels rebuilt without the graph) is edited as JSON, turned
into an update by ``fork_values_from_edit`` with the graph's channel kinds, and written
by ``runner.fork``; LangGraph's own ``get_state`` of the fork must equal the edit, and
Rewind's reading of it must equal LangGraph's.
"""

from __future__ import annotations

import copy
from pathlib import Path

from desktop.core.fork_edit import fork_values_from_edit
from desktop.core.forking import channel_kinds, fork_live
from desktop.core.graphs import LoadedGraph
from desktop.core.live_json import to_jsonable
from desktop.core.model import user_channels
from desktop.core.runner import fork
from desktop.core.savers import open_read_saver
from desktop.core.sources.sqlite import SqliteCheckpointSource
from tests.delta_builders import build_deep_agent_db, deep_agent_graph


def test_deepagents_channels_are_message_and_reducer_kinds() -> None:
    graph = LoadedGraph.from_object(deep_agent_graph(None), spec="tests:deep")
    kinds = channel_kinds(graph)
    assert kinds["messages"] == "messages"
    assert kinds["files"] == "reducer"


async def test_fork_of_a_deepagents_checkpoint_writes_the_edited_state(tmp_path: Path) -> None:
    path = build_deep_agent_db(tmp_path / "deep.db", notes=3).path
    graph = LoadedGraph.from_object(deep_agent_graph(None), spec="tests:deep")
    with SqliteCheckpointSource(path) as source:
        head = source.history("deep-notes")[0]
        original = user_channels(source.load_state(head).values)
    edited = copy.deepcopy(original)
    removed = edited["messages"].pop(-2)
    edited["messages"][-1]["content"] = "Edited answer."
    edited["files"].pop("/notes.txt")
    edited["files"]["/extra.md"] = {**next(iter(edited["files"].values())), "content": "extra"}
    assert removed["id"]

    live = await fork_live(graph, path, "deep-notes", head.checkpoint_id)
    update = fork_values_from_edit(original, edited, channel_kinds(graph), live=live)
    new_id = await fork(graph, path, "deep-notes", head.checkpoint_id, update, as_node="model")

    config = {"configurable": {"thread_id": "deep-notes", "checkpoint_id": new_id}}
    async with open_read_saver(path, allowed_types=graph.msgpack_allowlist) as saver:
        truth = to_jsonable(dict((await graph.bind(saver).aget_state(config)).values))
    assert truth["messages"] == edited["messages"]
    assert truth["files"] == edited["files"]
    with SqliteCheckpointSource(path) as source:
        fork_meta = next(m for m in source.history("deep-notes") if m.checkpoint_id == new_id)
        assert user_channels(source.load_state(fork_meta).values) == truth
