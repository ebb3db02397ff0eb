"""Headless twins of the window's write actions: ``run``, ``fork``, ``replay``, ``resume``.

Each one loads the user's graph, attaches Rewind's ``AsyncSqliteSaver`` on the database
(``AsyncPostgresSaver`` for a ``postgresql://`` URL) and calls the same
:mod:`desktop.core.runner` function the window calls. Streamed parts are printed as they
arrive, one JSON object per line. No Qt is imported.

A checkpoint is named like ``rewind diff`` names it: its id or a unique prefix, in any
namespace listed by ``rewind history``; it is looked up read-only first. Only ``run``
with an input creates a missing database; ``status`` only reads. While ``run``,
``replay`` and ``resume`` load and run the graph, its own output goes to stderr and
Ctrl-C stops at once (:mod:`desktop.cli_stream`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from desktop.core.errors import RewindError

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph
    from desktop.core.model import CheckpointMeta
    from desktop.core.running import RunningNodes


def _emit(value: Any, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    stream.write(json.dumps(value, ensure_ascii=False) + "\n")
    stream.flush()


def _note(text: str | None) -> None:
    """One line on stderr that does not stop the command (stdout stays JSON lines)."""
    if text:
        sys.stderr.write(f"rewind: note: {text}\n")


def _load(args: argparse.Namespace) -> LoadedGraph:
    from desktop.core.graphs import load_graph

    config = Path(args.config).expanduser() if args.config else None
    loaded = load_graph(args.graph, config_path=config, graph_id=args.graph_id)
    for warning in loaded.warnings:
        sys.stderr.write(f"rewind: warning: {warning}\n")
    return loaded


def _checkpoint(args: argparse.Namespace, *, runs: bool) -> CheckpointMeta:
    """The checkpoint ``--checkpoint`` names (id or unique prefix), read-only.

    LangGraph runs a thread only from a root checkpoint: with ``runs``, a subgraph
    checkpoint is refused, naming the root checkpoint its step ran from.
    """
    from desktop.core.lookup import find_checkpoint
    from desktop.core.sources import open_source

    with open_source(args.path) as source:
        meta = find_checkpoint(source.history(args.thread), args.checkpoint)
    if runs and meta.checkpoint_ns:
        parents = meta.metadata.get("parents")
        root = parents.get("") if isinstance(parents, dict) else None
        hint = f"; run from root checkpoint {root} instead" if root else ""
        raise RewindError(
            f"Checkpoint {meta.checkpoint_id} is inside subgraph {meta.checkpoint_ns!r}: "
            f"LangGraph runs a thread only from a root checkpoint{hint}"
        )
    return meta


def _modes(text: str | None) -> tuple[str, ...]:
    from desktop.core.run_stream import DEFAULT_MODES

    if not text:
        return DEFAULT_MODES
    return tuple(mode.strip() for mode in text.split(",") if mode.strip())


def _nodes(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [node.strip() for node in text.split(",") if node.strip()]


async def _print_stream(events: AsyncIterator[Any], out: TextIO) -> int:
    """Print every event; close the run cleanly even when stdout goes away mid-stream."""
    try:
        async for event in events:
            _emit(event.to_json(), out)
    finally:
        await events.aclose()
    return 0


def _stream(
    args: argparse.Namespace, start: Callable[[LoadedGraph, RunningNodes], AsyncIterator[Any]]
) -> int:
    """Load the graph and stream ``start(graph, running)`` with the graph's output on
    stderr and Rewind's Ctrl-C (:func:`desktop.cli_stream.run_streaming`)."""
    from desktop.cli_stream import graph_output_to_stderr, run_streaming
    from desktop.core.inputs import context_note
    from desktop.core.running import RunningNodes

    with graph_output_to_stderr() as out:
        graph = _load(args)
        if getattr(args, "context", None) is not None:
            _note(context_note(graph.graph))
        running = RunningNodes(graph.graph)
        return run_streaming(_print_stream(start(graph, running), out), running)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """``--configurable`` and ``--context`` as the runner takes them, checked before
    anything is loaded or written."""
    from desktop.core.run_settings import parse_configurable, parse_object

    return {
        "configurable": parse_configurable(args.configurable),
        "context": parse_object(args.context, "--context"),
    }


def cmd_run(args: argparse.Namespace) -> int:
    """``rewind run``: a new turn (``--input``), or continue from ``--checkpoint``."""
    from desktop.core.guards import check_recursion_limit
    from desktop.core.inputs import check_text_input, make_input
    from desktop.core.runner import run

    graph_input = make_input(args.input, args.input_json)
    check_recursion_limit(args.recursion_limit)
    settings = _settings(args)
    checkpoint = _checkpoint(args, runs=True).checkpoint_id if args.checkpoint else None

    def start(graph: LoadedGraph, running: RunningNodes) -> AsyncIterator[Any]:
        if args.input is not None:
            check_text_input(graph.graph)
        return run(
            graph,
            args.path,
            args.thread,
            graph_input,
            checkpoint_id=checkpoint,
            stream_modes=_modes(args.stream_mode),
            interrupt_before=_nodes(args.interrupt_before),
            interrupt_after=_nodes(args.interrupt_after),
            recursion_limit=args.recursion_limit,
            init=args.init,
            running=running,
            durability=args.durability,
            **settings,
        )

    return _stream(args, start)


def cmd_replay(args: argparse.Namespace) -> int:
    """``rewind replay``: re-run from a past checkpoint as a new branch."""
    from desktop.core.guards import check_recursion_limit
    from desktop.core.runner import replay

    check_recursion_limit(args.recursion_limit)
    settings = _settings(args)
    checkpoint = _checkpoint(args, runs=True).checkpoint_id
    return _stream(
        args,
        lambda graph, running: replay(
            graph,
            args.path,
            args.thread,
            checkpoint,
            stream_modes=_modes(args.stream_mode),
            recursion_limit=args.recursion_limit,
            running=running,
            durability=args.durability,
            **settings,
        ),
    )


def cmd_resume(args: argparse.Namespace) -> int:
    """``rewind resume``: answer pending interrupts, or continue a run that stopped."""
    from desktop.core.guards import check_recursion_limit
    from desktop.core.runner import NO_VALUE, resume

    check_recursion_limit(args.recursion_limit)
    settings = _settings(args)
    value = NO_VALUE if args.value is None else parse_value(args.value)
    return _stream(
        args,
        lambda graph, running: resume(
            graph,
            args.path,
            args.thread,
            value,
            stream_modes=_modes(args.stream_mode),
            recursion_limit=args.recursion_limit,
            running=running,
            note=_note,
            durability=args.durability,
            **settings,
        ),
    )


def cmd_fork(args: argparse.Namespace) -> int:
    """``rewind fork``: write a new checkpoint with edited values; runs nothing.

    ``--values`` takes the forms ``rewind export`` prints; they become the live types
    found at the checkpoint through the same conversion as the window's fork editor.
    """
    import asyncio

    from desktop.cli_stream import graph_output_to_stderr
    from desktop.core.forking import fork_live, update_from_values
    from desktop.core.runner import fork

    try:
        values = json.loads(args.values)
    except json.JSONDecodeError as exc:
        raise RewindError(
            f"--values is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    meta = _checkpoint(args, runs=False)
    with graph_output_to_stderr() as out:
        graph = _load(args)

        async def write() -> str:
            live = await fork_live(
                graph, args.path, args.thread, meta.checkpoint_id, meta.checkpoint_ns
            )
            update = update_from_values(graph, values, live, meta.checkpoint_ns)
            return await fork(
                graph,
                args.path,
                args.thread,
                meta.checkpoint_id,
                update,
                as_node=args.as_node,
                checkpoint_ns=meta.checkpoint_ns,
            )

        _emit({"checkpoint_id": asyncio.run(write())}, out)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """``rewind status``: what a thread waits for (interrupts, unfinished run, errors)."""
    import asyncio

    from desktop.cli_stream import graph_output_to_stderr
    from desktop.core.run_status import thread_status

    with graph_output_to_stderr() as out:
        graph = _load(args)
        status = asyncio.run(thread_status(graph, args.path, args.thread))
        if status.note:
            sys.stderr.write(f"rewind: note: {status.note}\n")
        _emit(status.to_json(), out)
    return 0


def parse_value(text: str) -> Any:
    """A resume value: JSON when it parses, otherwise the text itself as a string.

    Text that starts like a JSON object, array or string but does not parse is a typo,
    not an answer: it is refused rather than sent as a string.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith(("{", "[", '"')):
            raise RewindError(
                f"--value looks like JSON but is not valid: {exc.msg} "
                f"(line {exc.lineno}, column {exc.colno}); quote plain text differently"
            ) from None
        return text


def _common(parser: argparse.ArgumentParser, *, streams: bool = True) -> None:
    parser.add_argument(
        "path",
        help="SQLite checkpoint database or postgresql:// URL (only `run --input` creates a "
        "missing file, or the saver's tables in an empty Postgres database)",
    )
    source = parser.add_argument_group("graph (one of)")
    source.add_argument("--graph", metavar="SPEC", help="package.module:attr, file.py:attr or demo")
    source.add_argument("--config", metavar="FILE", help="langgraph.json of the project")
    source.add_argument("--graph-id", metavar="NAME", help="graph id in langgraph.json")
    parser.add_argument("--thread", required=True, metavar="ID", help="thread_id")
    if streams:
        parser.add_argument(
            "--stream-mode",
            metavar="M1,M2",
            help="stream modes (default messages,updates,custom,tasks,checkpoints)",
        )
        parser.add_argument(
            "--recursion-limit",
            type=_positive_int,
            metavar="N",
            help="stop the run after N steps (LangGraph's default: 25)",
        )
        parser.add_argument(
            "--durability",
            choices=("sync", "async", "exit"),
            help="when LangGraph saves checkpoints (default: LangGraph's default, async)",
        )
        parser.add_argument(
            "--configurable",
            metavar="JSON",
            help='JSON object merged into the run\'s config["configurable"] (e.g. '
            '{"user_id": "42"}); thread_id and checkpoint keys stay Rewind\'s',
        )
        parser.add_argument(
            "--context",
            metavar="JSON",
            help="JSON object passed as LangGraph's runtime context (runtime.context; "
            "built into the graph's context_schema)",
        )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_run_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``run``, ``replay``, ``resume``, ``fork`` and ``status`` on the CLI."""
    run = sub.add_parser("run", help="run a turn and stream every part as JSON lines")
    _common(run)
    given = run.add_mutually_exclusive_group()
    given.add_argument("--input", metavar="TEXT", help="send TEXT as a user message")
    given.add_argument("--input-json", metavar="JSON", help="send this JSON value as the input")
    run.add_argument(
        "--checkpoint",
        metavar="ID",
        help="start from this checkpoint, id or unique prefix (no input: continue it)",
    )
    run.add_argument("--interrupt-before", metavar="N1,N2", help="pause before these nodes")
    run.add_argument("--interrupt-after", metavar="N1,N2", help="pause after these nodes")
    run.add_argument(
        "--init",
        action="store_true",
        help="add the checkpoint tables to an existing SQLite file that has other tables",
    )
    run.set_defaults(func=cmd_run)

    replay = sub.add_parser("replay", help="re-run from a past checkpoint as a new branch")
    _common(replay)
    replay.add_argument("--checkpoint", required=True, metavar="ID", help="id or unique prefix")
    replay.set_defaults(func=cmd_replay)

    resume = sub.add_parser(
        "resume", help="answer interrupts with --value, or continue a run that stopped"
    )
    _common(resume)
    resume.add_argument(
        "--value",
        metavar="JSON",
        help='resume value: JSON, or plain text taken as a string; {"<interrupt id>": v, ...} '
        "answers several interrupts",
    )
    resume.set_defaults(func=cmd_resume)

    fork = sub.add_parser("fork", help="write a new checkpoint with edited values (runs nothing)")
    _common(fork, streams=False)
    fork.add_argument(
        "--checkpoint", required=True, metavar="ID", help="id or unique prefix, any namespace"
    )
    fork.add_argument(
        "--values",
        required=True,
        metavar="JSON",
        help="state update, a JSON object in the forms `rewind export` prints "
        "(a functional-API graph: its new return value)",
    )
    fork.add_argument("--as-node", metavar="NODE", help="apply the update as if NODE returned it")
    fork.set_defaults(func=cmd_fork)

    status = sub.add_parser("status", help="what a thread waits for, as JSON")
    _common(status, streams=False)
    status.set_defaults(func=cmd_status)
