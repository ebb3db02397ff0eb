"""The input form's fields read from JSON Schemas as LangGraph writes them, and back."""

from __future__ import annotations

import pytest

from desktop.core.errors import RewindError
from desktop.core.graphs import load_graph
from desktop.core.input_form import (
    MESSAGES_ONLY,
    form_entries,
    form_input,
    input_fields,
    input_fields_of,
)


def test_fields_from_schemas_and_back() -> None:
    assert input_fields({"type": "object", "additionalProperties": True}) == MESSAGES_ONLY
    schema = {
        "$defs": {"Color": {"enum": ["red", "blue"], "type": "string"}},
        "properties": {
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "color": {"$ref": "#/$defs/Color"},
            "point": {"type": "object"},
        },
    }
    fields = input_fields(schema)
    assert [(f.name, f.kind) for f in fields] == [
        ("note", "text"), ("color", "choice"), ("point", "json"),
    ]  # fmt: skip
    assert form_input(fields, {"note": "", "color": None, "point": {"x": 1}}) == {"point": {"x": 1}}
    assert form_input(MESSAGES_ONLY, {"messages": "  "}) is None, "empty continues the thread"
    assert form_entries(fields, {"color": "red"}) == {"color": "red"}


def test_fields_of_real_graphs() -> None:
    demo = input_fields_of(load_graph("demo").graph)
    assert [(f.name, f.kind) for f in demo] == [("messages", "messages"), ("approval", "text")]
    typed = input_fields_of(load_graph("tests/truth_graphs.py:typed_app").graph)
    kinds = {f.name: f.kind for f in typed}
    assert kinds == {
        "color": "choice",
        "point": "json",
        "owner": "json",
        "when": "text",
        "note": "text",
    }
    functional = input_fields_of(load_graph("tests/truth_graphs.py:functional_app").graph)
    assert functional == MESSAGES_ONLY, "an entrypoint takes the message box, as before"


def test_json_the_form_cannot_show_is_named() -> None:
    fields = input_fields_of(load_graph("demo").graph)
    two = [{"role": "user", "content": "a"}, {"role": "ai", "content": "b"}]
    with pytest.raises(RewindError, match="messages holds more than one user message"):
        form_entries(fields, {"messages": two})
    with pytest.raises(RewindError, match="approval = 3 does not fit its text field"):
        form_entries(fields, {"approval": 3})
    with pytest.raises(RewindError, match="not list"):
        form_entries(fields, [1])
    entries = form_entries(fields, {"messages": [{"role": "user", "content": "hi"}]})
    assert form_input(fields, entries) == {"messages": [{"role": "user", "content": "hi"}]}
