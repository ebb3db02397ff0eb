"""Safe decoding: LangGraph's own serializer writes, Rewind reads without importing."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from uuid import UUID

import ormsgpack
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.types import Interrupt, Send
from pydantic import BaseModel

from desktop.core.decode import DecodeError, decode_metadata, decode_typed
from desktop.core.live_json import to_jsonable
from desktop.core.value_shapes import is_message

SERDE = JsonPlusSerializer()


class Address(BaseModel):
    city: str


class Profile(BaseModel):
    name: str
    address: Address


def roundtrip(value):
    return decode_typed(*SERDE.dumps_typed(value))


def test_messages_decode_to_readable_dicts():
    ai = AIMessage(
        content="Let me check.",
        id="ai-1",
        tool_calls=[{"name": "search", "args": {"q": "pricing"}, "id": "call-1"}],
    )
    tool = ToolMessage(content="3 results", tool_call_id="call-1", id="tool-1", name="search")
    decoded = roundtrip({"messages": [HumanMessage(content="hi", id="h-1"), ai, tool]})

    human, ai_out, tool_out = decoded["messages"]
    assert human == {"type": "human", "id": "h-1", "content": "hi"}
    assert ai_out["type"] == "ai"
    assert ai_out["tool_calls"][0]["name"] == "search"
    assert ai_out["tool_calls"][0]["args"] == {"q": "pricing"}
    assert tool_out["tool_call_id"] == "call-1"
    assert all(is_message(m) for m in decoded["messages"])


def test_live_and_stored_messages_have_the_same_shape():
    message = AIMessage(content="same", id="m-1")
    assert to_jsonable(message) == roundtrip(message)


def test_common_types_become_plain_data():
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    uid = UUID("12345678-1234-5678-1234-567812345678")
    decoded = roundtrip(
        {
            "when": when,
            "uid": uid,
            "tags": {"b"},
            "send": Send("worker", {"x": 1}),
            "interrupt": Interrupt(value={"question": "ok?"}, id="int-1"),
        }
    )
    assert decoded["when"] == when.isoformat()
    assert decoded["uid"] == str(uid)
    assert decoded["tags"] == ["b"]
    assert decoded["send"] == {"__type__": "Send", "node": "worker", "arg": {"x": 1}}
    assert decoded["interrupt"]["value"] == {"question": "ok?"}
    assert decoded["interrupt"]["id"] == "int-1"


def test_user_classes_are_shown_as_data_and_never_imported():
    decoded = roundtrip(Profile(name="Ada", address=Address(city="London")))
    assert decoded["__type__"] == f"{__name__}.Profile"
    assert decoded["name"] == "Ada"
    assert decoded["address"] == {"city": "London"}


def test_constructor_records_never_run(tmp_path):
    marker = tmp_path / "pwned"
    for code in (0, 1, 2, 3):
        payload = ["os", "system", f"touch {marker}"]
        if code == 1:
            payload[2] = [f"touch {marker}"]
        if code == 2:
            payload[2] = {"command": f"touch {marker}"}
        if code == 3:
            payload.append("system")
        blob = ormsgpack.packb({"x": ormsgpack.Ext(code, ormsgpack.packb(payload))})
        decoded = decode_typed("msgpack", blob)
        assert decoded["x"]["__type__"] == "os.system"
    assert not marker.exists()


def test_unknown_module_is_not_imported():
    blob = ormsgpack.packb(
        ormsgpack.Ext(2, ormsgpack.packb(["rewind_never_imported_module", "Thing", {"a": 1}]))
    )
    assert decode_typed("msgpack", blob) == {
        "__type__": "rewind_never_imported_module.Thing",
        "a": 1,
    }
    assert "rewind_never_imported_module" not in sys.modules


def test_pickle_is_refused():
    with pytest.raises(DecodeError, match="pickle"):
        decode_typed("pickle", b"cos\nsystem\n(S'true'\ntR.")


def test_garbage_and_unknown_types_give_one_line_errors():
    with pytest.raises(DecodeError, match="invalid msgpack"):
        decode_typed("msgpack", b"\xc1\xc1\xc1")
    with pytest.raises(DecodeError, match="unknown serialization type"):
        decode_typed("yaml", b"a: 1")


def test_null_bytes_and_json_types():
    assert decode_typed("null", b"") is None
    assert decode_typed("bytes", b"\x00\x01")["size"] == 2
    assert decode_typed("json", b'{"a": [1, 2]}') == {"a": [1, 2]}


def test_metadata_must_be_a_json_object():
    assert decode_metadata(b'{"step": 1}') == {"step": 1}
    assert decode_metadata(None) == {}
    with pytest.raises(DecodeError, match="not JSON"):
        decode_metadata(b"{not json")
    with pytest.raises(DecodeError, match="not an object"):
        decode_metadata(b"[1, 2]")


def test_non_string_keys_and_floats_are_json_safe():
    decoded = roundtrip({1: float("nan"), 2: 1.5})
    assert decoded == {"1": "nan", "2": 1.5}


def test_streamed_chunks_have_the_message_role_type():
    from langchain_core.messages import AIMessageChunk

    chunk = AIMessageChunk(content="tok", id="run-1")
    assert to_jsonable(chunk)["type"] == "ai"


def test_channel_decode_leaves_other_channels_snapshots_packed(tmp_path) -> None:
    """The delta walk asks one checkpoint for some channels: another channel's extension
    records (a messages snapshot) are never unpacked, and what is asked is unchanged."""
    from langchain_core.messages import AIMessage
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    import desktop.core.decode as decode

    checkpoint = {
        "channel_values": {
            "messages": [AIMessage(f"m{i}", id=f"m{i}") for i in range(50)],
            "files": {"/a": {"content": "x", "modified_at": "t"}},
        }
    }
    type_, blob = JsonPlusSerializer().dumps_typed(checkpoint)
    calls: list[int] = []
    real = decode._ext_hook

    def counting(code: int, data: bytes):
        calls.append(code)
        return real(code, data)

    decode._ext_hook = counting
    try:
        files = decode.decode_checkpoint_channels(type_, blob, ["files"])
        both = decode.decode_checkpoint_channels(type_, blob, ["files", "messages"])
    finally:
        decode._ext_hook = real
    assert files == {"files": {"/a": {"content": "x", "modified_at": "t"}}}
    assert [m["id"] for m in both["messages"]] == [f"m{i}" for i in range(50)]
    assert len(calls) == 50, "only the asked messages were unpacked"
