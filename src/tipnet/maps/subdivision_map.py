"""Static choropleth of victims by first-level subdivision (PNG or SVG), for one country or the whole hemisphere.

Each subdivision is a patch with gid `subdivision-<ISO 3166-2>`. A subdivision under the release threshold (fewer than
5 victims) is drawn hatched as "fewer than 5", and its count is never written into the file: the values are passed
through `area_figures.publishable` before anything is drawn, so no class edge or label can carry them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib
import pycountry
from matplotlib.artist import Artist
from matplotlib.patches import Patch, PathPatch

from tipnet.maps.area_figures import ALL, THRESHOLD, AreaCell, publishable
from tipnet.maps.canvas import _RC, OUTLINE, add_legend, check_suffix, draw_countries, new_map, save
from tipnet.maps.canvas import _compound as compound
from tipnet.maps.classify import NO_DATA_COLOR, classify
from tipnet.maps.projection import Frame
from tipnet.maps.subdivisions import polygons, subdivisions
from tipnet.maps.words import numbers_in, say

UNDER_COLOR = "#ffffff"


def alpha2(iso3: str) -> str:
    c = pycountry.countries.get(alpha_3=iso3.upper())
    if c is None:
        raise ValueError(f"unknown country {iso3!r}: use an ISO 3166-1 alpha-3 code")
    return str(c.alpha_2)


def subdivision_choropleth(
    counts: Mapping[str, int], out: Path, *, title: str, legend: str, country: str | None = None,
    lang: str = "en", note: str | None = None, n_classes: int = 5,
) -> Path:
    """Subdivisions of `country` (ISO alpha-3; None: all 35 member states) shaded by victims (restricted counts,
    keyed by ISO 3166-2). Subdivisions missing from `counts` are "no data"; those under the threshold are hatched
    "fewer than 5" and carry no number."""
    check_suffix(out)
    shown = {c.subdivision: float(c.victims) for c in publishable(AreaCell(k, ALL, int(v)) for k, v in counts.items())}
    under = {k for k, v in counts.items() if 0 < v < THRESHOLD}
    classes = classify(dict(shown), n_classes=n_classes)
    frame = Frame.for_region(country.upper() if country else "americas")
    fig, ax = new_map(frame, title, note, lang=lang)
    draw_countries(ax, frame)
    subs = subdivisions(alpha2(country) if country else None)
    with matplotlib.rc_context(_RC):
        for sub in subs:
            path = compound(frame, tuple(tuple(r) for r in polygons(sub.code)))
            if path is None:
                continue
            v = shown.get(sub.code)
            if v is not None and classes is not None and math.isfinite(v):
                face, hatch = classes.color(v), None
            elif sub.code in under:
                face, hatch = UNDER_COLOR, "...."
            else:
                face, hatch = NO_DATA_COLOR, "////"
            patch = PathPatch(path, facecolor=face, edgecolor=OUTLINE, linewidth=0.25, hatch=hatch, zorder=2)
            patch.set_gid(f"subdivision-{sub.code}")
            patch.set_transform(ax.transData)
            patch.set_clip_path(ax.patch)
            ax.add_artist(patch)
    handles: list[Artist] = []
    if classes is not None:
        handles = [Patch(facecolor=c, edgecolor="#8c8c8c", linewidth=0.4, label=numbers_in(lab, lang))
                   for c, lab in zip(classes.colors, classes.labels, strict=True)]
    handles.append(Patch(facecolor=UNDER_COLOR, edgecolor="#8c8c8c", hatch="....", linewidth=0.4,
                         label=say(lang, "under_threshold")))
    handles.append(Patch(facecolor=NO_DATA_COLOR, edgecolor="#8c8c8c", hatch="////", linewidth=0.4,
                         label=say(lang, "no_data")))
    add_legend(ax, frame, handles, legend)
    return save(fig, out)


def member_states() -> list[str]:
    """ISO alpha-3 of the 35 member states (those the subdivision geometry covers)."""
    a2 = sorted({s.country for s in subdivisions()})
    return [str(pycountry.countries.get(alpha_2=c).alpha_3) for c in a2]  # type: ignore[union-attr]


def render_subdivision_map(db: object, out: Path, *, country: str | None = None, event: str = "recruitment",
                           year_from: int | None = None, year_to: int | None = None, lang: str = "en") -> Path:
    """`tipnet map --level subdivision`: victims by subdivision of recruitment (or exploitation) from microdata."""
    from tipnet.maps.area_figures import microdata_cells

    counts: dict[str, int] = {}
    for iso3 in [country.upper()] if country else member_states():
        for c in microdata_cells(db, iso3, event, year_from=year_from, year_to=year_to):
            counts[c.subdivision] = c.victims
    title = say(lang, f"title.subdivision_{event}")
    return subdivision_choropleth(counts, out, title=title, legend=say(lang, "detected_victims"), country=country,
                                  lang=lang)
