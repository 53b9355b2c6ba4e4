"""Aggregate profiles (`kind: aggregates`): how a national statistics table maps to aggregate figures.

A national office's table counts people (or offences) by area, period and a few dimensions. The profile says which
rows are in scope, where each part of a figure's key is, and what the values mean:

```yaml
name: sesnsp-victimas-fc
kind: aggregates
source: SESNSP                       # provenance kept with every figure (figures of two sources are never added)
country: MEX                         # or `country: {column: Pais}` (names or ISO codes)
indicator: detected_victims          # or {column: Indicador, values: {...}}
unit: count                          # count (default) or another unit, never summed with counts
filter: {"Subtipo de delito": ["Trata de personas"]}   # keep these rows only (accent- and case-insensitive)
subdivision: {column: Clave_Ent, values: {"1": MX-AGU}} # ISO 3166-2; unmapped cells resolve by code or name
area_name: Entidad
year: Año
months: [Enero, Febrero, ...]        # wide layout: one column per month (or `quarters:`, or `years: {"2019": 2019}`)
value: Victimas                      # long layout instead: the column holding the count (with `month:`/`quarter:`)
sex: {column: Sexo, values: {Mujer: female, Hombre: male}}
age: {column: Rango de edad, values: {"Menores de edad (0-17)": "0-17", "Adultos (18 y más)": "18+"}}
form: {column: Finalidad}            # forms of exploitation (a GLOTIP group or a code of the standard)
citizenship: {column: Nacionalidad}  # countries (ISO or names)
public: true                         # only for tables their source has published (see below)
```

Whose figures they are: the reporting country given with the import (`--country`, or the uploader's country on the
web), else the profile's fixed `country`. A table whose country comes from a column (a regional table) and is
imported without a reporting country would belong to no country, and figures of no country are public (as UNODC's
GLOTIP returns are): such an import is refused unless the profile says `public: true`, i.e. the source has published
the table already.

Values are matched case-, accent- and spacing-insensitively. Cells a map does not name fall back to the standard's
vocabulary (labels in four languages), and age labels to the bounds written in them ("0-17", "18 y más").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tipnet.ingest.profiles import DEFAULT_MISSING
from tipnet.standard import load_standard
from tipnet.standard.countries import resolve_country
from tipnet.standard.model import normalise_token

INDICATORS = ("detected_victims", "formal_contact", "prosecuted", "convicted", "offences")
SEX_CODES = ("female", "male", "other", "unknown", "total")
AGE_GROUPS = ("minor", "adult", "unknown", "total")
FORM_GROUPS = ("sexual", "labour", "other", "total")
ADULT_AGE = 18
_BAND = re.compile(r"^(\d{1,3})-(\d{1,3})$|^(\d{1,3})\+$")
_LABEL_RANGE = re.compile(r"(\d{1,3})\s*(?:-|–|a|to|à|ao)\s*(\d{1,3})")
_LABEL_OVER = re.compile(
    r"(\d{1,3})\s*(?:\+|y mas|and over|and older|or over|or more|years or over|anos y mas|anos o mas|"
    r"o mas|ou plus|et plus|ans et plus|e mais|anos e mais|ou mais)"
)
MONTH_NAMES = {
    normalise_token(name): n
    for names in (
        "January February March April May June July August September October November December",
        "Enero Febrero Marzo Abril Mayo Junio Julio Agosto Septiembre Octubre Noviembre Diciembre",
        "Janvier Février Mars Avril Mai Juin Juillet Août Septembre Octobre Novembre Décembre",
        "Janeiro Fevereiro Março Abril Maio Junho Julho Agosto Setembro Outubro Novembro Dezembro",
    )
    for n, name in enumerate(names.split(), start=1)
} | {"setiembre": 9}


class ProfileError(ValueError):
    """The profile cannot be used as written; the message says why."""


@dataclass(frozen=True)
class Mapped:
    """One part of a figure's key: a fixed value, or a source column whose cells are mapped through `values`."""

    role: str
    column: str | None = None
    fixed: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # normalised raw cell -> code

    def lookup(self, raw: str) -> str | None:
        return self.values.get(normalise_token(raw))


@dataclass(frozen=True)
class PeriodColumn:
    """A wide layout's value column and the period it holds: a month or quarter of the row's year, or a year."""

    column: str
    kind: str  # month | quarter | year
    number: int | None = None  # month 1-12 or quarter 1-4
    year: int | None = None  # for year columns


@dataclass(frozen=True)
class AggregateProfile:
    name: str
    title: str
    source: str
    indicator: Mapped
    country: Mapped
    unit: str = "count"
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # column, the values kept (as written in the profile)
    subdivision: Mapped | None = None
    area_name: str | None = None
    year: str | None = None
    month: Mapped | None = None
    quarter: Mapped | None = None
    value: str | None = None
    wide: tuple[PeriodColumn, ...] = ()
    sex: Mapped | None = None
    age: Mapped | None = None
    form: Mapped | None = None
    citizenship: Mapped | None = None
    missing_values: tuple[str, ...] = tuple(DEFAULT_MISSING)
    thousands: str = ","
    detect: tuple[str, ...] = ()
    kind: str = "aggregates"
    public: bool = False  # the table is already published by its source: with no reporting country, anyone sees it

    def mapped(self) -> list[Mapped]:
        parts = [self.country, self.indicator, self.subdivision, self.month, self.quarter, self.sex, self.age,
                 self.form, self.citizenship]
        return [m for m in parts if m is not None]

    def columns(self) -> list[tuple[str, str]]:
        """Every source column the profile reads, with what it is for."""
        out = [(c, "filter") for c, _ in self.filters]
        out += [(m.column, m.role) for m in self.mapped() if m.column]
        out += [(c, role) for c, role in ((self.area_name, "area name"), (self.year, "year"), (self.value, "value"))
                if c]
        out += [(p.column, f"{p.kind} figure") for p in self.wide]
        return out

    def filter_text(self) -> str:
        return "; ".join(f"{c} in {list(v)}" for c, v in self.filters)


def age_band(code: str) -> tuple[str, str] | None:
    """'0-17' -> ('minor', '0-17'), '18+' -> ('adult', '18+'), a band across 18 -> ('unknown', band); None if the
    text is not a band."""
    m = _BAND.match(code.replace(" ", ""))
    if m is None:
        return None
    if m.group(3) is not None:
        lo = int(m.group(3))
        return ("adult" if lo >= ADULT_AGE else "unknown"), f"{lo}+"
    lo, hi = int(m.group(1)), int(m.group(2))
    if lo > hi:
        return None
    group = "minor" if hi < ADULT_AGE else "adult" if lo >= ADULT_AGE else "unknown"
    return group, f"{lo}-{hi}"


def band_from_label(label: str) -> str | None:
    """The bounds written in an age label: 'Menores de edad (0-17)' -> '0-17', 'Adultos (18 y más)' -> '18+'."""
    # a dash between bounds reads as "to" (normalise_token would drop it: "(0-17)" became "017")
    text = " ".join(normalise_token(w) for w in re.sub(r"\s*[-–]\s*", " to ", label).split())
    if m := _LABEL_RANGE.search(text):
        return f"{m.group(1)}-{m.group(2)}"
    if m := _LABEL_OVER.search(text):
        return f"{m.group(1)}+"
    return None


def _mapped(doc: dict[str, Any], role: str, name: str, allowed: tuple[str, ...] | None = None) -> Mapped | None:
    spec = doc.get(role)
    if spec is None:
        return None
    if isinstance(spec, str | int):
        code = str(spec)
        if allowed is not None and code not in allowed:
            raise ProfileError(f"profile {name!r}: {role} {code!r} is not one of {list(allowed)}")
        return Mapped(role, fixed=code)
    if not isinstance(spec, dict) or "column" not in spec:
        raise ProfileError(f"profile {name!r}: {role} must be a value or {{column: ..., values: {{...}}}}")
    values: dict[str, str] = {}
    for raw, code in (spec.get("values") or {}).items():
        code = str(code)
        _check_code(name, role, code, allowed)
        values[normalise_token(str(raw))] = code
    return Mapped(role, column=str(spec["column"]), values=values)


def _check_code(name: str, role: str, code: str, allowed: tuple[str, ...] | None) -> None:
    if role == "age" and age_band(code) is not None:
        return
    if role == "form" and code in load_standard().vocabulary_of(load_standard().field("forms_of_exploitation")).codes:
        return
    if role == "citizenship" and resolve_country(code).kind == "country":
        return
    if role == "subdivision" and re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}", code):
        return
    if role in ("month", "quarter") and code.isdigit():
        return
    if allowed is not None and code in allowed:
        return
    raise ProfileError(f"profile {name!r}: {role} value {code!r} is not a code tipnet knows for {role}")


def _wide(doc: dict[str, Any], name: str) -> tuple[PeriodColumn, ...]:
    out: list[PeriodColumn] = []
    for kind, size in (("months", 12), ("quarters", 4)):
        spec = doc.get(kind)
        if spec is None:
            continue
        items = list(spec.items()) if isinstance(spec, dict) else list(zip(spec, range(1, len(spec) + 1), strict=False))
        for col, n in items:
            if not 1 <= int(n) <= size:
                raise ProfileError(f"profile {name!r}: {kind} column {col!r} is numbered {n}, outside 1..{size}")
            out.append(PeriodColumn(str(col), kind[:-1], number=int(n)))
    years = doc.get("years")
    if years is not None:
        items = list(years.items()) if isinstance(years, dict) else [(y, y) for y in years]
        out.extend(PeriodColumn(str(col), "year", year=int(y)) for col, y in items)
    return tuple(out)


def profile_from_doc(doc: dict[str, Any]) -> AggregateProfile:
    """An aggregate profile from its YAML document; ProfileError says what is wrong with it."""
    name = str(doc.get("name") or "")
    if not name:
        raise ProfileError("an aggregate profile needs a name")
    source = str(doc.get("source") or "").strip()
    if not source or len(source) > 32:
        raise ProfileError(f"profile {name!r}: `source` (who publishes the figures, at most 32 characters) is needed")
    if source.upper() == "GLOTIP":
        raise ProfileError(f"profile {name!r}: the source name GLOTIP is kept for UNODC's GLOTIP returns")
    wide = _wide(doc, name)
    value = doc.get("value")
    if bool(wide) == bool(value):
        raise ProfileError(f"profile {name!r}: give either `value` (long layout) or `months`/`quarters`/`years`")
    if not doc.get("year") and not any(p.kind == "year" for p in wide):
        raise ProfileError(f"profile {name!r}: `year` (the column holding the year) is needed")
    country = _mapped(doc, "country", name)
    if country is None:
        raise ProfileError(f"profile {name!r}: `country` (ISO code, or {{column: ...}}) is needed")
    if country.fixed is not None:
        m = resolve_country(country.fixed)
        if m.kind != "country" or m.code is None:
            raise ProfileError(f"profile {name!r}: country {country.fixed!r} is not a country")
        country = Mapped("country", fixed=m.code)
    if doc.get("form") is not None and doc.get("citizenship") is not None:
        raise ProfileError(f"profile {name!r}: a figure is by form of exploitation or by citizenship, not both")
    filters = tuple(
        (str(col), tuple(str(v) for v in (vals if isinstance(vals, list) else [vals])))
        for col, vals in (doc.get("filter") or {}).items()
    )
    return AggregateProfile(
        name=name,
        title=str(doc.get("title", name)),
        source=source,
        indicator=_mapped(doc, "indicator", name, INDICATORS) or Mapped("indicator", fixed="detected_victims"),
        country=country,
        unit=str(doc.get("unit", "count")),
        filters=filters,
        subdivision=_mapped(doc, "subdivision", name),
        area_name=str(doc["area_name"]) if doc.get("area_name") else None,
        year=str(doc["year"]) if doc.get("year") else None,
        month=_mapped(doc, "month", name),
        quarter=_mapped(doc, "quarter", name),
        value=str(value) if value else None,
        wide=wide,
        sex=_mapped(doc, "sex", name, SEX_CODES),
        age=_mapped(doc, "age", name, AGE_GROUPS),
        form=_mapped(doc, "form", name, FORM_GROUPS),
        citizenship=_mapped(doc, "citizenship", name, ("total", "unknown")),
        missing_values=tuple(str(v) for v in doc.get("missing_values", DEFAULT_MISSING)),
        thousands=str(doc.get("thousands", ",")),
        detect=tuple(str(c) for c in doc.get("detect", ())),
        public=doc.get("public") is True,
    )
