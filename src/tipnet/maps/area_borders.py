"""Border areas ranked for prevention: a country's subdivisions that touch a land border with another member state,
with the victims whose routes crossed that border there.

A crossing is attributed to a border area from what the record says, never guessed: a victim recruited in border
area `s` of country X whose route's next country is the neighbour Y crossed at (s, Y); so did a victim exploited in
`s` whose route's previous country is Y. Crossings whose subdivision on X's side is not recorded, or is not on that
border, are counted per neighbour as "not attributed".

Score (for prevention, as the corridors'): 0.5 x volume / largest volume + 0.2 x clamp(growth year on year, 0, 1)
+ 0.3 x share of children. Only border areas of at least 5 victims are published, and a component is published only
when the counts behind it are 0 or at least 5 (children and adults; each of the two years of the growth); a withheld
component counts 0 in the published score, so the score gives back nothing the table does not show.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pycountry
from sqlalchemy import ColumnElement, or_

from tipnet.ingest.subdivisions import resolve_subdivision
from tipnet.maps.area_figures import THRESHOLD
from tipnet.maps.area_flows import _transits
from tipnet.maps.area_query import NO_FILTER, AreaFilter, victim_rows
from tipnet.maps.subdivisions import alpha2, border_areas
from tipnet.store.tables import persons

WEIGHTS = (0.5, 0.2, 0.3)  # volume, growth, share of children (the corridor ranking's weights)


@dataclass
class BorderArea:
    subdivision: str  # ISO 3166-2, in the country
    neighbour: str  # ISO alpha-3 across the border
    across: tuple[str, ...]  # the neighbour's subdivisions on the other side (ISO 3166-2)
    victims: int = 0
    minors: int = 0
    by_year: Counter[int] = field(default_factory=Counter)
    # published components (None: withheld) and the score built from them
    volume: float | None = None
    growth: float | None = None
    child_share: float | None = None
    last_year: int | None = None
    new_last_year: bool = False  # none crossed there the year before (growth is then measured against 1)
    score: float = 0.0
    rank: int = 0


def _alpha3(a2: str) -> str:
    c = pycountry.countries.get(alpha_2=a2)
    return str(c.alpha_3) if c is not None else a2


def candidates(country: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """(border subdivision, neighbour alpha-3) -> the neighbour's subdivisions across, from the geometry."""
    out: dict[tuple[str, str], set[str]] = {}
    for sub, foreign in border_areas(alpha2(country)).items():
        for f in foreign:
            out.setdefault((sub, _alpha3(f.split("-")[0])), set()).add(f)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def crossings(db: Any, country: str, filt: AreaFilter = NO_FILTER,
              rows: Any = None) -> tuple[dict[tuple[str, str], BorderArea], Counter[str]]:
    """Restricted counts: per border area (subdivision, neighbour) the victims who crossed there (by year, children),
    and per neighbour the crossings that cannot be placed in a border area."""
    country = country.upper()
    areas = {k: BorderArea(k[0], k[1], v) for k, v in candidates(country).items()}
    neighbours = {n for _, n in areas}
    c = persons.c
    where: list[ColumnElement[bool]] = [or_(c.recruitment_country == country, c.exploitation_country == country)]
    cols = (c.reporting_country, c.recruitment_country, c.recruitment_subdivision, c.transit_countries,
            c.exploitation_country, c.exploitation_subdivision)
    unplaced: Counter[str] = Counter()
    for row in victim_rows(db, cols, where, filt, rows):
        oc = (row.recruitment_country or row.reporting_country or "").upper()
        dc = (row.exploitation_country or row.reporting_country or "").upper()
        path = [oc, *_transits(oc, row.transit_countries, dc), dc] if oc != dc or row.transit_countries else [oc]
        ends = []
        if path[0] == country and len(path) > 1:
            ends.append((path[1], row.recruitment_subdivision))
        if path[-1] == country and len(path) > 1:
            ends.append((path[-2], row.exploitation_subdivision))
        placed: set[tuple[str, str]] = set()  # out and back through one border area: one victim there
        for neighbour, written in ends:
            if neighbour not in neighbours:
                continue  # no land border with that state (a flight, a sea crossing, a non-member)
            sub = resolve_subdivision(country, str(written)) if written else None
            area = areas.get((sub, neighbour)) if sub else None
            if area is None:
                unplaced[neighbour] += 1
                continue
            if (area.subdivision, neighbour) in placed:
                continue
            placed.add((area.subdivision, neighbour))
            area.victims += 1
            area.minors += 1 if row.is_minor else 0
            if row.identification_year is not None:
                area.by_year[int(row.identification_year)] += 1
    return areas, unplaced


def _shown(n: int, threshold: int) -> bool:
    return n == 0 or n >= threshold


def ranked(db: Any, country: str | Sequence[str], filt: AreaFilter = NO_FILTER, rows: Any = None,
           threshold: int = THRESHOLD, today: dt.date | None = None) -> list[BorderArea]:
    """The publishable border areas of `country` (alpha-3), or of several countries ranked together (the
    hemisphere), where at least `threshold` victims crossed, ranked by score, with each published component. Volume
    is relative to the largest of those ranked; year on year growth compares the newest ended year with crossings in
    any of their border areas (the running year only when it is the only one) to the year before."""
    areas: list[BorderArea] = []
    for iso3 in [country] if isinstance(country, str) else country:
        areas += crossings(db, iso3, filt, rows)[0].values()
    kept = [a for a in areas if a.victims >= threshold]
    years = [y for a in areas for y in a.by_year]
    ended = [y for y in years if y < (today or dt.date.today()).year]  # a running year's first records say little
    last = max(ended) if ended else max(years) if years else None
    top = max((a.victims for a in kept), default=0)
    wv, wg, wc = WEIGHTS
    for a in kept:
        a.volume = round(a.victims / top, 4)
        a.last_year = last
        if last is not None:
            now, before = a.by_year[last], a.by_year[last - 1]
            if _shown(now, threshold) and _shown(before, threshold):
                a.growth = round((now - before) / max(before, 1), 4)
                a.new_last_year = before == 0 and now > 0
        if _shown(a.minors, threshold) and _shown(a.victims - a.minors, threshold):
            a.child_share = round(a.minors / a.victims, 4)
        a.score = round(wv * a.volume + wg * min(max(a.growth or 0.0, 0.0), 1.0) + wc * (a.child_share or 0.0), 4)
    kept.sort(key=lambda a: (-a.score, -a.victims, a.subdivision, a.neighbour))
    for i, a in enumerate(kept, 1):
        a.rank = i
    return kept


def public_row(a: BorderArea) -> dict[str, Any]:
    """What a published border area shows (no count under the threshold: children and years stay inside)."""
    return {"rank": a.rank, "subdivision": a.subdivision, "neighbour": a.neighbour, "across": list(a.across),
            "victims": a.victims, "volume": a.volume, "growth": a.growth, "child_share": a.child_share,
            "last_year": a.last_year, "new_last_year": a.new_last_year, "score": a.score}
