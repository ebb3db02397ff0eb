"""Headless housekeeping: ``size`` (read-only), and ``delete``, ``copy``, ``prune``.

The three writing commands change the database only when the user says so:
``delete`` without ``--yes`` and ``prune`` without ``--apply`` only print what they
would do. Writes go through LangGraph's own saver (``adelete_thread``, ``aput``,
``aput_writes``), never hand-written rows. No Qt is imported.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from desktop.cli_read import print_json
from desktop.core.errors import RewindError


def _note(text: str) -> None:
    sys.stderr.write(f"rewind: {text}\n")


def cmd_size(args: argparse.Namespace) -> int:
    """``rewind size PATH [--thread ID]``: stored bytes per thread, largest first."""
    from desktop.core.sources import open_source
    from desktop.core.sources.sizes import size_report

    with open_source(args.path) as source:
        report = size_report(source.thread_sizes(args.thread))
        if args.largest:
            report["largest_checkpoints"] = [
                item.to_json() for item in source.largest_checkpoints(args.largest, args.thread)
            ]
    print_json(report, indent=2)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    """``rewind delete PATH --thread ID [--yes]``: LangGraph's ``delete_thread``."""
    import asyncio

    from desktop.core.housekeeping_ops import delete_thread
    from desktop.core.sources import open_source

    with open_source(args.path) as source:
        (size,) = source.thread_sizes(args.thread)
    summary = {"thread_id": args.thread, "checkpoints": size.checkpoints, "bytes": size.bytes}
    if not args.yes:
        print_json({**summary, "deleted": False})
        _note(f"nothing deleted: add --yes to delete thread {args.thread!r}")
        return 0
    asyncio.run(delete_thread(args.path, args.thread))
    print_json({**summary, "deleted": True})
    return 0


def cmd_copy(args: argparse.Namespace) -> int:
    """``rewind copy PATH --thread A --to B``: every checkpoint and write of A as B."""
    import asyncio

    from desktop.core.housekeeping_ops import copy_thread, prepare_copy

    job = prepare_copy(args.path, args.thread, args.to)
    copied = asyncio.run(copy_thread(job))
    print_json(
        {
            "thread_id": args.thread,
            "to": job.target,
            "checkpoints": copied,
            "writes": len(job.writes),
        }
    )
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    """``rewind prune PATH [--thread ID] --keep N | --before DATE [--apply]``."""
    import asyncio

    from desktop.core.housekeeping_ops import apply_prunes, plan_prunes

    before = _parse_date(args.before) if args.before else None
    job = plan_prunes(
        args.path,
        [args.thread] if args.thread else None,
        keep=args.keep,
        before=before,
        with_writes=args.apply,
    )
    for plan, _ in job.plans:
        print_json(plan.to_json())
    if not args.apply:
        if job.removed:
            _note("dry run: nothing removed; add --apply to prune")
        return 0
    removed = asyncio.run(apply_prunes(job))
    _note(f"pruned {removed} checkpoint(s)")
    return 0


def _count(text: str) -> int:
    """A whole number of at least 0 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _parse_date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RewindError(
            f"--before {text!r} is not a date; use ISO form, e.g. 2026-11-30 or "
            "2026-11-30T12:00:00+00:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_housekeeping_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``size``, ``delete``, ``copy`` and ``prune`` on the CLI."""
    size = sub.add_parser("size", help="stored bytes per thread, largest first (read-only)")
    size.add_argument("path", help="checkpoint database")
    size.add_argument("--thread", metavar="ID", help="only this thread")
    size.add_argument(
        "--largest",
        type=_count,
        default=0,
        metavar="N",
        help="also list the N largest checkpoints",
    )
    size.set_defaults(func=cmd_size)

    delete = sub.add_parser("delete", help="delete a thread (only with --yes)")
    delete.add_argument("path", help="checkpoint database")
    delete.add_argument("--thread", required=True, metavar="ID", help="thread_id")
    delete.add_argument("--yes", action="store_true", help="really delete it")
    delete.set_defaults(func=cmd_delete)

    copy = sub.add_parser("copy", help="copy a thread to a new id, every checkpoint and write")
    copy.add_argument("path", help="checkpoint database")
    copy.add_argument("--thread", required=True, metavar="ID", help="thread to copy")
    copy.add_argument("--to", required=True, metavar="ID", help="new thread id (must not exist)")
    copy.set_defaults(func=cmd_copy)

    prune = sub.add_parser(
        "prune", help="drop old checkpoints, keeping each thread's head line (dry run by default)"
    )
    prune.add_argument("path", help="checkpoint database")
    prune.add_argument("--thread", metavar="ID", help="only this thread (default: every thread)")
    keep = prune.add_mutually_exclusive_group(required=True)
    keep.add_argument("--keep", type=int, metavar="N", help="keep the head and its N-1 ancestors")
    keep.add_argument(
        "--before", metavar="DATE", help="drop head-line checkpoints created before DATE"
    )
    prune.add_argument("--apply", action="store_true", help="prune (default: only print)")
    prune.set_defaults(func=cmd_prune)
