"""Plausibility and consistency checks for aggregate figures (GLOTIP-style returns: one count per indicator x
dimension x category x sex x age x year).

A figure that fails a check is still stored, exactly as written (`raw_value`), and reported as a warning with its code,
row, column and value; it is *held*: statistics, maps, indicators and releases leave it out until a person confirms or
corrects it (`tipnet review`). The rules, each with its code in the error catalogue:

`code-shaped-category`
    A category is a label: a country, a nationality, a form of exploitation, "Total". Labels never hold digits unless
    they are phrases ("M49 Region: Africa", "EU-28 others"). A category that is ONE token (no whitespace) holding a
    digit is an identifier that leaked from the questionnaire or a spreadsheet: `Q6.1_10s_2019`, `V12`, `q3a`, `6.1`,
    `2019`. Such a figure cannot be placed under any category and is held. A lone `0` is what a spreadsheet formula
    shows for an empty cell: it is treated as a category not recognised (reported, counted under no category), not
    as a code.

`code-shaped-value`
    A count whose digits are not a count. Three shapes, none of which an ordinary large count (1,234; 48,773) has:

    1. it repeats the digits of its own category: category `Q6.1_10s_2019`, value `61,102,019` (the questionnaire
       cell's code exported as its value);
    2. it has seven digits or more and begins or ends with a calendar year (1950 .. the row's year + 1): `6,112,019`
       (`6.1`, `1`, `2019`), `20,190,301` (a date, 2019-03-01). A million persons in one cell of a return on
       trafficking is not a count, and a year inside the digits says where it came from;
    3. it equals a year close to the row's (the row's year - 2 .. + 1) while its category is blank or not recognised:
       `2,020` with no category. A count that merely equals a year, under a recognised category, is left alone (the
       2023 GLOTIP edition has Mexico's 2015 total of 2,015 victims).

`implausible-count`
    More than `POPULATION_SHARE` (1 %) of the country's population that year (World Bank table,
    `tipnet.stats.population`, or the user's own): no country detects, prosecutes or convicts one in a hundred of its
    inhabitants for trafficking.
    Regions and unknown areas have no population and are not checked here.

`negative-count`, `fractional-count`
    A count of persons is a whole number, zero or more (`-3`, `2.5`).

`breakdown-exceeds-total`
    Parts (by form of exploitation, or by citizenship) compared with their total: same area, indicator, year, sex and
    age. Intervals count on the side that favours the figures (a `<5` part counts as 1, a `<5` total as 4), so the
    `<5` slack never raises the flag. GLOTIP counts a person under each form they were exploited in, and its parts and
    totals are often compiled from different returns, so parts adding up to somewhat more than the total are normal
    there (2023 edition: 1,374 breakdowns above their total, 440 single parts above it). The check therefore holds a
    breakdown only when its parts add up to more than `OVERLAP_FACTOR` (10) times the total - the size of gap a
    slipped digit or a code in the value column makes. It holds the parts that alone exceed the total (or, if none
    does, every part). Figures already held by another check are left out of the sum.

`unresolved-category` (reported; held only for forms of exploitation)
    A category that resolves to nothing known. A citizenship or country of repatriation that does not resolve is
    stored with no category code and is never counted under a category, so it is only reported; a form of
    exploitation that does not resolve would be counted as a nameless form, so it is held. Blank categories and the
    words for "unknown" are not reported.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tipnet.ingest.errors import error_type

POPULATION_SHARE = 0.01
OVERLAP_FACTOR = 10
BREAKDOWN_DIMENSIONS = ("form_of_exploitation", "citizenship")
_DIGIT = re.compile(r"\d")
_UNKNOWN_WORDS = {"unknown", "n/a", "na", "not known", "unspecified", "sin determinar", "desconocido", "desconocida",
                  "no determinado", "inconnu", "inconnue", "desconhecido", "desconhecida", "not stated"}


@dataclass(frozen=True)
class Flag:
    """One failed check on one figure: the catalogue code, the source column and value, the message."""

    code: str
    column: str
    value: str | None
    message: str
    holds: bool = True


def category_is_code(category: str | None) -> bool:
    """One token (no whitespace) holding a digit: `Q6.1_10s_2019`, `V12`, `0`; never a country or form label."""
    text = (category or "").strip()
    return bool(text) and text != "0" and not any(ch.isspace() for ch in text) and bool(_DIGIT.search(text))


def value_code_reason(value: int | None, year: int, category: str | None, category_known: bool) -> str | None:
    """Why an exact count looks like a code or a date (see the module's rules), or None when it looks like a count."""
    if value is None or value < 0:
        return None
    digits = str(value)
    category_digits = "".join(_DIGIT.findall(category or ""))
    if len(digits) >= 4 and category_digits == digits:
        return f"repeats the digits of its category {category!r}"
    if len(digits) >= 7:
        for y in {int(digits[:4]), int(digits[-4:])}:
            if 1950 <= y <= year + 1:
                return f"has {len(digits)} digits and carries the year {y}: a code or a date, not a count"
    blank = not (category or "").strip()
    if year - 2 <= value <= year + 1 and (blank or not category_known):
        return f"equals a year and its category is {'blank' if blank else 'not recognised'}"
    return None


class Populations:
    """Population by (ISO3, year), totals only, for the share check; the nearest year within five when missing."""

    def __init__(self, rows: Iterable[tuple[str, int, float]]) -> None:
        self._by: dict[str, dict[int, float]] = defaultdict(dict)
        for country, year, population in rows:
            if population:
                self._by[str(country)][int(year)] = float(population)

    @classmethod
    def load(cls) -> Populations:
        from tipnet.stats.population import load_population

        t = load_population().table
        keep = [i for i, (s, a) in enumerate(zip(t["sex"].to_pylist(), t["age"].to_pylist(), strict=True))
                if s == "total" and a == "total"]
        c, y, p = (t[n].to_pylist() for n in ("country", "year", "population"))
        return cls((c[i], y[i], p[i]) for i in keep)

    def of(self, country: str | None, year: int) -> float | None:
        years = self._by.get(country or "")
        if not years:
            return None
        if year in years:
            return years[year]
        near = min(years, key=lambda y: abs(y - year))
        return years[near] if abs(near - year) <= 5 else None


def _flag(code: str, column: str, value: Any, holds: bool = True, **kw: Any) -> Flag:
    text = None if value is None else str(value)
    return Flag(code, column, text, error_type(code).message(field=column, value=text, **kw), holds)


def check_cell(obs: dict[str, Any], populations: Populations | None) -> list[Flag]:
    """The checks that need only the figure itself (every rule but the breakdown's)."""
    flags: list[Flag] = []
    raw = (obs.get("raw_value") or "").strip()
    category = obs.get("category")
    if obs["dimension"] != "total" and category_is_code(category):
        flags.append(_flag("code-shaped-category", "Category", category))
    elif obs["dimension"] != "total" and obs.get("category_kind") == "unknown" and not _is_unknown_word(category):
        held = obs["dimension"] == "form_of_exploitation"
        outcome = "the figure is held for review" if held else "the figure is stored but counted under no category"
        flags.append(_flag("unresolved-category", "Category", category, held,
                           dimension=obs["dimension"].replace("_", " "), outcome=outcome))
    if obs.get("value") is not None and obs["value"] < 0:
        flags.append(_flag("negative-count", "txtVALUE", raw))
    elif obs.get("value") is None and not obs.get("censored"):  # parsed as a fraction: kept as the interval round it
        flags.append(_flag("fractional-count", "txtVALUE", raw))
    known = obs.get("category_kind") not in ("unknown", None) or obs["dimension"] == "total"
    reason = value_code_reason(obs.get("value"), int(obs["year"]), category, known)
    if reason is not None:
        flags.append(_flag("code-shaped-value", "txtVALUE", raw, reason=reason))
    if populations is not None and obs.get("area_kind") == "country":
        population = populations.of(obs.get("country"), int(obs["year"]))
        if population and obs["value_min"] > POPULATION_SHARE * population:
            flags.append(_flag("implausible-count", "txtVALUE", raw, share=f"{obs['value_min'] / population:.1%}",
                               country=obs.get("country"), year=obs["year"], population=f"{population:,.0f}",
                               bound=f"{POPULATION_SHARE:.0%}"))
    return flags


def _is_unknown_word(category: str | None) -> bool:
    text = " ".join((category or "").strip().lower().split())
    return not text or text in _UNKNOWN_WORDS


def check_breakdowns(observations: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Flag]]:
    """Breakdowns (by form, by citizenship) whose parts add up to more than `OVERLAP_FACTOR` times their total.
    Observations already held are left out. Returns the parts to hold, each with its flag."""
    totals: dict[tuple[Any, ...], dict[str, Any]] = {}
    parts: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for o in observations:
        if o.get("held"):
            continue
        key = (o.get("area_code"), o.get("country"), o["indicator"], o["year"], o["sex"], o["age"])
        if o["dimension"] == "total":
            if key not in totals or o["value_max"] > totals[key]["value_max"]:
                totals[key] = o  # several totals for one key: the largest, which favours the parts
        elif o["dimension"] in BREAKDOWN_DIMENSIONS:
            parts[(*key, o["dimension"])].append(o)
    out: list[tuple[dict[str, Any], Flag]] = []
    for key, cells in parts.items():
        total = totals.get(key[:-1])
        if total is None:
            continue
        whole, added = total["value_max"], sum(c["value_min"] for c in cells)
        if added <= OVERLAP_FACTOR * whole:
            continue
        culprits = [c for c in cells if c["value_min"] > whole] or cells
        for c in culprits:
            out.append((c, _flag("breakdown-exceeds-total", "txtVALUE", c.get("raw_value"),
                                 dimension=key[-1].replace("_", " "), total=total.get("raw_value"),
                                 total_row=total.get("source_row"), parts=added)))
    return out


def hold(obs: dict[str, Any], flags: Iterable[Flag]) -> None:
    """Mark a figure held (out of statistics until reviewed) by the flags that hold, and name the checks."""
    codes = [f.code for f in flags if f.holds]
    if codes:
        obs["held"] = True
        seen = (obs.get("checks") or "").split(",") if obs.get("checks") else []
        obs["checks"] = ",".join(dict.fromkeys([*seen, *codes]))
