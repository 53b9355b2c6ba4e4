"""The second step of mapping a table of counts: the values to keep in each filter column, and the values of the
key columns (sex, age, form, citizenship, subdivision) that tipnet does not already read, each with a suggestion.

A value is listed only when the import would not read it without a map: the same fallbacks as
`tipnet.ingest.aggregate_rows` (the standard's vocabularies in four languages, the bounds written in an age label,
countries by ISO code or name, subdivisions by ISO 3166-2 code or name). A subdivision value the person leaves
unmapped is still read by code or name; a row whose area cannot be read at all is held with its reason.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import polars as pl
import pycountry

from tipnet.ingest.aggregate_profile import AGE_GROUPS, FORM_GROUPS, SEX_CODES, age_band
from tipnet.ingest.aggregate_rows import FALLBACKS
from tipnet.ingest.subdivisions import is_subdivision_of, resolve_subdivision
from tipnet.ingest.suggest_aggregate import SUBDIVISION_VALUES, Draft, is_trafficking
from tipnet.ingest.suggest_values import (
    MAX_VALUES,
    UNKNOWN_WORDS,
    distinct,
    suggest_code,
    suggest_country,
)
from tipnet.standard import load_standard
from tipnet.standard.countries import resolve_country
from tipnet.standard.model import Vocabulary, normalise_token

MAPPED_ROLES = ("sex", "age", "form", "citizenship", "subdivision")
FILTER_VALUES = 100  # distinct values shown as checkboxes in a filter column
_AGE_WORDS = {
    "minor": ("menor", "minor", "nino", "nina", "child", "enfant", "crianca", "adolesc", "infant"),
    "adult": ("adult", "mayor", "major", "maior"),
    "total": ("total", "todos", "todas", "ambos", "all"),
}


def suggest_age(raw: str) -> str:
    key = normalise_token(raw)
    if key in UNKNOWN_WORDS:
        return "unknown"
    for code, stems in _AGE_WORDS.items():
        if any(key.startswith(s) or s in key for s in stems):
            return code
    return ""


def _vocab(field_name: str) -> Vocabulary:
    std = load_standard()
    return std.vocabulary_of(std.field(field_name))


def suggest(role: str, raw: str, country: str | None = None, hint: str | None = None) -> str:
    """A suggested code for a key value the import would not read; '' when nothing fits. `hint`: a value of the
    same row in another column (a subdivision code's name)."""
    if role == "sex":
        key = normalise_token(raw)
        return "total" if key in ("total", "ambos", "ambossexos", "todos") else suggest_code(_vocab("sex"), raw)
    if role == "age":
        return suggest_age(raw)
    if role == "form":
        key = normalise_token(raw)
        return "total" if key in ("total", "todas", "todos") else suggest_code(_vocab("forms_of_exploitation"), raw)
    if role == "citizenship":
        return suggest_country(raw)
    if role == "subdivision" and country and hint:
        return resolve_subdivision(country, hint) or ""
    return ""


def _reads(role: str, raw: str, country: str | None) -> bool:
    if role == "subdivision":
        return bool(country and resolve_subdivision(country, raw))
    return FALLBACKS[role](raw) is not None


def _hints(sample: pl.DataFrame, column: str, country: str | None) -> dict[str, str]:
    """For a subdivision column of codes: the value of another column on the same row that names a subdivision."""
    if not country:
        return {}
    best: dict[str, str] = {}
    for other in sample.columns:
        if other == column:
            continue
        pairs = sample.select(pl.col(column), pl.col(other)).drop_nulls().unique(subset=[column], maintain_order=True)
        found = {str(a).strip(): str(b).strip() for a, b in pairs.iter_rows()
                 if resolve_subdivision(country, str(b))}
        if len(found) > len(best):
            best = found
    return best


def value_steps(sample: pl.DataFrame, draft: Draft, country: str | None) -> dict[str, Any]:
    """The second step's data: filter columns with their values (trafficking-looking ones ticked), and for each
    mapped key column the values tipnet would not read, with suggestions."""
    filters = []
    for column in draft.columns_with("filter"):
        values = distinct(sample, column, limit=FILTER_VALUES)
        filters.append({"column": column, "values": [{"raw": v, "keep": is_trafficking(v)} for v in values],
                        "more": len(values) >= FILTER_VALUES})
    maps = []
    for role in MAPPED_ROLES:
        for column in draft.columns_with(role):
            limit = SUBDIVISION_VALUES if role == "subdivision" else MAX_VALUES
            values = distinct(sample, column, limit=limit)
            hints = _hints(sample, column, country) if role == "subdivision" else {}
            rows = [{"raw": v, "suggested": suggest(role, v, country, hints.get(v))}
                    for v in values if not _reads(role, v, country)]
            maps.append({"role": role, "column": column, "values": rows, "distinct": len(values),
                         "more": len(values) >= limit})
    return {"filters": filters, "maps": [m for m in maps if m["values"] or m["role"] == "subdivision"]}


@cache
def _subdivisions(country: str) -> tuple[tuple[str, str], ...]:
    c = pycountry.countries.get(alpha_3=country)
    if c is None:
        return ()
    subs = [s for s in pycountry.subdivisions.get(country_code=c.alpha_2) or [] if not getattr(s, "parent_code", None)]
    return tuple(sorted(((str(s.code), str(s.name)) for s in subs), key=lambda p: normalise_token(p[1])))


def code_choices(role: str, lang: str, country: str | None) -> list[dict[str, str]]:
    """What a value of a role may be mapped to (for a select); age and citizenship are typed (see the page)."""
    if role == "sex":
        sexes = _vocab("sex")
        return [{"code": c, "label": sexes.get(c).label(lang) if c in sexes.codes else c} for c in SEX_CODES]
    if role == "form":
        forms = _vocab("forms_of_exploitation")
        return ([{"code": g, "label": g} for g in FORM_GROUPS]
                + [{"code": v.code, "label": v.label(lang)} for v in forms.values])
    if role == "subdivision" and country:
        return [{"code": code, "label": name} for code, name in _subdivisions(country)]
    if role == "age":
        return [{"code": g, "label": g} for g in AGE_GROUPS]
    return []


def check_code(role: str, code: str, country: str | None) -> str:
    """A code a person picked or typed for a value, as the profile stores it; ValueError when it is not one."""
    code = code.strip()
    if role == "age" and (code in AGE_GROUPS or age_band(code) is not None):
        return code.replace(" ", "")
    if role == "citizenship":
        m = resolve_country(code)
        if m.kind == "country" and m.code:
            return m.code
    if role == "subdivision" and country and is_subdivision_of(country, code):
        return code
    if role in ("sex", "form") and code in {c["code"] for c in code_choices(role, "en", country)}:
        return code
    raise ValueError(f"{code!r} is not a {role} value tipnet knows")
