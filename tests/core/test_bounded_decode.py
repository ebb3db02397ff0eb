"""Big blobs are decoded in bounded pieces (no long GIL hold), to exactly the values a
whole ``ormsgpack`` decode gives, and to what LangGraph's ``get_state`` reads.

The event-loop stall itself is measured by ``benchmarks/bench_huge_state.py``.
"""

from __future__ import annotations

import gc
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ormsgpack
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.types import Send
from pydantic import BaseModel

from desktop.core import msgpack_chunks
from desktop.core.decode import KNOWN_EXT_CODES, decode_typed, ext_record, jsonable_data
from desktop.core.heap import BIG_VALUE_BYTES
from desktop.core.isolate import decode_value
from desktop.core.sources import open_source
from tests.builders import open_saver, thread_config
from tests.builders_huge import huge_graph

SERDE = JsonPlusSerializer()
OPTIONS = ormsgpack.OPT_NON_STR_KEYS


class Catalog(BaseModel):
    name: str
    skus: list[str]


def langgraph_values() -> dict[str, Any]:
    """A state with every shape LangGraph stores: messages (ext records), a pydantic model
    whose payload is itself big, non-string keys, bytes, datetimes, sets, Send."""
    return {
        "messages": [
            HumanMessage(content="x" * 300_000, id="h-1"),
            *(AIMessage(content=f"reply {i}", id=f"ai-{i}") for i in range(2_000)),
        ],
        "catalog": Catalog(name="big", skus=[f"sku-{i}" for i in range(40_000)]),
        "by_number": {i: {"n": i, 2.5: [i, None, True]} for i in range(3_000)},
        "blobs": [b"\x00\xff" * 1_000, {b"key": b"value"}],
        "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "tags": {"a", "b"},
        "send": Send("worker", {"x": 1}),
        "items": [f"item-{i:07d}" for i in range(60_000)],
        "deep": [[[[list(range(5_000))]]]],
    }


def raw_hook(code: int, data: bytes) -> tuple[int, bytes]:
    return code, data


def whole_hook(code: int, data: bytes) -> Any:
    """``decode._ext_hook`` with every payload decoded in one ``ormsgpack`` call."""
    assert code in KNOWN_EXT_CODES
    return ext_record(code, ormsgpack.unpackb(data, ext_hook=whole_hook, option=OPTIONS))


@pytest.fixture(params=["default", "tiny"])
def chunking(request, monkeypatch) -> str:
    """The default bounds, and tiny ones that split every container there is."""
    if request.param == "tiny":
        monkeypatch.setattr(msgpack_chunks, "CHUNK_BYTES", 64)
        monkeypatch.setattr(msgpack_chunks, "CHUNK_ITEMS", 3)
    return request.param


def test_bounded_decode_gives_what_one_ormsgpack_call_gives(chunking):
    type_, blob = SERDE.dumps_typed(langgraph_values())
    assert type_ == "msgpack" and len(blob) > 4 * msgpack_chunks.CHUNK_BYTES

    whole = ormsgpack.unpackb(blob, ext_hook=raw_hook, option=OPTIONS)
    assert msgpack_chunks.unpackb(blob, raw_hook) == whole
    expected = jsonable_data(ormsgpack.unpackb(blob, ext_hook=whole_hook, option=OPTIONS))
    decoded = decode_typed(type_, blob)
    assert decoded == expected
    assert decode_value(type_, blob) == expected
    assert list(decoded["by_number"]) == [str(i) for i in range(3_000)]
    assert decoded["catalog"]["skus"][-1] == "sku-39999"


def test_no_single_ormsgpack_call_decodes_more_than_a_bounded_piece(monkeypatch):
    calls: list[int] = []
    real = ormsgpack.unpackb

    def recording(buf, *args, **kwargs):
        calls.append(len(buf))
        return real(buf, *args, **kwargs)

    type_, blob = SERDE.dumps_typed(langgraph_values())
    monkeypatch.setattr(ormsgpack, "unpackb", recording)
    decoded = decode_typed(type_, blob)
    assert len(decoded["items"]) == 60_000
    assert len(calls) > 10
    # A run closes once it reaches the bound, so it holds less than twice the bound; the
    # 300,000-character message content is one string, decoded by itself.
    assert max(calls) < 2 * msgpack_chunks.CHUNK_BYTES + 16


def test_a_truncated_big_blob_keeps_the_items_before_the_damage():
    items = [f"item-{i:07d}" for i in range(100_000)]
    type_, blob = SERDE.dumps_typed(items)
    decoded = decode_value(type_, blob[: len(blob) // 2])
    assert decoded[:40_000] == items[:40_000]
    assert decoded[-1]["__type__"] == "unreadable"
    assert "could not be delimited" in decoded[-1]["error"]


@pytest.mark.parametrize("backend", ["sqlite", "sqlite-without-rowid", "postgres"])
def test_a_huge_checkpoint_reads_as_langgraph_get_state(tmp_path, request, backend):
    location: Any = tmp_path / "huge.sqlite"
    if backend == "postgres":
        location = request.getfixturevalue("pg_db").url
    config = thread_config("huge")
    with open_saver(location) as saver:
        graph = huge_graph(saver)
        graph.invoke({"size": 200_000}, config, interrupt_before=["note"])
        snapshot = graph.get_state(config)
    assert snapshot.next == ("note",)
    if backend == "sqlite-without-rowid":
        _without_rowid(location)
    with open_source(location) as source:
        (summary,) = source.list_threads()
        state, loading, _ = [source.load_state(meta) for meta in source.history("huge")]
    assert state.error is None
    assert state.values["items"] == snapshot.values["items"]
    assert {key: state.values[key] for key in snapshot.values} == snapshot.values
    assert summary.next_nodes == state.next_nodes == snapshot.next
    # The 2.6 MB write of the list, saved against the checkpoint that ran "load".
    (write,) = [w for w in loading.pending_writes if w.channel == "items"]
    assert write.error is None and write.value == snapshot.values["items"]


def _without_rowid(path: Path) -> None:
    """The ``checkpoints`` table rebuilt as a ``WITHOUT ROWID`` table (same rows): its
    values are then fetched with their rows, not read in pieces by rowid."""
    with closing(sqlite3.connect(path)) as conn, conn:
        columns = ", ".join(row[1] for row in conn.execute("PRAGMA table_info(checkpoints)"))
        conn.execute(
            f"CREATE TABLE copy ({columns}, "
            "PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)) WITHOUT ROWID"
        )
        conn.execute(f"INSERT INTO copy SELECT {columns} FROM checkpoints")
        conn.execute("DROP TABLE checkpoints")
        conn.execute("ALTER TABLE copy RENAME TO checkpoints")


def test_a_big_decoded_value_is_kept_out_of_young_collections():
    type_, blob = SERDE.dumps_typed([f"item-{i:07d}" for i in range(400_000)])
    assert len(blob) >= BIG_VALUE_BYTES
    frozen = gc.get_freeze_count()
    value = decode_value(type_, blob)
    assert len(value) == 400_000
    # No young (nor full) collection walks its 400,000 items again.
    assert gc.get_freeze_count() > frozen
    assert not any(item is value for generation in range(3) for item in gc.get_objects(generation))
