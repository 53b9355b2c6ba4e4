"""Subnational routes: victims by recruitment subdivision -> exploitation subdivision (ISO 3166-2), within a country
and across borders, with the transit countries in between kept in order.

A flow is drawn as legs between the centroids of its stops (the recruitment subdivision, each transit country, the
exploitation subdivision). Only flows of at least 5 victims leave the restricted zone, and the legs are built from
those flows only, so no leg's count can be differenced back to a flow under 5.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_

from tipnet.ingest.subdivisions import resolve_subdivision
from tipnet.maps.area_figures import THRESHOLD
from tipnet.maps.area_query import NO_FILTER, AreaFilter, victim_rows
from tipnet.maps.subdivisions import alpha2, centroid
from tipnet.store.tables import persons

LonLat = tuple[float, float]


@dataclass(frozen=True)
class AreaFlow:
    origin: str  # ISO 3166-2 where recruited
    destination: str  # ISO 3166-2 where exploited
    transit: tuple[str, ...]  # ISO alpha-3 of the countries crossed in between, in order
    victims: int
    minors: int | None = 0  # None: withheld (1 to 4 children, or 1 to 4 adults)

    @property
    def stops(self) -> tuple[str, ...]:
        return (self.origin, *self.transit, self.destination)

    @property
    def local(self) -> bool:
        """Recruited and exploited in the same subdivision (no leg to draw)."""
        return self.origin == self.destination and not self.transit


def _transits(origin_country: str, raw: str | None, destination_country: str) -> tuple[str, ...]:
    path = [origin_country, *[t.strip().upper() for t in (raw or "").split(";") if t.strip()], destination_country]
    kept = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]  # a repeated country is one stay
    return tuple(kept[1:-1])


def microdata_flows(db: Any, country: str | None = None, filt: AreaFilter = NO_FILTER,
                    rows: Any = None) -> list[AreaFlow]:
    """Restricted victims per (recruitment subdivision, transit countries, exploitation subdivision), both ends
    resolved to ISO 3166-2 (names and national codes included). `country` (alpha-3): flows with an end in it."""
    c = persons.c
    where: list[ColumnElement[bool]] = [c.recruitment_subdivision.is_not(None), c.exploitation_subdivision.is_not(None)]
    if country:
        country = country.upper()
        where.append(or_(c.recruitment_country == country, c.exploitation_country == country,
                         c.reporting_country == country))
    counts: Counter[tuple[str, tuple[str, ...], str]] = Counter()
    minors: Counter[tuple[str, tuple[str, ...], str]] = Counter()
    cols = (c.reporting_country, c.recruitment_country, c.recruitment_subdivision, c.transit_countries,
            c.exploitation_country, c.exploitation_subdivision)
    for row in victim_rows(db, cols, where, filt, rows):
        oc = (row.recruitment_country or row.reporting_country or "").upper()
        dc = (row.exploitation_country or row.reporting_country or "").upper()
        o = resolve_subdivision(oc, str(row.recruitment_subdivision)) if oc else None
        d = resolve_subdivision(dc, str(row.exploitation_subdivision)) if dc else None
        if o is None or d is None:
            continue
        key = (o, _transits(oc, row.transit_countries, dc), d)
        if country and not (key[0].startswith(_a2(country)) or key[2].startswith(_a2(country))):
            continue
        counts[key] += 1
        minors[key] += 1 if row.is_minor else 0
    flows = [AreaFlow(o, d, t, n, minors[(o, t, d)]) for (o, t, d), n in counts.items()]
    return sorted(flows, key=lambda f: (-f.victims, f.stops))


def _a2(iso3: str) -> str:
    return alpha2(iso3) + "-"


def publishable_flows(flows: Iterable[AreaFlow], threshold: int = THRESHOLD) -> list[AreaFlow]:
    """Flows that may leave the restricted zone: at least `threshold` victims. The count of children goes only
    where it is 0 or at least the threshold (and so is the count of adults)."""
    out = []
    for f in flows:
        if f.victims < threshold:
            continue
        m = f.minors or 0
        ok = all(n == 0 or n >= threshold for n in (m, f.victims - m))
        out.append(f if ok else AreaFlow(f.origin, f.destination, f.transit, f.victims, None))
    return out


def stop_point(stop: str) -> LonLat:
    """Where a stop is drawn: a subdivision's (ISO 3166-2) or a transit country's (alpha-3) inner point."""
    if "-" in stop:
        return centroid(stop)
    from tipnet.maps.geometry import centroid as country_centroid

    return country_centroid(stop)


def legs(flows: Iterable[AreaFlow], threshold: int = THRESHOLD) -> list[tuple[str, str, int]]:
    """(from stop, to stop, victims) summed over the publishable flows only, largest first."""
    total: Counter[tuple[str, str]] = Counter()
    for f in publishable_flows(flows, threshold):
        for a, b in zip(f.stops[:-1], f.stops[1:], strict=True):
            if a != b:
                total[(a, b)] += f.victims
    return sorted(((a, b, n) for (a, b), n in total.items()), key=lambda leg: (-leg[2], leg[0], leg[1]))
