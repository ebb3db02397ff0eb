"""``rewind graph``: the graph picture as JSON, with node states at a checkpoint.

``rewind graph [PATH|URL] --graph SPEC [--thread ID [--checkpoint ID]] [--png FILE]``
prints ``{"nodes": [...], "edges": [...]}`` from ``get_graph(xray=True)``; with a
thread, each node's state at the checkpoint (default: the thread's head). Without a
graph, the picture is inferred from the thread's history. The JSON path never imports
Qt; ``--png`` renders the window's picture offscreen (no display needed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.errors import RewindError

if TYPE_CHECKING:
    from desktop.core.graph_view import CheckpointActivity, GraphPicture, NodeState
    from desktop.core.graphs import LoadedGraph


def cmd_graph(args: argparse.Namespace) -> int:
    """Print the graph picture (and write ``--png``)."""
    from desktop.core.graph_view import graph_json, node_states

    picture, activity, title = _picture(args)
    states = node_states(picture, activity)
    if args.png:
        _write_png(picture, states, title, Path(args.png).expanduser())
    sys.stdout.write(json.dumps(graph_json(picture, states), ensure_ascii=False, indent=2) + "\n")
    return 0


def _picture(
    args: argparse.Namespace,
) -> tuple[GraphPicture, CheckpointActivity | None, str]:
    from desktop.core.graph_infer import infer_picture
    from desktop.core.graph_view import checkpoint_activity, picture_of

    has_graph = bool(args.graph or args.config)
    if args.checkpoint and not args.thread:
        raise RewindError("--checkpoint needs --thread")
    if args.thread and not args.path:
        raise RewindError("--thread needs a database (PATH)")
    if not has_graph and not args.thread:
        raise RewindError(
            "Name a graph (--graph SPEC or --config langgraph.json), or a database and "
            "--thread to infer the graph from its history"
        )
    picture = None
    title = ""
    if has_graph:
        loaded = _load(args)
        picture = picture_of(loaded.graph)
        title = loaded.name
    if not args.thread:
        return picture, None, title
    from desktop.core.lookup import find_checkpoint
    from desktop.core.sources import open_source

    with open_source(args.path) as source:
        history = source.history(args.thread)
        if args.checkpoint:
            meta = find_checkpoint(history, args.checkpoint)
        else:
            meta = next((m for m in history if not m.checkpoint_ns), history[0])
        state = source.load_state(meta)
        if state.error:
            raise RewindError(f"Checkpoint {meta.checkpoint_id}: {state.error}")
        activity = checkpoint_activity(state)
        if picture is None:
            summary = source.thread(args.thread)
            head = next(m for m in history if m.checkpoint_id == summary.latest_checkpoint_id)
            head_activity = (
                activity if head == meta else checkpoint_activity(source.load_state(head))
            )
            finished = [head.checkpoint_id] if summary.run_state == "finished" else []
            picture = infer_picture(history, finished, head_activity, head)
            title = f"{args.thread} (inferred from history)"
    return picture, activity, title


def _load(args: argparse.Namespace) -> LoadedGraph:
    from desktop.core.graphs import load_graph

    config = Path(args.config).expanduser() if args.config else None
    loaded = load_graph(args.graph, config_path=config, graph_id=args.graph_id)
    for warning in loaded.warnings:
        sys.stderr.write(f"rewind: warning: {warning}\n")
    return loaded


def _write_png(
    picture: GraphPicture, states: dict[str, NodeState], title: str, target: Path
) -> None:
    from desktop.ui.graph_png import render_png

    render_png(picture, states, title, target)


def add_graph_command(sub: argparse._SubParsersAction) -> None:
    """Register ``rewind graph`` on the CLI."""
    graph = sub.add_parser(
        "graph", help="the graph's nodes and edges as JSON, with node states at a checkpoint"
    )
    graph.add_argument("path", nargs="?", help="checkpoint database (for --thread)")
    source = graph.add_argument_group("graph (one of; none: inferred from the thread)")
    source.add_argument("--graph", metavar="SPEC", help="package.module:attr, file.py:attr or demo")
    source.add_argument("--config", metavar="FILE", help="langgraph.json of the project")
    source.add_argument("--graph-id", metavar="NAME", help="graph id in langgraph.json")
    graph.add_argument("--thread", metavar="ID", help="show node states for this thread")
    graph.add_argument(
        "--checkpoint", metavar="ID", help="at this checkpoint, id or unique prefix (default: head)"
    )
    graph.add_argument("--png", metavar="FILE", help="also write the picture as a PNG")
    graph.set_defaults(func=cmd_graph)
