"""Unpack a big msgpack blob in bounded pieces, so the GUI thread is never starved.

``ormsgpack.unpackb`` holds the GIL for the whole call: a checkpoint holding a
1,000,000-item list kept every other thread (the Qt event loop included) waiting for
its whole decode, although it ran in a worker thread. :func:`unpackb` gives exactly the
value ``ormsgpack.unpackb(buf, ext_hook=..., option=OPT_NON_STR_KEYS)`` gives (what
LangGraph's serde decodes), but a blob over :data:`CHUNK_BYTES` is first walked with
:mod:`desktop.core.msgpack_scan` (plain Python, which yields the GIL as any Python
code does) and its arrays and maps are unpacked a run of items at a time: each run of
at most :data:`CHUNK_BYTES` bytes or :data:`CHUNK_ITEMS` items is one ``ormsgpack``
call, behind a header that counts just those items; an item bigger than that is split
the same way, level by level. Extension payloads are unpacked by the caller's hook,
which bounds them with this same function.

Only a single string or bytes value bigger than the limit is decoded in one call (at
memory-copy speed: tens of milliseconds for the 64 MB that a value may have at most).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import ormsgpack

from desktop.core.msgpack_scan import SIZED, STEP, ScanError, container_header, skip

CHUNK_BYTES = 256 << 10
"""Bytes decoded by one ``ormsgpack`` call at most (a millisecond or two of work)."""

CHUNK_ITEMS = 16384
"""Items decoded by one ``ormsgpack`` call at most."""

OPTIONS = ormsgpack.OPT_NON_STR_KEYS

_MAX_DEPTH = 32
# Deeper containers are never split: each is one run (hostile nesting stays bounded).

ExtHook = Callable[[int, bytes], Any]
Kind = Literal["array", "map"]
# A run of whole items decoded by one call: (start, end, items). A big item split on its
# own: (start, end of its key (== start in an array), its _Split).
_Part = tuple[int, int, "int | _Split"]


class _Split:
    """A container too big for one call: its kind and its parts, in order."""

    __slots__ = ("kind", "parts")

    def __init__(self, kind: Kind, parts: list[_Part]) -> None:
        self.kind = kind
        self.parts = parts


def unpackb(buf: bytes, ext_hook: ExtHook) -> Any:
    """``ormsgpack.unpackb(buf, ext_hook=ext_hook, option=OPT_NON_STR_KEYS)``, decoded
    a bounded run at a time when ``buf`` is big (bytes after the first value are
    ignored, as ``ormsgpack`` ignores them). Raises ``ValueError`` on malformed data."""
    if len(buf) <= CHUNK_BYTES:
        return ormsgpack.unpackb(buf, ext_hook=ext_hook, option=OPTIONS)
    header = container_header(buf)
    if header is None:
        return ormsgpack.unpackb(buf, ext_hook=ext_hook, option=OPTIONS)
    kind, count, first = header
    _end, split = _plan(buf, 0, kind, count, first, 0)
    if split is None:
        return ormsgpack.unpackb(buf, ext_hook=ext_hook, option=OPTIONS)
    return _build(buf, split, ext_hook)


def _plan(
    buf: bytes, start: int, kind: Kind, count: int, pos: int, depth: int
) -> tuple[int, _Split | None]:
    """Walk a container's items: ``(its end, its parts)``, parts ``None`` when it is
    small enough to be decoded in one call."""
    step = STEP
    end = len(buf)
    parts: list[_Part] = []
    run_start, run_items = pos, 0
    for _ in range(count):
        item = pos
        if kind == "map":
            if pos >= end:
                raise ScanError(end, "unexpected end of data")
            size = step[buf[pos]]
            keyed = buf[pos] in _SCALAR_KEYS  # decoded alone as inside its map
            pos = pos + size if size else skip(buf, pos)
        else:
            keyed = True
        key_end = pos
        if pos >= end:
            raise ScanError(end, "unexpected end of data")
        size = step[buf[pos]]
        sub = None
        if size:
            pos += size
        else:
            header = container_header(buf, pos) if keyed and depth < _MAX_DEPTH else None
            if header is None:
                pos = skip(buf, pos)
            else:
                pos, sub = _plan(buf, pos, header[0], header[1], header[2], depth + 1)
        if sub is not None:
            if run_items:
                parts.append((run_start, item, run_items))
            parts.append((item, key_end, sub))
            run_start, run_items = pos, 0
            continue
        run_items += 1
        if run_items >= CHUNK_ITEMS or pos - run_start >= CHUNK_BYTES:
            parts.append((run_start, pos, run_items))
            run_start, run_items = pos, 0
    if pos > end:
        raise ScanError(end, "unexpected end of data")
    if pos - start <= CHUNK_BYTES and all(isinstance(part[2], int) for part in parts):
        return pos, None
    if run_items:
        parts.append((run_start, pos, run_items))
    return pos, _Split(kind, parts)


# First bytes of map keys that decode alone to what they are inside their map: nil,
# booleans, numbers, strings and bytes; not containers (keys become tuples) nor ext records.
_SCALAR_KEYS = frozenset(
    {b for b in range(256) if STEP[b] and not 0xD4 <= b <= 0xD8}
    | {b for b in SIZED if b not in (0xC7, 0xC8, 0xC9)}
)


def _build(buf: bytes, split: _Split, ext_hook: ExtHook) -> Any:
    view = memoryview(buf)
    if split.kind == "array":
        items: list[Any] = []
        for start, stop, what in split.parts:
            if isinstance(what, _Split):
                items.append(_build(buf, what, ext_hook))
            elif what == 1:
                items.append(ormsgpack.unpackb(view[start:stop], ext_hook=ext_hook, option=OPTIONS))
            else:
                items.extend(_run(buf, "array", start, stop, what, ext_hook))
        return items
    entries: dict[Any, Any] = {}
    for start, stop, what in split.parts:
        if isinstance(what, _Split):
            key = ormsgpack.unpackb(view[start:stop], option=OPTIONS)
            entries[key] = _build(buf, what, ext_hook)
        else:
            entries.update(_run(buf, "map", start, stop, what, ext_hook))
    return entries


def _run(buf: bytes, kind: Kind, start: int, stop: int, count: int, ext_hook: ExtHook) -> Any:
    """The ``count`` items (entries) in ``buf[start:stop]`` as one list (dict)."""
    return ormsgpack.unpackb(
        _header(kind, count) + buf[start:stop], ext_hook=ext_hook, option=OPTIONS
    )


def _header(kind: Kind, count: int) -> bytes:
    if count < 16:
        return bytes([(0x90 if kind == "array" else 0x80) | count])
    if count < 1 << 16:
        return bytes([0xDC if kind == "array" else 0xDE]) + count.to_bytes(2, "big")
    return bytes([0xDD if kind == "array" else 0xDF]) + count.to_bytes(4, "big")
