"""The structural, message-aware state diff: what it reports, how it reads, how it renders."""

from __future__ import annotations

import copy
import itertools
import json

import pytest

from desktop.core.diff import diff_states
from desktop.core.diff_model import DiffEntry, render_diff_text
from desktop.core.sources import open_source
from tests.builders import AgentDb


def human(message_id: str | None, content: str) -> dict:
    return {"type": "human", "id": message_id, "content": content}


def ai(message_id: str | None, content: str, tool_calls: list[dict] | None = None) -> dict:
    message = {"type": "ai", "id": message_id, "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return message


def call(call_id: str | None, name: str, **args) -> dict:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def brief(entries: list[DiffEntry]) -> list[tuple[str, str]]:
    return [(entry.kind, entry.path_text) for entry in entries]


# --- equal states -------------------------------------------------------------------


def test_identical_states_built_separately_give_an_empty_diff():
    state = {
        "messages": [human("h1", "hi"), ai("a1", "hello", [call("c1", "search", q="x")])],
        "count": 3,
        "ratio": 0.5,
        "flags": [True, None, "x"],
        "nested": {"a": {"b": [1, {"c": "d"}]}},
    }
    diff = diff_states(state, copy.deepcopy(state))
    assert diff.is_empty
    assert diff.entries == []
    assert diff.summary() == "no changes"
    assert diff.to_json() == {"summary": "no changes", "counts": {}, "entries": []}
    assert render_diff_text(diff) == "no changes"


def test_dict_key_order_and_nan_values_are_not_changes():
    old = {"a": 1, "b": {"x": float("nan"), "y": 2}}
    new = {"b": {"y": 2, "x": float("nan")}, "a": 1}
    assert diff_states(old, new).is_empty


# --- plain structure ----------------------------------------------------------------


def test_nested_dict_keys_added_removed_and_changed_by_key_path():
    old = {"config": {"model": {"name": "small", "temperature": 0.2}, "retries": 3}}
    new = {"config": {"model": {"name": "large", "top_p": 0.9}, "retries": 3}}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("changed", "config.model.name"),
        ("removed", "config.model.temperature"),
        ("added", "config.model.top_p"),
    ]
    changed, removed, added = diff.entries
    assert changed.path == ("config", "model", "name")
    assert (changed.old, changed.new, changed.text_diff) == ("small", "large", None)
    assert (removed.old, removed.new) == (0.2, None)
    assert (added.old, added.new) == (None, 0.9)
    assert diff.summary() == "1 added, 1 removed, 1 changed"


def test_none_value_and_missing_key_are_different_things():
    removed = diff_states({"answer": None}, {})
    assert brief(removed.entries) == [("removed", "answer")]
    assert removed.entries[0].to_json() == {
        "kind": "removed",
        "path": ["answer"],
        "path_text": "answer",
        "old": None,
    }

    added = diff_states({}, {"answer": None})
    assert brief(added.entries) == [("added", "answer")]
    assert added.entries[0].to_json() == {
        "kind": "added",
        "path": ["answer"],
        "path_text": "answer",
        "new": None,
    }

    changed = diff_states({"answer": None}, {"answer": 0})
    assert brief(changed.entries) == [("changed", "answer")]
    assert (changed.entries[0].old, changed.entries[0].new) == (None, 0)


def test_type_change_is_one_change_of_the_whole_value():
    old = {"plan": {"steps": 2, "done": False}}
    new = {"plan": ["step one", "step two"]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [("changed", "plan")]
    assert diff.entries[0].old == {"steps": 2, "done": False}
    assert diff.entries[0].new == ["step one", "step two"]


def test_numbers_and_booleans_are_compared_strictly():
    diff = diff_states({"a": 1, "b": 1, "c": 0}, {"a": True, "b": 1.0, "c": False})
    assert [(e.path_text, e.old, e.new) for e in diff.entries] == [
        ("a", 1, True),
        ("b", 1, 1.0),
        ("c", 0, False),
    ]


def test_plain_lists_are_compared_by_index():
    diff = diff_states({"scores": [1, 2, 3], "tags": ["a"]}, {"scores": [1, 5], "tags": ["a", "b"]})
    assert brief(diff.entries) == [
        ("changed", "scores[1]"),
        ("removed", "scores[2]"),
        ("added", "tags[1]"),
    ]
    assert [(e.old, e.new) for e in diff.entries] == [(2, 5), (3, None), (None, "b")]


def test_values_the_reader_could_not_import_are_diffed_as_dicts():
    old = {"order": {"__type__": "shop.models.Order", "total": 10, "items": ["tea"]}}
    new = {"order": {"__type__": "shop.models.Order", "total": 12, "items": ["tea", "jam"]}}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [("changed", "order.total"), ("added", "order.items[1]")]


def test_path_text_quotes_keys_that_are_not_identifiers():
    diff = diff_states({"branch:to:agent": None, "a": {"my key": 1}}, {"a": {"my key": 2}})
    assert brief(diff.entries) == [
        ("removed", '["branch:to:agent"]'),
        ("changed", 'a["my key"]'),
    ]


def test_two_different_scalars_at_the_root_are_one_change():
    diff = diff_states(1, "one")
    assert brief(diff.entries) == [("changed", "(root)")]
    assert diff.entries[0].path == ()


# --- message lists ------------------------------------------------------------------


def test_messages_are_matched_by_id_not_by_position():
    old = {"messages": [human("h1", "hi"), ai("a1", "hello"), human("h2", "bye")]}
    new = {"messages": [ai("s0", "system note"), human("h1", "hi"), ai("a1", "hello!")]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("added", "messages[id=s0]"),
        ("edited", "messages[id=a1]"),
        ("changed", "messages[id=a1].content"),
        ("removed", "messages[id=h2]"),
    ]
    added, edited, content, removed = diff.entries
    assert added.path == ("messages", 0)
    assert added.new == ai("s0", "system note")
    assert edited.path == ("messages", 2)
    assert (edited.old, edited.new) == (ai("a1", "hello"), ai("a1", "hello!"))
    assert content.path == ("messages", 2, "content")
    assert (content.old, content.new) == ("hello", "hello!")
    assert removed.path == ("messages", 2)
    assert removed.old == human("h2", "bye")
    assert diff.summary() == "1 added, 1 edited, 1 removed"
    assert diff.counts() == {"added": 1, "edited": 1, "removed": 1}


def test_a_removed_message_is_listed_where_it_was_before_what_replaced_it():
    old = {"messages": [human("h1", "hi"), ai("a1", "draft answer")]}
    new = {"messages": [human("h1", "hi"), ai("a2", "final answer"), human("h3", "thanks")]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("removed", "messages[id=a1]"),
        ("added", "messages[id=a2]"),
        ("added", "messages[id=h3]"),
    ]
    assert [entry.path for entry in diff.entries] == [
        ("messages", 1),
        ("messages", 1),
        ("messages", 2),
    ]


def test_appending_to_a_long_conversation_reports_only_the_new_messages():
    old = {"messages": [human(f"m{i}", f"turn {i}") for i in range(50)]}
    new = copy.deepcopy(old)
    new["messages"].insert(0, human("first", "prepended"))
    new["messages"].append(ai("last", "appended"))
    diff = diff_states(old, new)
    assert brief(diff.entries) == [("added", "messages[id=first]"), ("added", "messages[id=last]")]
    assert [entry.path for entry in diff.entries] == [("messages", 0), ("messages", 51)]


def test_tool_calls_are_matched_by_their_ids_inside_an_edited_message():
    old = {
        "messages": [
            ai("a1", "", [call("c1", "weather", city="Paris"), call("c2", "clock", tz="CET")]),
        ]
    }
    new = {
        "messages": [
            ai("a1", "", [call("c3", "add", a=1, b=2), call("c1", "weather", city="Oslo")]),
        ]
    }
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("edited", "messages[id=a1]"),
        ("added", "messages[id=a1].tool_calls[id=c3]"),
        ("changed", "messages[id=a1].tool_calls[id=c1].args.city"),
        ("removed", "messages[id=a1].tool_calls[id=c2]"),
    ]
    added, changed, removed = diff.entries[1:]
    assert added.path == ("messages", 0, "tool_calls", 0)
    assert added.new == call("c3", "add", a=1, b=2)
    assert changed.path == ("messages", 0, "tool_calls", 1, "args", "city")
    assert (changed.old, changed.new) == ("Paris", "Oslo")
    assert removed.path == ("messages", 0, "tool_calls", 1)
    assert removed.old == call("c2", "clock", tz="CET")
    assert diff.summary() == "1 edited"


def test_a_message_that_gains_tool_calls_shows_the_new_field():
    old = {"messages": [ai("a1", "thinking")]}
    new = {"messages": [ai("a1", "thinking", [call("c1", "search", q="tea")])]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("edited", "messages[id=a1]"),
        ("added", "messages[id=a1].tool_calls"),
    ]
    assert diff.entries[1].new == [call("c1", "search", q="tea")]


def test_a_numeric_type_change_inside_a_message_is_an_edit():
    old = {"messages": [{**ai("a1", "x"), "usage_metadata": {"total_tokens": 3}}]}
    new = {"messages": [{**ai("a1", "x"), "usage_metadata": {"total_tokens": 3.0}}]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("edited", "messages[id=a1]"),
        ("changed", "messages[id=a1].usage_metadata.total_tokens"),
    ]


def test_messages_without_ids_fall_back_to_index_matching():
    old = {"messages": [human(None, "hi"), ai(None, "hello")]}
    new = {"messages": [human(None, "hi"), ai(None, "hello there"), human(None, "ok")]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("edited", "messages[1]"),
        ("changed", "messages[1].content"),
        ("added", "messages[2]"),
    ]


def test_id_less_messages_pair_up_in_order_even_when_messages_with_ids_move_around():
    old = {"messages": [human("h1", "hi"), ai(None, "a"), ai(None, "b")]}
    new = {"messages": [human("h0", "new"), human("h1", "hi"), ai(None, "a"), ai(None, "B")]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("added", "messages[id=h0]"),
        ("edited", "messages[3]"),
        ("changed", "messages[3].content"),
    ]
    assert (diff.entries[2].old, diff.entries[2].new) == ("b", "B")


def test_duplicate_ids_pair_by_occurrence_and_are_shown_by_index():
    old = {"messages": [human("dup", "one"), human("dup", "two")]}
    new = {"messages": [human("dup", "one"), human("dup", "TWO"), human("dup", "three")]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("edited", "messages[1]"),
        ("changed", "messages[1].content"),
        ("added", "messages[2]"),
    ]


def test_an_empty_message_list_filling_up_reports_each_message():
    diff = diff_states({"messages": []}, {"messages": [human("h1", "hi"), ai("a1", "yo")]})
    assert brief(diff.entries) == [("added", "messages[id=h1]"), ("added", "messages[id=a1]")]


def test_content_blocks_are_a_plain_list_not_a_message_list():
    old = {"messages": [ai("a1", [{"type": "text", "text": "one"}, {"type": "text", "text": "2"}])]}
    new = {"messages": [ai("a1", [{"type": "text", "text": "one"}, {"type": "text", "text": "3"}])]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("edited", "messages[id=a1]"),
        ("changed", "messages[id=a1].content[1].text"),
    ]


def test_summary_counts_an_edited_message_once_and_other_changes_on_their_own():
    old = {"messages": [ai("a1", "x", [call("c1", "f", n=1)])], "step": 1, "gone": 1}
    new = {"messages": [ai("a1", "y", [call("c1", "f", n=2)]), human("h2", "z")], "step": 2}
    diff = diff_states(old, new)
    assert [(entry.path_text, inside) for entry, inside in diff.outline()] == [
        ("messages[id=a1]", False),
        ("messages[id=a1].content", True),
        ("messages[id=a1].tool_calls[id=c1].args.n", True),
        ("messages[id=h2]", False),
        ("step", False),
        ("gone", False),
    ]
    assert diff.counts() == {"added": 1, "edited": 1, "removed": 1, "changed": 1}
    assert diff.summary() == "1 added, 1 edited, 1 removed, 1 changed"


def test_a_removal_at_the_same_index_as_an_edit_is_still_counted():
    old = {"messages": [human("q", "x"), human("r", "gone")]}
    new = {"messages": [human("n", "new"), human("q", "X")]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("added", "messages[id=n]"),
        ("edited", "messages[id=q]"),
        ("changed", "messages[id=q].content"),
        ("removed", "messages[id=r]"),
    ]
    assert diff.entries[1].path == diff.entries[3].path == ("messages", 1)
    assert [inside for _, inside in diff.outline()] == [False, False, True, False]
    assert diff.summary() == "1 added, 1 edited, 1 removed"


# --- order of matched items ---------------------------------------------------------


def test_swapped_messages_are_reported_as_a_change_of_order():
    old = {"messages": [human("h1", "hi"), ai("a1", "hello")]}
    new = {"messages": [ai("a1", "hello"), human("h1", "hi")]}
    diff = diff_states(old, new)
    assert not diff.is_empty
    assert brief(diff.entries) == [("changed", "messages[order]")]
    (entry,) = diff.entries
    assert (entry.path, entry.order) == (("messages",), True)
    assert (entry.old, entry.new) == (["h1", "a1"], ["a1", "h1"])
    assert diff.counts() == {"changed": 1}
    assert diff.summary() == "1 changed"
    assert [inside for _, inside in diff.outline()] == [False]
    assert render_diff_text(diff) == '~ messages[order]: ["h1","a1"] -> ["a1","h1"]'
    assert json.loads(json.dumps(diff.to_json()))["entries"] == [
        {
            "kind": "changed",
            "path": ["messages"],
            "path_text": "messages[order]",
            "order": True,
            "old": ["h1", "a1"],
            "new": ["a1", "h1"],
        }
    ]


def test_the_order_entry_lists_only_kept_messages_and_comes_before_the_other_changes():
    old = {"messages": [human("h1", "hi"), ai("a1", "hello"), human("h2", "bye"), ai("x", "x")]}
    new = {
        "messages": [human("h2", "BYE"), human("h0", "new"), human("h1", "hi"), ai("a1", "hello")]
    }
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("changed", "messages[order]"),
        ("edited", "messages[id=h2]"),
        ("changed", "messages[id=h2].content"),
        ("removed", "messages[id=x]"),
        ("added", "messages[id=h0]"),
    ]
    assert (diff.entries[0].old, diff.entries[0].new) == (["h1", "a1", "h2"], ["h2", "h1", "a1"])
    assert diff.summary() == "1 added, 1 edited, 1 removed, 1 changed"
    assert not any(entry.order for entry in diff.entries[1:])


def test_moving_one_message_in_a_long_conversation_is_one_order_entry():
    old = {"messages": [human(f"m{i}", f"turn {i}") for i in range(50)]}
    new = copy.deepcopy(old)
    new["messages"].insert(10, new["messages"].pop(40))
    diff = diff_states(old, new)
    assert brief(diff.entries) == [("changed", "messages[order]")]
    assert diff.entries[0].new[9:12] == ["m9", "m40", "m10"]


def test_reordered_tool_calls_are_an_order_change_inside_the_edited_message():
    old = {"messages": [ai("a1", "", [call("c1", "weather", city="Oslo"), call("c2", "clock")])]}
    new = {"messages": [ai("a1", "", [call("c2", "clock"), call("c1", "weather", city="Oslo")])]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [
        ("edited", "messages[id=a1]"),
        ("changed", "messages[id=a1].tool_calls[order]"),
    ]
    order = diff.entries[1]
    assert order.path == ("messages", 0, "tool_calls")
    assert (order.old, order.new) == (["c1", "c2"], ["c2", "c1"])
    assert [inside for _, inside in diff.outline()] == [False, True]
    assert diff.summary() == "1 edited"


def test_the_order_entry_names_messages_without_a_unique_id_by_their_old_index():
    old = {"messages": [human("h1", "hi"), ai(None, "a"), human("d", "one"), human("d", "two")]}
    new = {"messages": [ai(None, "a"), human("h1", "hi"), human("d", "one"), human("d", "two")]}
    diff = diff_states(old, new)
    assert brief(diff.entries) == [("changed", "messages[order]")]
    assert (diff.entries[0].old, diff.entries[0].new) == (["h1", 1, 2, 3], [1, "h1", 2, 3])


def test_a_message_list_at_the_root_shows_its_order_entry_as_root():
    diff = diff_states(
        [human("h1", "hi"), human("h2", "yo")], [human("h2", "yo"), human("h1", "hi")]
    )
    assert brief(diff.entries) == [("changed", "(root)[order]")]


# --- text diffs ---------------------------------------------------------------------


def test_short_strings_are_a_plain_change_without_text_diff():
    diff = diff_states({"title": "draft"}, {"title": "final"})
    assert diff.entries[0].text_diff is None


def test_multi_line_strings_get_a_unified_line_diff():
    old_text = "\n".join(f"line {n}" for n in range(1, 11))
    new_text = old_text.replace("line 5", "line five").replace("line 10", "line 10\nline 11")
    diff = diff_states({"notes": old_text}, {"notes": new_text})
    assert diff.entries[0].text_diff == [
        "@@ -2,9 +2,10 @@",
        " line 2",
        " line 3",
        " line 4",
        "-line 5",
        "+line five",
        " line 6",
        " line 7",
        " line 8",
        " line 9",
        "-line 10",
        "+line 10",
        "+line 11",
    ]


def test_far_apart_changes_in_a_long_text_become_separate_hunks_with_true_line_numbers():
    lines = [f"row {n}" for n in range(1, 5001)]
    edited = list(lines)
    edited[99] = "row one hundred"
    edited[3999] = "row four thousand"
    diff = diff_states({"log": "\n".join(lines)}, {"log": "\n".join(edited)})
    assert diff.entries[0].text_diff == [
        "@@ -97,7 +97,7 @@",
        " row 97",
        " row 98",
        " row 99",
        "-row 100",
        "+row one hundred",
        " row 101",
        " row 102",
        " row 103",
        "@@ -3997,7 +3997,7 @@",
        " row 3997",
        " row 3998",
        " row 3999",
        "-row 4000",
        "+row four thousand",
        " row 4001",
        " row 4002",
        " row 4003",
    ]


@pytest.mark.parametrize("changed_index", [0, 255, 256, 257, 512, 999])
def test_a_single_changed_line_is_found_wherever_it_sits_in_a_long_text(changed_index: int):
    lines = [f"row {n}" for n in range(1000)]
    edited = list(lines)
    edited[changed_index] = "CHANGED"
    diff = diff_states({"log": "\n".join(lines)}, {"log": "\n".join(edited)})
    text_diff = diff.entries[0].text_diff
    first = max(0, changed_index - 3)
    last = min(1000, changed_index + 4)
    assert text_diff == [
        f"@@ -{first + 1},{last - first} +{first + 1},{last - first} @@",
        *[f" row {n}" for n in range(first, changed_index)],
        f"-row {changed_index}",
        "+CHANGED",
        *[f" row {n}" for n in range(changed_index + 1, last)],
    ]


def test_one_word_changed_in_a_100_kb_line_gives_one_small_hunk():
    words = [f"word{n}" for n in range(15_000)]
    assert len(" ".join(words)) > 100_000
    edited = list(words)
    edited[9_000] = "CHANGED"
    diff = diff_states({"blob": " ".join(words)}, {"blob": " ".join(edited)})
    assert diff.entries[0].text_diff == [
        "@@ -8996,11 +8996,11 @@ (words)",
        " word8995 word8996 word8997 word8998 word8999",
        "-word9000",
        "+CHANGED",
        " word9001 word9002 word9003 word9004 word9005",
    ]


def test_a_single_long_line_gets_a_word_diff():
    words = [f"w{n}" for n in range(1, 41)]
    old_text = " ".join(words)
    new_text = old_text.replace("w20", "twenty").replace("w21 ", "")
    assert "\n" not in old_text and len(old_text) > 80
    diff = diff_states({"summary": old_text}, {"summary": new_text})
    assert diff.entries[0].text_diff == [
        "@@ -15,12 +15,11 @@ (words)",
        " w15 w16 w17 w18 w19",
        "-w20 w21",
        "+twenty",
        " w22 w23 w24 w25 w26",
    ]


def test_a_long_line_replacing_a_short_one_is_diffed_as_words():
    long_text = "short " + "and then a great deal more text " * 4
    diff = diff_states({"s": "short"}, {"s": long_text.strip()})
    text_diff = diff.entries[0].text_diff
    assert text_diff is not None
    assert text_diff[0].startswith("@@ -1,1 +1,")
    assert text_diff[1] == " short"
    assert text_diff[2].startswith("+and then a great deal")


def test_a_changed_line_ending_is_visible_in_the_line_diff():
    diff = diff_states({"s": "a\nb"}, {"s": "a\nb\n"})
    assert diff.entries[0].text_diff == ["@@ -1,2 +1,2 @@", " a", "-b", "+b"]


# --- rendering and JSON -------------------------------------------------------------


def test_render_diff_text_writes_one_prefixed_block_per_entry():
    old = {
        "messages": [human("h1", "hi"), ai("a1", "one\ntwo\nthree")],
        "step": 1,
        "scratch": {"k": [1, 2]},
    }
    new = {
        "messages": [human("h1", "hi"), ai("a1", "one\n2\nthree"), human("h2", "thanks")],
        "step": 2,
        "route": "tools",
    }
    assert render_diff_text(diff_states(old, new)) == "\n".join(
        [
            "~ messages[id=a1]: ai message edited",
            "~ messages[id=a1].content:",
            "    @@ -1,3 +1,3 @@",
            "     one",
            "    -two",
            "    +2",
            "     three",
            '+ messages[id=h2]: {"type":"human","id":"h2","content":"thanks"}',
            "~ step: 1 -> 2",
            '- scratch: {"k":[1,2]}',
            '+ route: "tools"',
        ]
    )


def test_render_keeps_unicode_readable_and_shows_type_changes_as_json():
    text = render_diff_text(diff_states({"v": {"city": "Zürich"}}, {"v": ["Zürich"]}))
    assert text == '~ v: {"city":"Zürich"} -> ["Zürich"]'


def test_to_json_is_serialisable_and_carries_paths_summary_and_text_diffs():
    old = {"messages": [ai("a1", "one\ntwo")], "n": 1}
    new = {"messages": [ai("a1", "one\nthree")], "n": 2}
    payload = json.loads(json.dumps(diff_states(old, new).to_json()))
    assert payload["summary"] == "1 edited, 1 changed"
    assert payload["counts"] == {"edited": 1, "changed": 1}
    assert [(e["kind"], e["path"], e["path_text"]) for e in payload["entries"]] == [
        ("edited", ["messages", 0], "messages[id=a1]"),
        ("changed", ["messages", 0, "content"], "messages[id=a1].content"),
        ("changed", ["n"], "n"),
    ]
    content = payload["entries"][1]
    assert content["text_diff"] == ["@@ -1,2 +1,2 @@", " one", "-two", "+three"]
    assert (content["old"], content["new"]) == ("one\ntwo", "one\nthree")
    assert "text_diff" not in payload["entries"][2]


# --- real checkpoints ---------------------------------------------------------------


def test_consecutive_checkpoints_of_a_real_agent_run_show_each_new_message(agent_db: AgentDb):
    source = open_source(str(agent_db.path))
    try:
        metas = [
            m for m in reversed(source.history(agent_db.multi_turn_thread)) if not m.checkpoint_ns
        ]
        states = [source.load_state(meta).values for meta in metas]
        again = source.load_state(metas[-1]).values
    finally:
        source.close()

    with_messages = [state for state in states if "messages" in state]
    added_messages = list(with_messages[0]["messages"])
    for old, new in itertools.pairwise(with_messages):
        for entry in diff_states(old, new).entries:
            if len(entry.path) != 2 or entry.path[0] != "messages":
                continue
            assert entry.kind != "removed"
            if entry.kind == "added":
                assert entry.path_text == f"messages[id={entry.new['id']}]"
                added_messages.append(entry.new)

    final_messages = states[-1]["messages"]
    assert [m["id"] for m in added_messages] == [m["id"] for m in final_messages]
    assert [m["type"] for m in added_messages] == [
        "human",
        "ai",
        "tool",
        "ai",
        "human",
        "ai",
        "tool",
        "ai",
    ]
    assert diff_states(states[-1], again).is_empty
    whole_thread = diff_states({"messages": []}, {"messages": final_messages})
    assert whole_thread.summary() == "8 added"
