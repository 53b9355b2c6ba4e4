"""First-level subdivisions (states, provinces, departments) of the 35 member states, from the vendored TopoJSON.

`data/subdivisions-10m.json` is built at vendor time by `scripts/build_subdivisions.py` from Natural Earth 1:10m
Admin 1 (see `data/SOURCES.md`). Each feature's `id` is its ISO 3166-2 code; `properties` hold the ISO 3166-1
alpha-2 of its state and names in en/es/fr/pt. Boundaries shared by two subdivisions are one arc used by both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pycountry

SUBDIVISION_FILE = "subdivisions-10m.json"
SUBDIVISION_URL = "/static/vendor/subdivisions-10m.json"
LANGS = ("en", "es", "fr", "pt")


def alpha2(iso3: str) -> str:
    c = pycountry.countries.get(alpha_3=iso3.upper())
    if c is None:
        raise ValueError(f"unknown country {iso3!r}: use an ISO 3166-1 alpha-3 code")
    return str(c.alpha_2)


@dataclass(frozen=True)
class Subdivision:
    code: str  # ISO 3166-2, e.g. "MX-JAL"
    country: str  # ISO 3166-1 alpha-2, e.g. "MX"
    names: dict[str, str]  # language -> name
    rings: tuple[tuple[tuple[int, ...], ...], ...]  # polygons -> rings -> signed arc indices

    def name(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.names.get("en") or self.code


@cache
def topology() -> dict[str, Any]:
    ref = resources.files("tipnet.maps").joinpath("data", SUBDIVISION_FILE)
    data: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return data


@cache
def arcs() -> tuple[np.ndarray, ...]:
    """Every arc as an (n, 2) float array of (lon, lat), delta-decoded and de-quantized."""
    topo = topology()
    scale, translate = np.asarray(topo["transform"]["scale"]), np.asarray(topo["transform"]["translate"])
    out = []
    for arc in topo["arcs"]:
        a = np.cumsum(np.asarray(arc, dtype=np.float64), axis=0) * scale + translate
        a.setflags(write=False)
        out.append(a)
    return tuple(out)


@cache
def _all() -> tuple[Subdivision, ...]:
    out = []
    for g in topology()["objects"]["subdivisions"]["geometries"]:
        polys = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        props = g["properties"]
        out.append(Subdivision(
            code=g["id"], country=props["country"],
            names={lang: props[f"name_{lang}"] for lang in LANGS if props.get(f"name_{lang}")},
            rings=tuple(tuple(tuple(r) for r in poly) for poly in polys)))
    return tuple(out)


def subdivisions(country: str | None = None) -> tuple[Subdivision, ...]:
    """All subdivisions, or those of one state (ISO 3166-1 alpha-2), in code order."""
    return tuple(s for s in _all() if country is None or s.country == country.upper())


@cache
def by_code() -> dict[str, Subdivision]:
    return {s.code: s for s in _all()}


def ring_coords(refs: tuple[int, ...]) -> np.ndarray:
    """Stitch a ring's arcs (`~i` = arc i walked backwards) into one closed (n, 2) array of (lon, lat)."""
    all_arcs = arcs()
    parts = []
    for k, ref in enumerate(refs):
        a = all_arcs[ref] if ref >= 0 else all_arcs[~ref][::-1]
        parts.append(a if k == 0 else a[1:])
    return np.concatenate(parts) if parts else np.empty((0, 2))


def polygons(code: str) -> list[list[np.ndarray]]:
    """A subdivision's polygons, each a list of rings (outer first), as (lon, lat) arrays."""
    return [[ring_coords(r) for r in poly] for poly in by_code()[code].rings]


def neighbours(code: str) -> set[str]:
    """Subdivisions that share a stretch of boundary with `code` (in its own state or across a land border)."""
    mine = {r if r >= 0 else ~r for poly in by_code()[code].rings for ring in poly for r in ring}
    return {s.code for s in _all() if s.code != code
            and mine & {r if r >= 0 else ~r for poly in s.rings for ring in poly for r in ring}}


@cache
def _arc_owners() -> dict[int, frozenset[str]]:
    owners: dict[int, set[str]] = {}
    for s in _all():
        for poly in s.rings:
            for ring in poly:
                for r in ring:
                    owners.setdefault(r if r >= 0 else ~r, set()).add(s.code)
    return {a: frozenset(c) for a, c in owners.items()}


def border_areas(country: str) -> dict[str, set[str]]:
    """Border areas of a state (ISO alpha-2): its subdivisions that share a land boundary with another member
    state's subdivision, each with the foreign subdivisions across the border. (A land border with a state that is
    not a member, such as French Guiana's, is not in the geometry and not listed.)"""
    prefix = country.upper() + "-"
    out: dict[str, set[str]] = {}
    for codes in _arc_owners().values():
        mine = {c for c in codes if c.startswith(prefix)}
        foreign = {c for c in codes if not c.startswith(prefix)}
        for c in mine:
            if foreign:
                out.setdefault(c, set()).update(foreign)
    return out


@cache
def centroid(code: str) -> tuple[float, float]:
    """A point (lon, lat) inside a subdivision's largest polygon: the area-weighted centroid of its outer ring, or,
    when that falls outside (a crescent, a lake), the middle of the widest stretch along that parallel."""
    from tipnet.maps.geometry import _area, interior_point

    polys = polygons(code)
    poly = tuple(polys[max(range(len(polys)), key=lambda i: _area(polys[i][0]))])
    return interior_point(poly, (0.0, 1e-6, -0.1, 0.1, -0.25, 0.25))[0]


@cache
def _boxes() -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for s in _all():
        pts = np.concatenate([ring for poly in polygons(s.code) for ring in poly])
        out[s.code] = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
    return out


def subdivision_at(lon: float, lat: float) -> str | None:
    """The ISO 3166-2 code of the subdivision holding a point, if any (for a hexagon's centre, say)."""
    from tipnet.maps.geometry import _inside

    for code, (w, s, e, n) in _boxes().items():
        if w <= lon <= e and s <= lat <= n and any(_inside((lon, lat), tuple(p)) for p in polygons(code)):
            return code
    return None
