"""The statistics computed indicators are made of: base figures per country and year, and derived statistics.

Base figures (`victims`, `minors`, `prosecuted`, `convicted`, `assisted`, `repatriated`, `cross_border`,
`population`) come from the case microdata where the country has any for that year, otherwise from the UNODC GLOTIP
aggregate returns in the store; population from the table of `tipnet.stats.population`. A figure is an interval:
exact counts have lo == hi, GLOTIP's `<5` is 1..4 (and sums of such stay intervals). Derived statistics are computed
by interval arithmetic and declare their inputs, which is how an indicator knows which data it depends on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

BASE = ("victims", "minors", "prosecuted", "convicted", "assisted", "repatriated", "cross_border", "population")


@dataclass(frozen=True)
class Figure:
    lo: float
    hi: float
    source: str | None = None  # microdata | glotip | population | derived

    @property
    def exact(self) -> bool:
        return self.lo == self.hi

    @property
    def value(self) -> float | None:
        return self.lo if self.exact else None

    def to_dict(self) -> dict[str, Any]:
        return {"lo": self.lo, "hi": self.hi, "value": self.value, "exact": self.exact, "source": self.source}


def _ratio(a: Figure | None, b: Figure | None, factor: float = 1.0, share: bool = False) -> Figure | None:
    """a / b * factor for intervals (b above 0); a share (a part of b) never exceeds `factor`."""
    if a is None or b is None or b.hi <= 0:
        return None
    if b.lo <= 0:
        return None
    lo, hi = a.lo / b.hi * factor, a.hi / b.lo * factor
    if share:
        hi = min(hi, factor)
        lo = min(lo, hi)
    return Figure(round(lo, 6), round(hi, 6), "derived")


@dataclass(frozen=True)
class Statistic:
    name: str
    inputs: tuple[str, ...]
    compute: Callable[[dict[str, Figure]], Figure | None]
    unit: str  # per_100k | percent | ratio | count


def _g(name: str) -> Callable[[dict[str, Figure]], Figure | None]:
    return lambda f: f.get(name)


STATISTICS: dict[str, Statistic] = {s.name: s for s in (
    Statistic("victims_identified", ("victims",), _g("victims"), "count"),
    Statistic("victims_per_100k", ("victims", "population"),
              lambda f: _ratio(f.get("victims"), f.get("population"), 1e5), "per_100k"),
    Statistic("child_share", ("minors", "victims"),
              lambda f: _ratio(f.get("minors"), f.get("victims"), 100.0, share=True), "percent"),
    Statistic("prosecutions_per_victim", ("prosecuted", "victims"),
              lambda f: _ratio(f.get("prosecuted"), f.get("victims")), "ratio"),
    Statistic("convictions_per_victim", ("convicted", "victims"),
              lambda f: _ratio(f.get("convicted"), f.get("victims")), "ratio"),
    Statistic("assisted_share", ("assisted", "victims"),
              lambda f: _ratio(f.get("assisted"), f.get("victims"), 100.0, share=True), "percent"),
    Statistic("repatriations", ("repatriated",), _g("repatriated"), "count"),
    Statistic("cross_border_share", ("cross_border", "victims"),
              lambda f: _ratio(f.get("cross_border"), f.get("victims"), 100.0, share=True), "percent"),
)}


def derive(figures: dict[str, Figure]) -> dict[str, Figure | None]:
    return {name: s.compute(figures) for name, s in STATISTICS.items()}


# --- reading the store ------------------------------------------------------------------------------------------

Key = tuple[str, int]  # (country, year)


def _add(acc: dict[str, list[float]], name: str, lo: float, hi: float) -> None:
    cur = acc.setdefault(name, [0.0, 0.0])
    cur[0] += lo
    cur[1] += hi


def _only(countries: tuple[str, ...] | None) -> tuple[str, list[Any]]:
    if not countries:
        return "", []
    return f" AND country IN ({', '.join('?' for _ in countries)})", list(countries)


def _glotip(source: Any, countries: tuple[str, ...] | None = None) -> dict[Key, dict[str, Figure]]:
    rows = source.query(
        "SELECT country, CAST(year AS INTEGER) AS year, indicator, dimension, sex, age, category_kind, "
        "category_code, sum(value_min) AS lo, sum(value_max) AS hi FROM glotip_figures "  # newest edition per cell
        f"WHERE country IS NOT NULL{_only(countries)[0]} GROUP BY ALL",
        _only(countries)[1])
    acc: dict[Key, dict[str, list[float]]] = defaultdict(dict)
    for r in rows:
        key = (r["country"], int(r["year"]))
        ind, dim, sex, age = r["indicator"], r["dimension"], r["sex"], r["age"]
        lo, hi = float(r["lo"]), float(r["hi"])
        if sex != "total":
            continue
        if dim == "total" and age == "total":
            name = {"detected_victims": "victims", "prosecuted": "prosecuted", "convicted": "convicted"}.get(ind)
            if name:
                _add(acc[key], name, lo, hi)
        elif ind == "detected_victims" and dim == "total" and age == "minor":
            _add(acc[key], "minors", lo, hi)
        elif ind == "detected_victims" and dim == "repatriation" and age == "total":
            _add(acc[key], "repatriated", lo, hi)
        elif (ind == "detected_victims" and dim == "citizenship" and age == "total"
              and r["category_kind"] == "country" and r["category_code"] != r["country"]):
            _add(acc[key], "cross_border", lo, hi)
    return {k: {n: Figure(v[0], v[1], "glotip") for n, v in d.items()} for k, d in acc.items()}


def _microdata(source: Any, countries: tuple[str, ...] | None = None) -> dict[Key, dict[str, Figure]]:
    from sqlalchemy import func, select

    from tipnet.routes.flows import RouteFilter, summary
    from tipnet.store.tables import persons

    out: dict[Key, dict[str, Figure]] = defaultdict(dict)
    rows = source.query(
        "SELECT country, year, count(*) AS victims, count(*) FILTER (WHERE age_group = 'minor') AS minors "
        f"FROM victims WHERE country IS NOT NULL AND year IS NOT NULL{_only(countries)[0]} GROUP BY ALL",
        _only(countries)[1])
    for r in rows:
        key = (r["country"], int(r["year"]))
        out[key]["victims"] = Figure(r["victims"], r["victims"], "microdata")
        out[key]["minors"] = Figure(r["minors"], r["minors"], "microdata")
    for r in source.query(
            "SELECT country, year, count(*) FILTER (WHERE legal_status IN ('prosecuted', 'convicted', 'acquitted')) "
            "AS prosecuted, count(*) FILTER (WHERE legal_status = 'convicted') AS convicted FROM perpetrators "
            f"WHERE country IS NOT NULL AND year IS NOT NULL{_only(countries)[0]} GROUP BY ALL", _only(countries)[1]):
        key = (r["country"], int(r["year"]))
        if key in out:
            out[key]["prosecuted"] = Figure(r["prosecuted"], r["prosecuted"], "microdata")
            out[key]["convicted"] = Figure(r["convicted"], r["convicted"], "microdata")
    for key in out:
        out[key].setdefault("prosecuted", Figure(0, 0, "microdata"))
        out[key].setdefault("convicted", Figure(0, 0, "microdata"))
        s = summary(source, RouteFilter(reporting_country=key[0], year_from=key[1], year_to=key[1]))
        n = int(s["transnational"] or 0)
        out[key]["cross_border"] = Figure(n, n, "microdata")
    # assistance is not in the analysis views: counted in the store, through the source's own row filter
    victim = (func.coalesce(persons.c.role, "victim") == "victim") & (
        func.coalesce(persons.c.victim_status, "actual") != "not_a_victim")
    assisted = func.sum(func.cast(func.coalesce(persons.c.assistance_types, "") != "", _int()))
    repatriated = func.sum(func.cast(func.coalesce(persons.c.assistance_types, "").like("%repatriation%"), _int()))
    q = (select(persons.c.reporting_country, persons.c.identification_year, assisted, repatriated)
         .where(victim).group_by(persons.c.reporting_country, persons.c.identification_year))
    rows_filter = getattr(source, "rows", None)
    if rows_filter is not None and rows_filter.persons is not None:
        q = q.where(rows_filter.persons)
    with source.db.engine.connect() as conn:
        for country, year, n_assisted, n_repatriated in conn.execute(q):
            if year is None or (country, int(year)) not in out:
                continue
            key = (country, int(year))
            out[key]["assisted"] = Figure(int(n_assisted or 0), int(n_assisted or 0), "microdata")
            out[key]["repatriated"] = Figure(int(n_repatriated or 0), int(n_repatriated or 0), "microdata")
    return out


def _int() -> Any:
    from sqlalchemy import Integer

    return Integer()


@cache
def _population() -> dict[Key, Figure]:
    from tipnet.stats.population import load_population

    pop = load_population()
    t = pop.table.to_pydict()
    out: dict[Key, Figure] = {}
    for c, y, s, a, v in zip(t["country"], t["year"], t["sex"], t["age"], t["population"], strict=True):
        if v and s == "total" and a == "total":
            out[(str(c), int(y))] = Figure(float(v), float(v), "population")
    return out


@dataclass
class FigureBook:
    """Base figures for every country and year in a source (microdata first, GLOTIP where there is none)."""

    figures: dict[Key, dict[str, Figure]]

    @classmethod
    def from_source(cls, source: Any, countries: tuple[str, ...] | None = None) -> FigureBook:
        """All countries of the source, or only `countries` (faster for one country's page)."""
        micro = _microdata(source, countries)
        glotip = _glotip(source, countries)
        pop = _population()
        book: dict[Key, dict[str, Figure]] = {}
        for key in set(micro) | set(glotip):
            chosen = micro[key] if micro.get(key, {}).get("victims") and micro[key]["victims"].hi > 0 else glotip.get(
                key, {})
            book[key] = dict(chosen)
            if key in pop:
                book[key]["population"] = pop[key]
        return cls(book)

    def get(self, country: str, year: int) -> dict[str, Figure]:
        found = dict(self.figures.get((country, year), {}))
        if "population" not in found:
            p = _population().get((country, year))
            if p is not None:
                found["population"] = p
        return found

    def years(self, country: str) -> list[int]:
        return sorted(y for c, y in self.figures if c == country)
