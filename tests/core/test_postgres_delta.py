"""Delta channels on Postgres read back exactly as LangGraph reports them.

The delta test graphs (deepagents, ``create_agent`` opting in, a graph with a subgraph,
reducers Rewind cannot know) run through ``PostgresSaver``; every checkpoint of every
namespace and branch is read by Rewind as a SELECT-only role and compared with
``get_state`` of the same graph on the same database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from desktop.core.live_json import to_jsonable
from desktop.core.model import user_channels
from desktop.core.sources import open_source
from tests.builders import open_saver
from tests.core.test_delta import assert_the_walks_snapshot_is_shown_as_decoded
from tests.delta_builders import (
    DeltaDb,
    build_chat_db,
    build_create_agent_db,
    build_deep_agent_db,
    build_tally_db,
    chat_graph,
    create_agent_graph,
    deep_agent_graph,
    tally_graph,
)
from tests.postgres import PgServer

BUILDERS: dict[str, tuple[Callable[[Any], DeltaDb], Callable[[Any], Any]]] = {
    "deep": (build_deep_agent_db, deep_agent_graph),
    "chat": (build_chat_db, chat_graph),
    "lookup": (build_create_agent_db, create_agent_graph),
    "tally": (build_tally_db, tally_graph),
}


@pytest.fixture(scope="module")
def delta_pg(pg_server: PgServer) -> dict[str, tuple[DeltaDb, str]]:
    """Each delta database on Postgres, with a SELECT-only URL to read it."""
    built = {}
    for name, (build, _factory) in BUILDERS.items():
        database = pg_server.create_database(f"delta_{name}")
        built[name] = (build(database.url), database.select_only_url())
    return built


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_checkpoint_equals_langgraphs_get_state(delta_pg, name: str) -> None:
    db, reader_url = delta_pg[name]
    factory = BUILDERS[name][1]
    rebuilt = 0
    with open_saver(db.path) as saver, open_source(reader_url) as source:
        graph = factory(saver)
        for thread_id in db.thread_ids:
            for meta in source.history(thread_id):
                config = {
                    "configurable": {
                        "thread_id": thread_id,
                        "checkpoint_ns": meta.checkpoint_ns,
                        "checkpoint_id": meta.checkpoint_id,
                    }
                }
                truth = to_jsonable(dict(graph.get_state(config).values))
                state = source.load_state(meta)
                assert state.error is None
                if name == "tally":
                    # Reducers Rewind cannot know stay unfolded (seed + writes), as on SQLite.
                    assert set(state.unfolded) <= set(state.reconstructed)
                    truth = {k: v for k, v in truth.items() if k not in state.unfolded}
                    ours = {
                        k: v
                        for k, v in user_channels(state.values).items()
                        if k not in state.unfolded
                    }
                    assert ours == truth, f"{meta.checkpoint_ns!r} {meta.checkpoint_id}"
                else:
                    assert user_channels(state.values) == truth, (
                        f"{meta.checkpoint_ns!r} {meta.checkpoint_id}"
                    )
                rebuilt += bool(state.reconstructed)
    assert rebuilt > 0, "some checkpoints were rebuilt from their delta history"


def test_a_snapshot_decoded_by_the_walk_is_shown_without_decoding_it_again(delta_pg) -> None:
    assert_the_walks_snapshot_is_shown_as_decoded(delta_pg["deep"][1])
