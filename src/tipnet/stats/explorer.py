"""The statistics explorer: victims for a period (one year, a range of years, the newest year with data, or every
year) broken down by one dimension of the cube, as the table a reader sees and downloads.

Three steps, each usable alone:

- `parse_period` / `parse_dims` read what a person asked for (query parameters, all text) and refuse anything else
  with `Invalid` (a 422 on the web, in the asker's language);
- `breakdown` computes the figures (language-free: codes and integers) through the public `victims` cube;
- `table` lays them out with labels, shares and rates rounded as shown; `table_sheet` gives exactly those rows for
  the CSV and XLSX downloads (`tipnet.stats.sheet`).

A range sums the cube's single years: a victim belongs to one year, so the sum of years counts each victim once (a
victim with several forms counts once per form, in every year as in the range). Victims whose year is unknown count
only in "every year". Rates per 100,000 inhabitants are given for a single year, where the row names one country.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tipnet.errors import Invalid
from tipnet.i18n import translate
from tipnet.stats.cube import ALL, FORM_DIMENSIONS, CubeSpec
from tipnet.stats.figures import victims
from tipnet.stats.labels import dimension_label, sort_key, value_label
from tipnet.stats.source import StatsSource

EXPLORER_DIMS = ("country", "year", "sex", "age_group", "age_band", "form_group", "form", "citizenship",
                 "destination", "source_type")
MAX_TABLES = 4
FIRST_YEAR, LAST_YEAR = 1900, 2100
NEWEST = "last"


@dataclass(frozen=True)
class Period:
    """What was asked: every year (both None), one year or a range (`first`..`last`, either end open), or the newest
    year with data (`newest`)."""

    first: int | None = None
    last: int | None = None
    newest: bool = False

    @property
    def every_year(self) -> bool:
        return not self.newest and self.first is None and self.last is None

    def key(self) -> tuple[Any, ...]:
        return (self.first, self.last, self.newest)


Span = tuple[int, int] | None  # a resolved period: first and last year, or None for every year


def _year(text: str, field: str, lang: str) -> int:
    text = text.strip()
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise Invalid(translate(lang, "explorer.error.year", value=text[:20]), {"field": field, "value": text[:20]})
    return int(text)


def parse_period(year: str | None, first: str | None, last: str | None, lang: str = "en") -> Period:
    """`year=2021` or `year=last`, or `from=2018&to=2021` (either end may be left open); nothing: every year."""
    year, first, last = (v if v not in (None, "") else None for v in (year, first, last))
    if year is not None and (first is not None or last is not None):
        raise Invalid(translate(lang, "explorer.error.both"), {"field": "year", "value": year[:20]})
    if year is not None:
        if year.strip().lower() == NEWEST:
            return Period(newest=True)
        y = _year(year, "year", lang)
        return Period(y, y)
    a = _year(first, "from", lang) if first is not None else None
    b = _year(last, "to", lang) if last is not None else None
    if a is not None and b is not None and a > b:
        raise Invalid(translate(lang, "explorer.error.order", first=a, last=b), {"field": "from", "value": a})
    return Period(a, b)


def parse_dims(values: list[str], default: tuple[str, ...], lang: str = "en",
               allowed: tuple[str, ...] = EXPLORER_DIMS) -> tuple[str, ...]:
    """The breakdowns asked for (`by=sex&by=age_group` or `by=sex,age_group`), in order, each once; `default` when
    none is given."""
    asked = [d.strip() for v in values for d in v.split(",") if d.strip()]
    if not asked:
        return default
    bad = [d for d in asked if d not in allowed]
    if bad:
        raise Invalid(translate(lang, "explorer.error.dim", value=bad[0][:30],
                                choices=", ".join(dimension_label(d, lang) for d in allowed)),
                      {"field": "by", "value": bad[0][:30], "allowed": list(allowed)})
    dims = tuple(dict.fromkeys(asked))
    if len(dims) > MAX_TABLES:
        raise Invalid(translate(lang, "explorer.error.many", n=MAX_TABLES), {"field": "by", "value": list(dims)})
    return dims


def years_with_data(source: StatsSource, filters: dict[str, str | int]) -> list[int]:
    """The years in which at least one victim is recorded (in `filters`' scope), oldest first."""
    rows = victims(source, CubeSpec(("year",), filters=dict(filters)))
    return sorted(int(r["year"]) for r in rows if str(r["year"]).isdigit() and r["victims"])


def resolve(period: Period, years: list[int]) -> Span:
    """The concrete years of a period: the newest year with data for "last year", open ends closed on the years
    with data; None for every year. A "last year" with no data at all is an empty span."""
    if period.every_year:
        return None
    if period.newest:
        return (years[-1], years[-1]) if years else (0, -1)
    first = period.first if period.first is not None else (years[0] if years else 0)
    last = period.last if period.last is not None else (years[-1] if years else -1)
    return (first, last)


def breakdown(source: StatsSource, dim: str, span: Span, filters: dict[str, str | int]) -> list[dict[str, Any]]:
    """Victims by `dim` (with its total, `_all`) over the span, in the scope of `filters`: rows of code, victims and
    rate per 100,000 (single year and a known country only)."""
    if span is None:
        rows = victims(source, CubeSpec((dim,), filters=dict(filters)))
        return [{"code": str(r[dim]), "victims": int(r["victims"] or 0), "rate": None} for r in rows]
    first, last = span
    if first == last and dim != "year":
        rows = victims(source, CubeSpec((dim,), filters={**filters, "year": first}))
        return [{"code": str(r[dim]), "victims": int(r["victims"] or 0), "rate": r.get("rate_per_100k")}
                for r in rows]
    dims = ("year",) if dim == "year" else ("year", dim)
    sums: dict[str, int] = {}
    for r in victims(source, CubeSpec(dims, filters=dict(filters))):
        y = str(r["year"])
        if y.isdigit() and first <= int(y) <= last:
            code = y if dim == "year" else str(r[dim])
            sums[code] = sums.get(code, 0) + int(r["victims"] or 0)
            if dim == "year":
                sums[ALL] = sums.get(ALL, 0) + int(r["victims"] or 0)
    sums.setdefault(ALL, 0)
    return [{"code": c, "victims": n, "rate": None} for c, n in sums.items()]


def rate_digits(rates: list[float]) -> int:
    """Decimals for a column of rates per 100,000: enough to tell the typical value apart, never four."""
    shown = sorted(r for r in rates if r)
    if not shown:
        return 2
    typical = shown[len(shown) // 2]
    return 1 if typical >= 10 else 2 if typical >= 0.1 else 3


def period_label(span: Span, lang: str) -> str:
    if span is None:
        return translate(lang, "explorer.period.all")
    first, last = span
    if first > last:
        return translate(lang, "explorer.period.none")
    return str(first) if first == last else translate(lang, "explorer.period.range", first=first, last=last)


def table(rows: list[dict[str, Any]], dim: str, span: Span, lang: str) -> dict[str, Any]:
    """The rows of `breakdown` as shown: labelled, ordered (vocabulary order, countries by name, unknown and the
    total last), with each row's share of the total (percent, one decimal) and its rate (one precision for the
    column); `rate` columns only when a rate is known."""
    total = next((r["victims"] for r in rows if r["code"] == ALL), 0)
    ordered = sorted(rows, key=lambda r: sort_key(dim, r["code"], lang))
    rates = [float(r["rate"]) for r in ordered if r["rate"] is not None]
    digits = rate_digits(rates)
    out = [{"code": r["code"], "label": value_label(dim, r["code"], lang), "total": r["code"] == ALL,
            "victims": r["victims"], "share": round(100 * r["victims"] / total, 1) if total else None,
            "rate": round(float(r["rate"]), digits) if r["rate"] is not None else None} for r in ordered]
    period = period_label(span, lang)
    return {"dim": dim, "period": period, "span": list(span) if span else None,
            "title": translate(lang, "explorer.table.title", dim=dimension_label(dim, lang).lower(), period=period),
            "headings": {"dim": dimension_label(dim, lang), "victims": translate(lang, "explorer.col.victims"),
                         "share": translate(lang, "explorer.col.share"),
                         "rate": translate(lang, "explorer.col.rate")},
            "rows": out, "has_rate": bool(rates), "rate_digits": digits,
            "not_additive": dim in FORM_DIMENSIONS}


def table_sheet(t: dict[str, Any]) -> tuple[list[str], list[list[Any]], list[int | None]]:
    """The table's heading row, its rows and each column's decimals: what the page shows, for CSV and XLSX."""
    h = t["headings"]
    header = [h["dim"], h["victims"], h["share"]] + ([h["rate"]] if t["has_rate"] else [])
    digits: list[int | None] = [None, 0, 1] + ([t["rate_digits"]] if t["has_rate"] else [])
    rows = [[r["label"], r["victims"], r["share"]] + ([r["rate"]] if t["has_rate"] else []) for r in t["rows"]]
    return header, rows, digits
