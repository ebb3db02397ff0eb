"""ScriptedChatModel streams like a real provider, alone and inside LangGraph."""

from __future__ import annotations

import asyncio
import json

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from desktop.core.demo.scripted_model import ScriptedChatModel, ScriptedModelError, split_tokens
from desktop.core.errors import RewindError

TOOL_REPLY = AIMessage(
    "Let me look that up for you.",
    tool_calls=[
        {"name": "lookup", "args": {"query": "pricing of the Pro plan", "limit": 3}, "id": "c1"}
    ],
)


@tool
def lookup(query: str, limit: int) -> str:
    """Look something up."""
    return f"{limit} results for {query}"


def test_split_tokens_keeps_every_character():
    text = "  Hello,  streaming world!\nSecond line "
    pieces = split_tokens(text)
    assert "".join(pieces) == text
    assert len(pieces) == 5


def test_stream_yields_word_pieces_with_one_message_id():
    model = ScriptedChatModel(responder=[AIMessage("The quick brown fox jumps.")])
    chunks = list(model.stream("go"))

    assert [c.content for c in chunks[:-1]] == ["The ", "quick ", "brown ", "fox ", "jumps."]
    assert chunks[-1].chunk_position == "last"
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].id


def test_tool_calls_stream_as_chunks_and_aggregate_to_tool_calls():
    model = ScriptedChatModel(responder=[TOOL_REPLY]).bind_tools([lookup])
    chunks = list(model.stream("find pricing"))

    call_chunks = [c.tool_call_chunks[0] for c in chunks if c.tool_call_chunks]
    assert call_chunks[0]["name"] == "lookup"
    assert call_chunks[0]["id"] == "c1"
    assert len(call_chunks) > 2, "arguments should arrive in several pieces"
    assert json.loads("".join(c["args"] for c in call_chunks)) == TOOL_REPLY.tool_calls[0]["args"]

    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.content == TOOL_REPLY.content
    assert merged.tool_calls == [
        {
            "name": "lookup",
            "args": TOOL_REPLY.tool_calls[0]["args"],
            "id": "c1",
            "type": "tool_call",
        }
    ]
    assert merged.response_metadata["finish_reason"] == "tool_calls"


def test_invoke_without_streaming_returns_the_whole_reply():
    model = ScriptedChatModel(responder=[TOOL_REPLY])
    reply = model.invoke("hi")

    assert reply.content == TOOL_REPLY.content
    assert reply.tool_calls[0]["args"] == TOOL_REPLY.tool_calls[0]["args"]
    assert reply.id
    assert reply.usage_metadata["output_tokens"] > 0


def test_callable_responder_answers_from_the_input():
    def echo(messages: list[BaseMessage]) -> AIMessage:
        return AIMessage(f"You said {messages[-1].text.upper()}")

    model = ScriptedChatModel(responder=echo)
    assert model.invoke("hello").content == "You said HELLO"
    assert model.invoke("bye").content == "You said BYE"


def test_missing_tool_call_ids_are_filled_in():
    reply = AIMessage("", tool_calls=[{"name": "lookup", "args": {}, "id": None}])
    message = ScriptedChatModel(responder=[reply]).invoke("x")
    assert message.tool_calls[0]["id"].startswith("call_")


def test_list_responder_runs_out_with_a_clear_error():
    model = ScriptedChatModel(responder=[AIMessage("one"), AIMessage("two")])
    bound = model.bind_tools([lookup])

    assert model.invoke("a").content == "one"
    assert bound.invoke("b").content == "two", "bound copies share the script"
    with pytest.raises(ScriptedModelError, match="ran out of replies: all 2") as error:
        model.invoke("c")
    assert isinstance(error.value, RewindError)


def test_reply_calling_an_unbound_tool_is_rejected():
    reply = AIMessage("", tool_calls=[{"name": "delete_everything", "args": {}, "id": "x"}])
    bound = ScriptedChatModel(responder=[reply]).bind_tools([lookup])
    with pytest.raises(ScriptedModelError, match=r"unknown tool.*delete_everything.*lookup"):
        bound.invoke("x")


def test_responder_must_return_an_ai_message():
    model = ScriptedChatModel(responder=lambda messages: "plain text")
    with pytest.raises(ScriptedModelError, match="must return an AIMessage, got str"):
        model.invoke("x")


def _tool_agent(model: ScriptedChatModel) -> StateGraph:
    bound = model.bind_tools([lookup])

    def agent(state: MessagesState) -> dict:
        return {"messages": [bound.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([lookup]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return builder


def test_langgraph_messages_mode_streams_tokens_and_tool_call_chunks():
    model = ScriptedChatModel(responder=[TOOL_REPLY, AIMessage("Found three results.")])
    graph = _tool_agent(model).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}

    parts = list(
        graph.stream(
            {"messages": [HumanMessage("pricing?")]},
            config,
            stream_mode="messages",
            version="v2",
        )
    )
    chunks = [p["data"] for p in parts if isinstance(p["data"][0], AIMessageChunk)]
    assert all(meta["langgraph_node"] == "agent" for _, meta in chunks)
    assert len(chunks) > 8
    assert any(message.tool_call_chunks for message, _ in chunks)

    stored = graph.get_state(config).values["messages"]
    first_reply, final_reply = stored[1], stored[-1]
    assert first_reply.tool_calls[0]["args"] == TOOL_REPLY.tool_calls[0]["args"]
    assert stored[2].content == "3 results for pricing of the Pro plan"
    assert final_reply.content == "Found three results."
    streamed_final = "".join(m.content for m, _ in chunks if m.id == final_reply.id)
    assert streamed_final == final_reply.content


async def test_async_stream_yields_to_the_event_loop_between_tokens():
    text = "one two three four five six"
    order: list[str] = []

    async def consume(name: str) -> None:
        model = ScriptedChatModel(responder=[AIMessage(text)], token_delay=0.001)
        async for chunk in model.astream("go"):
            if chunk.content:
                order.append(name)

    await asyncio.gather(consume("a"), consume("b"))

    assert sorted(order) == ["a"] * 6 + ["b"] * 6
    assert order != ["a"] * 6 + ["b"] * 6, "a blocking sleep would run one stream to the end"


async def test_async_graph_streams_token_by_token():
    model = ScriptedChatModel(responder=[AIMessage("No tools needed here.")])
    graph = _tool_agent(model).compile()
    tokens = [
        part["data"][0].content
        async for part in graph.astream(
            {"messages": [HumanMessage("hi")]}, stream_mode="messages", version="v2"
        )
    ]
    assert tokens[:4] == ["No ", "tools ", "needed ", "here."]


def test_langchain_create_agent_runs_the_tools_it_calls():
    """Tool calls are typed ``tool_call``, which ``create_agent``'s tool node requires."""
    from langchain.agents import create_agent

    @tool
    def echo(text: str) -> str:
        """Repeat the text."""
        return text.upper()

    model = ScriptedChatModel(
        responder=[
            AIMessage("", tool_calls=[{"name": "echo", "args": {"text": "hi"}, "id": None}]),
            AIMessage("done"),
        ]
    )
    result = create_agent(model, [echo]).invoke({"messages": [HumanMessage("go")]})
    assert [m.type for m in result["messages"]] == ["human", "ai", "tool", "ai"]
    assert result["messages"][2].text == "HI"
    assert result["messages"][1].tool_calls[0]["type"] == "tool_call"
