"""An offline chat model that streams scripted replies the way a real provider does.

The demo agent and the tests need a model that behaves like a hosted one under
LangGraph (token-by-token ``AIMessageChunk``s, tool calls arriving as
``tool_call_chunks``, one message id per response) without a network or an API key.
What it says is decided by a *responder*; how it says it is the same every time.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field, field_validator

from desktop.core.errors import RewindError

Responder = Callable[[list[BaseMessage]], AIMessage]
"""Decides the reply to a list of input messages."""

_TOKEN = re.compile(r"\s*\S+\s*|\s+")
_ARGS_PIECE = 12


class ScriptedModelError(RewindError):
    """The scripted model cannot produce a reply (script exhausted, bad responder output)."""


class ScriptedReplies:
    """A fixed list of replies handed out in order, shared by every copy of a model.

    ``bind_tools`` returns a copy of the model; sharing this object keeps the copies
    consuming the same script instead of each starting from the top.
    """

    def __init__(self, replies: Sequence[AIMessage]) -> None:
        self._replies = list(replies)
        self._next = 0
        self._lock = threading.Lock()

    def __call__(self, messages: list[BaseMessage]) -> AIMessage:
        with self._lock:
            if self._next >= len(self._replies):
                raise ScriptedModelError(
                    f"ScriptedChatModel ran out of replies: all {len(self._replies)} scripted "
                    f"replies were used and call {self._next + 1} asked for another"
                )
            reply = self._replies[self._next]
            self._next += 1
            return reply


def split_tokens(text: str) -> list[str]:
    """Split text into word-ish pieces whose concatenation is exactly ``text``."""
    return _TOKEN.findall(text)


def _tool_name(tool: dict[str, Any] | type | Callable[..., Any] | BaseTool) -> str:
    return convert_to_openai_tool(tool)["function"]["name"]


class ScriptedChatModel(BaseChatModel):
    """Deterministic, offline chat model that streams like a hosted provider.

    ``responder`` is either a callable ``(messages) -> AIMessage`` (so replies can
    depend on the input) or a list of ``AIMessage`` consumed in order. Streaming
    yields one chunk per word-ish piece of text, then each tool call as
    ``tool_call_chunks`` (name first, JSON arguments in pieces), then a final chunk
    with ``chunk_position="last"``; all chunks of a response share one message id.
    ``token_delay`` seconds pass before each chunk (``asyncio.sleep`` when async).
    """

    responder: Responder
    token_delay: float = Field(default=0.0, ge=0.0)
    model_name: str = "scripted-demo-model"
    tool_names: tuple[str, ...] = ()

    @field_validator("responder", mode="before")
    @classmethod
    def _script_from_list(cls, value: Any) -> Any:
        if isinstance(value, Sequence) and not isinstance(value, str):
            if not all(isinstance(item, AIMessage) for item in value):
                raise ValueError("a scripted reply list must contain only AIMessage objects")
            return ScriptedReplies(value)
        return value

    @property
    def _llm_type(self) -> str:
        return "scripted-chat-model"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "token_delay": self.token_delay}

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Return a copy that knows the tools' names; replies may only call those tools."""
        names = tuple(_tool_name(tool) for tool in tools)
        return self.model_copy(update={"tool_names": names})

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        reply = self.responder(messages)
        if not isinstance(reply, AIMessage):
            raise ScriptedModelError(
                f"ScriptedChatModel responder must return an AIMessage, got {type(reply).__name__}"
            )
        unknown = [c["name"] for c in reply.tool_calls if c["name"] not in self.tool_names]
        if self.tool_names and unknown:
            raise ScriptedModelError(
                f"scripted reply calls unknown tool(s) {', '.join(unknown)}; "
                f"bound tools are {', '.join(self.tool_names)}"
            )
        tool_calls = [
            tool_call(name=c["name"], args=c["args"], id=c["id"] or f"call_{uuid.uuid4().hex[:16]}")
            for c in reply.tool_calls
        ]
        return reply.model_copy(
            update={
                "id": reply.id or f"scripted-{uuid.uuid4()}",
                "tool_calls": tool_calls,
                "response_metadata": {
                    **reply.response_metadata,
                    "model_name": self.model_name,
                    "finish_reason": "tool_calls" if tool_calls else "stop",
                },
                "usage_metadata": _usage(messages, reply),
            }
        )

    def _chunks(self, reply: AIMessage) -> Iterator[AIMessageChunk]:
        for piece in split_tokens(reply.text):
            yield AIMessageChunk(content=piece, id=reply.id)
        for index, call in enumerate(reply.tool_calls):
            yield AIMessageChunk(
                content="",
                id=reply.id,
                tool_call_chunks=[
                    tool_call_chunk(name=call["name"], args="", id=call["id"], index=index)
                ],
            )
            arguments = json.dumps(call["args"])
            for start in range(0, len(arguments), _ARGS_PIECE):
                yield AIMessageChunk(
                    content="",
                    id=reply.id,
                    tool_call_chunks=[
                        tool_call_chunk(
                            name=None,
                            args=arguments[start : start + _ARGS_PIECE],
                            id=None,
                            index=index,
                        )
                    ],
                )
        yield AIMessageChunk(
            content="",
            id=reply.id,
            chunk_position="last",
            response_metadata=reply.response_metadata,
            usage_metadata=reply.usage_metadata,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._reply(messages)):
            if self.token_delay:
                time.sleep(self.token_delay)
            yield ChatGenerationChunk(message=chunk)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._reply(messages)):
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            yield ChatGenerationChunk(message=chunk)


def _usage(messages: list[BaseMessage], reply: AIMessage) -> dict[str, int]:
    input_tokens = sum(len(split_tokens(m.text)) for m in messages)
    output_tokens = len(split_tokens(reply.text)) + len(reply.tool_calls)
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }
