"""Postgres databases written by real graphs through ``PostgresSaver``, for the tests.

The same builders as the SQLite fixtures (``tests.builders``) run against a database on
the session's PostgreSQL server: one database holds every graph's threads, like a
production database shared by several agents.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.builders import (
    AgentDb,
    ErrorDb,
    FanoutDb,
    ForkDb,
    InterruptDb,
    PydanticDb,
    batch_graph,
    build_agent_db,
    build_error_db,
    build_fanout_db,
    build_fork_db,
    build_interrupt_db,
    build_pydantic_db,
    fanout_graph,
    order_graph,
    review_graph,
    steps_graph,
    thread_config,
    tool_agent_graph,
)
from tests.postgres import PgDatabase


@dataclass(frozen=True)
class PgGraphs:
    """One Postgres database with the threads of six real graphs.

    ``url`` connects as the superuser, ``reader_url`` as a role that can only SELECT.
    Each builder result's ``path`` is the URL. ``graphs`` maps every thread id to the
    factory of the graph that wrote it (for LangGraph's own answers).
    """

    database: PgDatabase
    url: str
    reader_url: str
    agent: AgentDb
    fanout: FanoutDb
    interrupt: InterruptDb
    error: ErrorDb
    pydantic: PydanticDb
    fork: ForkDb

    @property
    def graphs(self) -> dict[str, object]:
        factories = {
            **dict.fromkeys(self.agent.thread_ids, tool_agent_graph),
            self.fanout.thread_id: fanout_graph,
            self.interrupt.thread_id: review_graph,
            self.error.thread_id: batch_graph,
            self.pydantic.thread_id: order_graph,
            self.fork.thread_id: steps_graph,
        }
        return factories


def build_pg_graphs(database: PgDatabase) -> PgGraphs:
    """Run every test graph against ``database`` through ``PostgresSaver``."""
    url = database.url
    agent = build_agent_db(url)
    fanout = build_fanout_db(url)
    interrupt = build_interrupt_db(url)
    error = build_error_db(url)
    pydantic = build_pydantic_db(url)
    fork = build_fork_db(url)
    return PgGraphs(
        database=database,
        url=url,
        reader_url=database.select_only_url(),
        agent=agent,
        fanout=fanout,
        interrupt=interrupt,
        error=error,
        pydantic=pydantic,
        fork=fork,
    )


@dataclass(frozen=True)
class ShallowPg:
    """A database written by ``ShallowPostgresSaver``: the latest checkpoint only."""

    url: str
    reader_url: str
    agent_thread: str
    interrupt_thread: str
    fanout_thread: str


def build_shallow_pg(database: PgDatabase) -> ShallowPg:
    """Two turns of the tool agent, a paused review and a fan-out, kept shallow."""
    import warnings

    from langchain_core.messages import HumanMessage
    from langgraph.checkpoint.postgres.shallow import ShallowPostgresSaver

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with ShallowPostgresSaver.from_conn_string(database.url) as saver:
            saver.setup()
            agent = tool_agent_graph(saver)
            for question in ("What is the weather in Paris?", "And in Oslo?"):
                agent.invoke({"messages": [HumanMessage(question)]}, thread_config("shallow-agent"))
            review_graph(saver).invoke({"request": "a refund"}, thread_config("shallow-review"))
            fanout_graph(saver).invoke({"topics": ["tides", "wind"]}, thread_config("shallow-fan"))
    return ShallowPg(
        database.url, database.select_only_url(), "shallow-agent", "shallow-review", "shallow-fan"
    )
