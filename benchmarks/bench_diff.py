"""Time ``diff_states`` on two large, realistic states and print the ratio to the budget.

Each state holds 2,000 LangChain-shaped messages (tool calls, metadata, usage) where
every 100th message carries 100 KB of text, plus a 100 KB multi-line channel and a
100 KB single-line channel. The second state is a separate copy (as a second decode of
the database would give), with one 100 KB message edited in the middle, a tool call
argument changed, one message removed, one moved, two appended, and both big channels
edited.

Run from the repository root: ``python -m benchmarks.bench_diff``
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from desktop.core.diff import diff_states
from desktop.core.diff_model import render_diff_text

MESSAGES = 2_000
BIG_TEXT_BYTES = 100_000
BUDGET_MS = 100.0
RUNS = 7


def big_text(seed: int, *, multiline: bool) -> str:
    """About 100 KB of varied prose, one sentence per line or all on one line."""
    sentences: list[str] = []
    size = 0
    index = 0
    while size < BIG_TEXT_BYTES:
        sentence = f"Sentence {index} of document {seed} talks about topic {index * 7 % 131}."
        sentences.append(sentence)
        size += len(sentence) + 1
        index += 1
    return ("\n" if multiline else " ").join(sentences)


def message(index: int) -> dict[str, Any]:
    """One message as the read path decodes it."""
    content = big_text(index, multiline=True) if index % 100 == 0 else f"Reply number {index}."
    if index % 2 == 0:
        return {"type": "human", "id": f"msg-{index}", "content": content}
    return {
        "type": "ai",
        "id": f"msg-{index}",
        "content": content,
        "tool_calls": [
            {"name": "search", "args": {"query": f"q{index}"}, "id": f"call-{index}"},
        ],
        "response_metadata": {"model_name": "scripted", "finish_reason": "tool_calls"},
        "usage_metadata": {"input_tokens": index, "output_tokens": 12, "total_tokens": index + 12},
    }


def build_states() -> tuple[dict[str, Any], dict[str, Any]]:
    """The old state and an independently built, edited new state."""
    old = {
        "messages": [message(index) for index in range(MESSAGES)],
        "notes": big_text(-1, multiline=True),
        "summary": big_text(-2, multiline=False),
        "step": 41,
    }
    new = json.loads(json.dumps(old))
    edited = new["messages"][1000]["content"].splitlines()
    edited[600] = "This line was rewritten by the fork."
    new["messages"][1000]["content"] = "\n".join(edited)
    new["messages"][1501]["tool_calls"][0]["args"]["query"] = "rewritten query"
    del new["messages"][700]
    new["messages"].insert(300, new["messages"].pop(1800))
    new["messages"].append({"type": "human", "id": "msg-new-1", "content": "And then?"})
    new["messages"].append({"type": "ai", "id": "msg-new-2", "content": "Then it ended."})
    new["notes"] = new["notes"].replace("Sentence 900 ", "Sentence nine hundred ")
    new["summary"] = new["summary"].replace("topic 5.", "a different topic.", 1)
    new["step"] = 42
    return old, new


def best_ms(action: Callable[[], object]) -> float:
    """Fastest of several runs, in milliseconds."""
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return min(timings)


def main() -> None:
    old, new = build_states()
    same = json.loads(json.dumps(old))
    diff = diff_states(old, new)
    print(f"diff: {diff.summary()} ({len(diff.entries)} entries)")
    results = {
        "diff_states (edited)": best_ms(lambda: diff_states(old, new)),
        "diff_states (identical copy)": best_ms(lambda: diff_states(old, same)),
        "render_diff_text": best_ms(lambda: render_diff_text(diff)),
    }
    for name, elapsed in results.items():
        print(f"{name:32s} {elapsed:8.2f} ms   {elapsed / BUDGET_MS:5.2f} x budget")


if __name__ == "__main__":
    main()
