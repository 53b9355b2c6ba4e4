"""Generalisation hierarchies for the quasi-identifiers of a microdata extract. Level 0 is the value as recorded;
the top level is '*' (the attribute withheld)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

STAR = "*"
UNKNOWN = "unknown"


@cache
def country_regions() -> dict[str, tuple[str, str]]:
    """ISO3 -> (region, subregion)."""
    text = resources.files("tipnet.disclosure").joinpath("data", "country_regions.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {r["iso3"]: (r["region"], r["subregion"]) for r in rows}


def _subregion(code: str) -> str:
    return country_regions().get(code, (UNKNOWN, UNKNOWN))[1] if code != UNKNOWN else UNKNOWN


def _region(code: str) -> str:
    return country_regions().get(code, (UNKNOWN, UNKNOWN))[0] if code != UNKNOWN else UNKNOWN


_AGE_COARSE = {"0-8": "0-17", "9-17": "0-17", "18-20": "18-29", "21-23": "18-29", "24-26": "18-29",
               "27-29": "18-29", "30-38": "30-47", "39-47": "30-47", "48+": "48+"}


def _year_band(width: int) -> Callable[[str], str]:
    def band(year: str) -> str:
        if not year.isdigit():
            return UNKNOWN
        start = int(year) - int(year) % width
        return f"{start}-{start + width - 1}"
    return band


@dataclass(frozen=True)
class Hierarchy:
    """A quasi-identifier: the source column and one mapping per level above 0 (value at level 0 -> level n)."""

    column: str  # output column
    source: str  # column of the victims row read at level 0
    levels: tuple[Callable[[dict[str, str]], str], ...]  # level 1.. ; each takes the whole row

    @property
    def height(self) -> int:
        return len(self.levels)

    def value(self, row: dict[str, str], level: int) -> str:
        return row[self.source] if level == 0 else self.levels[level - 1](row)


def _col(name: str, f: Callable[[str], str]) -> Callable[[dict[str, str]], str]:
    return lambda row: f(row[name])


HIERARCHIES: dict[str, Hierarchy] = {
    "sex": Hierarchy("sex", "sex", (
        _col("sex", lambda s: s if s in ("female", "male") else "other_or_unknown"),
        lambda row: STAR)),
    "age": Hierarchy("age", "age_band", (
        _col("age_band", lambda a: _AGE_COARSE.get(a, UNKNOWN)),
        _col("age_group", lambda a: a),
        lambda row: STAR)),
    "citizenship": Hierarchy("citizenship", "citizenship", (
        _col("citizenship", _subregion), _col("citizenship", _region), lambda row: STAR)),
    "year": Hierarchy("year", "year", (_col("year", _year_band(2)), _col("year", _year_band(5)), lambda row: STAR)),
    "country_of_exploitation": Hierarchy("country_of_exploitation", "destination", (
        _col("destination", _subregion), _col("destination", _region), lambda row: STAR)),
}
