"""Find where msgpack values begin and end without building them.

When a blob fails to unpack as a whole, :mod:`desktop.core.isolate` uses these
boundaries to unpack its items one by one, so one broken value does not hide its
neighbours. The scan is iterative (no recursion, whatever the nesting) and checks every
length against the bytes that are really there.
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
_SIZED = {
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


def skip(buf: bytes, offset: int) -> int:
    """Offset just past the value starting at ``offset``; :class:`ScanError` if it is
    malformed or runs past the end of ``buf``."""
    end = len(buf)
    pending = 1
    pos = offset
    while pending:
        pending -= 1
        if pos >= end:
            raise ScanError(pos, "unexpected end of data")
        first = buf[pos]
        if first <= 0x7F or first >= 0xE0:
            pos += 1
        elif 0xA0 <= first <= 0xBF:
            pos += 1 + (first & 0x1F)
        elif first in _FIXED:
            pos += 1 + _FIXED[first]
        elif first in _SIZED:
            width, extra = _SIZED[first]
            pos += 1 + width + extra + _read_uint(buf, pos + 1, width)
        else:
            header = container_header(buf, pos)
            if header is None:
                raise ScanError(pos, f"byte 0x{first:02x} is not msgpack")
            kind, count, pos = header
            pending += count * 2 if kind == "map" else count
        if pos > end:
            raise ScanError(end, "unexpected end of data")
    return pos


def _read_uint(buf: bytes, offset: int, width: int) -> int:
    if offset + width > len(buf):
        raise ScanError(len(buf), "unexpected end of data")
    return int.from_bytes(buf[offset : offset + width], "big")
