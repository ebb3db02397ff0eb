"""Find threads by text in their latest state: the values of each thread's head
checkpoint (delta channels rebuilt) searched caselessly, one thread at a time.

Blocking and per thread, so a caller can run each step in a worker thread, report
progress and stop between threads (the window's search is cancellable).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from desktop.core.decode import DecodeError
from desktop.core.errors import RewindError
from desktop.core.model import user_channels
from desktop.core.sources.common import CheckpointSource

SNIPPET_CHARS = 80


@dataclass(frozen=True, slots=True)
class StateMatch:
    """A thread whose latest state contains the text, with the text around it."""

    thread_id: str
    checkpoint_id: str
    snippet: str


def head_state_text(source: CheckpointSource, thread_id: str) -> tuple[str, str]:
    """The head checkpoint id of ``thread_id`` and its user channels as JSON text."""
    head = source.head(thread_id)
    state = source.load_state(head)
    text = json.dumps(user_channels(state.values), ensure_ascii=False, default=str)
    return head.checkpoint_id, text


def match_thread(source: CheckpointSource, thread_id: str, needle: str) -> StateMatch | None:
    """``thread_id`` when its latest state contains ``needle`` (caseless), else None."""
    try:
        checkpoint_id, text = head_state_text(source, thread_id)
    except (RewindError, DecodeError):
        return None
    folded = text.casefold()
    at = folded.find(needle.casefold())
    if at < 0:
        return None
    start = max(0, at - SNIPPET_CHARS // 2)
    snippet = " ".join(text[start : start + SNIPPET_CHARS].split())
    return StateMatch(thread_id, checkpoint_id, snippet)
