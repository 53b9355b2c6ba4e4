"""Maps of the statistics: choropleth of victims per 100,000, flow map, land-border crossings (PNG, SVG, HTML).

Only figures at or above the publication threshold are drawn (UNODC: a flow is shown from 5 victims).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tipnet.routes.flows import PUBLIC_MIN_VICTIMS, RouteFilter, border_crossings, paths
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.stats import StatsSource
from tipnet.stats.figures import glotip

NOTE = "Source: tipnet case records; flows under {n} victims are not shown."


def _flows(source: StatsSource, f: RouteFilter, min_victims: int) -> list[Any]:
    from tipnet.maps import Flow

    return [Flow(p["path"][0], p["path"][-1], int(p["victims"]), tuple(p["path"][1:-1]))
            for p in paths(source, f, 1)]


def _rates(source: StatsSource) -> dict[str, float | None]:
    latest: dict[str, tuple[int, float | None]] = {}
    for r in glotip(source, ("country", "year")):
        year = int(r["year"])
        if r["country"] in OAS_MEMBERS and (r["country"] not in latest or year > latest[r["country"]][0]):
            latest[r["country"]] = (year, r["rate_per_100k"])
    return {c: v for c, (_, v) in latest.items()}


def render(source: StatsSource, kind: str, out: Path, *, country: str | None = None, year_from: int | None = None,
           year_to: int | None = None, min_victims: int = PUBLIC_MIN_VICTIMS) -> Path:
    """Draw one map of `kind` (choropleth | flows | borders) to `out` (.png, .svg or .html)."""
    from tipnet import maps

    f = RouteFilter(country=country, year_from=year_from, year_to=year_to)
    region = country or "americas"
    note = NOTE.format(n=min_victims)
    html = out.suffix.lower() == ".html"
    if kind == "choropleth":
        values = _rates(source)
        title = "Detected victims per 100,000 population (UNODC GLOTIP, latest year)"
        if html:
            return maps.html_map("choropleth", {"values": values, "region": region, "legend": "per 100,000"}, out,
                                 title=title)
        return maps.choropleth(values, out, title=title, legend="per 100,000", region=region,
                               note="Source: UNODC GLOTIP; World Bank population.")
    if kind == "flows":
        flows = _flows(source, f, min_victims)
        title = f"Trafficking flows{' — ' + country if country else ' in the Americas'}"
        if html:
            return maps.html_map("flows", {"flows": flows, "region": region, "min_victims": min_victims}, out,
                                 title=title)
        return maps.flow_map(flows, out, title=title, region=region, min_victims=min_victims, note=note)
    if kind == "borders":
        crossings = {(c["from_country"], c["to_country"]): int(c["victims"]) for c in border_crossings(source, f, 1)}
        title = "Victims crossing land borders"
        if html:
            return maps.html_map("borders", {"crossings": crossings, "region": region, "min_victims": min_victims},
                                 out, title=title)
        return maps.border_map(crossings, out, title=title, region=region, min_victims=min_victims, note=note)
    raise ValueError(f"unknown map kind {kind!r}: choose choropleth, flows or borders")
