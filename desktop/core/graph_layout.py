"""Where each node and edge of a :class:`~desktop.core.graph_view.GraphPicture` goes.

Layered (Sugiyama) layout by grandalf, the library langchain-core itself uses to draw
graphs: top to bottom, cycles broken by grandalf's feedback edges, each connected part
laid out on its own and placed side by side. Sizes come from the caller (the window
measures text with its fonts), so this stays Qt-free. Subgraph frames are the bounding
boxes of their inner nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout

from desktop.core.graph_view import SEPARATOR, GraphPicture

Point = tuple[float, float]

X_SPACE = 36.0
Y_SPACE = 32.0
PART_GAP = 60.0
FRAME_MARGIN = 14.0
FRAME_TITLE = 20.0


@dataclass(frozen=True)
class Box:
    """A rectangle: top-left corner and size."""

    x: float
    y: float
    w: float
    h: float

    @property
    def center(self) -> Point:
        return (self.x + self.w / 2, self.y + self.h / 2)


@dataclass(frozen=True)
class Layout:
    """Node boxes, edge polylines (source to target, with bends) and subgraph frames."""

    nodes: dict[str, Box]
    edges: dict[tuple[str, str], list[Point]]
    frames: dict[str, Box]
    width: float
    height: float


class _View:
    """grandalf's vertex view: size in, centre out."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy: Point = (0.0, 0.0)


class _EdgeView:
    def __init__(self) -> None:
        self.points: list[Point] = []

    def setpath(self, points: list[Point]) -> None:
        self.points = [(float(x), float(y)) for x, y in points]


def layout_picture(picture: GraphPicture, size_of: Callable[[str], tuple[float, float]]) -> Layout:
    """Lay ``picture`` out; ``size_of(node_id)`` gives each node box's width and height."""
    vertices = {node.id: Vertex(node.id) for node in picture.nodes}
    for node_id, vertex in vertices.items():
        vertex.view = _View(*size_of(node_id))
    edges = []
    for edge in picture.edges:
        if edge.source in vertices and edge.target in vertices and edge.source != edge.target:
            grand = Edge(vertices[edge.source], vertices[edge.target])
            grand.view = _EdgeView()
            edges.append(grand)
    graph = Graph(list(vertices.values()), edges)
    boxes: dict[str, Box] = {}
    routes: dict[tuple[str, str], list[Point]] = {}
    left = 0.0
    for part in graph.C:
        sugiyama = SugiyamaLayout(part)
        sugiyama.xspace, sugiyama.yspace = X_SPACE, Y_SPACE
        roots = [v for v in part.sV if not v.e_in()]
        sugiyama.init_all(roots=roots or None)
        sugiyama.draw()
        part_boxes = {
            v.data: Box(
                v.view.xy[0] - v.view.w / 2, v.view.xy[1] - v.view.h / 2, v.view.w, v.view.h
            )
            for v in part.sV
        }
        min_x = min(b.x for b in part_boxes.values())
        min_y = min(b.y for b in part_boxes.values())
        dx, dy = left - min_x, -min_y
        for node_id, b in part_boxes.items():
            boxes[node_id] = Box(b.x + dx, b.y + dy, b.w, b.h)
        for e in part.sE:
            points = [(x + dx, y + dy) for x, y in e.view.points]
            routes[(e.v[0].data, e.v[1].data)] = points
        left = max(b.x + b.w for b in boxes.values()) + PART_GAP
    frames = _frames(picture, boxes)
    shift_y = FRAME_TITLE + FRAME_MARGIN if frames else 0.0
    shift_x = FRAME_MARGIN if frames else 0.0
    boxes = {k: Box(b.x + shift_x, b.y + shift_y, b.w, b.h) for k, b in boxes.items()}
    routes = {k: [(x + shift_x, y + shift_y) for x, y in pts] for k, pts in routes.items()}
    frames = {k: Box(b.x + shift_x, b.y + shift_y, b.w, b.h) for k, b in frames.items()}
    everything = list(boxes.values()) + list(frames.values())
    width = max((b.x + b.w for b in everything), default=0.0) + FRAME_MARGIN
    height = max((b.y + b.h for b in everything), default=0.0) + FRAME_MARGIN
    return Layout(nodes=boxes, edges=routes, frames=frames, width=width, height=height)


def _frames(picture: GraphPicture, boxes: dict[str, Box]) -> dict[str, Box]:
    """One frame per expanded subgraph around its inner nodes (nested frames grow)."""
    frames: dict[str, Box] = {}
    for sub in sorted(picture.subgraphs, key=lambda s: -s.count(SEPARATOR)):
        if sub in boxes:
            continue
        inner = [b for node_id, b in boxes.items() if node_id.startswith(sub + SEPARATOR)]
        inner += [b for fid, b in frames.items() if fid.startswith(sub + SEPARATOR)]
        if not inner:
            continue
        x0 = min(b.x for b in inner) - FRAME_MARGIN
        y0 = min(b.y for b in inner) - FRAME_MARGIN - FRAME_TITLE
        x1 = max(b.x + b.w for b in inner) + FRAME_MARGIN
        y1 = max(b.y + b.h for b in inner) + FRAME_MARGIN
        frames[sub] = Box(x0, y0, x1 - x0, y1 - y0)
    return frames
