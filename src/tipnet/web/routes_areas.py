"""Vulnerable areas: victims by first-level subdivision (where recruited or exploited) for one country or every member
state, as a map drawn on the server (SVG, no script) and tables, with a layer on top: routes between subdivisions,
border areas ranked for prevention, or hotspots (H3 hexagons). Filters: period, sex, age group, form.

Only what is publishable carries a number, in the page, its JSON twin and the map file alike: subdivisions, flows,
border areas and hexagons of at least 5 victims (see `tipnet.maps.area_*` and `tipnet.maps.hotspots`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import h3
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tipnet.auth.policy import needs
from tipnet.auth.roles import Permission
from tipnet.maps.area_borders import public_row
from tipnet.maps.area_figures import (
    ALL,
    EVENTS,
    THRESHOLD,
    AreaCell,
    NationalTable,
    microdata_cells,
    national_tables,
    publishable,
)
from tipnet.maps.area_flows import publishable_flows
from tipnet.maps.area_layers import AreaLayers
from tipnet.maps.area_query import AGE_GROUPS, SEXES, AreaFilter
from tipnet.maps.subdivision_map import KINDS, alpha2, area_layers, member_states, subdivision_choropleth
from tipnet.maps.subdivisions import by_code, subdivision_at, subdivisions
from tipnet.maps.words import say
from tipnet.standard.countries import OAS_MEMBERS, country_name
from tipnet.stats import StatsSource
from tipnet.stats.labels import dimension_label, value_label, vocabulary_order
from tipnet.web.deps import Lang, Me, Sources
from tipnet.web.errors import ApiError
from tipnet.web.pages import Page, PageRouter
from tipnet.web.security import access

router = PageRouter()
STATS = needs(Permission.STATS_READ)
HEMISPHERE = "OAS"  # the address of the view of every member state: /areas/OAS


def _args(iso3: str, event: str, layer: str) -> str | None:
    code = iso3.upper()
    if code != HEMISPHERE and code not in OAS_MEMBERS:
        raise ApiError(404, "not-found", f"no member state {code}")
    if event not in EVENTS:
        raise ApiError(422, "invalid-parameter", f"event must be one of {', '.join(EVENTS)}",
                       details={"field": "event"})
    if layer not in KINDS:
        raise ApiError(422, "invalid-parameter", f"layer must be one of {', '.join(KINDS)}",
                       details={"field": "layer"})
    return None if code == HEMISPHERE else code


def _filter(request: Request) -> AreaFilter:
    q = request.query_params

    def year(name: str) -> int | None:
        v = q.get(name) or None
        if v is None:
            return None
        if not v.isdigit() or not 1990 <= int(v) <= 2100:
            raise ApiError(422, "invalid-parameter", f"{name} must be a year", details={"field": name})
        return int(v)

    form = q.get("form") or None
    if form is not None and form not in vocabulary_order("form"):
        raise ApiError(422, "invalid-parameter", "unknown form of exploitation", details={"field": "form"})
    try:
        return AreaFilter(year_from=year("from"), year_to=year("to"), sex=q.get("sex") or None,
                          age_group=q.get("age_group") or None, form=form)
    except ValueError as exc:
        raise ApiError(422, "invalid-parameter", str(exc)) from exc


def _view(src: StatsSource, code: str | None, event: str, layer: str,
          filt: AreaFilter) -> tuple[dict[str, int], AreaLayers | None]:
    """Restricted counts per subdivision and the publishable layer (memoised per source and store version)."""
    rows = src.rows.persons if src.rows is not None else None

    def compute() -> tuple[dict[str, int], AreaLayers | None]:
        counts = {c.subdivision: c.victims for iso3 in ([code] if code else member_states())
                  for c in microdata_cells(src.db, iso3, event, rows=rows, filt=filt)}
        return counts, area_layers(src.db, layer, code, filt, rows)

    return src.memo(("areas", code, event, layer, filt), compute)


def _national(src: StatsSource, code: str | None, lang: str) -> list[dict[str, Any]]:
    """The country's national statistics tables by subdivision (newest year of each), publishable cells only."""
    if code is None:
        return []
    tables: list[NationalTable] = src.memo(("areas-national", code), lambda: national_tables(src, code))
    return [{"source": t.source, "year": t.year,
             "rows": [{"code": c.subdivision, "name": _sub_name(c.subdivision, lang), "victims": c.victims}
                      for c in publishable(t.cells)],
             "under_threshold": sum(1 for c in t.cells if 0 < c.victims < THRESHOLD)} for t in tables]


def publishable_counts(counts: dict[str, int]) -> dict[str, int]:
    return {c.subdivision: c.victims for c in publishable(AreaCell(k, ALL, v) for k, v in counts.items())}


def _sub_name(code: str, lang: str) -> str:
    sub = by_code().get(code)
    return sub.name(lang) if sub else code


def _layer_rows(layers: AreaLayers | None, lang: str) -> dict[str, Any]:
    if layers is None:
        return {}
    flows = [{"from": f.origin, "from_name": _sub_name(f.origin, lang), "to": f.destination,
              "to_name": _sub_name(f.destination, lang), "via": [country_name(c, lang) for c in f.transit],
              "victims": f.victims, "children": f.minors} for f in publishable_flows(layers.flows)]
    borders = []
    for a in layers.border_areas:
        row = public_row(a)
        row.update(name=_sub_name(a.subdivision, lang), neighbour_name=country_name(a.neighbour, lang),
                   across_names=[_sub_name(c, lang) for c in a.across])
        borders.append(row)
    hot = [{"cell": h.cell, "resolution": h.resolution, "victims": h.victims,
            "area_km2": round(h3.cell_area(h.cell, unit="km^2")), "centre": _sub_name_at(h.cell, lang)}
           for h in layers.hotspots if h.victims >= THRESHOLD]
    return {"flows": flows, "borders": borders, "hotspots": hot}


def _sub_name_at(cell: str, lang: str) -> str:
    """The subdivision under a hexagon's centre (the centre of the cell, not any victim's place)."""
    lat, lon = h3.cell_to_latlng(cell)
    code = subdivision_at(lon, lat)
    return _sub_name(code, lang) if code else ""


def _choices(filt: AreaFilter, lang: str) -> dict[str, Any]:
    return {"sex": [(c, value_label("sex", c, lang)) for c in SEXES],
            "age_group": [(c, value_label("age_group", c, lang) if c != "unknown"
                           else value_label("sex", "unknown", lang)) for c in AGE_GROUPS],
            "form": [(c, value_label("form", c, lang)) for c in vocabulary_order("form")],
            "labels": {d: dimension_label(d, lang) for d in ("sex", "age_group", "form")},
            "asked": {"from": filt.year_from, "to": filt.year_to, "sex": filt.sex, "age_group": filt.age_group,
                      "form": filt.form}}


def _page(counts: dict[str, int], layers: AreaLayers | None, code: str | None, event: str, layer: str,
          filt: AreaFilter, lang: str) -> dict[str, Any]:
    shown = publishable_counts(counts)
    where = code or HEMISPHERE
    keep = {"event": event, "layer": layer, **filt.params()}
    title = say(lang, f"title.subdivision_{event}" if layer == "choropleth" else f"title.area_{layer}")
    return {
        "country": where, "name": country_name(code, lang) if code else say(lang, "hemisphere"),
        "event": event, "layer": layer, "threshold": THRESHOLD, "title": title,
        "table_title": say(lang, f"title.subdivision_{event}"),
        "rows": [{"code": k, "name": _sub_name(k, lang), "victims": v}
                 for k, v in sorted(shown.items(), key=lambda kv: (-kv[1], kv[0]))],
        "under_threshold": sum(1 for v in counts.values() if 0 < v < THRESHOLD),
        "subdivisions": len(subdivisions(alpha2(code) if code else None)),
        "map_url": f"/areas/{where}/map.svg?{urlencode({**keep, 'lang': lang})}",
        "links": {k: f"/areas/{where}?{urlencode({**keep, 'layer': k})}" for k in KINDS},
        "event_links": {e: f"/areas/{where}?{urlencode({**keep, 'event': e})}" for e in EVENTS},
        "filter": _choices(filt, lang), **_layer_rows(layers, lang),
    }


async def _restricted(request: Request, iso3: str, event: str, layer: str, me: Any, sources: Any
                      ) -> tuple[str | None, AreaFilter, dict[str, int], AreaLayers | None]:
    """The checked country (None: every member state), the filter, and the caller's counts and layer."""
    code = _args(iso3, event, layer)
    filt = _filter(request)
    src = sources.for_principal(me)
    counts, layers = await run_in_threadpool(_view, src, code, event, layer, filt)
    return code, filt, counts, layers


@router.page("/areas/{iso3}")
@access(STATS)
async def areas_page(request: Request, iso3: str, me: Me, lang: Lang, sources: Sources,
                     event: str = "recruitment", layer: str = "choropleth") -> Page:
    code, filt, counts, layers = await _restricted(request, iso3, event, layer, me, sources)
    national = await run_in_threadpool(_national, sources.for_principal(me), code, lang)
    return Page("areas.html", {**_page(counts, layers, code, event, layer, filt, lang), "national": national})


def _svg(counts: dict[str, int], layers: AreaLayers | None, code: str | None, title: str, lang: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = subdivision_choropleth(counts, Path(tmp) / "map.svg", title=title,
                                     legend=say(lang, "detected_victims"), country=code, lang=lang, layers=layers)
        return out.read_bytes()


@router.get("/areas/{iso3}/map.svg")
@access(STATS)
async def areas_map(request: Request, iso3: str, me: Me, lang: Lang, sources: Sources,
                    event: str = "recruitment", layer: str = "choropleth") -> Response:
    code, filt, counts, layers = await _restricted(request, iso3, event, layer, me, sources)
    title = say(lang, f"title.subdivision_{event}" if layer == "choropleth" else f"title.area_{layer}")
    src = sources.for_principal(me)
    body = await run_in_threadpool(lambda: src.memo(("areas-svg", code, event, layer, filt, lang),
                                                    lambda: _svg(counts, layers, code, title, lang)))
    return Response(body, media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"})
