"""The matplotlib base map shared by every static map: page layout, country shapes, title, note, saving.

Only the object-oriented API is used (no pyplot, no global state); figures render through Agg (PNG) or the SVG
backend, both offline. SVG output is byte-for-byte reproducible: fixed hash salt, no creation date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.typing import RcKeyType

from tipnet.maps.geometry import all_polygons
from tipnet.maps.projection import Frame
from tipnet.maps.words import say

log = logging.getLogger(__name__)

OCEAN = "#eef3f7"
LAND = "#f4f1ea"
OUTLINE = "#8c8c8c"
TEXT = "#222222"
MUTED = "#5a5a5a"
DEFAULT_NOTE = (
    "Boundaries: Natural Earth (public domain). The boundaries and names shown do not imply official "
    "endorsement or acceptance by the OAS."
)
_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "tipnet-maps",
    "svg.fonttype": "path",
    "hatch.linewidth": 0.5,
    "hatch.color": "#9e9e9e",
    "font.family": "DejaVu Sans",
}
_WIDTH_IN = 8.0
_HEADER_IN, _FOOTER_IN, _LEGEND_BAND_IN = 0.5, 0.45, 1.0
_MAX_MAP_H_IN = 9.0
SUFFIXES = (".png", ".svg")

# (facecolor, hatch or None) for a country code
Style = Callable[[str], tuple[str, str | None]]


def _plain(_iso3: str) -> tuple[str, str | None]:
    return LAND, None


def new_map(frame: Frame, title: str, note: str | None = None, subtitle: str | None = None,
            lang: str = "en") -> tuple[Figure, Axes]:
    """A figure sized to the frame, with a title on top and a note line at the bottom (the boundaries disclaimer
    in `lang`)."""
    map_w = _WIDTH_IN * 0.96
    map_h = map_w / frame.aspect
    if map_h > _MAX_MAP_H_IN:  # a tall country: keep the page height, narrow the map
        map_h, map_w = _MAX_MAP_H_IN, _MAX_MAP_H_IN * frame.aspect
    header = _HEADER_IN + (0.25 if subtitle else 0.0)
    footer = _FOOTER_IN + (_LEGEND_BAND_IN if frame.legend_below else 0.0)
    height = map_h + header + footer
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(_WIDTH_IN, height), dpi=150, facecolor="white")
        left = (1 - map_w / _WIDTH_IN) / 2
        ax = fig.add_axes((left, footer / height, map_w / _WIDTH_IN, map_h / height))
    ax.set_xlim(*frame.xlim)
    ax.set_ylim(*frame.ylim)
    ax.set_aspect("equal", adjustable="box", anchor="C")
    ax.set_facecolor(OCEAN)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#b5b5b5")
        spine.set_linewidth(0.6)
    fig.text(0.02, 1 - 0.14 / height, title, fontsize=14, fontweight="bold", color=TEXT, va="top", ha="left")
    if subtitle:
        fig.text(0.02, 1 - 0.45 / height, subtitle, fontsize=9, color=MUTED, va="top", ha="left")
    credit = DEFAULT_NOTE if lang == "en" else say(lang, "credit")
    text = f"{note}\n{credit}" if note else credit  # the boundaries disclaimer always stays
    fig.text(0.02, 0.1 / height, text, fontsize=6.5, color=MUTED, va="bottom", ha="left", wrap=True)
    return fig, ax


def _copies(polygons: tuple[tuple[np.ndarray, ...], ...]) -> list[tuple[tuple[np.ndarray, ...], float]]:
    """Each polygon once, plus a copy shifted by 360 degrees when it runs past the antimeridian."""
    out: list[tuple[tuple[np.ndarray, ...], float]] = []
    for poly in polygons:
        out.append((poly, 0.0))
        if poly[0][:, 0].max() > 180.0:
            out.append((poly, -360.0))
        if poly[0][:, 0].min() < -180.0:
            out.append((poly, 360.0))
    return out


def _compound(frame: Frame, polygons: tuple[tuple[np.ndarray, ...], ...]) -> MplPath | None:
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for poly, shift in _copies(polygons):
        if not frame.touches(poly[0] + (shift, 0.0)):
            continue
        for ring in poly:
            pts = frame.project(ring + (shift, 0.0))
            c = np.full(len(pts), MplPath.LINETO, dtype=MplPath.code_type)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            verts.append(pts)
            codes.append(c)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def draw_countries(ax: Axes, frame: Frame, style: Style = _plain, *, region: str = "") -> None:
    """One patch per country (gid `country-ISO3`), ordered by code so output is stable."""
    with matplotlib.rc_context(_RC):
        for iso3, polygons in sorted(all_polygons().items()):
            if iso3 == "ATA" and region.upper() != "ATA":
                continue  # Antarctica only takes room on these maps
            path = _compound(frame, polygons)
            if path is None:
                continue
            face, hatch = style(iso3)
            patch = PathPatch(path, facecolor=face, edgecolor=OUTLINE, linewidth=0.35, hatch=hatch, zorder=1)
            patch.set_gid(f"country-{iso3}")
            # add_artist, not add_patch: the limits are fixed, and add_patch would walk every vertex to update them
            patch.set_transform(ax.transData)
            patch.set_clip_path(ax.patch)
            ax.add_artist(patch)


def add_legend(ax: Axes, frame: Frame, handles: Sequence[Artist], title: str) -> None:
    """Legend in the lower-left corner (the Pacific on Americas maps), or in a band under wide maps."""
    kw: dict[str, Any] = {"loc": "lower left"}
    if frame.legend_below:
        kw = {"loc": "upper left", "bbox_to_anchor": (0.0, -0.02), "ncols": min(len(handles), 3)}
    leg = ax.legend(handles=handles, title=title, fontsize=8, title_fontsize=9, frameon=True, framealpha=0.92,
                    edgecolor="#b5b5b5", borderpad=0.8, labelspacing=0.9, handlelength=3.5, handleheight=1.6,
                    alignment="left", **kw)
    leg.get_title().set_fontweight("bold")
    leg.set_zorder(20)


def check_suffix(out: Path) -> str:
    """The output format from the file name (".png" or ".svg"); anything else is refused before drawing."""
    suffix = Path(out).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"unsupported map format {Path(out).suffix!r}: use .png or .svg")
    return suffix


def save(fig: Figure, out: Path) -> Path:
    """Write PNG or SVG according to the suffix; deterministic for equal input."""
    out = Path(out)
    suffix = check_suffix(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    metadata: dict[str, str | None] = {"Date": None} if suffix == ".svg" else {"Software": None}
    with matplotlib.rc_context(_RC):
        fig.savefig(out, format=suffix[1:], metadata=metadata, facecolor=fig.get_facecolor())
    log.info("wrote map %s", out)
    return out
