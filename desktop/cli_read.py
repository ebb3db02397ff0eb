"""Headless reading commands: ``threads``, ``history``, ``export``, ``diff``, ``store``.

Each prints JSON on stdout (``diff`` also plain text) and changes nothing; a note that
does not stop the command goes to stderr. ``rewind threads`` imports no Qt, asyncio,
LangGraph or LangChain (a test proves it): everything heavier is imported inside the
command that needs it.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from typing import Any

from desktop.core.errors import RewindError


def _open(path: str):
    """The source at ``path`` (file or URL); its note, if any, goes to stderr."""
    from desktop.core.sources import open_source

    source = open_source(path)
    if source.note:
        _note(source.note)
    return source


def _note(text: str, kind: str = "note") -> None:
    """One line on stderr that does not stop the command (stdout stays pure JSON)."""
    sys.stderr.write(f"rewind: {kind}: {text}\n")


def print_json(value: Any, *, indent: int | None = None) -> None:
    """One JSON value on stdout, flushed (the housekeeping commands print the same way)."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=indent) + "\n")
    sys.stdout.flush()


def _print_records(records: list[dict[str, Any]]) -> None:
    """``records`` of strings, integers, booleans, ``None`` and lists and dicts of them as
    ``print_json(records, indent=2)`` prints them, character for character, encoded by
    orjson (the pure-Python encoder that ``indent`` selects costs more than reading
    10,000 threads' run state); by ``json`` itself when orjson refuses a value (a lone
    surrogate, an integer over 64 bits). Floats are not for it: orjson writes them
    differently (``1e-05``, ``NaN``)."""
    import orjson

    try:
        text = orjson.dumps(records, option=orjson.OPT_INDENT_2).decode()
    except TypeError:
        print_json(records, indent=2)
        return
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def cmd_threads(args: argparse.Namespace) -> int:
    """``rewind threads PATH``: every thread as a JSON array, newest first.

    The cyclic garbage collector is paused while the threads are listed and printed:
    on 10,000 threads it ran some 300 times (~45 ms) for a few hundred objects, where
    reference counting frees the rest at once."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        with _open(args.path) as source:
            threads = source.list_threads(args.filter or "")
        _print_records([t.to_json() for t in threads])
    finally:
        if collecting:
            gc.enable()
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """``rewind history PATH --thread ID [--follow]``: one JSON line per checkpoint, newest
    first, with the nodes that wrote it and the tasks of its next step (``get_state().next``);
    with ``--follow``, then one line per new checkpoint as it lands, until Ctrl-C."""
    if args.follow:
        return _follow_history(args)
    with _open(args.path) as source:
        for meta in source.history(args.thread):
            print_json(_history_line(source, meta))
    return 0


def _history_line(source: Any, meta: Any) -> dict[str, Any]:
    """A checkpoint as ``rewind history`` prints it: its record, ``nodes``, ``next`` and,
    when later steps ran unsaved before it was saved, ``steps_folded``."""
    line = meta.to_json()
    line["nodes"] = list(meta.writers)
    if meta.steps_folded:
        line["steps_folded"] = meta.steps_folded
    line["next"] = list(source.progress(meta).next)
    return line


def _follow_history(args: argparse.Namespace) -> int:
    from desktop.core.errors import NotFoundError
    from desktop.core.watch import follow_thread, open_probe

    with _open(args.path) as source:
        probe = open_probe(args.path)
        try:
            try:
                metas = source.history(args.thread)
            except NotFoundError:
                metas = []
                sys.stderr.write(f"rewind: waiting for thread {args.thread!r} to appear\n")
                sys.stderr.flush()
            for meta in metas:
                print_json(_history_line(source, meta))
            seen = {meta.key for meta in metas}
            for meta in follow_thread(source, probe, args.thread, seen):
                print_json(_history_line(source, meta))
        except KeyboardInterrupt:
            return 0
        finally:
            probe.close()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``rewind export PATH --thread ID [--graph SPEC]``: the thread with decoded values and
    writes; with a graph, its delta channels are folded by the graph's own reducers."""
    if not (args.graph or args.config):
        with _open(args.path) as source:
            print_json(source.export_thread(args.thread), indent=2)
        return 0
    import asyncio
    from pathlib import Path

    from desktop.core.delta_graph import fold_with_graph
    from desktop.core.graphs import load_graph

    config = Path(args.config).expanduser() if args.config else None
    graph = load_graph(args.graph, config_path=config, graph_id=args.graph_id)
    with _open(args.path) as source:
        states = [source.load_state(meta) for meta in source.history(args.thread)]
    states = asyncio.run(fold_with_graph(graph, args.path, states))
    thread = {"thread_id": args.thread, "checkpoints": [s.to_json() for s in states]}
    print_json(thread, indent=2)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """``rewind diff PATH --thread ID --checkpoint A [--against B]``: what changed."""
    from desktop.core.diff import diff_states
    from desktop.core.diff_model import render_diff_text
    from desktop.core.isolate import REST_KEY
    from desktop.core.lookup import load_diff_pair
    from desktop.core.model import user_channels

    with _open(args.path) as source:
        new, old = load_diff_pair(source, args.thread, args.checkpoint, args.against)
    for state in (new, old):
        if state is None or not state.error:
            continue
        message = f"Checkpoint {state.meta.checkpoint_id}: {state.error}"
        if set(state.values) <= {REST_KEY}:
            raise RewindError(message)
        _note(f"{message}; those values are marked unreadable, not compared", "warning")
    old_values = user_channels(old.values) if old else {}
    diff = diff_states(old_values, user_channels(new.values))
    if args.json:
        print_json(diff.to_json(), indent=2)
    else:
        sys.stdout.write(render_diff_text(diff) + "\n")
    return 0


def cmd_store(args: argparse.Namespace) -> int:
    """``rewind store PATH [--store PATH]``: every Store item as a JSON array."""
    from desktop.core.store import all_items, open_store, parse_namespace

    reader = open_store(args.store or args.path)
    note = getattr(reader, "note", None)
    if note:
        _note(note)
    try:
        items = all_items(reader, parse_namespace(args.namespace), args.filter or "")
    finally:
        reader.close()
    print_json([item.to_json() for item in items], indent=2)
    return 0


def _add_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        help="checkpoint database: a SqliteSaver file or a postgresql:// URL (PostgresSaver)",
    )


def _add_thread(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--thread", required=True, metavar="ID", help="thread_id")


def add_read_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``threads``, ``history``, ``export``, ``diff`` and ``store`` on the CLI."""
    threads = sub.add_parser("threads", help="list threads as JSON")
    _add_path(threads)
    threads.add_argument(
        "--filter",
        metavar="TEXT",
        help="words the thread id contains, and key=value terms its metadata matches",
    )
    threads.set_defaults(func=cmd_threads)

    history = sub.add_parser("history", help="list a thread's checkpoints, one JSON per line")
    _add_path(history)
    _add_thread(history)
    history.add_argument(
        "--follow",
        action="store_true",
        help="then print each new checkpoint as it lands, until Ctrl-C",
    )
    history.set_defaults(func=cmd_history)

    export = sub.add_parser("export", help="export a thread with decoded state as JSON")
    _add_path(export)
    _add_thread(export)
    export.add_argument(
        "--graph", metavar="SPEC", help="fold delta channels with this graph's own reducers"
    )
    export.add_argument("--config", metavar="FILE", help="langgraph.json to load the graph from")
    export.add_argument("--graph-id", metavar="NAME", help="graph id in langgraph.json")
    export.set_defaults(func=cmd_export)

    diff = sub.add_parser("diff", help="what changed between two checkpoints")
    _add_path(diff)
    _add_thread(diff)
    diff.add_argument("--checkpoint", required=True, metavar="ID")
    diff.add_argument(
        "--against", metavar="ID", help="checkpoint to compare with (default: the parent)"
    )
    diff.add_argument("--json", action="store_true", help="print the diff as JSON")
    diff.set_defaults(func=cmd_diff)

    store = sub.add_parser("store", help="list the items of a LangGraph Store as JSON")
    _add_path(store)
    store.add_argument(
        "--store",
        metavar="PATH|URL",
        help="read the Store in this database instead of the checkpoint database",
    )
    store.add_argument(
        "--namespace", metavar="A.B", help="only this namespace and the ones under it"
    )
    store.add_argument(
        "--filter", metavar="TEXT", help="only items whose key or value contains TEXT"
    )
    store.set_defaults(func=cmd_store)
