"""Layers drawn over a subdivision map: subnational routes, ranked border areas, hotspots (H3 hexagons).

Each layer filters what it is given through its publishable form again before drawing (flows, border areas and
hexagons under 5 victims are never drawn), and every element carries a gid for inspection: `areaflow-PE-CUS-PE-MDD`
(transit countries joined in), `borderarea-PE-TAC-CHL`, `hotspot-<H3 index>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, PathPatch, Polygon

from tipnet.maps.area_borders import BorderArea
from tipnet.maps.area_figures import THRESHOLD
from tipnet.maps.area_flows import AreaFlow, publishable_flows, stop_point
from tipnet.maps.canvas import _compound as compound
from tipnet.maps.hotspots import Hotspot
from tipnet.maps.projection import Frame
from tipnet.maps.render import _curve, _ref_values
from tipnet.maps.subdivisions import centroid, polygons
from tipnet.maps.words import count, say, victims

FLOW_COLOR = "#b2182b"
BORDER_COLOR = "#6a3d9a"
HOT_COLORS = ("#9ecae1", "#4292c6", "#08519c")  # few, more, most victims (thirds of the largest hexagon)
_MAX_LW = 6.0


@dataclass(frozen=True)
class AreaLayers:
    flows: Sequence[AreaFlow] = ()
    border_areas: Sequence[BorderArea] = ()
    border_candidates: Sequence[str] = ()  # every border subdivision of the country (from the geometry)
    hotspots: Sequence[Hotspot] = ()


def draw_flows(ax: Axes, frame: Frame, flows: Sequence[AreaFlow], lang: str) -> list[Artist]:
    shown = [f for f in publishable_flows(flows) if not f.local]
    vmax = max((f.victims for f in shown), default=1)
    for f in reversed(shown):
        lw = max(_MAX_LW * f.victims / vmax, 0.7)
        arrow = FancyArrowPatch(path=_curve([frame.point(stop_point(s)) for s in f.stops], bend=0.12),
                                arrowstyle="-|>,head_length=0.5,head_width=0.25", mutation_scale=5 + 1.5 * lw,
                                linewidth=lw, color=FLOW_COLOR, alpha=0.8, zorder=5, joinstyle="round",
                                capstyle="round")
        arrow.set_gid("areaflow-" + "-".join(f.stops))
        ax.add_patch(arrow)
    if not shown:
        return []
    lo = min(f.victims for f in shown)
    return [Line2D([], [], color=FLOW_COLOR, alpha=0.8, linewidth=max(_MAX_LW * v / vmax, 0.7),
                   label=victims(lang, v)) for v in _ref_values(vmax, lo)]


def draw_border_areas(ax: Axes, frame: Frame, ranked: Sequence[BorderArea], candidates: Sequence[str],
                      lang: str) -> list[Artist]:
    """Every border subdivision outlined (that is geometry, not data); the ranked ones (at least 5 victims crossed
    there) outlined strongly and numbered with their rank."""
    shown = [a for a in ranked if a.victims >= THRESHOLD]
    strong = {a.subdivision for a in shown}
    for code in sorted(set(candidates) | strong):
        path = compound(frame, tuple(tuple(r) for r in polygons(code)))
        if path is None:
            continue
        ranked_here = code in strong
        patch = PathPatch(path, facecolor="none", edgecolor=BORDER_COLOR, linewidth=1.8 if ranked_here else 0.8,
                          linestyle="-" if ranked_here else (0, (3, 2)), zorder=4)
        patch.set_gid(f"borderline-{code}")
        ax.add_artist(patch)
    first: dict[str, int] = {}
    for a in shown:
        first.setdefault(a.subdivision, a.rank)
        label_gid = f"borderarea-{a.subdivision}-{a.neighbour}"
        if first[a.subdivision] != a.rank:
            continue  # one number per subdivision: its best rank
        x, y = frame.point(centroid(a.subdivision))
        text = ax.annotate(count(lang, a.rank), (x, y), ha="center", va="center", fontsize=8, color="white",
                           fontweight="bold", zorder=7,
                           bbox={"boxstyle": "circle,pad=0.25", "fc": BORDER_COLOR, "ec": "white", "lw": 0.6})
        text.set_gid(label_gid)
    handles: list[Artist] = [Line2D([], [], color=BORDER_COLOR, linewidth=0.8, linestyle=(0, (3, 2)),
                                    label=say(lang, "border_area"))]
    if shown:
        handles.append(Line2D([], [], color=BORDER_COLOR, linewidth=1.8, label=say(lang, "border_area_ranked")))
    return handles


def draw_hotspots(ax: Axes, frame: Frame, cells: Sequence[Hotspot], lang: str) -> list[Artist]:
    shown = [h for h in cells if h.victims >= THRESHOLD]
    vmax = max((h.victims for h in shown), default=1)
    for h in sorted(shown, key=lambda h: h.victims):
        k = min(int(3 * h.victims / (vmax + 1)), 2)
        hexagon = Polygon(frame.project(np.asarray(h.boundary())), closed=True, facecolor=HOT_COLORS[k],
                          edgecolor="#08306b", linewidth=0.5, alpha=0.9, zorder=6)
        hexagon.set_gid(f"hotspot-{h.cell}")
        ax.add_patch(hexagon)
    if not shown:
        return []
    return [Patch(facecolor=HOT_COLORS[2], edgecolor="#08306b", linewidth=0.5,
                  label=say(lang, "hotspot", n=count(lang, vmax)))]


def draw_layers(ax: Axes, frame: Frame, layers: AreaLayers, lang: str) -> list[Artist]:
    handles: list[Artist] = []
    handles += draw_flows(ax, frame, layers.flows, lang)
    if layers.border_candidates or layers.border_areas:
        handles += draw_border_areas(ax, frame, layers.border_areas, layers.border_candidates, lang)
    handles += draw_hotspots(ax, frame, layers.hotspots, lang)
    return handles
