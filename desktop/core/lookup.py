"""Lookups shared by the window and the headless commands when inspecting one thread."""

from __future__ import annotations

from desktop.core.errors import NotFoundError
from desktop.core.model import CheckpointMeta, CheckpointState
from desktop.core.sources.common import CheckpointSource


def find_checkpoint(history: list[CheckpointMeta], checkpoint_id: str) -> CheckpointMeta:
    """The checkpoint with this id (a unique prefix is enough), in any namespace."""
    exact = [m for m in history if m.checkpoint_id == checkpoint_id]
    if exact:
        return sorted(exact, key=lambda m: m.checkpoint_ns)[0]
    matches = [m for m in history if m.checkpoint_id.startswith(checkpoint_id)]
    if len(matches) == 1 and checkpoint_id:
        return matches[0]
    thread = history[0].thread_id if history else "?"
    if len(matches) > 1:
        raise NotFoundError(
            f"Checkpoint prefix {checkpoint_id!r} is ambiguous in thread {thread!r} "
            f"({len(matches)} matches)"
        )
    raise NotFoundError(f"Checkpoint {checkpoint_id!r} not found in thread {thread!r}")


def load_diff_pair(
    source: CheckpointSource,
    thread_id: str,
    checkpoint_id: str,
    against_id: str | None = None,
) -> tuple[CheckpointState, CheckpointState | None]:
    """The selected checkpoint's state and the state to compare it with.

    Without ``against_id`` the partner is the checkpoint's parent (``None`` for a root,
    which diffs against an empty state).
    """
    history = source.history(thread_id)
    meta = find_checkpoint(history, checkpoint_id)
    if against_id:
        partner = find_checkpoint(history, against_id)
    else:
        by_key = {m.key: m for m in history}
        partner = by_key.get((meta.checkpoint_ns, meta.parent_checkpoint_id or ""))
    new = source.load_state(meta)
    old = source.load_state(partner) if partner is not None else None
    return new, old
