"""Case-insensitive substring matching for every script, the same in SQL and in Python.

SQLite's ``LIKE`` folds ASCII letters only (``ÜNÏ`` would not find ``ünï``), so filters
fold both sides with Unicode case folding after compatibility normalization (Unicode's
"compatibility caseless match": ``ß`` finds ``SS``, a decomposed ``ü`` finds ``Ü``).
Every source and every filter box matches through :func:`fold` / :func:`contains`.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """``text`` in the form used for caseless comparison."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKD", text).casefold())


def contains(haystack: str, needle: str) -> bool:
    """True when ``needle`` occurs in ``haystack``, ignoring case (surrounding spaces of
    ``needle`` ignored; an empty needle matches everything)."""
    folded = fold(needle.strip())
    return not folded or folded in fold(haystack)


def contains_folded(haystack: object, folded_needle: object) -> bool:
    """:func:`contains` for an already folded needle; any value types (a SQL function:
    a thread id stored as a number or blob is compared as text, never raises)."""
    if not isinstance(folded_needle, str) or not folded_needle:
        return True
    if isinstance(haystack, bytes):
        text = haystack.decode("utf-8", "replace")
    else:
        text = "" if haystack is None else str(haystack)
    return folded_needle in fold(text)
