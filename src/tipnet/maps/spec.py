"""The JSON spec that `window.TipnetMap.render(element, spec)` (web/static/tipnet-map.js) draws.

`map_spec` applies the same disclosure rule as the static maps: flows and crossings under `min_victims` are dropped
here, so they never reach the page, and the script drops them again. Class breaks and colours are computed here so
the interactive map matches the static one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from tipnet.maps.classify import NO_DATA_COLOR, classify
from tipnet.maps.geometry import (
    SMALL_STATE_KM2,
    area_km2,
    border_point,
    centroid,
    country_polygons,
    region_bounds,
)
from tipnet.maps.model import MIN_VICTIMS, Flow, publishable_crossings, publishable_flows
from tipnet.maps.topology import iso3_by_numeric
from tipnet.maps.words import BCP47, known, numbers_in, place_name, say

KINDS = ("choropleth", "flows", "borders")
GEOMETRY_URL = "/static/vendor/countries-50m.json"


def _flow(item: Flow | Mapping[str, Any]) -> Flow:
    if isinstance(item, Flow):
        return item
    return Flow(str(item["origin"]), str(item["destination"]), int(item["victims"]), tuple(item.get("via") or ()))


def _crossings(items: Mapping[tuple[str, str], int] | Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    if isinstance(items, Mapping):
        return {(str(a), str(b)): int(n) for (a, b), n in items.items()}
    out: dict[tuple[str, str], int] = {}
    for c in items:
        key = (str(c["a"]), str(c["b"]))
        out[key] = out.get(key, 0) + int(c["victims"])
    return out


def _round(p: tuple[float, float]) -> list[float]:
    return [round(p[0], 4), round(p[1], 4)]


@cache
def _names(lang: str) -> dict[str, str]:
    return {iso: place_name(iso, lang) for iso in sorted(set(iso3_by_numeric().values()))}


def map_spec(
    kind: str,
    *,
    values: Mapping[str, float | None] | None = None,
    flows: Iterable[Flow | Mapping[str, Any]] | None = None,
    crossings: Mapping[tuple[str, str], int] | Iterable[Mapping[str, Any]] | None = None,
    region: str = "americas",
    min_victims: int = MIN_VICTIMS,
    title: str = "",
    legend: str = "",
    geometry_url: str | None = GEOMETRY_URL,
    lang: str = "en",
) -> dict[str, Any]:
    """A JSON-ready spec for tipnet-map.js; pass `geometry_url=None` when the caller sets `spec["geometry"]`.
    Country names, tooltips, legend words and number formats follow `lang` (en, es, fr, pt)."""
    if kind not in KINDS:
        raise ValueError(f"unknown map kind {kind!r}: use one of {', '.join(KINDS)}")
    spec: dict[str, Any] = {
        "kind": kind,
        "region": region,
        "bounds": list(region_bounds(region)),
        "minVictims": min_victims,
        "labels": {"title": title, "legend": legend, "map": say(lang, "map"), "victims": say(lang, "victims"),
                   "domestic": say(lang, "domestic"), "domesticVictims": say(lang, "domestic_victims"),
                   "detectedVictims": say(lang, "detected_victims"),
                   "noData": say(lang, "no_data"), "sharedBorder": say(lang, "shared_border"),
                   "hidden": say(lang, "borders_hidden" if kind == "borders" else "flows_hidden", n="{n}")},
        "locale": BCP47[known(lang)],
        "iso3ByNumeric": iso3_by_numeric(),
        "names": _names(known(lang)),
    }
    if geometry_url:
        spec["geometryUrl"] = geometry_url
    if kind == "choropleth":
        vals = {k.upper(): float(v) for k, v in (values or {}).items() if v is not None and math.isfinite(float(v))}
        classes = classify(vals)
        spec["values"] = vals
        spec["noDataColor"] = NO_DATA_COLOR
        if classes is not None:
            spec["classes"] = {"edges": list(classes.edges), "colors": list(classes.colors),
                               "labels": [numbers_in(label, lang) for label in classes.labels]}
        # states too small to see on a regional map get a dot in their colour (the static maps do the same)
        spec["smallStates"] = {iso: _round(centroid(iso)) for iso in sorted(vals)
                               if country_polygons(iso) and area_km2(iso) <= SMALL_STATE_KM2}
    elif kind == "flows":
        shown = [f for f in publishable_flows((_flow(f) for f in flows or ()), min_victims)
                 if all(country_polygons(c) for c in f.stops)]
        spec["flows"] = [{"origin": f.origin, "destination": f.destination, "victims": f.victims, "via": list(f.via)}
                         for f in shown]
        spec["centroids"] = {c: _round(centroid(c)) for c in sorted({c for f in shown for c in f.stops})}
    else:
        kept = {}
        for (a, b), n in publishable_crossings(_crossings(crossings or {}), min_victims).items():
            point = border_point(a, b)
            if point is not None:
                kept[(a, b)] = (n, point)
        spec["crossings"] = [{"a": a, "b": b, "victims": n} for (a, b), (n, _) in kept.items()]
        spec["borderPoints"] = {f"{a}|{b}": _round(p) for (a, b), (_, p) in kept.items()}
    return spec
