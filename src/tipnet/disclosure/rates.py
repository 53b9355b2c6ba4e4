"""Rates per 100,000 inhabitants on the public portal, computed from the published cells of a release only.

A rate is the published count divided by the population of the same country and year, times 100,000. A suppressed
cell has no count to divide, so it has no rate (a rate would give the suppressed count back); a year or country
without a known population has none either. The population table is the one the statistics use
(`tipnet.stats.population`: the World Bank table shipped with the package, or the operator's own); its source is
stated next to every rate.
"""

from __future__ import annotations

from typing import Any

import pyarrow.compute as pc

from tipnet.stats.cube import ALL
from tipnet.stats.population import Population, load_population

PER = 100_000


_TOTALS: dict[int, tuple[Population, dict[tuple[str, int], float]]] = {}


def _totals(population: Population) -> dict[tuple[str, int], float]:
    """(country, year) -> total population, read once per population table (the table itself is not hashable)."""
    held = _TOTALS.get(id(population))
    if held is not None and held[0] is population:
        return held[1]
    t = population.table
    mask = pc.and_(pc.equal(t["sex"], "total"), pc.equal(t["age"], "total"))
    rows = t.filter(mask)
    totals = {(str(c), int(y)): float(p) for c, y, p in zip(rows["country"].to_pylist(), rows["year"].to_pylist(),
                                                            rows["population"].to_pylist(), strict=True)
              if c is not None and y is not None and p}
    _TOTALS[id(population)] = (population, totals)
    return totals


def population_source() -> str:
    return load_population().source


def population_of(country: str, year: int, population: Population | None = None) -> float | None:
    return _totals(population or load_population()).get((country, year))


def rate(value: int | None, country: str, year: str | int, population: Population | None = None) -> float | None:
    """Published count per 100,000 inhabitants; None for a suppressed count or an unknown population."""
    if value is None or not str(year).isdigit():
        return None
    people = population_of(country, int(year), population)
    return value / people * PER if people else None


def _year_rows(g: dict[str, Any]) -> bool:
    return g["dims"] == ["year"] and not g["across"]


def add_rates(g: dict[str, Any], country: str | None, population: Population | None = None) -> dict[str, Any]:
    """Give a country's table by year a rate per 100,000 beside each year's published count (`row["rate"]`), and
    the grid the population's source (`g["rates"]`). Other tables, and the hemisphere's, are left as they are."""
    if country is None or not _year_rows(g):
        return g
    pop = population or load_population()
    found = False
    for row in g["rows"]:
        cell = row["cells"][0]
        year = row["codes"][0]
        row["rate"] = None if row["total"] or year == ALL or cell is None else rate(cell["value"], country, year, pop)
        found = found or row["rate"] is not None
    if found:
        g["rates"] = {"per": PER, "source": pop.source}
    else:
        for row in g["rows"]:
            row.pop("rate", None)
    return g


def latest_rates(rows: dict[tuple[str, str], int | None], population: Population | None = None
                 ) -> tuple[int | None, dict[str, float]]:
    """Each country's rate in the latest year for which the release has a count and the population is known:
    `rows` maps (country, year) to a published count (None when suppressed). Returns (year, {country: rate})."""
    pop = population or load_population()
    years = sorted({int(y) for (c, y) in rows if y.isdigit() and population_of(c, int(y), pop)}, reverse=True)
    if not years:
        return None, {}
    year = years[0]
    out = {}
    for (c, y), value in rows.items():
        if y == str(year) and (r := rate(value, c, year, pop)) is not None:
            out[c] = r
    return year, out
