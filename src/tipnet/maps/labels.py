"""Greedy placement of small point labels so neighbouring names (Haiti, Dominican Republic...) do not overlap."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.patheffects import withStroke

FONT_SIZE = 6.5
_CHAR_W = 0.6  # average glyph width as a share of the font size (DejaVu Sans)
# (dx, dy) in points from the anchor and the horizontal alignment; first free one wins
_CANDIDATES = [(4, 2, "left"), (-4, 2, "right"), (4, -9, "left"), (-4, -9, "right"), (0, 6, "center"),
               (0, -13, "center")]

Box = tuple[float, float, float, float]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(ax: Axes, points: list[tuple[float, float, str]]) -> None:
    """Label (x, y, text) points in data coordinates, trying a few offsets around each point."""
    scale = ax.figure.dpi / 72.0
    to_disp = ax.transData.transform
    anchors = [(*to_disp((x, y)), text) for x, y, text in points]
    taken: list[Box] = [(px - 3 * scale, py - 3 * scale, px + 3 * scale, py + 3 * scale) for px, py, _ in anchors]
    for (x, y, text), (px, py, _) in zip(points, anchors, strict=True):
        w, h = len(text) * FONT_SIZE * _CHAR_W * scale, FONT_SIZE * 1.1 * scale
        chosen = _CANDIDATES[0]
        for dx, dy, ha in _CANDIDATES:
            left = px + dx * scale - {"left": 0.0, "right": w, "center": w / 2}[ha]
            box = (left, py + dy * scale, left + w, py + dy * scale + h)
            if not any(_overlaps(box, t) for t in taken):
                chosen = (dx, dy, ha)
                taken.append(box)
                break
        dx, dy, ha = chosen
        ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va="bottom",
                    fontsize=FONT_SIZE, color="#222222", zorder=7, annotation_clip=True,
                    path_effects=[withStroke(linewidth=2.2, foreground="white")])
