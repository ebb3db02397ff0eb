"""Errors that Rewind reports to the user as one clear line."""


class RewindError(Exception):
    """A problem the user can act on; ``str(error)`` is the one-line message to show."""


class SourceError(RewindError):
    """The database cannot be opened or read as a LangGraph checkpoint database."""


class NotFoundError(RewindError):
    """A thread or checkpoint named by the user does not exist in the database."""


class GraphLoadError(RewindError):
    """The user's graph (spec, file, module or langgraph.json) cannot be loaded."""


def error_line(exc: BaseException) -> str:
    """``Type: first line of the message``: how an exception from user code is reported."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
