"""A graph whose state is a plain ``typing.TypedDict``: LangGraph cannot build its input
schema on Python < 3.12, yet the form has a field per input key and ``rewind run --input
TEXT`` names the keys the graph takes instead of a ``messages`` key it never had."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.input_form import form_input, input_fields_of
from desktop.core.inputs import check_text_input
from tests.builders import langgraph_state_after, read_saver, thread_config
from tests.data.plain_typeddict_graph import SCHEMA_FAILS, chat_app, notes_app, notes_graph

SPEC = f"{Path(__file__).resolve().parents[1] / 'data' / 'plain_typeddict_graph.py'}:notes_app"
GIVEN = {"question": "why is the sky blue?", "notes": ["asked twice"]}

pytestmark = pytest.mark.skipif(
    not SCHEMA_FAILS, reason="pydantic builds a typing.TypedDict schema on Python >= 3.12"
)


def test_the_form_has_a_field_per_input_key_when_the_schema_cannot_be_built() -> None:
    with pytest.raises(Exception, match=r"typing_extensions\.TypedDict"):
        notes_app.get_input_jsonschema()
    fields = input_fields_of(notes_app)
    assert [(f.name, f.kind) for f in fields] == [("question", "json"), ("notes", "json")]
    assert "type is unknown" in fields[0].description
    assert "typing_extensions.TypedDict" in fields[0].description
    assert form_input(fields, GIVEN) == GIVEN
    chat = input_fields_of(chat_app)
    assert [(f.name, f.kind) for f in chat] == [("messages", "messages"), ("topic", "json")]
    assert form_input(chat, {"messages": "hi", "topic": None}) == {
        "messages": [{"role": "user", "content": "hi"}]
    }
    check_text_input(chat_app)  # a graph with messages takes text


def test_cli_text_input_names_the_graph_keys_and_json_input_runs_as_invoke(
    capsys, tmp_path: Path
) -> None:
    db = tmp_path / "notes.sqlite"
    code = main(["run", str(db), "--graph", SPEC, "--thread", "t", "--input", "hello"])
    err = capsys.readouterr().err
    assert code == 1 and "messages" not in err
    assert err == (
        "rewind: error: Input refused, nothing was written: --input TEXT sends a chat message "
        "and this graph takes none; give its input keys (question, notes) as JSON: "
        """--input-json '{"question": ...}'\n"""
    )
    assert not db.exists(), "a refused input created the database"

    given = json.dumps(GIVEN)
    code = main(["run", str(db), "--graph", SPEC, "--thread", "t", "--input-json", given])
    assert code == 0, capsys.readouterr().err
    truth = langgraph_state_after(notes_graph, tmp_path / "truth.sqlite", GIVEN, "t")
    with read_saver(db) as saver:
        state = notes_graph(saver).get_state(thread_config("t"))
    assert state.values == truth.values
    assert state.values["notes"] == ["asked twice", "answered"]
    assert state.values["answer"] == "re: why is the sky blue?"
    assert state.next == truth.next == ()
