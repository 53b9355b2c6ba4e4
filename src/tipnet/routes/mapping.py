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
           year_to: int | None = None, min_victims: int = PUBLIC_MIN_VICTIMS, lang: str = "en") -> Path:
    """Draw one map of `kind` (choropleth | flows | borders) to `out` (.png, .svg or .html), its words in `lang`
    (en, es, fr, pt)."""
    from tipnet import maps
    from tipnet.maps.words import place_name, say

    f = RouteFilter(country=country, year_from=year_from, year_to=year_to)
    region = country or "americas"
    note = say(lang, "note.records", n=min_victims)
    html = out.suffix.lower() == ".html"
    if kind == "choropleth":
        values = _rates(source)
        title, per = say(lang, "title.rates"), say(lang, "per_100k")
        if html:
            return maps.html_map("choropleth", {"values": values, "region": region, "legend": per}, out,
                                 title=title, lang=lang)
        return maps.choropleth(values, out, title=title, legend=per, region=region, note=say(lang, "note.rates"),
                               lang=lang)
    if kind == "flows":
        flows = _flows(source, f, min_victims)
        title = (say(lang, "title.flows_country", country=place_name(country, lang)) if country
                 else say(lang, "title.flows"))
        if html:
            return maps.html_map("flows", {"flows": flows, "region": region, "min_victims": min_victims}, out,
                                 title=title, lang=lang)
        return maps.flow_map(flows, out, title=title, region=region, min_victims=min_victims, note=note, lang=lang)
    if kind == "borders":
        crossings = {(c["from_country"], c["to_country"]): int(c["victims"]) for c in border_crossings(source, f, 1)}
        title = say(lang, "title.borders")
        if html:
            return maps.html_map("borders", {"crossings": crossings, "region": region, "min_victims": min_victims},
                                 out, title=title, lang=lang)
        return maps.border_map(crossings, out, title=title, region=region, min_victims=min_victims, note=note,
                               lang=lang)
    raise ValueError(f"unknown map kind {kind!r}: choose choropleth, flows or borders")
