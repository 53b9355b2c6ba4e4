"""Read the vendored Natural Earth TopoJSON (world-atlas) and decode its arcs.

TopoJSON stores each boundary line once, as an "arc": a list of quantized integer positions where every position
after the first is a delta from the previous one; `transform` turns them into longitude/latitude. A ring is a list
of arc indices; index `~i` (that is `-i - 1`) means arc `i` walked backwards. Two features that reference the same arc
share that piece of boundary.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pycountry

log = logging.getLogger(__name__)

GEOMETRY_FILE = "countries-50m.json"


@dataclass(frozen=True)
class Feature:
    iso3: str
    numeric: str
    name: str
    rings: tuple[tuple[tuple[int, ...], ...], ...]  # polygons -> rings -> arc indices (signed, TopoJSON style)


def geometry_text() -> str:
    """The vendored TopoJSON exactly as shipped (for inlining into HTML)."""
    ref = resources.files("tipnet.maps").joinpath("data", GEOMETRY_FILE)
    return ref.read_text(encoding="utf-8")


@cache
def topology() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(geometry_text())
    return data


@cache
def arcs() -> tuple[np.ndarray, ...]:
    """Every arc as an (n, 2) float array of (lon, lat), delta-decoded and de-quantized."""
    topo = topology()
    transform = topo.get("transform")
    out: list[np.ndarray] = []
    for arc in topo["arcs"]:
        a = np.asarray(arc, dtype=np.float64)
        if transform:
            a = np.cumsum(a, axis=0) * np.asarray(transform["scale"]) + np.asarray(transform["translate"])
        a.setflags(write=False)
        out.append(a)
    return tuple(out)


def arc_index(i: int) -> int:
    """The unsigned arc number of a signed TopoJSON reference (`~i` walks arc i backwards)."""
    return i if i >= 0 else ~i


def ring_coords(refs: tuple[int, ...]) -> np.ndarray:
    """Stitch a ring's arcs into one closed (n, 2) array; each following arc repeats the previous end point.

    Longitudes are continuous along the ring, so a ring crossing the antimeridian has some |lon| > 180.
    """
    all_arcs = arcs()
    parts: list[np.ndarray] = []
    for k, ref in enumerate(refs):
        a = all_arcs[arc_index(ref)]
        if ref < 0:
            a = a[::-1]
        parts.append(a if k == 0 else a[1:])
    if not parts:
        return np.empty((0, 2))
    ring = np.concatenate(parts)
    # world-atlas keeps rings that cross the antimeridian whole (d3 cuts them on the sphere); make longitudes
    # continuous instead (e.g. Fiji, Chukotka run past 180) and keep the ring's middle within [-180, 180].
    ring[:, 0] = np.unwrap(ring[:, 0], period=360.0)
    mid = (ring[:, 0].min() + ring[:, 0].max()) / 2
    ring[:, 0] -= 360.0 * np.round(mid / 360.0)
    return ring


@cache
def iso3_by_numeric() -> dict[str, str]:
    """ISO 3166-1 numeric (zero-padded, as world-atlas spells `id`) -> alpha-3, for the ids present in the geometry."""
    out: dict[str, str] = {}
    for g in topology()["objects"]["countries"]["geometries"]:
        num = g.get("id")
        if num is None:
            continue
        country = pycountry.countries.get(numeric=str(num).zfill(3))
        if country is None:
            log.warning("geometry id %s (%s) is not an ISO 3166-1 numeric code; skipped", num, g["properties"])
            continue
        out[str(num)] = country.alpha_3
    return out


@cache
def features() -> tuple[Feature, ...]:
    """Country features with an ISO code; features without `id` (Kosovo, Somaliland, N. Cyprus...) are skipped."""
    lookup = iso3_by_numeric()
    out: list[Feature] = []
    for g in topology()["objects"]["countries"]["geometries"]:
        num = g.get("id")
        if num is None or str(num) not in lookup:
            log.debug("skipping feature without ISO code: %s", g.get("properties", {}).get("name"))
            continue
        if g["type"] == "Polygon":
            polys = [g["arcs"]]
        elif g["type"] == "MultiPolygon":
            polys = g["arcs"]
        else:
            continue
        rings = tuple(tuple(tuple(r) for r in poly) for poly in polys)
        out.append(Feature(lookup[str(num)], str(num), g.get("properties", {}).get("name", ""), rings))
    return tuple(out)
