"""Static choropleth of victims by first-level subdivision (PNG or SVG), for one country or the whole hemisphere.

Each subdivision is a patch with gid `subdivision-<ISO 3166-2>`. A subdivision under the release threshold (fewer than
5 victims) is drawn hatched as "fewer than 5", and its count is never written into the file: the values are passed
through `area_figures.publishable` before anything is drawn, so no class edge or label can carry them.
"""

from __future__ import annotations

import html
import math
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import matplotlib
import pycountry
from matplotlib.artist import Artist
from matplotlib.patches import Patch, PathPatch

from tipnet.maps.area_figures import ALL, THRESHOLD, AreaCell, publishable
from tipnet.maps.area_layers import AreaLayers, draw_layers
from tipnet.maps.area_query import NO_FILTER, AreaFilter
from tipnet.maps.canvas import _RC, OUTLINE, add_legend, check_suffix, draw_countries, new_map, save
from tipnet.maps.canvas import _compound as compound
from tipnet.maps.classify import NO_DATA_COLOR, classify
from tipnet.maps.projection import Frame
from tipnet.maps.subdivisions import alpha2, polygons, subdivisions
from tipnet.maps.words import known, numbers_in, say

UNDER_COLOR = "#ffffff"


def subdivision_choropleth(
    counts: Mapping[str, int], out: Path, *, title: str, legend: str, country: str | None = None,
    lang: str = "en", note: str | None = None, n_classes: int = 5, layers: AreaLayers | None = None,
) -> Path:
    """Subdivisions of `country` (ISO alpha-3; None: all 35 member states) shaded by victims (restricted counts,
    keyed by ISO 3166-2). Subdivisions missing from `counts` are "no data"; those under the threshold are hatched
    "fewer than 5" and carry no number. `layers`: routes, border areas or hotspots drawn on top (each under 5
    victims left out)."""
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
    handles: list[Artist] = draw_layers(ax, frame, layers, lang) if layers is not None else []
    if classes is not None:
        handles += [Patch(facecolor=c, edgecolor="#8c8c8c", linewidth=0.4, label=numbers_in(lab, lang))
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


KINDS = ("choropleth", "flows", "borders", "hotspots")


def area_layers(db: object, kind: str, country: str | None, filt: AreaFilter = NO_FILTER,
                rows: object = None) -> AreaLayers | None:
    """The layer of `kind` for a country (alpha-3) or, with None, every member state: publishable forms only."""
    from tipnet.maps.area_borders import candidates, ranked
    from tipnet.maps.area_flows import microdata_flows, publishable_flows
    from tipnet.maps.hotspots import hotspots

    if kind not in KINDS:
        raise ValueError(f"unknown map kind {kind!r} for subdivisions: choose {', '.join(KINDS)}")
    states = [country.upper()] if country else member_states()
    if kind == "flows":
        return AreaLayers(flows=publishable_flows(microdata_flows(db, country, filt, rows)))
    if kind == "borders":
        return AreaLayers(border_areas=ranked(db, states, filt, rows),
                          border_candidates=sorted({s for iso3 in states for s, _ in candidates(iso3)}))
    if kind == "hotspots":
        return AreaLayers(hotspots=hotspots(db, country, filt, rows))
    return None


def render_subdivision_map(db: object, out: Path, *, country: str | None = None, event: str = "recruitment",
                           year_from: int | None = None, year_to: int | None = None, lang: str = "en",
                           kind: str = "choropleth", filt: AreaFilter = NO_FILTER) -> Path:
    """`tipnet map --level subdivision`: victims by subdivision of recruitment (or exploitation) from microdata,
    with the routes, border areas or hotspots of `kind` on top."""
    from tipnet.maps.area_figures import microdata_cells

    filt = replace(filt, year_from=year_from if year_from is not None else filt.year_from,
                   year_to=year_to if year_to is not None else filt.year_to)
    layers = area_layers(db, kind, country, filt)
    counts: dict[str, int] = {}
    for iso3 in [country.upper()] if country else member_states():
        for c in microdata_cells(db, iso3, event, filt=filt):
            counts[c.subdivision] = c.victims
    title = say(lang, f"title.subdivision_{event}" if kind == "choropleth" else f"title.area_{kind}")
    if out.suffix.lower() == ".html":
        with tempfile.TemporaryDirectory() as tmp:
            svg = subdivision_choropleth(counts, Path(tmp) / "map.svg", title=title,
                                         legend=say(lang, "detected_victims"), country=country, lang=lang,
                                         layers=layers).read_text(encoding="utf-8")
        return standalone_html(svg, out, title=title, lang=lang)
    return subdivision_choropleth(counts, out, title=title, legend=say(lang, "detected_victims"), country=country,
                                  lang=lang, layers=layers)


_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>body {{ margin: 1rem; }} svg {{ max-width: 100%; height: auto; }}</style>
</head>
<body>
{svg}
</body>
</html>
"""


def standalone_html(svg: str, out: Path, *, title: str, lang: str) -> Path:
    """The drawn map in one HTML file that loads nothing and runs nothing (the SVG inline, no script)."""
    body = svg[svg.index("<svg"):]  # the XML declaration and doctype are not HTML
    out.write_text(_PAGE.format(lang=known(lang), title=html.escape(title), svg=body), encoding="utf-8")
    return out
