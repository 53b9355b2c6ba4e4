"""Country shapes, land neighbours, representative points and shared borders from the vendored TopoJSON.

Everything is keyed by ISO 3166-1 alpha-3. Neighbours come from the topology itself: two countries are neighbours
when their features reference the same arc (a shared stretch of boundary). Touching at a single point does not count.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from functools import cache

import numpy as np
import pycountry

from tipnet.maps.model import Bounds, LonLat, Polygon, Ring
from tipnet.maps.topology import arc_index, features, ring_coords

log = logging.getLogger(__name__)

REGIONS: dict[str, Bounds] = {
    "americas": (-170.0, -57.0, -30.0, 72.0),
    "world": (-180.0, -58.0, 180.0, 84.0),
}
# Below this area a state gets a dot on regional choropleths (JAM 11k km², BHS 13k; SLV 20k does not).
SMALL_STATE_KM2 = 15_000
# A polygon counts toward an ISO3 frame when it is at least this share of the country's largest polygon.
_FRAME_MIN_SHARE = 0.02


@cache
def _arrays() -> dict[str, tuple[tuple[np.ndarray, ...], ...]]:
    """iso3 -> polygons -> rings as (n, 2) arrays; features sharing an id (Australia, Ashmore) are merged."""
    out: dict[str, list[tuple[np.ndarray, ...]]] = defaultdict(list)
    for f in features():
        for poly in f.rings:
            out[f.iso3].append(tuple(ring_coords(r) for r in poly))
    return {k: tuple(v) for k, v in out.items()}


def _to_ring(a: np.ndarray) -> Ring:
    return tuple((float(x), float(y)) for x, y in a)


def countries() -> dict[str, list[Polygon]]:
    """iso3 -> polygons, each polygon a tuple of closed rings of (lon, lat): exterior first, then holes."""
    return {iso: [tuple(_to_ring(r) for r in poly) for poly in polys] for iso, polys in _arrays().items()}


def all_polygons() -> dict[str, tuple[tuple[np.ndarray, ...], ...]]:
    """iso3 -> polygons -> rings as (n, 2) lon/lat arrays (read-only, shared; for drawing)."""
    return _arrays()


def country_polygons(iso3: str) -> tuple[tuple[np.ndarray, ...], ...]:
    """The same as `countries()[iso3]` as numpy arrays (for drawing); empty when the code is not in the geometry."""
    return _arrays().get(iso3.upper(), ())


def _area(ring: np.ndarray) -> float:
    """Planar shoelace area in degrees², longitudes shrunk by cos(latitude) so high latitudes are not inflated."""
    if len(ring) < 3:
        return 0.0
    x = ring[:, 0] * np.cos(np.radians(ring[:, 1].mean()))
    y = ring[:, 1]
    return float(abs(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) / 2)


@cache
def area_km2(iso3: str) -> float:
    """Approximate land area (all polygons, holes not subtracted); good enough to tell small island states."""
    return sum(_area(poly[0]) for poly in country_polygons(iso3)) * 111.32**2


def _largest(iso3: str) -> tuple[np.ndarray, ...]:
    polys = country_polygons(iso3)
    if not polys:
        raise KeyError(f"no geometry for {iso3!r}")
    return max(polys, key=lambda p: _area(p[0]))


def _inside(pt: LonLat, poly: tuple[np.ndarray, ...]) -> bool:
    """Even-odd rule over all rings (holes included)."""
    x, y = pt
    inside = False
    for ring in poly:
        x0, y0, x1, y1 = ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]
        crosses = (y0 > y) != (y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            xs = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside ^= bool(np.count_nonzero(crosses & (x < xs)) % 2)
    return inside


def _scanline_point(poly: tuple[np.ndarray, ...], y: float) -> LonLat | None:
    """Middle of the widest stretch of the polygon along the parallel at latitude y."""
    xs: list[float] = []
    for ring in poly:
        x0, y0, x1, y1 = ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]
        hit = (y0 > y) != (y1 > y)
        xs.extend((x0[hit] + (y - y0[hit]) * (x1[hit] - x0[hit]) / (y1[hit] - y0[hit])).tolist())
    xs.sort()
    spans = [(xs[i + 1] - xs[i], (xs[i] + xs[i + 1]) / 2) for i in range(0, len(xs) - 1, 2)]
    return (max(spans)[1], y) if spans else None


@cache
def centroid(iso3: str) -> LonLat:
    """A representative point inside the country's largest polygon (for USA the contiguous states).

    The area-weighted centroid of the largest exterior ring; when that falls outside the polygon (a crescent-shaped
    country, a lake), the middle of the widest stretch of the polygon along the centroid's parallel.
    """
    point, inside = interior_point(_largest(iso3), (0.0, 1e-6, -0.25, 0.25, -0.5, 0.5))
    if not inside:
        log.warning("no interior point found for %s; using the centroid", iso3)
    return point


def interior_point(poly: tuple[np.ndarray, ...], shifts: tuple[float, ...]) -> tuple[LonLat, bool]:
    """A point inside `poly` (exterior ring first): the area-weighted centroid of its exterior ring, or, when that falls
    outside, the middle of the widest stretch along a parallel shifted by each of `shifts` in turn; and whether the
    point is inside (False: the centroid, none found)."""
    ring = poly[0]
    x, y = ring[:, 0], ring[:, 1]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    a = cross.sum() / 2
    if abs(a) < 1e-12:
        return (float(x.mean()), float(y.mean())), True
    cx = float(((x[:-1] + x[1:]) * cross).sum() / (6 * a))
    cy = float(((y[:-1] + y[1:]) * cross).sum() / (6 * a))
    if _inside((cx, cy), poly):
        return (cx, cy), True
    for dy in shifts:
        pt = _scanline_point(poly, cy + dy)
        if pt is not None and _inside(pt, poly):
            return pt, True
    return (cx, cy), False


@cache
def _arc_owners() -> dict[int, frozenset[str]]:
    owners: dict[int, set[str]] = defaultdict(set)
    for f in features():
        for poly in f.rings:
            for ring in poly:
                for ref in ring:
                    owners[arc_index(ref)].add(f.iso3)
    return {k: frozenset(v) for k, v in owners.items()}


@cache
def _neighbours() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {f.iso3: set() for f in features()}
    for owners in _arc_owners().values():
        for iso in owners:
            out[iso] |= owners - {iso}
    return {k: frozenset(v) for k, v in out.items()}


def neighbours() -> dict[str, frozenset[str]]:
    """iso3 -> the countries it shares a land border with (an arc of the topology). Islands map to an empty set."""
    return dict(_neighbours())


def _length(line: np.ndarray) -> np.ndarray:
    """Cumulative length along a (lon, lat) line, with longitudes shrunk by cos(latitude)."""
    d = np.diff(line, axis=0)
    d[:, 0] *= np.cos(np.radians((line[:-1, 1] + line[1:, 1]) / 2))
    return np.concatenate([[0.0], np.cumsum(np.hypot(d[:, 0], d[:, 1]))])


def _feature_rings(iso3: str) -> list[tuple[int, ...]]:
    return [ring for f in features() if f.iso3 == iso3 for poly in f.rings for ring in poly]


@cache
def shared_border(a: str, b: str) -> tuple[np.ndarray, ...]:
    """The stretches of boundary that a and b share, as continuous (lon, lat) lines (empty when not neighbours)."""
    a, b = a.upper(), b.upper()
    owners = _arc_owners()
    lines: list[np.ndarray] = []
    for ring in _feature_rings(a):
        shared = [b in owners.get(arc_index(ref), frozenset()) for ref in ring]
        if not any(shared):
            continue
        start = shared.index(False) if not all(shared) else 0
        order = ring[start:] + ring[:start]  # rotate so a run never wraps past the end
        flags = shared[start:] + shared[:start]
        run: list[int] = []
        for ref, flag in [*zip(order, flags, strict=True), (0, False)]:
            if flag:
                run.append(ref)
            elif run:
                lines.append(ring_coords(tuple(run)))
                run = []
    return tuple(lines)


@cache
def border_point(a: str, b: str) -> LonLat | None:
    """The point halfway along the longest shared stretch of border between a and b (None when not neighbours)."""
    lines = shared_border(a, b)
    if not lines:
        return None
    best = max(lines, key=lambda ln: _length(ln)[-1])
    cum = _length(best)
    half = cum[-1] / 2
    return float(np.interp(half, cum, best[:, 0])), float(np.interp(half, cum, best[:, 1]))


@cache
def country_name(iso3: str) -> str:
    """Short English name (pycountry's common name when it has one), else the code itself."""
    c = pycountry.countries.get(alpha_3=iso3.upper())
    if c is None:
        return next((f.name for f in features() if f.iso3 == iso3.upper()), iso3)
    return str(getattr(c, "common_name", None) or c.name)


def region_bounds(region: str) -> Bounds:
    """(west, south, east, north) for "americas", "world" or an ISO3 code (its main polygons with a margin)."""
    key = region.lower()
    if key in REGIONS:
        return REGIONS[key]
    polys = country_polygons(region)
    if not polys:
        raise ValueError(f"unknown region {region!r}: use 'americas', 'world' or an ISO 3166-1 alpha-3 code")
    biggest = max(_area(p[0]) for p in polys)
    rings = [p[0] for p in polys if _area(p[0]) >= _FRAME_MIN_SHARE * biggest]
    pts = np.concatenate(rings)
    w, s = pts.min(axis=0)
    e, n = pts.max(axis=0)
    mx, my = max((e - w) * 0.2, 1.5), max((n - s) * 0.2, 1.5)
    # keep the frame between 4:5 and 2:1 (width:height, longitudes shrunk by cos(latitude))
    k = math.cos(math.radians((s + n) / 2))
    wide, high = (e - w + 2 * mx) * k, n - s + 2 * my
    if wide < 0.8 * high:
        mx += (0.8 * high - wide) / k / 2
    elif wide > 2 * high:
        my += (wide / 2 - high) / 2
    return (float(max(w - mx, -180)), float(max(s - my, -89.9)), float(min(e + mx, 180)), float(min(n + my, 84)))
