"""The thread filter finds threads by metadata (``key=value``) and by id words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.sources import open_source
from desktop.core.thread_filter import parse_thread_filter
from tests.builders import open_saver, steps_graph


@pytest.fixture(scope="module")
def named_threads_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Threads named the way the product document says: ``user-{id}-session-{id}``."""
    path = tmp_path_factory.mktemp("named") / "named.sqlite"
    with open_saver(path) as saver:
        graph = steps_graph(saver)
        for user, session, vip in ((42, "a", True), (42, "b", False), (7, "a", False)):
            config = {
                "configurable": {
                    "thread_id": f"user-{user}-session-{session}",
                    "user_id": user,
                    "vip": vip,
                },
                "metadata": {"tenant": "acme" if user == 42 else "globex", "score": 1.5},
            }
            graph.invoke({"value": 1, "log": []}, config)
    return path


def threads(path: Path, text: str) -> set[str]:
    with open_source(str(path)) as source:
        found = {t.thread_id for t in source.list_threads(text)}
        assert source.count_threads(text) == len(found)
    return found


def test_parse_splits_metadata_terms_from_id_words():
    parsed = parse_thread_filter("user_id=42  session tenant=acme")
    assert parsed.metadata == (("user_id", "42"), ("tenant", "acme"))
    assert parsed.id_text == "session"
    assert parse_thread_filter("  ").empty


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user_id=42", {"user-42-session-a", "user-42-session-b"}),
        ("user_id=7", {"user-7-session-a"}),
        ("vip=true", {"user-42-session-a"}),
        ("vip=false", {"user-42-session-b", "user-7-session-a"}),
        ("tenant=globex", {"user-7-session-a"}),
        ("score=1.5", {"user-42-session-a", "user-42-session-b", "user-7-session-a"}),
        ("user_id=42 session-b", {"user-42-session-b"}),
        ("user_id=42 tenant=globex", set()),
        ("user_id=4", set()),
        ("session-a", {"user-42-session-a", "user-7-session-a"}),
        ("nobody=1", set()),
    ],
)
def test_metadata_and_id_terms(named_threads_db, text, expected):
    assert threads(named_threads_db, text) == expected


def test_threads_command_takes_the_same_syntax(capsys, named_threads_db):
    assert main(["threads", str(named_threads_db), "--filter", "user_id=42 vip=true"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [t["thread_id"] for t in out] == ["user-42-session-a"]


def test_metadata_filter_survives_metadata_that_is_not_json(hostile_db):
    with open_source(str(hostile_db.path)) as source:
        found = {t.thread_id for t in source.list_threads("source=loop")}
    assert hostile_db.clean_thread_id in found
