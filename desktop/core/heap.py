"""Keep Python's full garbage collections short in a long-running window.

A full (generation 2) collection walks every object the cyclic collector tracks, with
the GIL held. With LangChain or a user's graph imported that is a few hundred thousand
objects, 80-170 ms on a busy machine, and it falls on whatever allocates next: a
checkpoint being decoded, a diff, the event loop (``benchmarks/bench_delta.py``
measured it as the worst selection). Modules, classes and the window live as long as
the process, so after start-up (and after a graph is attached) they are moved out of
the collector's reach with :func:`gc.freeze`; objects made later are collected as usual.
"""

from __future__ import annotations

import gc


def freeze_long_lived(*, collect: bool = False) -> None:
    """Exclude every object alive now from later collections (``collect``: free the
    cyclic garbage first, so none of it is kept)."""
    if collect:
        gc.collect()
    gc.freeze()


BIG_VALUE_BYTES = 4 << 20
"""A value decoded from at least this many bytes is kept out of collections."""


def keep_big_value(size: int) -> None:
    """After decoding a value from ``size`` bytes: when it was big, exclude it (and
    everything alive now) from later collections.

    A young collection walks every item of every young list, whichever thread's
    allocation triggers it: right after a checkpoint holding a 1,000,000-item list was
    decoded in a worker, the GUI thread's next allocations paid 60-300 ms walking it
    (``benchmarks/bench_huge_state.py``). Frozen, it is never walked; it is still freed
    when its last reference goes (decoded data holds no cycles). What else is alive at
    that moment stays uncollected if it later becomes cyclic garbage: a few objects per
    big checkpoint opened.
    """
    if size >= BIG_VALUE_BYTES:
        gc.freeze()
