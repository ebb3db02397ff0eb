"""Compare what Rewind reads from a database with what LangGraph itself reports."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from desktop.core.sources import open_source


def checkpoint_config(thread_id: str, ns: str = "", checkpoint_id: str | None = None) -> dict:
    conf: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ns}
    if checkpoint_id:
        conf["checkpoint_id"] = checkpoint_id
    return {"configurable": conf}


def assert_thread_matches_langgraph(path: Path, graph: Any, thread_id: str) -> dict[str, Any]:
    """Every checkpoint (every namespace): Rewind's ``next`` is ``get_state(...).next`` and
    a ``loop`` checkpoint's writers are its parent's tasks; the thread's run state and
    pending interrupts are ``get_state(thread)``'s. Returns counts for the caller."""
    with open_source(path) as source:
        metas = source.history(thread_id)
        progress = {m.key: source.progress(m) for m in metas}
        summary = source.thread(thread_id)
    by_key = {m.key: m for m in metas}
    for meta in metas:
        snapshot = graph.get_state(
            checkpoint_config(thread_id, meta.checkpoint_ns, meta.checkpoint_id)
        )
        where = f"{meta.checkpoint_ns or 'root'} step {meta.step} {meta.source}"
        assert Counter(progress[meta.key].next) == Counter(snapshot.next), where
        parent = by_key.get((meta.checkpoint_ns, meta.parent_checkpoint_id or ""))
        if meta.source == "loop" and parent is not None:
            ran = graph.get_state(
                checkpoint_config(thread_id, parent.checkpoint_ns, parent.checkpoint_id)
            ).tasks
            assert Counter(meta.writers) == Counter(t.name for t in ran), where
        elif meta.source in ("input", "fork"):
            assert meta.writers == (), where
    live = graph.get_state(checkpoint_config(thread_id))
    assert Counter(summary.next_nodes) == Counter(live.next)
    assert [i.id for i in summary.progress.interrupts] == [i.id for i in live.interrupts]
    return {"checkpoints": len(metas), "summary": summary, "live": live}
