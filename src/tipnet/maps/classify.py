"""Class breaks and colours for choropleths, shared by the static (matplotlib) and interactive (d3) maps."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

CMAP = "YlOrRd"
NO_DATA_COLOR = "#e4e4e4"


def _nice(v: float, direction: str) -> float:
    """Round to two significant figures: down, up or to the nearest."""
    if v == 0 or not math.isfinite(v):
        return v
    step = 10 ** (math.floor(math.log10(abs(v))) - 1)
    fn = {"down": math.floor, "up": math.ceil}.get(direction, round)
    return float(fn(v / step) * step)


def _fmt(v: float) -> str:
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.3g}" if abs(v) >= 1 else f"{v:.2g}"


@dataclass(frozen=True)
class Classes:
    """`edges` has one more entry than `colors`: class i holds edges[i] <= v < edges[i+1] (the last is closed)."""

    edges: tuple[float, ...]
    colors: tuple[str, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        e = self.edges
        if len(e) == 2 and e[0] == e[1]:
            return (_fmt(e[0]),)
        return tuple(f"{_fmt(e[i])} – {_fmt(e[i + 1])}" for i in range(len(e) - 1))

    def index(self, value: float) -> int:
        return int(np.clip(np.searchsorted(np.asarray(self.edges[1:-1]), value, side="right"), 0, len(self.colors) - 1))

    def color(self, value: float) -> str:
        return self.colors[self.index(value)]


def classify(
    values: Mapping[str, float | None], *, n_classes: int = 5, breaks: Sequence[float] | None = None
) -> Classes | None:
    """Quantile classes with rounded edges (or the given `breaks`, lowest to highest edge); None without data."""
    data = np.asarray([float(v) for v in values.values() if v is not None and math.isfinite(float(v))])
    if breaks is not None:
        edges = sorted(float(b) for b in breaks)
        if data.size:
            edges[0], edges[-1] = min(edges[0], float(data.min())), max(edges[-1], float(data.max()))
    elif not data.size:
        return None
    else:
        qs = np.quantile(data, np.linspace(0, 1, n_classes + 1))
        edges = [_nice(float(qs[0]), "down")] + [_nice(float(q), "near") for q in qs[1:-1]]
        edges.append(_nice(float(qs[-1]), "up"))
    edges = sorted(set(edges))
    if len(edges) == 1:
        edges = [edges[0], edges[0]]
    k = len(edges) - 1
    cmap = colormaps[CMAP]
    colors = tuple(to_hex(cmap(0.12 + 0.8 * (i / max(k - 1, 1)))) for i in range(k))
    return Classes(tuple(edges), colors)
