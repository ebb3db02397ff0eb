"""Rendering real checkpoints and diffs to HTML and plain text (no Qt involved)."""

from __future__ import annotations

import json
import operator
import shutil
from pathlib import Path
from typing import Annotated

import pytest
from langchain_core.messages import AIMessage, RemoveMessage
from langgraph.graph import START, StateGraph
from typing_extensions import TypedDict

from desktop.core.diff import diff_states
from desktop.core.diff_model import render_diff_text
from desktop.core.lookup import find_checkpoint, load_diff_pair
from desktop.core.model import CheckpointState
from desktop.core.sources.sqlite import SqliteCheckpointSource
from desktop.ui.render.diff import render_diff
from desktop.ui.render.markup import STRING_CAP, capped, render_json_html
from desktop.ui.render.state import RenderedState, render_state
from tests.builders import (
    BATCH_ERROR,
    AgentDb,
    ErrorDb,
    FanoutDb,
    HostileDb,
    InterruptDb,
    open_saver,
    thread_config,
    tool_agent_graph,
)


def head_state(path: Path, thread_id: str) -> CheckpointState:
    """The newest root checkpoint of a thread, loaded the way the window loads it."""
    with SqliteCheckpointSource(path) as source:
        history = source.history(thread_id)
        return source.load_state(next(m for m in history if not m.checkpoint_ns))


def tool_call_ids(state: CheckpointState) -> list[str]:
    return [c["id"] for m in state.values["messages"] for c in m.get("tool_calls", [])]


@pytest.fixture(scope="module")
def weather(agent_db: AgentDb) -> RenderedState:
    return render_state(head_state(agent_db.path, "agent-weather"))


def test_messages_show_roles_contents_tool_calls_and_linked_results(agent_db: AgentDb) -> None:
    state = head_state(agent_db.path, "agent-weather")
    rendered = render_state(state)
    first_call, second_call = tool_call_ids(state)
    assert rendered.message_count == 8
    text = rendered.plain_text
    assert "[Human] What is the weather in Paris?" in text
    assert "[AI] Checking the weather in Paris." in text
    assert f'tool call get_weather({{"city": "Paris"}}) id={first_call}' in text
    assert f"[Tool get_weather result of {first_call}] 18°C and sunny" in text
    assert f"[Tool get_weather result of {second_call}] 4°C with sleet" in text
    assert "[AI] The get_weather tool says: 4°C with sleet." in text
    html = rendered.messages_html
    for label in ("Human", "AI", "Tool"):
        assert f"&nbsp;{label}&nbsp;" in html
    # the call and its result point at each other
    assert f'<a name="call-{first_call}">' in html
    assert f'<a href="#call-{first_call}">' in html
    assert f'<a name="result-{first_call}">' in html
    assert f'<a href="#result-{first_call}"' in html


def test_header_names_thread_step_writers_and_next(agent_db: AgentDb) -> None:
    with SqliteCheckpointSource(agent_db.path) as source:
        history = source.history("agent-math")
        meta = next(m for m in history if m.writers == ("agent",) and m.step == 1)
        state = source.load_state(meta)
    rendered = render_state(state)
    assert state.next_nodes == ("tools",)
    assert rendered.title == "agent-math · step 1"
    header = rendered.header
    assert (header.step, header.source, header.checkpoint_id) == (
        "Step 1",
        "loop",
        meta.checkpoint_id,
    )
    assert header.facts == "thread agent-math · written by agent · next tools"
    assert "Written by: agent" in rendered.plain_text
    assert "Next: tools" in rendered.plain_text


def test_user_channels_come_first_and_internal_ones_are_dimmed(agent_db: AgentDb) -> None:
    with SqliteCheckpointSource(agent_db.path) as source:
        meta = next(m for m in source.history("agent-math") if m.step == 1)
        state = source.load_state(meta)
    assert "branch:to:tools" in state.values
    html = render_state(state).values_html
    assert html.index('"messages"</span>: [') < html.index("Internal channels")
    assert html.index("Internal channels") < html.index('"branch:to:tools"')
    internal = html[html.index("Internal channels") :]
    assert "color:#8c959f" in internal


def test_values_are_highlighted_json(weather: RenderedState) -> None:
    html = weather.values_html
    assert '<span style="color: #0550AE">"content"</span>' in html
    assert '<span style="color: #116329">"What is the weather in Paris?"</span>' in html


def test_json_text_is_the_full_checkpoint(agent_db: AgentDb, weather: RenderedState) -> None:
    state = head_state(agent_db.path, "agent-weather")
    assert json.loads(weather.json_text) == state.to_json()


def test_interrupt_is_flagged_in_header_and_writes(interrupt_db: InterruptDb) -> None:
    rendered = render_state(head_state(interrupt_db.path, interrupt_db.thread_id))
    assert rendered.has_interrupt and not rendered.has_error
    assert rendered.write_count == 1
    (banner,) = rendered.header.banners
    assert banner.tone == "amber"
    assert banner.text.startswith(
        'Interrupted in review: waiting for input — {"question": "Send this reply?", "draft": "Dear'
    )
    assert "__interrupt__" in rendered.writes_html
    assert "&nbsp;interrupt&nbsp;" in rendered.writes_html
    assert 'bgcolor="#fff8c5"' in rendered.writes_html  # the amber row
    assert "Send this reply?" in rendered.writes_html
    line = next(x for x in rendered.plain_text.splitlines() if "__interrupt__" in x)
    assert "review" in line and "INTERRUPT" in line and "Send this reply?" in line


def test_node_error_is_shown_prominently(error_db: ErrorDb) -> None:
    rendered = render_state(head_state(error_db.path, error_db.thread_id))
    assert rendered.has_error
    assert any(
        b.tone == "red" and b.text.endswith(f"raised ValueError('{BATCH_ERROR}')")
        for b in rendered.header.banners
    )
    assert 'bgcolor="#ffebe9"' in rendered.writes_html  # the red row
    assert "&nbsp;error&nbsp;" in rendered.writes_html
    line = next(x for x in rendered.plain_text.splitlines() if "__error__" in x)
    assert "explode" in line and "ERROR" in line and BATCH_ERROR in line


def test_undecodable_checkpoint_shows_the_error_and_what_was_read(hostile_db: HostileDb) -> None:
    ref = hostile_db.garbage_checkpoint
    with SqliteCheckpointSource(hostile_db.path) as source:
        state = source.load_state(find_checkpoint(source.history(ref.thread_id), ref.checkpoint_id))
    rendered = render_state(state)
    assert rendered.error and "could not be decoded" in rendered.error
    assert "could not be decoded" in rendered.header.text
    assert "could not be decoded" in rendered.values_html
    assert "ERROR: checkpoint blob could not be decoded" in rendered.plain_text
    assert rendered.write_count == len(state.pending_writes) > 0


def test_subgraph_checkpoint_names_its_namespace(fanout_db: FanoutDb) -> None:
    with SqliteCheckpointSource(fanout_db.path) as source:
        meta = next(m for m in source.history(fanout_db.thread_id) if m.checkpoint_ns)
        rendered = render_state(source.load_state(meta))
    assert f"subgraph {meta.checkpoint_ns}" in rendered.header.facts
    assert f"subgraph {meta.checkpoint_ns}" in rendered.plain_text


class _NoteState(TypedDict):
    note: str


def test_long_strings_are_cut_in_html_but_kept_in_text(tmp_path: Path) -> None:
    long_note = "".join(f"line {n:05d} of a very long note\n" for n in range(3000))
    graph = StateGraph(_NoteState)
    graph.add_node("write", lambda state: {"note": long_note})
    graph.add_edge(START, "write")
    with open_saver(tmp_path / "long.sqlite") as saver:
        graph.compile(checkpointer=saver).invoke({"note": ""}, thread_config("long"))
    rendered = render_state(head_state(tmp_path / "long.sqlite", "long"))
    hidden = len(long_note) - STRING_CAP
    assert f"… ({hidden:,} more characters)" in rendered.values_html
    assert "line 02999" not in rendered.values_html
    assert len(rendered.values_html) < len(long_note)
    assert json.loads(rendered.json_text)["values"]["note"] == long_note
    assert json.dumps(long_note) in rendered.plain_text


def test_capped_only_copies_what_it_cuts() -> None:
    small = {"a": ["x", {"b": 1}]}
    assert capped(small) is small
    cut = capped({"a": ["x" * 10, "ok"]}, cap=4)
    assert cut == {"a": ["xxxx… (6 more characters)", "ok"]}


def test_render_json_html_escapes_markup() -> None:
    html = render_json_html({"note": "<b>not bold</b> & co"})
    assert "<b>" not in html
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; co" in html


def test_diff_shows_added_messages_with_role_and_excerpt(agent_db: AgentDb) -> None:
    with SqliteCheckpointSource(agent_db.path) as source:
        history = source.history("agent-weather")
        head = history[0]
        second_turn = next(m for m in history if m.source == "input" and m.step > 0)
        new, old = load_diff_pair(source, "agent-weather", head.checkpoint_id)
        newest, turn_start = load_diff_pair(
            source, "agent-weather", head.checkpoint_id, second_turn.checkpoint_id
        )
    diff = diff_states(turn_start.values, newest.values)
    rendered = render_diff(diff, title="Step 8 vs step 4")
    assert rendered.title == "Step 8 vs step 4"
    assert rendered.plain_text == render_diff_text(diff)
    assert rendered.summary.startswith("4 added")
    html = rendered.html
    assert html.count("&nbsp;added&nbsp;") == 4
    assert "&nbsp;Human&nbsp;" in html and "And in Oslo?" in html
    assert "&nbsp;Tool&nbsp;" in html and "4°C with sleet" in html
    assert "get_weather(…)" in html
    assert 'bgcolor="#dafbe1"' in html  # green for added
    one_step = render_diff(diff_states(old.values, new.values), title="step")
    # the step's bookkeeping (branch:to:agent going away) is listed last, apart
    assert one_step.summary == "1 added · 1 internal"
    html = one_step.html
    assert "&nbsp;AI&nbsp;" in html and "The get_weather tool says: 4°C with sleet." in html
    assert html.index("4°C with sleet.") < html.index("Internal channels")
    assert html.index("Internal channels") < html.index('− ["branch:to:agent"] removed null')


def test_diff_shows_edited_and_removed_messages(agent_db: AgentDb, tmp_path: Path) -> None:
    path = tmp_path / "edited.sqlite"
    shutil.copy(agent_db.path, path)
    with open_saver(path) as saver:
        graph = tool_agent_graph(saver)
        messages = graph.get_state(thread_config("agent-math")).values["messages"]
        question, answer = messages[0], messages[-1]
        config = graph.update_state(
            thread_config("agent-math"),
            {
                "messages": [
                    RemoveMessage(id=question.id),
                    AIMessage("The sum is 42.\nNo more tools needed.", id=answer.id),
                ]
            },
            as_node="agent",
        )
    with SqliteCheckpointSource(path) as source:
        new, old = load_diff_pair(source, "agent-math", config["configurable"]["checkpoint_id"])
    rendered = render_diff(diff_states(old.values, new.values), title="edit")
    html = rendered.html
    assert "1 removed" in rendered.summary and "edited" in rendered.summary
    assert "&nbsp;removed&nbsp;" in html and "Please add 2 and 40" in html
    assert "text-decoration:line-through" in html
    assert "&nbsp;edited&nbsp;" in html and "The sum is 42. No more tools needed." in html
    assert 'bgcolor="#fff8c5"' in html  # amber for edits
    # the content change is a line diff with coloured lines
    assert "-The add tool says: 42.0." in html
    assert "+The sum is 42." in html and "+No more tools needed." in html
    assert "background-color:#ffebe9" in html and "background-color:#dafbe1" in html
    assert "margin:0 0 6px 24px" in html  # field changes nest under their message


def test_empty_diff_says_no_changes(agent_db: AgentDb) -> None:
    state = head_state(agent_db.path, "agent-math")
    rendered = render_diff(diff_states(state.values, state.values), title="same")
    assert rendered.is_empty
    assert rendered.summary == "No changes"
    assert "No changes" in rendered.html
    assert rendered.plain_text == "no changes"


class _PairState(TypedDict, total=False):
    done: Annotated[list[str], operator.add]


def test_header_next_is_what_langgraph_still_has_to_run(tmp_path) -> None:
    """A step that stopped part-way (one task finished, one failed): the header's next is
    ``get_state(thread).next``; the step itself (history) still lists both tasks."""
    from desktop.core.sources import open_source
    from desktop.ui.render.state import render_state
    from tests.builders import open_saver, thread_config

    def fails(state: _PairState) -> dict:
        raise ValueError("boom")

    builder = StateGraph(_PairState)
    builder.add_node("quick", lambda s: {"done": ["quick"]})
    builder.add_node("fails", fails)
    builder.add_edge(START, "quick")
    builder.add_edge(START, "fails")
    path = tmp_path / "pair.sqlite"
    with open_saver(path) as saver:
        graph = builder.compile(checkpointer=saver)
        with pytest.raises(ValueError):
            graph.invoke({"done": []}, thread_config("p"), durability="sync")
        live = graph.get_state(thread_config("p"))
        at_head = graph.get_state(live.config)
    with open_source(path) as source:
        state = source.load_state(source.history("p")[0])
        summary = source.thread("p")
    assert sorted(state.next_nodes) == sorted(at_head.next) == ["fails", "quick"]
    assert summary.next_nodes == live.next == ("fails",)
    assert summary.run_state == "error"
    rendered = render_state(state)
    assert "Next: fails\n" in rendered.plain_text + "\n"
    assert rendered.header.facts.endswith(" · next fails")
