"""Find where msgpack values begin and end without building them.

When a blob fails to unpack as a whole, :mod:`desktop.core.isolate` uses these
boundaries to unpack its items one by one, so one broken value does not hide its
neighbours; :mod:`desktop.core.msgpack_chunks` uses them to unpack a big blob a bounded
run of items at a time. The scan is iterative (no recursion, whatever the nesting),
checks every length against the bytes that are really there, and sizes most values with
one table lookup (:data:`STEP`).
"""

from __future__ import annotations

from typing import Literal

ContainerKind = Literal["array", "map"]


class ScanError(ValueError):
    """The bytes at ``offset`` are not msgpack (or end too early)."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"{reason} at byte {offset}")
        self.offset = offset


# First byte -> (bytes of the length field, bytes of fixed payload) for sized formats.
SIZED = {
    0xC4: (1, 0),  # bin 8
    0xC5: (2, 0),
    0xC6: (4, 0),
    0xC7: (1, 1),  # ext 8: length, then the type byte
    0xC8: (2, 1),
    0xC9: (4, 1),
    0xD9: (1, 0),  # str 8
    0xDA: (2, 0),
    0xDB: (4, 0),
}
_FIXED = {
    0xC0: 0,
    0xC2: 0,
    0xC3: 0,
    0xCA: 4,
    0xCB: 8,
    0xCC: 1,
    0xCD: 2,
    0xCE: 4,
    0xCF: 8,
    0xD0: 1,
    0xD1: 2,
    0xD2: 4,
    0xD3: 8,
    0xD4: 2,  # fixext 1: type byte + 1
    0xD5: 3,
    0xD6: 5,
    0xD7: 9,
    0xD8: 17,
}


def _step_table() -> tuple[int, ...]:
    """First byte -> whole size of a value that byte alone sizes (fixints, fixstr, nil,
    booleans, numbers, fixext); 0 for containers, sized formats and invalid bytes."""
    table = [0] * 256
    for first in (*range(0x80), *range(0xE0, 0x100)):
        table[first] = 1
    for first in range(0xA0, 0xC0):
        table[first] = 1 + (first & 0x1F)
    for first, payload in _FIXED.items():
        table[first] = 1 + payload
    return tuple(table)


STEP = _step_table()
_CONTAINERS = {0xDC: ("array", 2), 0xDD: ("array", 4), 0xDE: ("map", 2), 0xDF: ("map", 4)}


def container_header(buf: bytes, offset: int = 0) -> tuple[ContainerKind, int, int] | None:
    """``(kind, item count, offset of the first item)`` when an array or map starts at
    ``offset``; ``None`` for any other value. A map's count is its number of pairs."""
    if offset >= len(buf):
        raise ScanError(offset, "unexpected end of data")
    first = buf[offset]
    if 0x90 <= first <= 0x9F:
        return "array", first & 0x0F, offset + 1
    if 0x80 <= first <= 0x8F:
        return "map", first & 0x0F, offset + 1
    if first in _CONTAINERS:
        kind, width = _CONTAINERS[first]
        count = _read_uint(buf, offset + 1, width)
        return kind, count, offset + 1 + width  # type: ignore[return-value]
    return None


def skip(buf: bytes, offset: int, values: int = 1) -> int:
    """Offset just past the ``values`` consecutive values starting at ``offset``;
    :class:`ScanError` if one is malformed or runs past the end of ``buf``."""
    step = STEP
    end = len(buf)
    pending = values
    pos = offset
    while pending:
        if pos >= end:
            raise ScanError(end, "unexpected end of data")
        pending -= 1
        size = step[buf[pos]]
        if size:
            pos += size
            continue
        pos, count = sized_or_container(buf, pos)
        pending += count
    if pos > end:
        raise ScanError(end, "unexpected end of data")
    return pos


def sized_or_container(buf: bytes, pos: int) -> tuple[int, int]:
    """For a value :data:`STEP` does not size: ``(offset past it, 0)`` for a str, bin or
    ext, ``(offset of its first item, values it holds)`` for an array or map (a map
    holds a key and a value per entry). :class:`ScanError` for a byte that is not msgpack."""
    first = buf[pos]
    sized = SIZED.get(first)
    if sized is not None:
        width, extra = sized
        return pos + 1 + width + extra + _read_uint(buf, pos + 1, width), 0
    header = container_header(buf, pos)
    if header is None:
        raise ScanError(pos, f"byte 0x{first:02x} is not msgpack")
    kind, count, start = header
    return start, count * 2 if kind == "map" else count


def _read_uint(buf: bytes, offset: int, width: int) -> int:
    if offset + width > len(buf):
        raise ScanError(len(buf), "unexpected end of data")
    return int.from_bytes(buf[offset : offset + width], "big")
