"""Stores written by LangGraph itself: a deepagents agent keeping ``/memories/`` in the
Store, plus items put through the store's own API (TTL, embeddings, unicode, a namespace
big enough to page). Used for SQLite here and for Postgres by the Postgres tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore, Item
from langgraph.store.sqlite import SqliteStore

from desktop.core.demo.scripted_model import ScriptedChatModel
from tests.builders import open_saver, thread_config

MEMORY_NAMESPACE = ("user-7", "filesystem")
MEMORY_FILE = "/preferences.md"
MEMORY_TEXT = "# Preferences\n\n- answers in French\n- likes pizza margherita"
BULK_NAMESPACE = ("bulk", "rows")
BULK_ITEMS = 230
EMBED_DIMS = 8


class HashEmbeddings(Embeddings):
    """Deterministic offline embeddings: a text's SHA-256 as ``EMBED_DIMS`` floats."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [byte / 255 for byte in digest[:EMBED_DIMS]]


INDEX_CONFIG: dict[str, Any] = {
    "dims": EMBED_DIMS,
    "embed": HashEmbeddings(),
    "fields": ["text"],
}
"""Only values with a ``text`` field get an embedding (``store_vectors`` rows)."""


@dataclass(frozen=True)
class StoreDb:
    """A database holding checkpoints and a Store; ``embedded`` items have vectors."""

    location: str
    memory_thread: str
    embedded: frozenset[tuple[tuple[str, ...], str]]
    with_ttl: tuple[tuple[str, ...], str]


def memory_agent(checkpointer: BaseCheckpointSaver, store: BaseStore) -> Any:
    """A deepagents agent whose ``/memories/`` live in the Store (per-user namespace)."""
    from deepagents import create_deep_agent
    from deepagents.backends import CompositeBackend, StateBackend, StoreBackend

    replies = [
        AIMessage(
            "Saving that.",
            tool_calls=[
                {
                    "name": "write_file",
                    "args": {"file_path": f"/memories{MEMORY_FILE}", "content": MEMORY_TEXT},
                    "id": "call-write",
                }
            ],
        ),
        AIMessage("I will remember your preferences."),
    ]
    backend = CompositeBackend(
        default=StateBackend(),
        routes={"/memories/": StoreBackend(namespace=lambda _rt: MEMORY_NAMESPACE)},
    )
    return create_deep_agent(
        model=ScriptedChatModel(responder=replies),
        backend=backend,
        checkpointer=checkpointer,
        store=store,
    )


def fill_store(store: BaseStore, checkpointer: BaseCheckpointSaver) -> StoreDb:
    """Run the memory agent and put the other items through ``store.put``; with an
    index configured, the two ``profile`` items get embeddings."""
    thread = "memory-thread"
    agent = memory_agent(checkpointer, store)
    agent.invoke({"messages": [HumanMessage("Remember: French, pizza.")]}, thread_config(thread))
    store.put(("users", "alice"), "profile", {"text": "Alice likes hiking", "age": 41})
    store.put(("users", "bob"), "profile", {"text": "Bob — Ünïcode café ☕", "age": 29})
    store.put(("users", "alice"), "settings", {"theme": "dark", "beta": True}, index=False)
    store.put(("session",), "token", {"value": "short-lived"}, ttl=90, index=False)
    store.put(("users-archive",), "carol", {"note": "sorts after users.*"}, index=False)
    for n in range(BULK_ITEMS):
        store.put(BULK_NAMESPACE, f"row-{n:04d}", {"n": n, "even": n % 2 == 0}, index=False)
    indexed = getattr(store, "index_config", None) is not None
    embedded = (
        frozenset({(("users", "alice"), "profile"), (("users", "bob"), "profile")})
        if indexed
        else frozenset()
    )
    return StoreDb("", thread, embedded, (("session",), "token"))


def build_sqlite_store_db(path: Path) -> StoreDb:
    """A SQLite file holding a ``SqliteSaver``'s checkpoints and a ``SqliteStore``.

    Without an index: ``SqliteStore`` embeddings need sqlite-vec loaded as an extension,
    which not every Python's sqlite3 allows (Postgres tests cover ``store_vectors``)."""
    with open_saver(path) as saver, _sqlite_store(path) as store:
        built = fill_store(store, saver)
    return StoreDb(str(path), built.memory_thread, built.embedded, built.with_ttl)


@contextmanager
def _sqlite_store(path: Path) -> Iterator[SqliteStore]:
    with SqliteStore.from_conn_string(str(path)) as store:
        store.setup()
        yield store


def search_everything(store: BaseStore) -> list[Item]:
    """LangGraph's own answer: a complete ``store.search`` over every namespace."""
    found: list[Item] = []
    page = 500
    while True:
        batch = store.search((), limit=page, offset=len(found))
        found.extend(batch)
        if len(batch) < page:
            return found


def sqlite_truth(path: str) -> list[Item]:
    """``search_everything`` on a SQLite Store (opened by LangGraph, setup not run)."""
    with SqliteStore.from_conn_string(path) as store:
        return search_everything(store)


def build_postgres_store_db(url: str) -> StoreDb:
    """A Postgres database holding a ``PostgresSaver``'s checkpoints and a
    ``PostgresStore`` with a pgvector index (``store_vectors`` rows for ``text`` fields)."""
    from langgraph.checkpoint.postgres import PostgresSaver
    from langgraph.store.postgres import PostgresStore

    with (
        PostgresSaver.from_conn_string(url) as saver,
        PostgresStore.from_conn_string(url, index=INDEX_CONFIG) as store,
    ):
        saver.setup()
        store.setup()
        built = fill_store(store, saver)
    return StoreDb(url, built.memory_thread, built.embedded, built.with_ttl)


def postgres_truth(url: str) -> list[Item]:
    """``search_everything`` on a Postgres Store (setup not run)."""
    from langgraph.store.postgres import PostgresStore

    with PostgresStore.from_conn_string(url) as store:
        return search_everything(store)
