"""Where the demo's victims were recruited, below the country: a first-level subdivision (ISO 3166-2) per case.

Drawn from a generator of its own, seeded by the case, so adding subdivisions leaves every other drawn value of the
demo as it was. Each country's subdivisions get fixed, unequal weights (a few hotspots, a long tail), the same in
every run.
"""

from __future__ import annotations

import random
from functools import cache, lru_cache

import pycountry

from tipnet.maps.subdivisions import subdivisions

RECRUITMENT_SHARE = 0.7  # cases whose recruitment subdivision is recorded


@cache
def _weighted(iso3: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    country = pycountry.countries.get(alpha_3=iso3)
    codes = [s.code for s in subdivisions(country.alpha_2)] if country is not None else []
    random.Random(f"hotspots:{iso3}").shuffle(codes)
    return tuple(codes), tuple(1.0 / (rank + 1) for rank in range(len(codes)))


def recruitment_subdivision(case: str, iso3: str) -> str | None:
    """The ISO 3166-2 code where the victims of `case` were recruited in `iso3`, or None (not recorded)."""
    codes, weights = _weighted(iso3)
    rng = random.Random(f"recruitment-subdivision:{case}")
    if not codes or rng.random() >= RECRUITMENT_SHARE:
        return None
    return rng.choices(codes, weights=weights)[0]


POINT_SHARE = 0.6  # cases with an exploitation place whose coordinates are recorded
JITTER_DEG = 0.04  # about 4 km: victims of different cases near one hotspot do not share a point


@cache
def _hotspot_points(code: str) -> tuple[tuple[float, float], ...]:
    """Two fixed points (lon, lat) inside a subdivision's largest polygon where the demo's exploitation clusters."""
    from tipnet.maps.geometry import _area, _inside
    from tipnet.maps.subdivisions import centroid, polygons

    polys = polygons(code)
    poly = tuple(polys[max(range(len(polys)), key=lambda i: _area(polys[i][0]))])
    (w, s), (e, n) = poly[0].min(axis=0), poly[0].max(axis=0)
    rng = random.Random(f"hotspot-points:{code}")
    out = [centroid(code)]
    for _ in range(200):
        pt = (rng.uniform(w, e), rng.uniform(s, n))
        if _inside(pt, poly):
            out.append(pt)
            break
    return tuple(out)


@cache
def _geometry_code(iso3: str, subdivision: str) -> str | None:
    from tipnet.ingest.subdivisions import resolve_subdivision
    from tipnet.maps.subdivisions import by_code

    code = resolve_subdivision(iso3, subdivision)
    return code if code in by_code() else None


@lru_cache(maxsize=1024)  # the victims of one case share their place
def exploitation_point(case: str, iso3: str, subdivision: str) -> tuple[float, float] | None:
    """(latitude, longitude) where the victims of `case` were exploited in `subdivision` (as written) of `iso3`,
    near one of that subdivision's fixed hotspots, or None (not recorded, or the subdivision does not resolve)."""
    code = _geometry_code(iso3, subdivision)
    rng = random.Random(f"exploitation-point:{case}")
    if code is None or rng.random() >= POINT_SHARE:
        return None
    points = _hotspot_points(code)
    lon, lat = points[0] if len(points) == 1 or rng.random() < 0.7 else points[1]
    return round(lat + rng.gauss(0, JITTER_DEG), 4), round(lon + rng.gauss(0, JITTER_DEG), 4)
