"""Victims by first-level subdivision (ISO 3166-2): from microdata (where recruited, where exploited) and from
subnational aggregate returns, split by sex, age group or form, with rates per 100,000 when a subnational
population table is given (`TIPNET_SUBNATIONAL_POPULATION_FILE`).

Counts here are restricted figures. Anything that leaves the restricted zone goes through `publishable`, which applies
the release threshold of `tipnet.disclosure` (no cell under 5 victims).
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from tipnet.disclosure.spec import ReleaseSpec
from tipnet.ingest.subdivisions import resolve_subdivision
from tipnet.maps.area_query import NO_FILTER, AreaFilter, victim_rows
from tipnet.stats.national import national
from tipnet.store.tables import persons

THRESHOLD: int = ReleaseSpec.threshold  # counts 1..threshold-1 are never published
ALL = "_all"
BY = ("sex", "age_group", "form")
EVENTS = ("recruitment", "exploitation")


@dataclass(frozen=True)
class AreaCell:
    subdivision: str  # ISO 3166-2
    category: str  # ALL, or a value of the `by` dimension (sex, age group, form)
    victims: int
    rate_per_100k: float | None = None


def _check(by: str | None, event: str = "recruitment") -> None:
    if by is not None and by not in BY:
        raise ValueError(f"figures by subdivision cannot be split by {by!r}; available: {BY}")
    if event not in EVENTS:
        raise ValueError(f"event must be one of {EVENTS}")


def _categories(row: Any, by: str | None) -> list[str]:
    if by is None:
        return [ALL]
    if by == "sex":
        return [row.sex or "unknown"]
    if by == "age_group":
        return ["unknown" if row.is_minor is None else "minor" if row.is_minor else "adult"]
    forms = sorted({f.strip() for f in (row.forms_of_exploitation or "").split(";") if f.strip()})
    return forms or ["not_recorded"]  # a victim counts once in each of their forms


def microdata_cells(db: Any, country: str, event: str = "recruitment", by: str | None = None,
                    year: int | None = None, year_from: int | None = None,
                    year_to: int | None = None, rows: Any = None, filt: AreaFilter = NO_FILTER) -> list[AreaCell]:
    """Victims reported by `country` (ISO alpha-3) per subdivision of that country where they were recruited or
    exploited. A subdivision written as an ISO code, a name or a national code (INEGI, UBIGEO, DANE, IBGE) counts;
    one that does not resolve, or that lies in another country, is left out. `rows`: the SQLAlchemy condition on
    persons that the caller may read (a scoped source's `RowFilter.persons`); None reads every record. `filt`: the
    period, sex, age group and form an analyst chose."""
    _check(by, event)
    country = country.upper()
    place, sub = persons.c[f"{event}_country"], persons.c[f"{event}_subdivision"]
    where = [persons.c.reporting_country == country, sub.is_not(None)]
    if year is not None:
        where.append(persons.c.identification_year == year)
    filt = replace(filt, year_from=year_from if year_from is not None else filt.year_from,
                   year_to=year_to if year_to is not None else filt.year_to)
    counts: Counter[tuple[str, str]] = Counter()
    for row in victim_rows(db, (place, sub), where, filt, rows):
        where_ = (row[0] or country).upper()
        if where_ != country:
            continue
        code = resolve_subdivision(country, str(row[1]))
        if code is None:
            continue
        for cat in _categories(row, by):
            counts[(code, cat)] += 1
    return [AreaCell(s, c, n) for (s, c), n in sorted(counts.items())]


def aggregate_cells(source: Any, country: str, by: str | None = None, year: int | None = None,
                    indicator: str = "detected_victims") -> list[AreaCell]:
    """Victims per subdivision from the subnational aggregate returns (national statistics tables). A censored
    figure (`<5`) has no exact count and is left out."""
    _check(by)
    dims: tuple[str, ...] = ("country", "subdivision", *({"form": "form_group"}.get(by, by) for by in [by] if by))
    filters: dict[str, Any] = {"country": country.upper(), **({"year": year} if year is not None else {})}
    out = []
    for r in national(source, dims, indicator, filters):
        if not r.get("subdivision") or r.get("victims") is None:
            continue
        out.append(AreaCell(r["subdivision"], str(r[dims[-1]]) if by else ALL, int(r["victims"])))
    return sorted(out, key=lambda c: (c.subdivision, c.category))


@dataclass(frozen=True)
class NationalTable:
    source: str  # the statistics table's source (e.g. SESNSP)
    year: int  # its newest year with figures by subdivision
    cells: tuple[AreaCell, ...]  # every subdivision it counts (restricted: `publishable` before anything leaves)


def national_tables(source: Any, country: str, indicator: str = "detected_victims") -> list[NationalTable]:
    """Victims by subdivision from each national statistics table of `country` (a subnational aggregate return, e.g.
    Mexico's SESNSP by state), in the newest year each table has figures by subdivision. A censored figure (`<5`) has
    no exact count and is left out."""
    rows = national(source, ("country", "year", "subdivision"), indicator, {"country": country.upper()})
    by_source: dict[str, dict[int, list[AreaCell]]] = {}
    for r in rows:
        if not r.get("subdivision") or r.get("victims") is None or not str(r.get("year") or "").isdigit():
            continue
        cells = by_source.setdefault(str(r.get("source") or ""), {}).setdefault(int(r["year"]), [])
        cells.append(AreaCell(str(r["subdivision"]), ALL, int(r["victims"])))
    out = []
    for src, years in sorted(by_source.items()):
        year = max(years)
        out.append(NationalTable(src, year, tuple(sorted(years[year], key=lambda c: (-c.victims, c.subdivision)))))
    return out


@cache
def _population(path: str) -> dict[tuple[str, int], float]:
    """(ISO 3166-2, year) -> population from a CSV shaped like the national table (Country Code, Year, Value)."""
    out: dict[tuple[str, int], float] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            keys = {k.lower().replace(" ", "_"): v for k, v in row.items() if k}
            code = keys.get("country_code") or keys.get("country") or ""
            value = keys.get("value") or keys.get("population") or ""
            if code and value and keys.get("year"):
                out[(code.strip().upper(), int(keys["year"]))] = float(value)
    return out


def subnational_population() -> dict[tuple[str, int], float]:
    path = os.environ.get("TIPNET_SUBNATIONAL_POPULATION_FILE")
    return _population(path) if path else {}


def with_rates(cells: Iterable[AreaCell], year: int,
               population: dict[tuple[str, int], float] | None = None) -> list[AreaCell]:
    """Cells of one year with their rate per 100,000 inhabitants of the subdivision (total population), where the
    population table has that subdivision and year."""
    pop = subnational_population() if population is None else population
    out = []
    for c in cells:
        p = pop.get((c.subdivision, year))
        out.append(replace(c, rate_per_100k=round(c.victims / p * 100_000, 3) if p else None))
    return out


def publishable(cells: Iterable[AreaCell], threshold: int = THRESHOLD) -> list[AreaCell]:
    """The cells that may leave the restricted zone: those of at least `threshold` victims. A rate goes with its
    count (a rate of a suppressed cell would give the count back)."""
    return [c for c in cells if c.victims >= threshold]
