"""Static maps for reports: choropleth, flow map, border-crossing map (PNG or SVG, chosen by the file suffix).

Every drawn element carries a gid, so SVG output can be inspected: `country-PER`, `flow-GTM-MEX` (transits joined
in: `flow-HND-GTM-MEX`), `domestic-PER`, `crossing-GTM-MEX`, `border-GTM-MEX`. Flows and crossings under
`min_victims` (UNODC: 5) are never drawn.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.path import Path as MplPath

from tipnet.maps.canvas import LAND, MUTED, add_legend, check_suffix, draw_countries, new_map, save
from tipnet.maps.classify import NO_DATA_COLOR, classify
from tipnet.maps.geometry import (
    SMALL_STATE_KM2,
    area_km2,
    border_point,
    centroid,
    country_polygons,
    shared_border,
)
from tipnet.maps.labels import place_labels
from tipnet.maps.model import MIN_VICTIMS, Flow, publishable_crossings, publishable_flows
from tipnet.maps.projection import Frame
from tipnet.maps.words import count, numbers_in, place_name, say, victims

log = logging.getLogger(__name__)

FLOW_COLOR = "#b2182b"
DOMESTIC_COLOR = "#2166ac"
CROSSING_COLOR = "#b2182b"
ORIGIN_TINT = "#f9dcc4"
DESTINATION_TINT = "#d3e4f1"
_MAX_LW = 7.0
_MAX_AREA = 700.0  # points², for the largest circle


def _ref_values(vmax: int, vmin: int) -> list[int]:
    """Up to three round legend values between the smallest and largest shown."""
    if vmax <= vmin:
        return [vmax]
    mid = int(float(f"{math.sqrt(vmin * vmax):.1g}"))
    return sorted({vmin, max(min(mid, vmax), vmin), vmax})


def choropleth(
    values: Mapping[str, float | None], out: Path, *, title: str, legend: str, region: str = "americas",
    note: str | None = None, breaks: Sequence[float] | None = None, n_classes: int = 5, lang: str = "en",
) -> Path:
    """Countries shaded by value in quantile classes (or fixed `breaks`); no value -> light grey, hatched. Legend
    and notes in `lang` (en, es, fr, pt)."""
    check_suffix(out)
    vals = {k.upper(): (None if v is None else float(v)) for k, v in values.items()}
    classes = classify(vals, n_classes=n_classes, breaks=breaks)
    frame = Frame.for_region(region)

    def style(iso3: str) -> tuple[str, str | None]:
        v = vals.get(iso3)
        if v is None or classes is None or not math.isfinite(v):
            return NO_DATA_COLOR, "////"
        return classes.color(v), None

    fig, ax = new_map(frame, title, note, lang=lang)
    draw_countries(ax, frame, style, region=region)
    handles: list[Artist] = []
    if classes is not None:
        handles = [Patch(facecolor=c, edgecolor="#8c8c8c", linewidth=0.4, label=lab)
                   for c, lab in zip(classes.colors, classes.labels, strict=True)]
        for handle in handles:
            handle.set_label(numbers_in(str(handle.get_label()), lang))
    handles.append(Patch(facecolor=NO_DATA_COLOR, edgecolor="#8c8c8c", hatch="////", linewidth=0.4,
                         label=say(lang, "no_data")))
    if _small_state_dots(ax, frame, {k: style(k)[0] for k, v in vals.items() if v is not None and classes}):
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=5.5, markerfacecolor="white",
                              markeredgecolor="#333333", markeredgewidth=0.6, label=say(lang, "small_state")))
    add_legend(ax, frame, handles, legend)
    return save(fig, out)


def _small_state_dots(ax: Axes, frame: Frame, colors: Mapping[str, str]) -> bool:
    """A dot in the class colour on states too small to see at this scale (most Caribbean members)."""
    drawn = False
    w, s, e, n = frame.bounds
    if e - w < 40:  # zoomed in on a country: islands are visible as they are
        return False
    for iso3 in sorted(colors):
        if not country_polygons(iso3) or area_km2(iso3) > SMALL_STATE_KM2:
            continue
        lon, lat = centroid(iso3)
        if not (w <= lon <= e and s <= lat <= n):
            continue
        x, y = frame.point((lon, lat))
        dot = ax.scatter([x], [y], s=30, color=colors[iso3], edgecolors="#333333", linewidths=0.6, zorder=4)
        dot.set_gid(f"small-{iso3}")
        drawn = True
    return drawn


def _curve(points: list[tuple[float, float]], bend: float = 0.18) -> MplPath:
    """Quadratic Bézier legs through the points, each bowed to the left of travel by `bend` x its length."""
    verts: list[tuple[float, float]] = [points[0]]
    codes = [MplPath.MOVETO]
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:], strict=True):
        dx, dy = x1 - x0, y1 - y0
        verts += [((x0 + x1) / 2 - dy * bend, (y0 + y1) / 2 + dx * bend), (x1, y1)]
        codes += [MplPath.CURVE3, MplPath.CURVE3]
    return MplPath(verts, codes)


def _known(codes: Sequence[str]) -> bool:
    missing = [c for c in codes if not country_polygons(c)]
    if missing:
        log.warning("no geometry for %s; not drawn", ", ".join(missing))
    return not missing


def flow_map(
    flows: Sequence[Flow], out: Path, *, title: str, region: str = "americas", min_victims: int = MIN_VICTIMS,
    note: str | None = None, lang: str = "en",
) -> Path:
    """Curved arrows origin -> (transits ->) destination, width proportional to victims; domestic flows as circles.
    Names, legend and notes in `lang` (en, es, fr, pt)."""
    check_suffix(out)
    shown = [f for f in publishable_flows(flows, min_victims) if _known(f.stops)]
    frame = Frame.for_region(region)
    origins = {f.origin for f in shown if not f.domestic}
    destinations = {f.destination for f in shown if not f.domestic} - origins

    def style(iso3: str) -> tuple[str, str | None]:
        return (ORIGIN_TINT if iso3 in origins else DESTINATION_TINT if iso3 in destinations else LAND), None

    fig, ax = new_map(frame, title, note, subtitle=say(lang, "flows_hidden", n=min_victims), lang=lang)
    draw_countries(ax, frame, style, region=region)
    vmax = max((f.victims for f in shown), default=1)
    for f in reversed(shown):  # smallest drawn last, on top
        if f.domestic:
            x, y = frame.point(centroid(f.origin))
            dot = ax.scatter([x], [y], s=max(_MAX_AREA * f.victims / vmax, 12), color=DOMESTIC_COLOR, alpha=0.55,
                             edgecolors="white", linewidths=0.6, zorder=4)
            dot.set_gid(f"domestic-{f.origin}")
            continue
        lw = max(_MAX_LW * f.victims / vmax, 0.6)
        arrow = FancyArrowPatch(path=_curve([frame.point(centroid(c)) for c in f.stops]),
                                arrowstyle="-|>,head_length=0.5,head_width=0.25", mutation_scale=5 + 1.5 * lw,
                                linewidth=lw, color=FLOW_COLOR, alpha=0.78, zorder=5, joinstyle="round",
                                capstyle="round")
        arrow.set_gid("flow-" + "-".join(f.stops))
        ax.add_patch(arrow)
    labels = []
    for iso3 in sorted({c for f in shown for c in f.stops}):
        x, y = frame.point(centroid(iso3))
        ax.plot([x], [y], marker="o", markersize=2.5, color="#333333", zorder=6)
        labels.append((x, y, place_name(iso3, lang)))
    place_labels(ax, labels)
    handles: list[Artist] = []
    moving = [f.victims for f in shown if not f.domestic]
    if moving:
        handles += [Line2D([], [], color=FLOW_COLOR, alpha=0.78, linewidth=max(_MAX_LW * v / vmax, 0.6),
                           label=victims(lang, v)) for v in _ref_values(max(moving), min(moving))]
    if any(f.domestic for f in shown):
        v = max(f.victims for f in shown if f.domestic)
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=math.sqrt(max(_MAX_AREA * v / vmax, 12)),
                              color=DOMESTIC_COLOR, alpha=0.55, label=say(lang, "domestic_victims", n=count(lang, v))))
    handles += [Patch(facecolor=ORIGIN_TINT, edgecolor="#8c8c8c", linewidth=0.4, label=say(lang, "origin")),
                Patch(facecolor=DESTINATION_TINT, edgecolor="#8c8c8c", linewidth=0.4, label=say(lang, "destination"))]
    add_legend(ax, frame, handles, say(lang, "detected_victims"))
    if not shown:
        ax.text(0.5, 0.5, say(lang, "no_flow"), transform=ax.transAxes, ha="center",
                color=MUTED, fontsize=10, zorder=10)
    return save(fig, out)


def border_map(
    crossings: Mapping[tuple[str, str], int], out: Path, *, title: str, region: str = "americas",
    min_victims: int = MIN_VICTIMS, note: str | None = None, lang: str = "en",
) -> Path:
    """A circle on each shared land border (both directions summed), area proportional to the count. Legend and
    notes in `lang` (en, es, fr, pt)."""
    check_suffix(out)
    shown: dict[tuple[str, str], tuple[int, tuple[float, float]]] = {}
    for (a, b), n in publishable_crossings(crossings, min_victims).items():
        point = border_point(a, b)
        if point is None:
            log.warning("%s and %s share no land border in the geometry; crossing not drawn", a, b)
            continue
        shown[(a, b)] = (n, point)
    frame = Frame.for_region(region)
    fig, ax = new_map(frame, title, note, subtitle=say(lang, "borders_hidden", n=min_victims), lang=lang)
    draw_countries(ax, frame, region=region)
    vmax = max((n for n, _ in shown.values()), default=1)
    for (a, b), (n, point) in shown.items():
        for k, line in enumerate(shared_border(a, b)):
            xy = frame.project(line)
            (ln,) = ax.plot(xy[:, 0], xy[:, 1], color="#4d4d4d", linewidth=1.6, solid_capstyle="round", zorder=3)
            ln.set_gid(f"border-{a}-{b}-{k}")
        x, y = frame.point(point)
        dot = ax.scatter([x], [y], s=max(_MAX_AREA * n / vmax, 20), color=CROSSING_COLOR, alpha=0.6,
                         edgecolors="white", linewidths=0.8, zorder=5)
        dot.set_gid(f"crossing-{a}-{b}")
        ax.annotate(count(lang, n), (x, y), xytext=(0, math.sqrt(max(_MAX_AREA * n / vmax, 20)) / 2 + 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7.5, color="#222222", zorder=6,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
    counts = [n for n, _ in shown.values()]
    handles = [Line2D([], [], linestyle="", marker="o", markersize=float(np.sqrt(max(_MAX_AREA * v / vmax, 20))),
                      color=CROSSING_COLOR, alpha=0.6, label=victims(lang, v))
               for v in (_ref_values(max(counts), min(counts)) if counts else [])]
    handles.append(Line2D([], [], color="#4d4d4d", linewidth=1.6, label=say(lang, "shared_border")))
    add_legend(ax, frame, handles, say(lang, "victims_crossing"))
    if not shown:
        ax.text(0.5, 0.5, say(lang, "no_border"), transform=ax.transAxes, ha="center", color=MUTED, fontsize=10,
                zorder=10)
    return save(fig, out)
