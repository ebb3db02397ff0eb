"""Classes of a user's project kept in a module of their own, next to the graph file."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    x: int
    y: int


@dataclass(frozen=True)
class Spot:
    """A dataclass holding another one: both must come back as themselves."""

    name: str
    point: Point
