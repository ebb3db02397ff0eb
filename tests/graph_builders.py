"""A real database for the graph-picture tests, written by ``tests/data/graph_view_graphs.py``.

``pricing``: ``pipeline`` asked twice (answered "no", then "yes"), so it loops once
through the conditional edge and finishes; ``waiting``: stopped at the interrupt,
unanswered; ``broken``: ``failing`` raised in ``explode``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from langgraph.types import Command

from desktop.core.graphs import load_graph
from tests.builders import open_saver, thread_config

GRAPHS_FILE = Path(__file__).resolve().parent / "data" / "graph_view_graphs.py"
PIPELINE_SPEC = f"{GRAPHS_FILE}:pipeline"
FAILING_SPEC = f"{GRAPHS_FILE}:failing"


@dataclass(frozen=True)
class PipelineDb:
    """Where the database is and its thread ids."""

    path: Path | str
    thread_id: str = "pricing"
    failed_thread: str = "broken"
    waiting_thread: str = "waiting"


def build_pipeline_db(path: Path | str) -> PipelineDb:
    """Run the three threads into ``path`` with langgraph's ``SqliteSaver`` (or, for a
    ``postgresql://`` URL, its ``PostgresSaver``)."""
    pipeline = load_graph(PIPELINE_SPEC)
    failing = load_graph(FAILING_SPEC)
    db = PipelineDb(path)
    with open_saver(path) as saver:
        graph = pipeline.bind(saver)
        config = thread_config(db.thread_id)
        graph.invoke({"topic": "pricing", "log": []}, config)
        graph.invoke(Command(resume="no"), config)
        graph.invoke(Command(resume="yes"), config)
        graph.invoke({"topic": "pricing", "log": []}, thread_config(db.waiting_thread))
        try:
            failing.bind(saver).invoke({"log": []}, thread_config(db.failed_thread))
        except ValueError:
            pass
        else:
            raise AssertionError("the failing graph did not fail")
    return db
