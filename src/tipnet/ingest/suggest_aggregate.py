"""Mapping a table of counts (a national statistics table) on the web: a suggested role for each source column, and
the aggregate profile document (`kind: aggregates`, see `tipnet.ingest.aggregate_profile`) the confirmed roles become.

A role says what a column holds: the year; a month or quarter (long layout, with a `value` column of counts); the
count for one month, quarter or year (wide layout: `month:3`, `quarter:2`, `year:2021`); a part of the figure's key
(sex, age, form of exploitation, citizenship, first-level subdivision, area name, country); or a filter (the column
whose values say which rows are in scope, such as the crime type). Roles are suggested from the header (month names
in four languages, years, key words) and from the sampled values (a column whose values are the country's
subdivisions; a column holding a value such as "Trata de personas").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from tipnet.ingest.aggregate_profile import MONTH_NAMES, profile_from_doc
from tipnet.ingest.subdivisions import resolve_subdivision
from tipnet.ingest.suggest_values import distinct
from tipnet.standard.model import normalise_token

IGNORE = ""
KEY_ROLES = ("year", "month", "quarter", "value", "sex", "age", "form", "citizenship", "subdivision", "area_name",
             "country", "filter")
# Header words (normalised) that name a role.
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "year": ("ano", "anio", "year", "annee", "ejercicio", "periodo anual"),
    "month": ("mes", "month", "mois", "mes de ocurrencia"),
    "quarter": ("trimestre", "quarter"),
    "value": ("victimas", "victims", "victimes", "vitimas", "total", "cantidad", "count", "numero", "valor",
              "value", "casos", "cases", "frecuencia", "personas", "nombre de victimes", "quantidade"),
    "sex": ("sexo", "sex", "sexe", "genero", "gender", "sexo de la victima"),
    "age": ("edad", "age", "idade", "rango de edad", "grupo de edad", "grupo etario", "faixa etaria",
            "tranche d age", "age group", "rango etario"),
    "form": ("finalidad", "tipo de explotacion", "forma de explotacion", "form of exploitation",
             "type of exploitation", "forme d exploitation", "finalidade", "tipo de exploracao"),
    "citizenship": ("nacionalidad", "nationality", "citizenship", "nationalite", "nacionalidade", "pais de origen"),
    "subdivision": ("entidad", "entidad federativa", "estado", "departamento", "provincia", "region", "state",
                    "province", "department", "uf", "clave ent", "cve ent", "codigo entidad", "code region"),
    "country": ("pais", "country", "pays"),
}
_QUARTER_HEADER = re.compile(
    r"^(?:q|t|trim|trimestre|quarter)(\d)$|^(\d)(?:er|do|ro|to|o|st|nd|rd|th)?(?:trim|trimestre|quarter)$"
)
# Values that say a row is about trafficking in persons (normalised; a filter value containing one is pre-ticked).
TRAFFICKING = ("tratadepersonas", "trafficking", "traitedes", "traitedetres", "traficodepessoas",
               "tratadeseres", "tratadeblancas")
SUBDIVISION_VALUES = 60  # a country's first-level units: Mexico 32, USA 57


@dataclass(frozen=True)
class RoleSuggestion:
    column: str
    role: str  # IGNORE when nothing fits
    samples: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "role": self.role, "samples": list(self.samples)}


def period_role(header: str) -> str:
    """`month:N`, `quarter:N` or `year:YYYY` when the header names one period (a wide layout's count column)."""
    key = normalise_token(header)
    if key in MONTH_NAMES:
        return f"month:{MONTH_NAMES[key]}"
    if m := _QUARTER_HEADER.match(key):
        n = int(m.group(1) or m.group(2))
        return f"quarter:{n}" if 1 <= n <= 4 else IGNORE
    if key.isdigit() and len(key) == 4 and 1990 <= int(key) <= 2100:
        return f"year:{key}"
    return IGNORE


def looks_like_counts(columns: list[str]) -> bool:
    """Whether a file's headers look like a table of counts (two or more columns named after months, quarters or
    years) rather than a list of victims."""
    return sum(1 for c in columns if period_role(c)) >= 2


def _header_role(header: str) -> str:
    key = normalise_token(header)
    for role, words in HEADER_WORDS.items():
        if key in {normalise_token(w) for w in words}:
            return role
    return IGNORE


def is_trafficking(value: str) -> bool:
    key = normalise_token(value)
    return any(word in key for word in TRAFFICKING)


def _subdivision_share(values: list[str], country: str | None) -> float:
    if not country or not values:
        return 0.0
    return sum(1 for v in values if resolve_subdivision(country, v)) / len(values)


def suggest_roles(sample: pl.DataFrame, country: str | None) -> list[RoleSuggestion]:
    """A role for each column of the sample; a key role is suggested once (the first column that fits)."""
    columns = list(sample.columns)
    values = {c: distinct(sample, c, limit=SUBDIVISION_VALUES) for c in columns}
    roles: dict[str, str] = {c: period_role(c) for c in columns}
    wide = any(roles.values())
    taken: set[str] = set()
    for c in columns:
        if roles[c]:
            continue
        role = _header_role(c)
        if role in ("value", "month", "quarter") and wide:
            role = IGNORE  # a wide table's counts are in its period columns
        if role and role not in taken:
            roles[c] = role
            taken.add(role)
    # the column whose values are the country's subdivisions (names or codes) is the subdivision
    shares = {c: _subdivision_share(values[c], country) for c in columns if roles[c] in (IGNORE, "subdivision")}
    # on a tie, names beat national numbers (a person checking the mapping reads "Jalisco", not "14")
    best = max(shares, key=lambda c: (shares[c], not all(v.strip().isdigit() for v in values[c])), default=None)
    if best is not None and shares[best] >= 0.5:
        for c in columns:
            if roles[c] == "subdivision" and c != best:
                roles[c] = IGNORE  # a national code list the standard cannot read (the names column reads)
        roles[best] = "subdivision"
        taken.add("subdivision")
    if "filter" not in taken:
        for c in columns:
            if not roles[c] and any(is_trafficking(v) for v in values[c][:30]):
                roles[c] = "filter"
                break
    return [RoleSuggestion(c, roles[c], tuple(values[c][:3])) for c in columns]


def role_choices(columns: list[str]) -> list[dict[str, str]]:
    """Role values for the column selects: the key roles, then every month and quarter, then the years that the
    file's headers name."""
    out = [{"role": r, "group": "key"} for r in KEY_ROLES]
    out += [{"role": f"month:{n}", "group": "month", "number": str(n)} for n in range(1, 13)]
    out += [{"role": f"quarter:{n}", "group": "quarter", "number": str(n)} for n in range(1, 5)]
    years = sorted({r for r in (period_role(c) for c in columns) if r.startswith("year:")})
    out += [{"role": y, "group": "year", "number": y.split(":")[1]} for y in years]
    return out


# ---------------------------------------------------------------- the profile document


@dataclass
class Draft:
    """What the first step of the mapping of a table of counts settled: each column's role and the figures' source,
    indicator and unit (kept with the staged upload until the values are confirmed)."""

    roles: dict[str, str]
    source: str
    indicator: str
    unit: str
    name: str
    title: str

    def to_dict(self) -> dict[str, Any]:
        return {"roles": self.roles, "source": self.source, "indicator": self.indicator, "unit": self.unit,
                "name": self.name, "title": self.title}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Draft:
        return cls({str(k): str(v) for k, v in (d.get("roles") or {}).items()}, str(d.get("source") or ""),
                   str(d.get("indicator") or "detected_victims"), str(d.get("unit") or "count"),
                   str(d.get("name") or ""), str(d.get("title") or ""))

    def columns_with(self, role: str) -> list[str]:
        return [c for c, r in self.roles.items() if r == role]


def build_doc(draft: Draft, country: str | None, filters: dict[str, list[str]] | None = None,
              maps: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The aggregate profile document of confirmed roles, filter values and value maps (role -> {raw: code}),
    checked by `profile_from_doc` (the checks of any profile file): ProfileError says what is wrong."""
    maps = maps or {}
    doc: dict[str, Any] = {"name": draft.name, "title": draft.title or draft.name, "kind": "aggregates",
                           "source": draft.source, "indicator": draft.indicator, "unit": draft.unit or "count"}
    for role, words in (("year", "year"), ("value", "value"), ("area_name", "area_name")):
        cols = draft.columns_with(role)
        if len(cols) > 1:
            raise ValueError(f"only one column can be the {words} ({', '.join(cols)})")
        if cols:
            doc[role] = cols[0]
    country_cols = draft.columns_with("country")
    doc["country"] = {"column": country_cols[0]} if country_cols else country
    for role in ("month", "quarter", "sex", "age", "form", "citizenship", "subdivision"):
        cols = draft.columns_with(role)
        if len(cols) > 1:
            raise ValueError(f"only one column can hold the {role} ({', '.join(cols)})")
        if cols:
            given = {raw: code for raw, code in (maps.get(role) or {}).items() if code}
            doc[role] = {"column": cols[0], **({"values": given} if given else {})}
    for kind, key in (("month", "months"), ("quarter", "quarters"), ("year", "years")):
        wide = {c: int(r.split(":")[1]) for c, r in draft.roles.items() if r.startswith(kind + ":")}
        if wide:
            doc[key] = wide
    filter_cols = draft.columns_with("filter")
    if filter_cols:
        chosen = {c: list((filters or {}).get(c) or []) for c in filter_cols}
        empty = [c for c, v in chosen.items() if not v]
        if filters is not None and empty:
            raise ValueError(f"tick the values to keep in the filter column {empty[0]!r}")
        doc["filter"] = {c: v for c, v in chosen.items() if v}
    profile_from_doc(doc)
    return doc

