"""The thread filter's syntax, shared by every source, the CLI and the window.

``user_id=42 session`` means: threads whose stored metadata has ``user_id`` equal to
``42`` (the string, or a JSON number or boolean whose text is ``42``) and whose id
contains ``session``. LangGraph copies the ``configurable`` values an app passes (and
its run ``metadata``) into each checkpoint's metadata, so ``key=value`` finds threads by
anything the app named them with. Words without ``=`` match the thread id, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TERM = re.compile(r"^([^=\s]+)=(.*)$")


@dataclass(frozen=True, slots=True)
class ThreadFilter:
    """A parsed filter: a thread-id substring and metadata ``key=value`` terms."""

    id_text: str
    metadata: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.id_text and not self.metadata


def parse_thread_filter(text: str) -> ThreadFilter:
    """Split filter text into metadata terms (``key=value``) and id words."""
    words: list[str] = []
    terms: list[tuple[str, str]] = []
    for word in text.split():
        match = _TERM.match(word)
        if match:
            terms.append((match.group(1), match.group(2)))
        else:
            words.append(word)
    return ThreadFilter(" ".join(words), tuple(terms))
