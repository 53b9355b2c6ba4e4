"""One row of a national statistics table -> its aggregate figures (one per period column in a wide layout).

A row is converted whole or not at all: any cell the profile cannot read makes the row invalid (it is quarantined
with every reason), so a row's figures are never half stored. An empty period cell is not a zero: no figure is
stored for it (the period may not be reported yet), and the import says how many such cells each column had.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import polars as pl

from tipnet.ingest.aggregate_profile import (
    AGE_GROUPS,
    MONTH_NAMES,
    SEX_CODES,
    AggregateProfile,
    Mapped,
    PeriodColumn,
    age_band,
    band_from_label,
)
from tipnet.ingest.errors import error_type
from tipnet.ingest.profiles import blank_value
from tipnet.ingest.subdivisions import is_subdivision_of, resolve_subdivision
from tipnet.standard import load_standard
from tipnet.standard.countries import resolve_country
from tipnet.standard.model import Vocabulary, normalise_token

_YEARS = range(1900, 2101)
_QUARTER = re.compile(r"^(?:q|t|trimestre|quarter|trimestre)?(\d)$")
Error = tuple[str, str, str | None, str]  # code, source column, value, message


@cache
def _count_pattern(thousands: str) -> re.Pattern[str]:
    sep = re.escape(thousands) if thousands else ""
    grouped = rf"|\d{{1,3}}(?:{sep}\d{{3}})+" if sep else ""
    return re.compile(rf"^(?:\d+{grouped})$")


def parse_count(text: str, thousands: str = ",") -> tuple[int | None, int, int, bool] | None:
    """'1,282' -> exact 1282; '<5' -> censored 1..4 (never a guessed number); anything else -> None."""
    text = text.strip()
    if text.startswith("<") and text[1:].strip().isdigit() and int(text[1:]) >= 2:
        return None, 1, int(text[1:]) - 1, True
    if _count_pattern(thousands).match(text):
        n = int(text.replace(thousands, "")) if thousands else int(text)
        return n, n, n, False
    return None


def sex_code(raw: str) -> str | None:
    """A sex cell that no value map names: a code of the profile (female, total...) or the standard's vocabulary."""
    token = normalise_token(raw)
    return token if token in SEX_CODES else _vocabulary("sex").resolve(raw)


def age_code(raw: str) -> str | None:
    """An age cell that no value map names: an age group (minor, total...) or the bounds written in its label."""
    token = normalise_token(raw)
    return token if token in AGE_GROUPS else band_from_label(raw)


def form_code(raw: str) -> str | None:
    """A form-of-exploitation cell that no value map names: the standard's vocabulary (labels in four languages)."""
    return _vocabulary("forms_of_exploitation").resolve(raw)


def citizenship_code(raw: str) -> str | None:
    """A citizenship cell that no value map names: a country (ISO code or name)."""
    m = resolve_country(raw)
    return m.code if m.kind == "country" else None


FALLBACKS: dict[str, Callable[[str], str | None]] = {
    "sex": sex_code, "age": age_code, "form": form_code, "citizenship": citizenship_code,
}


@cache
def _vocabulary(field_name: str) -> Vocabulary:
    std = load_standard()
    return std.vocabulary_of(std.field(field_name))


@dataclass
class Converted:
    figures: list[dict[str, Any]] = field(default_factory=list)
    errors: list[Error] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # period columns left empty in this row


class RowMapper:
    """Converts rows of one table under one profile; `columns` maps the profile's column names to the file's."""

    def __init__(self, profile: AggregateProfile, columns: dict[str, str], submission_id: int | None) -> None:
        self.p = profile
        self.col = columns
        self.submission_id = submission_id
        self._filters = [(c, {normalise_token(v) for v in values}) for c, values in profile.filters]

    def cell(self, row: dict[str, Any], column: str | None) -> str | None:
        return None if column is None else blank_value(row.get(self.col[column]), self.p.missing_values)

    def in_scope(self, data: pl.DataFrame) -> pl.Series:
        """Which rows of a chunk pass the profile's filter (accent- and case-insensitive; each distinct cell is
        looked at once)."""
        mask = pl.Series([True] * data.height, dtype=pl.Boolean)
        for column, allowed in self._filters:
            cells = data.get_column(self.col[column])
            kept = [v for v in cells.unique().drop_nulls().to_list()
                    if normalise_token(blank_value(v, self.p.missing_values) or "") in allowed]
            mask = mask & cells.is_in(kept).fill_null("" in allowed)
        return mask

    def _error(self, errors: list[Error], code: str, column: str | None, value: str | None, **kw: Any) -> None:
        shown = self.col.get(column or "", column or "")
        errors.append((code, shown, value, error_type(code).message(column=shown, value=value, **kw)))

    def _code(self, m: Mapped | None, row: dict[str, Any], default: str, errors: list[Error],
              fallback: Callable[[str], str | None]) -> tuple[str | None, str | None]:
        """(code, raw cell) for one mapped part of the key."""
        if m is None:
            return default, None
        if m.fixed is not None:
            return m.fixed, None
        raw = self.cell(row, m.column)
        if raw is None:
            return "unknown" if m.role in ("sex", "age") else None, None
        code = m.lookup(raw) or fallback(raw)
        if code is None:
            self._error(errors, "unmapped-value", m.column, raw, role=m.role)
        return code, raw

    def _sex(self, raw: str) -> str | None:
        return sex_code(raw)

    @staticmethod
    def _age(raw: str) -> str | None:
        return age_code(raw)

    def _form(self, raw: str) -> str | None:
        return form_code(raw)

    @staticmethod
    def _citizenship(raw: str) -> str | None:
        return citizenship_code(raw)

    def _country(self, row: dict[str, Any], errors: list[Error]) -> str | None:
        m = self.p.country
        if m.fixed is not None:
            return m.fixed
        raw = self.cell(row, m.column)
        code = (m.lookup(raw) if raw else None) or (self._citizenship(raw) if raw else None)
        if code is None:
            self._error(errors, "unmapped-value", m.column, raw, role="country")
        return code

    def _subdivision(
        self, row: dict[str, Any], country: str | None, errors: list[Error]
    ) -> tuple[str | None, str | None]:
        m = self.p.subdivision
        if m is None or country is None:
            return None, None
        raw = self.cell(row, m.column) if m.fixed is None else m.fixed
        if raw is None:
            return None, None  # the whole country's figure
        code = m.lookup(raw) or resolve_subdivision(country, raw)
        if code is None or not is_subdivision_of(country, code):
            self._error(errors, "invalid-subdivision", m.column, raw, country=country)
            return None, raw
        return code, raw

    def _year(self, row: dict[str, Any], errors: list[Error]) -> int | None:
        raw = self.cell(row, self.p.year)
        if raw is not None and raw.isdigit() and int(raw) in _YEARS:
            return int(raw)
        self._error(errors, "invalid-year", self.p.year, raw)
        return None

    def _long_period(self, row: dict[str, Any], errors: list[Error]) -> tuple[str, int | None]:
        for m, kind, size, names in ((self.p.month, "month", 12, MONTH_NAMES), (self.p.quarter, "quarter", 4, {})):
            if m is None:
                continue
            raw = self.cell(row, m.column)
            token = normalise_token(raw or "")
            found = m.lookup(raw) if raw else None
            number = int(found) if found else names.get(token)
            if number is None and (q := _QUARTER.match(token)):
                number = int(q.group(1))
            if number is None or not 1 <= number <= size:
                self._error(errors, "unmapped-value", m.column, raw, role=kind)
                return kind, None
            return kind, number
        return "year", None

    def convert(self, row: dict[str, Any], source_row: int) -> Converted:
        out = Converted()
        errors = out.errors
        p = self.p
        indicator, _ = self._code(p.indicator, row, "detected_victims", errors, lambda r: None)
        country = self._country(row, errors)
        subdivision, area_raw = self._subdivision(row, country, errors)
        sex, _ = self._code(p.sex, row, "total", errors, self._sex)
        age, _ = self._code(p.age, row, "total", errors, self._age)
        group, band = (age, None) if age in AGE_GROUPS or age is None else (age_band(age) or (None, None))
        category_code: str | None = "total"
        dimension, category, category_kind = "total", None, "total"
        if p.form is not None:
            category_code, category = self._code(p.form, row, "total", errors, self._form)
            dimension, category_kind = "form_of_exploitation", "exploitation"
        elif p.citizenship is not None:
            category_code, category = self._code(p.citizenship, row, "total", errors, self._citizenship)
            dimension, category_kind = "citizenship", "country"
        if category_code == "total":
            dimension, category_kind = "total", "total"
        elif category_code is None:
            category_kind = "unknown"  # an empty cell: the figure is kept under its dimension, origin unknown
        year = self._year(row, errors) if p.year else None
        kind, number = self._long_period(row, errors) if p.value else ("year", None)
        cells: list[tuple[str, PeriodColumn | None]] = (
            [(p.value, None)] if p.value else [(c.column, c) for c in p.wide]
        )
        base = {
            "submission_id": self.submission_id,
            "source_row": source_row,
            "area_code": ((area_raw if subdivision else self.cell(row, p.country.column)) or country or "")[:16],
            "area_kind": "subdivision" if subdivision else "country",
            "country": country,
            "area_name": self.cell(row, p.area_name),
            "indicator": indicator,
            "dimension": dimension,
            "category": category,
            "category_code": category_code,
            "category_kind": category_kind,
            "sex": sex,
            "age": group,
            "age_band": band,
            "source": p.source,
            "subdivision": subdivision,
            "unit": p.unit,
        }
        for column, period in cells:
            raw = self.cell(row, column)
            if raw is None:
                out.empty.append(self.col[column])
                continue
            value = parse_count(raw, p.thousands)
            if value is None:
                self._error(errors, "invalid-count", column, raw)
                continue
            exact, lo, hi, censored = value
            fig_year = period.year if period is not None and period.kind == "year" else year
            fig_kind, fig_number = (period.kind, period.number) if period is not None else (kind, number)
            out.figures.append(base | {
                "year": fig_year, "period_kind": fig_kind, "period_number": fig_number, "value": exact,
                "value_min": lo, "value_max": hi, "censored": censored, "raw_value": raw[:32],
            })
        if errors:
            out.figures = []
        return out
