"""Command line: headless subcommands, or the window.

``rewind`` alone opens the built-in demo; ``rewind PATH.db`` (or a ``postgresql://``
URL) opens a database in the window; ``rewind threads|history|export|diff ...`` print
JSON and never import Qt.
Every failure the user can fix is one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from desktop import __version__
from desktop.cli_graph import add_graph_command
from desktop.cli_housekeeping import add_housekeeping_commands
from desktop.cli_read import add_read_commands
from desktop.cli_runs import add_run_commands
from desktop.cli_screenshot import screenshot_name
from desktop.core.errors import RewindError

EXIT_ERROR = 1
DEBUG_ENV = "REWIND_DEBUG"


EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line on stderr (exit 2, argparse's
    usage-error status), not the usage; an unknown option after a subcommand is reported
    by that subcommand's parser (``rewind history: error: ...``), as a missing one is."""

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The headless subcommands; the window has its own parser (:func:`build_gui_parser`)."""
    parser = OneLineParser(
        prog="rewind",
        description="Rewind: time-travel debugger for LangGraph checkpoint databases.",
        epilog="Without a subcommand, `rewind [PATH.db]` opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"rewind {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_read_commands(sub)
    add_run_commands(sub)
    add_housekeeping_commands(sub)
    add_graph_command(sub)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    """Options of the window: ``rewind [PATH.db] [--thread ID] [--checkpoint ID] ...``."""
    parser = OneLineParser(
        prog="rewind",
        description=(
            "Open the Rewind window. Without PATH, opens the built-in demo database. "
            f"Headless commands: {', '.join(HEADLESS_COMMANDS)} "
            "(see `rewind COMMAND --help`)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"rewind {__version__}")
    parser.add_argument(
        "path", nargs="?", help="checkpoint database to open: SQLite file or postgresql:// URL"
    )
    parser.add_argument("--thread", metavar="ID", help="select this thread")
    parser.add_argument("--checkpoint", metavar="ID", help="select this checkpoint")
    parser.add_argument("--graph", metavar="SPEC", help="module:attr, file.py:attr or demo")
    parser.add_argument("--config", metavar="FILE", help="langgraph.json to load the graph from")
    parser.add_argument("--graph-id", metavar="NAME", help="graph id in langgraph.json")
    parser.add_argument(
        "--store",
        metavar="PATH|URL",
        help="show the Store in this database instead of the checkpoint database's",
    )
    parser.add_argument(
        "--screenshot",
        metavar="PNG",
        type=screenshot_name,
        help="render the window once everything selected has loaded, save it and exit",
    )
    parser.add_argument(
        "--window-size",
        metavar="WxH",
        type=_window_size,
        help="open the window at this size, e.g. 1024x640 (default: the size it had last time; "
        "with --screenshot, 1280x800)",
    )
    return parser


def _window_size(text: str) -> tuple[int, int]:
    """``1024x640`` as (1024, 640); argparse reports anything else in one line."""
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1024x640, not {text!r}")
    size = (int(width), int(height))
    if not (320 <= size[0] <= 10000 and 240 <= size[1] <= 10000):
        raise argparse.ArgumentTypeError(f"{text} is not a window size (320x240 to 10000x10000)")
    return size


HEADLESS_COMMANDS = (
    "threads",
    "history",
    "export",
    "diff",
    "store",
    "run",
    "fork",
    "replay",
    "resume",
    "status",
    "size",
    "delete",
    "copy",
    "prune",
    "graph",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rewind`` script and ``python -m desktop``."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in HEADLESS_COMMANDS:
        args = build_parser().parse_args(args_list)
        return _run_reporting_errors(args.func, args)
    if args_list and args_list[0] in ("-h", "--help"):
        build_gui_parser().print_help()
        return 0
    args = build_gui_parser().parse_args(args_list)

    def launch(options: argparse.Namespace) -> int:
        _check_window_path(options.path)
        from desktop.ui.platform_check import platform_problem

        problem = platform_problem()
        if problem is not None:
            raise RewindError(problem)
        from desktop.ui.app import run_app

        return run_app(options)

    return _run_reporting_errors(launch, args)


def _check_window_path(path: str | None) -> None:
    """A path the window cannot open (often a mistyped command) is one line, before Qt."""
    from desktop.core.pgurl import check_location, is_postgres_url

    check_location(path)
    if path is None or is_postgres_url(path) or os.path.exists(os.path.expanduser(path)):
        return
    if os.sep in path or "." in path:
        raise RewindError(f"{path}: no such file")
    commands = ", ".join(HEADLESS_COMMANDS)
    raise RewindError(f"{path}: no such file, and not a command ({commands})")


def _run_reporting_errors(
    func: Callable[[argparse.Namespace], int], args: argparse.Namespace
) -> int:
    try:
        return func(args)
    except RewindError as exc:
        sys.stderr.write(f"rewind: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("rewind: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) left: stop quietly, and keep Python's final
        # flush of stdout from raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        text = " ".join(str(exc).split()) or "no details"
        sys.stderr.write(
            f"rewind: error: unexpected {type(exc).__name__}: {text} "
            f"(set {DEBUG_ENV}=1 for a traceback)\n"
        )
        return EXIT_ERROR
