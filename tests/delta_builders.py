"""Real databases whose state lives in LangGraph ``DeltaChannel``s, for the delta tests.

Every database is written by langgraph's own ``SqliteSaver`` while running real graphs:
deepagents itself (``messages`` and ``files`` are delta channels) driven by a scripted
chat model, ``langchain.agents.create_agent`` opting in with its own state schema, a
graph with a subgraph and a small snapshot cadence, and a graph whose delta channels
have reducers Rewind cannot know. Threads are forked with ``update_state`` (at the head
and at a superseded checkpoint) and replayed from an old checkpoint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Required

from langchain.agents import AgentState, create_agent
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from langgraph.channels.delta import DeltaChannel
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import REMOVE_ALL_MESSAGES, _messages_delta_reducer
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, interrupt
from typing_extensions import TypedDict

from desktop.core.demo.scripted_model import ScriptedChatModel
from tests.builders import open_saver, thread_config

# --- deepagents ---------------------------------------------------------------------

_WRITE_MANY = re.compile(r"write (\d+) notes")


def _turn(messages: Sequence[BaseMessage]) -> tuple[str, list[BaseMessage]]:
    """The last human request and the messages after it."""
    for i in range(len(messages) - 1, -1, -1):
        if isinstance(messages[i], HumanMessage):
            return messages[i].text, list(messages[i + 1 :])
    return "", list(messages)


def deep_responder(messages: list[BaseMessage]) -> AIMessage:
    """A deep agent's script: write, edit and delete files as the request says.

    ``write N notes`` writes ``/note-K.md`` one tool call at a time; ``tidy up``
    edits ``/notes.txt`` and deletes ``/note-1.md``; anything else writes
    ``/notes.txt``. The reply after the last tool result sums up.
    """
    request, since = _turn(messages)
    done = sum(isinstance(m, ToolMessage) for m in since)
    if many := _WRITE_MANY.search(request):
        if done < int(many[1]):
            call = {
                "name": "write_file",
                "args": {"file_path": f"/note-{done + 1}.md", "content": f"note {done + 1}"},
                "id": None,
            }
            return AIMessage(f"Writing note {done + 1}.", tool_calls=[call])
        return AIMessage(f"Wrote {done} notes.")
    if "tidy up" in request:
        plan = [
            ("edit_file", {"file_path": "/notes.txt", "old_string": "world", "new_string": "all"}),
            ("delete", {"file_path": "/note-1.md"}),
        ]
        if done < len(plan):
            name, args = plan[done]
            call = {"name": name, "args": args, "id": None}
            return AIMessage(f"Step {done + 1}.", tool_calls=[call])
        return AIMessage("Tidied up.")
    if done == 0:
        call = {
            "name": "write_file",
            "args": {"file_path": "/notes.txt", "content": "hello\nworld"},
            "id": None,
        }
        return AIMessage("Writing notes.", tool_calls=[call])
    return AIMessage(f"Done: {request}")


def deep_agent_graph(checkpointer: Any) -> CompiledStateGraph:
    """deepagents' own agent on the scripted model (its default tools, in-state files)."""
    from deepagents import create_deep_agent

    model = ScriptedChatModel(responder=deep_responder)
    return create_deep_agent(model=model, checkpointer=checkpointer, name="deep-notes")


@dataclass(frozen=True)
class DeltaDb:
    """A database and the threads written into it."""

    path: Path
    thread_ids: tuple[str, ...]


def build_deep_agent_db(path: Path, notes: int = 30) -> DeltaDb:
    """deepagents over three turns (the second long enough for ``_DeltaSnapshot``s),
    an update at the head, a fork at a superseded checkpoint run on, and a replay."""
    thread_id = "deep-notes"
    config = thread_config(thread_id)
    with open_saver(path) as saver:
        agent = deep_agent_graph(saver)
        agent.invoke({"messages": [HumanMessage("make notes")]}, config)
        agent.invoke({"messages": [HumanMessage(f"write {notes} notes")]}, config)
        agent.update_state(config, {"messages": [HumanMessage("tidy up", id="head-update")]})
        agent.invoke(None, config)
        history = list(agent.get_state_history(config))
        early = next(s for s in reversed(history) if s.next == ("tools",))
        fork = agent.update_state(
            early.config,
            {"messages": [HumanMessage("make notes about forks", id="fork-human")]},
            as_node="tools",
        )
        agent.invoke(None, fork)
        replay_from = next(s for s in history if s.metadata["step"] == 10)
        agent.invoke(None, replay_from.config)
    return DeltaDb(path, (thread_id,))


# --- create_agent opting in ----------------------------------------------------------


class DeltaAgentState(AgentState):
    """``create_agent``'s state with ``messages`` kept in a ``DeltaChannel``."""

    messages: Required[Annotated[list[AnyMessage], DeltaChannel(_messages_delta_reducer)]]


@tool
def lookup(term: str) -> str:
    """Look a term up."""
    return f"{term}: found"


def _lookup_responder(messages: list[BaseMessage]) -> AIMessage:
    request, since = _turn(messages)
    if not since:
        call = {"name": "lookup", "args": {"term": request.split()[-1]}, "id": None}
        return AIMessage("Looking it up.", tool_calls=[call])
    return AIMessage(f"Found {request.split()[-1]}.")


def create_agent_graph(checkpointer: Any) -> CompiledStateGraph:
    """``create_agent`` with a ``DeltaChannel`` messages schema, on the scripted model."""
    model = ScriptedChatModel(responder=_lookup_responder)
    return create_agent(model, [lookup], state_schema=DeltaAgentState, checkpointer=checkpointer)


def build_create_agent_db(path: Path) -> DeltaDb:
    """Two turns of ``create_agent`` opting into ``DeltaChannel`` messages."""
    thread_id = "lookup-agent"
    config = thread_config(thread_id)
    with open_saver(path) as saver:
        agent = create_agent_graph(saver)
        for question in ("look up rewind", "look up langgraph"):
            agent.invoke({"messages": [HumanMessage(question)]}, config)
    return DeltaDb(path, (thread_id,))


# --- messages with a subgraph and a short snapshot cadence ---------------------------


class ChatState(TypedDict, total=False):
    """Messages in a delta channel that snapshots every second update."""

    messages: Annotated[
        list[AnyMessage], DeltaChannel(_messages_delta_reducer, snapshot_frequency=2)
    ]
    turn: int


def _greet(state: ChatState) -> dict[str, Any]:
    turn = state.get("turn", 0) + 1
    return {"messages": [AIMessage(f"hello {turn}", id=f"greet-{turn}")], "turn": turn}


def _edit(state: ChatState) -> dict[str, Any]:
    turn = state["turn"]
    return {
        "messages": [
            AIMessage(f"hello {turn}, edited", id=f"greet-{turn}"),
            AIMessage(f"aside {turn}", id=f"aside-{turn}"),
        ]
    }


def _prune(state: ChatState) -> dict[str, Any]:
    return {"messages": [RemoveMessage(id=f"aside-{state['turn']}")]}


def _left(state: ChatState) -> dict[str, Any]:
    return {"messages": [AIMessage(f"left {state['turn']}", id=f"left-{state['turn']}")]}


def _right(state: ChatState) -> dict[str, Any]:
    return {"messages": [AIMessage(f"right {state['turn']}", id=f"right-{state['turn']}")]}


def chat_graph(checkpointer: Any) -> CompiledStateGraph:
    """``greet`` -> subgraph ``inner`` (edit, prune) -> ``left`` and ``right`` in parallel."""
    inner = StateGraph(ChatState)
    inner.add_node("edit", _edit)
    inner.add_node("prune", _prune)
    inner.add_edge(START, "edit")
    inner.add_edge("edit", "prune")
    inner.add_edge("prune", END)

    builder = StateGraph(ChatState)
    builder.add_node("greet", _greet)
    builder.add_node("inner", inner.compile(name="inner"))
    builder.add_node("left", _left)
    builder.add_node("right", _right)
    builder.add_edge(START, "greet")
    builder.add_edge("greet", "inner")
    builder.add_edge("inner", "left")
    builder.add_edge("inner", "right")
    builder.add_edge("left", END)
    builder.add_edge("right", END)
    return builder.compile(checkpointer=checkpointer, name="chat")


def build_chat_db(path: Path) -> DeltaDb:
    """Three turns, a ``REMOVE_ALL_MESSAGES`` update, a fork and a replay."""
    thread_id = "chat"
    config = thread_config(thread_id)
    with open_saver(path) as saver:
        graph = chat_graph(saver)
        for text in ("one", "two"):
            graph.invoke({"messages": [HumanMessage(text, id=f"human-{text}")]}, config)
        graph.update_state(
            config,
            {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), HumanMessage("again", id="h3")]},
            as_node="left",
        )
        graph.invoke({"messages": [HumanMessage("three", id="human-three")]}, config)
        history = list(graph.get_state_history(config))
        old = next(s for s in history if s.metadata["step"] == 2)
        fork = graph.update_state(old.config, {"messages": [AIMessage("forked", id="fork-1")]})
        graph.invoke(None, fork)
        replay_from = next(s for s in history if s.metadata["step"] == 5)
        graph.invoke(None, replay_from.config)
    return DeltaDb(path, (thread_id,))


# --- delta channels whose reducers Rewind cannot know --------------------------------


def tally_reducer(state: int, writes: Sequence[int]) -> int:
    """Sum of the writes (order-free)."""
    return state + sum(writes)


def recent_reducer(state: list[str], writes: Sequence[list[str]]) -> list[str]:
    """The newest three entries (order matters)."""
    merged = list(state or [])
    for write in writes:
        merged.extend(write)
    return merged[-3:]


class TallyState(TypedDict, total=False):
    """Two delta channels with custom reducers and a short snapshot cadence."""

    tally: Annotated[int, DeltaChannel(tally_reducer, int, snapshot_frequency=3)]
    recent: Annotated[list[str], DeltaChannel(recent_reducer, list, snapshot_frequency=4)]
    rounds: int


def _start(state: TallyState) -> dict[str, Any]:
    rounds = state.get("rounds", 0) + 1
    return {"tally": rounds, "recent": [f"start {rounds}"], "rounds": rounds}


def _north(state: TallyState) -> dict[str, Any]:
    return {"tally": 10, "recent": [f"north {state['rounds']}"]}


def _south(state: TallyState) -> dict[str, Any]:
    return {"tally": 100, "recent": [f"south {state['rounds']}"]}


def _again(state: TallyState) -> str:
    return "start" if state["rounds"] < 4 else END


def tally_graph(checkpointer: Any) -> CompiledStateGraph:
    """``start`` then ``north`` and ``south`` in parallel, four rounds."""
    builder = StateGraph(TallyState)
    builder.add_node("start", _start)
    builder.add_node("north", _north)
    builder.add_node("south", _south)
    builder.add_node("join", lambda state: {})
    builder.add_edge(START, "start")
    builder.add_edge("start", "north")
    builder.add_edge("start", "south")
    builder.add_edge(["north", "south"], "join")
    builder.add_conditional_edges("join", _again, ["start", END])
    return builder.compile(checkpointer=checkpointer, name="tally")


def build_tally_db(path: Path) -> DeltaDb:
    """Four rounds, then a fork of an early checkpoint with an update."""
    thread_id = "tally"
    config = thread_config(thread_id)
    with open_saver(path) as saver:
        graph = tally_graph(saver)
        graph.invoke({"rounds": 0}, config)
        history = list(graph.get_state_history(config))
        old = next(s for s in history if s.metadata["step"] == 4)
        graph.update_state(old.config, {"tally": 1000, "recent": ["forked"]}, as_node="join")
    return DeltaDb(path, (thread_id,))


def build_long_deep_thread(path: Path, checkpoints: int = 1000, note_chars: int = 2000) -> DeltaDb:
    """One deepagents thread of at least ``checkpoints`` checkpoints: turns of ``write 40
    notes`` whose files hold ``note_chars`` characters each (benchmarks)."""
    thread_id = "deep-long"
    config = thread_config(thread_id)
    filler = ("lorem ipsum dolor sit amet " * (note_chars // 27 + 1))[:note_chars]

    def responder(messages: list[BaseMessage]) -> AIMessage:
        reply = deep_responder(messages)
        turn = sum(isinstance(m, HumanMessage) for m in messages)
        for call in reply.tool_calls:
            call["args"]["file_path"] = f"/turn-{turn}{call['args']['file_path']}"
            call["args"]["content"] += "\n" + filler
        return reply

    with open_saver(path) as saver:
        from deepagents import create_deep_agent

        model = ScriptedChatModel(responder=responder)
        agent = create_deep_agent(model=model, checkpointer=saver, name="deep-long")
        while sum(1 for _ in saver.list(config)) < checkpoints:
            agent.invoke({"messages": [HumanMessage("write 40 notes")]}, config)
    return DeltaDb(path, (thread_id,))


def build_durability_db(path: Path, graph: str) -> DeltaDb:
    """``deep`` (deepagents) or ``chat`` run with ``exit`` durability (one checkpoint per
    run and an empty first one, writes saved at exit), then ``async``, then ``exit``."""
    factory, request = {
        "deep": (deep_agent_graph, "write 3 notes"),
        "chat": (chat_graph, "hello"),
    }[graph]
    thread_id = f"{graph}-durability"
    config = thread_config(thread_id)
    with open_saver(path) as saver:
        agent = factory(saver)
        for turn, durability in enumerate(("exit", "async", "exit")):
            message = HumanMessage(request, id=f"human-{turn}")
            agent.invoke({"messages": [message]}, config, durability=durability)
    return DeltaDb(path, (thread_id,))


# --- an interrupt answered with Command(resume=..., update=...) -----------------------


def _ask(state: ChatState) -> dict[str, Any]:
    answer = interrupt("go on?")
    return {"messages": [AIMessage(f"answer {answer}", id="answer")]}


def ask_graph(checkpointer: Any) -> CompiledStateGraph:
    """One node that asks before answering; its messages live in a ``DeltaChannel``."""
    builder = StateGraph(ChatState)
    builder.add_node("ask", _ask)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=checkpointer, name="ask")


def build_resume_update_db(path: Path) -> DeltaDb:
    """An interrupt answered with ``Command(resume=..., update=...)``: the update is a
    ``NULL_TASK_ID`` write saved on the interrupted checkpoint, which ``get_state`` of
    that checkpoint applies."""
    thread_id = "ask"
    config = thread_config(thread_id)
    with open_saver(path) as saver:
        graph = ask_graph(saver)
        graph.invoke({"messages": [HumanMessage("hi", id="hi")]}, config)
        update = {"messages": [HumanMessage("extra context", id="extra")]}
        graph.invoke(Command(resume="yes", update=update), config)
    return DeltaDb(path, (thread_id,))


# --- deepagents delegating to a subagent (a checkpoint namespace of its own) ----------


def _delegating_responder(messages: list[BaseMessage]) -> AIMessage:
    """The main agent hands ``research X`` to the general-purpose subagent, which
    writes a file and reports back."""
    request = next((m.text for m in messages if isinstance(m, HumanMessage)), "")
    done = any(isinstance(m, ToolMessage) for m in messages)
    if request.startswith("research"):
        if done:
            return AIMessage("Research done.")
        call = {"name": "write_file", "args": {"file_path": "/sub.txt", "content": "found"}}
        return AIMessage("Writing findings.", tool_calls=[{**call, "id": None}])
    if not done:
        args = {"description": "research X", "subagent_type": "general-purpose"}
        return AIMessage("Delegating.", tool_calls=[{"name": "task", "args": args, "id": None}])
    return AIMessage("All done.")


def delegating_agent_graph(checkpointer: Any) -> CompiledStateGraph:
    """deepagents with its general-purpose subagent, on the scripted model."""
    from deepagents import create_deep_agent

    model = ScriptedChatModel(responder=_delegating_responder)
    return create_deep_agent(model=model, checkpointer=checkpointer, name="delegating")


def build_subagent_db(path: Path) -> DeltaDb:
    """One turn in which the deep agent's ``task`` tool runs a subagent."""
    thread_id = "delegating"
    with open_saver(path) as saver:
        agent = delegating_agent_graph(saver)
        agent.invoke({"messages": [HumanMessage("go")]}, thread_config(thread_id))
    return DeltaDb(path, (thread_id,))
