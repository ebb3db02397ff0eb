"""The built-in demo agent: a small, honest, fully offline LangGraph agent.

It exists so Rewind has something real to show and to run without an API key: tool
calls, a subgraph with its own checkpoints, custom progress events, a memory in a
Store, and a human approval ``interrupt()``. Every model reply comes from a
``ScriptedChatModel`` and says it is a scripted demo; replies still depend on what
the user typed, so different turns differ.

Flow: ``agent`` <-> ``tools`` (:mod:`desktop.core.demo.tools`) until no tool is
called, then the ``researcher`` subgraph writes a research note, ``approve`` interrupts
for a human decision, and ``finalize`` streams the final answer and stores a memory.
"""

from __future__ import annotations

import math
import os
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore
from langgraph.types import interrupt

from desktop.core.demo.scripted_model import Responder, ScriptedChatModel
from desktop.core.demo.tools import DEMO_TOOLS, find_expression, keywords, matching_notes
from desktop.core.errors import RewindError

DEMO_GRAPH_NAME = "rewind-demo-agent"
DEMO_RESEARCHER_NAME = "rewind-demo-researcher"
DEMO_TOKEN_DELAY_ENV = "REWIND_DEMO_TOKEN_DELAY"
DEFAULT_TOKEN_DELAY = 0.02
MEMORY_NAMESPACE = "memories"
REVIEWER_NAME = "reviewer"
RESEARCHER_NAME = "researcher"

APPROVE_WORDS = frozenset({"yes", "y", "ok", "approve", "approved"})
DECLINE_WORDS = frozenset({"no", "n", "reject", "rejected", "decline", "declined", ""})

_MEMORY_HEADER = "Earlier questions on this thread:"
_FINDINGS_HEADER = "Research findings:"
_DEMO = "(scripted demo)"


class DemoConfigError(RewindError):
    """The demo agent was configured with a value it cannot use."""


class DemoState(MessagesState):
    """State of the demo agent: the conversation plus the reviewer's last decision."""

    approval: str


class ResearchState(MessagesState):
    """State of the researcher subgraph: the conversation plus the notes it found."""

    findings: list[str]


def demo_token_delay(token_delay: float | None = None) -> float:
    """Seconds between streamed tokens: the argument, else the env variable, else 0.02."""
    if token_delay is None:
        raw = os.environ.get(DEMO_TOKEN_DELAY_ENV, "").strip()
        if not raw:
            return DEFAULT_TOKEN_DELAY
        try:
            token_delay = float(raw)
        except ValueError:
            raise DemoConfigError(
                f"{DEMO_TOKEN_DELAY_ENV} must be a number of seconds, got {raw!r}"
            ) from None
    if not math.isfinite(token_delay) or token_delay < 0:
        raise DemoConfigError(f"Demo token delay must be zero or more seconds, got {token_delay}")
    return token_delay


def _is_user_turn(message: BaseMessage) -> bool:
    return isinstance(message, HumanMessage) and message.name != REVIEWER_NAME


def _current_turn(messages: list[BaseMessage]) -> tuple[str, list[BaseMessage]]:
    """The latest user question and every message that came after it."""
    for index in range(len(messages) - 1, -1, -1):
        if _is_user_turn(messages[index]):
            return messages[index].text, messages[index + 1 :]
    return "", list(messages)


def _system_lines(messages: list[BaseMessage], header: str) -> list[str]:
    for message in messages:
        if isinstance(message, SystemMessage) and message.text.startswith(header):
            return [line[2:] for line in message.text.splitlines()[1:] if line.startswith("- ")]
    return []


def _latest_draft(messages: list[BaseMessage]) -> str:
    """The agent's latest answer without tool calls in the current turn."""
    _, turn = _current_turn(messages)
    for message in reversed(turn):
        if isinstance(message, AIMessage) and message.name is None and not message.tool_calls:
            return message.text
    return ""


def agent_reply(messages: list[BaseMessage]) -> AIMessage:
    """The demo agent's brain: call tools for a new question, then draft an answer."""
    question, turn = _current_turn(messages)
    results = [m for m in turn if isinstance(m, ToolMessage)]
    if not results:
        calls = []
        expression = find_expression(question)
        if expression:
            calls.append({"name": "calculator", "args": {"expression": expression}, "id": None})
        rest = question.replace(expression, " ") if expression else question
        if keywords(rest):
            calls.append({"name": "search_notes", "args": {"query": rest.strip()}, "id": None})
        if calls:
            names = " and ".join(call["name"] for call in calls)
            return AIMessage(
                content=f"{_DEMO} Let me use {names} for “{question}”.", tool_calls=calls
            )
    parts = [f"{_DEMO} You asked: “{question}”."]
    for result in results:
        if result.name == "calculator":
            parts.append(f"The calculator says {result.text}.")
        elif result.text.startswith("No notes matched"):
            parts.append("None of the notes mention it.")
        else:
            title, _, text = result.text.splitlines()[0].partition(": ")
            parts.append(f"The {title} note says: {text}")
    if not results:
        parts.append("I could not find a tool for that, so this is only a canned reply.")
    memories = _system_lines(messages, _MEMORY_HEADER)
    if memories:
        plural = "question" if len(memories) == 1 else "questions"
        parts.append(
            f"I also remember {len(memories)} earlier {plural} here, "
            f"most recently “{memories[-1]}”."
        )
    return AIMessage(content=" ".join(parts))


def researcher_reply(messages: list[BaseMessage]) -> AIMessage:
    """The researcher sub-agent's brain: a short note on which notes back the answer."""
    question, _ = _current_turn(messages)
    findings = _system_lines(messages, _FINDINGS_HEADER)
    if not findings:
        return AIMessage(
            content=f"Research note {_DEMO}: no built-in note covers “{question}”; "
            "treat the draft as unverified."
        )
    return AIMessage(
        content=f"Research note {_DEMO}: checked {len(findings)} note(s) for “{question}”: "
        f"{', '.join(findings)}. The draft is consistent with them."
    )


def approval_outcome(decision: str) -> str:
    """Classify a reviewer's resume value: ``approved``, ``declined`` or ``edited``."""
    normalized = decision.strip().lower()
    if normalized in APPROVE_WORDS:
        return "approved"
    if normalized in DECLINE_WORDS:
        return "declined"
    return "edited"


def final_reply(messages: list[BaseMessage]) -> AIMessage:
    """The final answer, decided by the reviewer's message at the end of ``messages``."""
    decision = messages[-1].text if messages else ""
    question, _ = _current_turn(messages[:-1])
    outcome = approval_outcome(decision)
    if outcome == "approved":
        return AIMessage(content=_latest_draft(messages[:-1]))
    if outcome == "declined":
        return AIMessage(
            content=f"{_DEMO} The reviewer declined the draft, so no answer was sent "
            f"for “{question}”."
        )
    return AIMessage(content=decision.strip())


def _thread_id(config: RunnableConfig) -> str:
    return str(config.get("configurable", {}).get("thread_id", "no-thread"))


def _progress(node: str, text: str, **extra: Any) -> None:
    get_stream_writer()({"node": node, "progress": text, **extra})


async def _memories(store: BaseStore | None, thread_id: str) -> list[str]:
    if store is None:
        return []
    items = await store.asearch((MEMORY_NAMESPACE, thread_id), limit=100)
    return [item.value["question"] for item in sorted(items, key=lambda item: item.key)]


def _model(responder: Responder, name: str, token_delay: float) -> ScriptedChatModel:
    return ScriptedChatModel(responder=responder, token_delay=token_delay, model_name=name)


def build_researcher_graph(*, token_delay: float | None = None) -> CompiledStateGraph:
    """The researcher sub-agent, compiled so that it checkpoints in its own namespace."""
    model = _model(researcher_reply, "scripted-demo-researcher", demo_token_delay(token_delay))

    async def gather(state: ResearchState) -> dict[str, Any]:
        question, _ = _current_turn(state["messages"])
        findings = matching_notes(question, limit=3)
        _progress("researcher", f"found {len(findings)} relevant note(s)", notes=findings)
        return {"findings": findings}

    async def write_note(state: ResearchState) -> dict[str, Any]:
        _progress("researcher", "writing a research note")
        lines = "".join(f"\n- {title}" for title in state["findings"])
        reply = await model.ainvoke([SystemMessage(_FINDINGS_HEADER + lines), *state["messages"]])
        return {"messages": [reply.model_copy(update={"name": RESEARCHER_NAME})]}

    builder = StateGraph(ResearchState)
    builder.add_node("gather", gather)
    builder.add_node("write_note", write_note)
    builder.add_edge(START, "gather")
    builder.add_edge("gather", "write_note")
    builder.add_edge("write_note", END)
    return builder.compile(name=DEMO_RESEARCHER_NAME)


def build_demo_builder(*, token_delay: float | None = None) -> StateGraph:
    """The demo agent's uncompiled graph, for callers that compile it their own way."""
    delay = demo_token_delay(token_delay)
    agent_model = _model(agent_reply, "scripted-demo-agent", delay).bind_tools(DEMO_TOOLS)
    final_model = _model(final_reply, "scripted-demo-agent", delay)

    async def agent(state: DemoState, config: RunnableConfig, runtime: Runtime) -> dict[str, Any]:
        memories = await _memories(runtime.store, _thread_id(config))
        _progress("agent", "thinking", memories=len(memories))
        prompt: list[AnyMessage] = list(state["messages"])
        if memories:
            lines = "".join(f"\n- {question}" for question in memories)
            prompt.insert(0, SystemMessage(_MEMORY_HEADER + lines))
        reply = await agent_model.ainvoke(prompt)
        if reply.tool_calls:
            _progress("agent", "calling tools", tools=[c["name"] for c in reply.tool_calls])
        return {"messages": [reply]}

    async def approve(state: DemoState) -> dict[str, Any]:
        _progress("approve", "waiting for a human decision")
        decision = interrupt(
            {
                "question": "Send this scripted demo answer? Reply yes, no, "
                "or type a replacement answer.",
                "draft": _latest_draft(state["messages"]),
            }
        )
        return {"approval": str(decision)}

    async def finalize(
        state: DemoState, config: RunnableConfig, runtime: Runtime
    ) -> dict[str, Any]:
        decision = state["approval"]
        _progress("finalize", f"reviewer {approval_outcome(decision)} the draft")
        reviewer = HumanMessage(decision, name=REVIEWER_NAME)
        reply = await final_model.ainvoke([*state["messages"], reviewer])
        if runtime.store is not None:
            question, _ = _current_turn(state["messages"])
            turn = sum(1 for message in state["messages"] if _is_user_turn(message))
            await runtime.store.aput(
                (MEMORY_NAMESPACE, _thread_id(config)),
                f"turn-{turn:04d}",
                {"question": question, "answer": reply.text, "approval": decision},
            )
            _progress("finalize", "saved a memory", key=f"turn-{turn:04d}")
        return {"messages": [reply]}

    builder = StateGraph(DemoState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode(list(DEMO_TOOLS)))
    builder.add_node("researcher", build_researcher_graph(token_delay=delay))
    builder.add_node("approve", approve)
    builder.add_node("finalize", finalize)
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: "researcher"})
    builder.add_edge("tools", "agent")
    builder.add_edge("researcher", "approve")
    builder.add_edge("approve", "finalize")
    builder.add_edge("finalize", END)
    return builder


def build_demo_graph(
    *,
    checkpointer: BaseCheckpointSaver | None = None,
    store: BaseStore | None = None,
    token_delay: float | None = None,
) -> CompiledStateGraph:
    """The compiled demo agent, named ``rewind-demo-agent``.

    ``token_delay`` defaults to ``$REWIND_DEMO_TOKEN_DELAY`` when set, else 0.02 s.
    Without a store the agent simply remembers nothing; the approval ``interrupt()``
    needs a checkpointer to be resumed.
    """
    builder = build_demo_builder(token_delay=token_delay)
    return builder.compile(checkpointer=checkpointer, store=store, name=DEMO_GRAPH_NAME)
