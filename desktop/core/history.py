"""The checkpoint DAG of one thread, arranged as a tree a person can read.

A thread's checkpoints form a tree per namespace (each checkpoint names its parent).
The timeline shows:

- the *main line*: the path from the root to the thread's head (its newest root-namespace
  checkpoint, the one langgraph continues from), flat and oldest first;
- *branches*: where a checkpoint has several children (a fork made with ``update_state``,
  a replay), each child not on the line starts a branch nested under that checkpoint;
  a branch follows its newest tip and may branch again;
- *subgraphs*: checkpoints of a non-empty ``checkpoint_ns`` nest, as a group, under the
  parent-graph checkpoint each one names in its ``metadata.parents`` (per checkpoint: a
  namespace kept across turns is split into one group per turn).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from desktop.core.model import CheckpointMeta

ItemKind = Literal["checkpoint", "branch", "subgraph"]


@dataclass(eq=False)
class TimelineItem:
    """A row of the timeline tree: a checkpoint, or a group (branch or subgraph run)."""

    kind: ItemKind
    label: str
    meta: CheckpointMeta | None = None
    children: list[TimelineItem] = field(default_factory=list)
    parent: TimelineItem | None = field(default=None, repr=False)
    on_head_line: bool = False

    def add(self, child: TimelineItem) -> None:
        child.parent = self
        self.children.append(child)

    def walk(self) -> Iterator[TimelineItem]:
        """This item and every descendant, depth first, in display order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class ThreadTimeline:
    """A thread's checkpoints arranged for display, with lookups the UI needs."""

    thread_id: str
    roots: list[TimelineItem]
    head: CheckpointMeta | None
    by_key: dict[tuple[str, str], CheckpointMeta]
    items_by_key: dict[tuple[str, str], TimelineItem]

    @property
    def checkpoint_count(self) -> int:
        return len(self.by_key)

    def parent_of(self, meta: CheckpointMeta) -> CheckpointMeta | None:
        """The checkpoint this one was derived from (same namespace), if it is stored."""
        if meta.parent_checkpoint_id is None:
            return None
        return self.by_key.get((meta.checkpoint_ns, meta.parent_checkpoint_id))

    def subgraph_parent(self, meta: CheckpointMeta) -> CheckpointMeta | None:
        """The parent graph's checkpoint whose step ran ``meta``'s subgraph (the one its
        ``metadata.parents`` names), if it is stored; None for a root checkpoint."""
        if not meta.checkpoint_ns:
            return None
        parent_ns = _parent_ns(meta.checkpoint_ns)
        parents = meta.metadata.get("parents")
        anchor = parents.get(parent_ns) if isinstance(parents, dict) else None
        return self.by_key.get((parent_ns, anchor)) if isinstance(anchor, str) else None

    def finished_subgraph_parent(self, meta: CheckpointMeta) -> CheckpointMeta | None:
        """For a checkpoint of a subgraph run that has finished, the parent checkpoint that
        ran it; else None.

        A subgraph run belongs to one task of its parent's step (namespace ``node:task``);
        once that step is over (the parent saved the next step's checkpoint after it) the
        parent never reads the subgraph's checkpoints again, so a fork there changes
        nothing. Forking the parent checkpoint runs the subgraph again from the edit. A
        subgraph compiled with ``checkpointer=True`` (namespace ``node``, no task) keeps its
        state across turns: its checkpoints are read by the next turn, so None."""
        if ":" not in meta.checkpoint_ns.rpartition("|")[2]:
            return None
        parent = self.subgraph_parent(meta)
        if parent is None:
            return None
        moved_on = any(
            m.source == "loop"
            and m.checkpoint_ns == parent.checkpoint_ns
            and m.parent_checkpoint_id == parent.checkpoint_id
            for m in self.by_key.values()
        )
        return parent if moved_on else None

    def branch_tips(self) -> list[CheckpointMeta]:
        """Leaves of the root namespace: every branch's newest checkpoint, head first."""
        root = [m for m in self.by_key.values() if m.checkpoint_ns == ""]
        parents = {m.parent_checkpoint_id for m in root}
        tips = sorted(
            (m for m in root if m.checkpoint_id not in parents),
            key=lambda m: m.checkpoint_id,
            reverse=True,
        )
        return tips

    def lineage(self, meta: CheckpointMeta) -> list[CheckpointMeta]:
        """The checkpoints from the root to ``meta``, oldest first."""
        chain = []
        seen: set[tuple[str, str]] = set()
        current: CheckpointMeta | None = meta
        while current is not None and current.key not in seen:
            seen.add(current.key)
            chain.append(current)
            current = self.parent_of(current)
        chain.reverse()
        return chain


def build_timeline(thread_id: str, checkpoints: Iterable[CheckpointMeta]) -> ThreadTimeline:
    """Arrange a thread's checkpoints (any order, every namespace) into a timeline tree."""
    by_key = {m.key: m for m in checkpoints}
    by_ns: dict[str, list[CheckpointMeta]] = defaultdict(list)
    for meta in by_key.values():
        by_ns[meta.checkpoint_ns].append(meta)
    items_by_key: dict[tuple[str, str], TimelineItem] = {}
    root_tree = _NamespaceTree("", by_ns[""], items_by_key) if "" in by_ns else None
    head = root_tree.head if root_tree else None
    roots = root_tree.build(mark_head=True) if root_tree else []

    for ns in sorted(n for n in by_ns if n):
        for anchor_id, metas in _runs_by_anchor(ns, by_ns[ns]):
            group = TimelineItem("subgraph", _subgraph_label(ns))
            for item in _NamespaceTree(ns, metas, items_by_key).build(mark_head=False):
                group.add(item)
            anchor = items_by_key.get((_parent_ns(ns), anchor_id)) if anchor_id else None
            if anchor is None:
                roots.append(group)
            else:
                _insert_group(anchor, group)
    return ThreadTimeline(thread_id, roots, head, by_key, items_by_key)


class _NamespaceTree:
    """Builds the main line and the branches of the checkpoints of one namespace."""

    def __init__(
        self,
        ns: str,
        metas: list[CheckpointMeta],
        items_by_key: dict[tuple[str, str], TimelineItem],
    ) -> None:
        self.metas = sorted(metas, key=lambda m: m.checkpoint_id)
        self.items_by_key = items_by_key
        parents = _acyclic_parents(self.metas)
        self.children: dict[str | None, list[CheckpointMeta]] = defaultdict(list)
        for meta in self.metas:
            self.children[parents[meta.checkpoint_id]].append(meta)
        self.newest_below: dict[str, str] = {}
        for meta in reversed(self.metas):
            self._newest(meta)
        self.head = self.metas[-1] if self.metas else None

    def _newest(self, meta: CheckpointMeta) -> str:
        """Newest checkpoint id in the subtree under ``meta`` (iterative: chains are long)."""
        known = self.newest_below.get(meta.checkpoint_id)
        if known is not None:
            return known
        stack = [meta]
        while stack:
            current = stack[-1]
            pending = [
                c
                for c in self.children[current.checkpoint_id]
                if c.checkpoint_id not in self.newest_below
            ]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            newest = current.checkpoint_id
            for child in self.children[current.checkpoint_id]:
                newest = max(newest, self.newest_below[child.checkpoint_id])
            self.newest_below[current.checkpoint_id] = newest
        return self.newest_below[meta.checkpoint_id]

    def build(self, *, mark_head: bool) -> list[TimelineItem]:
        """Top-level rows: the line to the head, then other roots as branches."""
        starts = sorted(self.children[None], key=self._tip, reverse=True)
        if not starts:
            return []
        rows = self._line(starts[0], on_head_line=mark_head)
        for other in starts[1:]:
            branch = TimelineItem("branch", _branch_label(other))
            for item in self._line(other, on_head_line=False):
                branch.add(item)
            rows.append(branch)
        return rows

    def _tip(self, meta: CheckpointMeta) -> str:
        return self.newest_below[meta.checkpoint_id]

    def _line(self, start: CheckpointMeta, *, on_head_line: bool) -> list[TimelineItem]:
        """Follow the newest child from ``start``; other children become nested branches."""
        rows: list[TimelineItem] = []
        pending: list[tuple[TimelineItem, CheckpointMeta]] = []
        current: CheckpointMeta | None = start
        while current is not None:
            item = TimelineItem("checkpoint", _checkpoint_label(current), current)
            item.on_head_line = on_head_line
            self.items_by_key[current.key] = item
            rows.append(item)
            kids = sorted(self.children[current.checkpoint_id], key=self._tip, reverse=True)
            pending.extend((item, kid) for kid in kids[1:])
            current = kids[0] if kids else None
        for anchor, kid in pending:
            branch = TimelineItem("branch", _branch_label(kid, anchor.meta))
            for child in self._line(kid, on_head_line=False):
                branch.add(child)
            anchor.add(branch)
        return rows


def _acyclic_parents(metas: list[CheckpointMeta]) -> dict[str, str | None]:
    """Each checkpoint's stored parent, or ``None`` when the parent is missing or the
    parent links loop (a tampered or corrupt database): the result is always a forest.

    Each checkpoint has one parent link, so following links from any checkpoint either
    ends or enters a loop; a loop is cut at the checkpoint where the walk meets itself.
    Linear in the number of checkpoints.
    """
    parents = {m.checkpoint_id: m.parent_checkpoint_id for m in metas}
    parents = {cid: (p if p in parents else None) for cid, p in parents.items()}
    done: set[str] = set()
    for start in parents:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        while current is not None and current not in done:
            if current in on_path:
                parents[current] = None
                break
            path.append(current)
            on_path.add(current)
            current = parents[current]
        done.update(path)
    return parents


def _parent_ns(ns: str) -> str:
    return ns.rpartition("|")[0] if "|" in ns else ""


def _runs_by_anchor(ns: str, metas: list[CheckpointMeta]) -> list[tuple[str | None, list]]:
    """A subgraph namespace's checkpoints split by the parent checkpoint each one names in
    its own ``metadata.parents``: a subgraph compiled with ``checkpointer=True`` keeps one
    namespace across turns, and each turn's checkpoints belong under that turn's step.
    Oldest run first; checkpoints naming no parent form one run of their own."""
    parent_ns = _parent_ns(ns)
    runs: dict[str | None, list[CheckpointMeta]] = {}
    for meta in sorted(metas, key=lambda m: m.checkpoint_id):
        parents = meta.metadata.get("parents")
        anchor = parents.get(parent_ns) if isinstance(parents, dict) else None
        runs.setdefault(anchor if isinstance(anchor, str) else None, []).append(meta)
    return list(runs.items())


def _insert_group(anchor: TimelineItem, group: TimelineItem) -> None:
    """Subgraph groups go before branches so a checkpoint reads: what ran, then forks."""
    index = sum(1 for child in anchor.children if child.kind == "subgraph")
    group.parent = anchor
    anchor.children.insert(index, group)


def _checkpoint_label(meta: CheckpointMeta) -> str:
    step = "?" if meta.step is None else str(meta.step)
    source = meta.source or "?"
    writers = ", ".join(meta.writers)
    return f"step {step} · {source}" + (f" · {writers}" if writers else "")


def _branch_label(start: CheckpointMeta, parent: CheckpointMeta | None = None) -> str:
    """``branch (fork) after step 1``: where the branch leaves its parent line, or, for a
    branch whose parent is not stored, the step it starts at."""
    kind = "fork" if start.source == "update" else (start.source or "branch")
    if parent is not None:
        return f"branch ({kind}) after step {_step_text(parent)}"
    return f"branch ({kind}) starting at step {_step_text(start)}"


def _step_text(meta: CheckpointMeta) -> str:
    return "?" if meta.step is None else str(meta.step)


def _subgraph_label(ns: str) -> str:
    last = ns.split("|")[-1]
    node, _, task_id = last.partition(":")
    return f"subgraph {node}" + (f" · task {task_id[:8]}" if task_id else "")
