"""Vectorised checks: text columns from a profile -> typed standard columns, plus every problem found.

Values are checked a column at a time (polars expressions); vocabulary and country look-ups run once per distinct
value, never once per row. Nothing here raises on bad data: problems come back as a frame of
(row, code, field, value).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from tipnet.ingest.profiles import TRUTHY, Profile
from tipnet.ingest.readers import ROW
from tipnet.standard import Field, load_standard
from tipnet.standard.countries import resolve_country
from tipnet.standard.model import LIST_SEPARATOR, normalise_token

FALSY = {"0", "false", "no", "n", "non", "nao", "não", "falso", "faux"}
PROBLEM_SCHEMA = {"row": pl.Int64, "code": pl.Utf8, "field": pl.Utf8, "value": pl.Utf8}
MIN_DATE = dt.date(1900, 1, 1)


@dataclass(frozen=True)
class Context:
    profile: Profile
    country: str | None = None  # the submission's country: default for rows, and rows must match it
    today: dt.date = field(default_factory=dt.date.today)


@dataclass
class Converted:
    data: pl.DataFrame  # __row + every standard field, typed
    problems: pl.DataFrame  # row, code, field, value


def _map_unique(s: pl.Series, fn: Callable[[str], str | None]) -> pl.Series:
    uniq = s.drop_nulls().unique().to_list()
    if not uniq:
        return pl.Series(s.name, [None] * len(s), dtype=pl.Utf8)
    mapping = {u: fn(u) for u in uniq}
    return s.replace_strict(mapping, default=None, return_dtype=pl.Utf8)


def _apply_value_map(raw: pl.Series, pmap: dict[str, str], is_list: bool) -> pl.Series:
    """A profile's own value map (e.g. 'F' -> female), applied before the vocabulary; '' means no value."""

    def one(token: str) -> str:
        return pmap.get(normalise_token(token), token.strip())

    def apply(value: str) -> str | None:
        if is_list:
            out = LIST_SEPARATOR.join(t for t in (one(x) for x in value.split(LIST_SEPARATOR)) if t)
        else:
            out = one(value)
        return out or None

    uniq = raw.drop_nulls().unique().to_list()
    return (
        raw.replace_strict({u: apply(u) for u in uniq}, default=None, return_dtype=pl.Utf8) if uniq else raw
    )


def _resolver_code(f: Field) -> Callable[[str], str | None]:
    vocab = load_standard().vocabulary_of(f)

    def one(token: str) -> str | None:
        return vocab.resolve(token)

    if not f.is_list:
        return lambda raw: None if LIST_SEPARATOR in raw else one(raw)

    order = {c: i for i, c in enumerate(vocab.codes)}

    def many(raw: str) -> str | None:
        codes = set()
        for token in raw.split(LIST_SEPARATOR):
            if not token.strip():
                continue
            code = one(token)
            if code is None:
                return None
            if code:
                codes.add(code)
        return LIST_SEPARATOR.join(sorted(codes, key=order.__getitem__)) if codes else ""

    return many


_REGION = "\x00region"


def _resolver_country(f: Field, ctx: Context) -> Callable[[str], str | None]:
    def one(token: str) -> str | None:
        m = resolve_country(token)
        if m.kind == "country":
            return m.code
        if m.kind == "own":
            return ctx.country
        if m.kind == "region":
            return _REGION
        return None

    if not f.is_list:
        return one

    def many(raw: str) -> str | None:
        out: list[str] = []
        for token in raw.split(LIST_SEPARATOR):
            if not token.strip():
                continue
            code = one(token)
            if code is None or code == _REGION:
                return code
            if code not in out:
                out.append(code)
        return LIST_SEPARATOR.join(out)

    return many


def _dates(raw: pl.Series, day_first: bool) -> pl.Series:
    s = raw.str.strip_chars()
    iso = s.str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[T ][0-9:.]+Z?)?$", 1)
    slashed = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"] if day_first else ["%m/%d/%Y", "%m-%d-%Y"]
    frame = pl.DataFrame({"iso": iso, "s": s})
    return frame.select(
        pl.coalesce(
            pl.col("iso").str.to_date("%Y-%m-%d", strict=False),
            pl.col("s").str.to_date("%Y/%m/%d", strict=False),
            *[pl.col("s").str.to_date(fmt, strict=False) for fmt in slashed],
        )
    ).to_series()


class _Collector:
    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self.parts: list[pl.DataFrame] = []

    def add(self, mask: pl.Series, code: str, field: str, value: pl.Series) -> None:
        mask = mask.fill_null(False)
        if not mask.any():
            return
        part = pl.DataFrame({"row": self.frame[ROW], "value": value.cast(pl.Utf8)}).filter(mask)
        self.parts.append(
            part.with_columns(pl.lit(code).alias("code"), pl.lit(field).alias("field")).select(
                list(PROBLEM_SCHEMA)
            )
        )

    def result(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema=PROBLEM_SCHEMA)
        return pl.concat(self.parts)


def _convert_field(f: Field, raw: pl.Series, ctx: Context, bad: _Collector) -> pl.Series:
    present = raw.is_not_null()
    nul = raw.str.contains("\x00", literal=True)
    if nul.any():
        bad.add(nul, "invalid-text", f.name, raw)
        raw = pl.select(pl.when(nul).then(None).otherwise(raw)).to_series().alias(f.name)
        present = raw.is_not_null()
    if f.type == "string":
        return raw
    if f.type in ("integer", "number"):
        cleaned = raw.str.strip_chars()
        if f.type == "number":
            cleaned = pl.select(
                pl.when(cleaned.str.contains(r"^-?\d+,\d+$"))
                .then(cleaned.str.replace(",", "."))
                .otherwise(cleaned)
            ).to_series()
        num = cleaned.cast(pl.Float64, strict=False)
        if f.type == "integer":
            ok = num.is_not_null() & num.is_finite() & (num == num.floor())
            bad.add(present & ~ok, "invalid-integer", f.name, raw)
            typed = pl.select(pl.when(ok).then(num).otherwise(None)).to_series().cast(pl.Int64)
        else:
            ok = num.is_not_null() & num.is_finite()
            bad.add(present & ~ok, "invalid-number", f.name, raw)
            typed = pl.select(pl.when(ok).then(num).otherwise(None)).to_series()
        if f.minimum is not None or f.maximum is not None:
            lo = f.minimum if f.minimum is not None else float("-inf")
            hi = f.maximum if f.maximum is not None else float("inf")
            out = typed.is_not_null() & ((typed < lo) | (typed > hi))
            bad.add(out, "out-of-range", f.name, raw)
            typed = pl.select(pl.when(out).then(None).otherwise(typed)).to_series()
        return typed.alias(f.name)
    if f.type == "date":
        typed = _dates(raw, ctx.profile.day_first)
        bad.add(present & typed.is_null(), "invalid-date", f.name, raw)
        future = typed > ctx.today
        bad.add(future, "future-date", f.name, raw)
        bad.add(typed < MIN_DATE, "out-of-range", f.name, raw)
        return (
            pl.select(pl.when(future | (typed < MIN_DATE)).then(None).otherwise(typed))
            .to_series()
            .alias(f.name)
        )
    if f.type == "boolean":

        def as_bool(v: str) -> str | None:
            key = v.strip().lower()
            return "t" if key in TRUTHY else "f" if key in FALSY else None

        mapped = _map_unique(raw, as_bool)
        bad.add(present & mapped.is_null(), "invalid-boolean", f.name, raw)
        return (mapped == "t").alias(f.name)
    if f.type in ("code", "code_list"):
        mapped = _map_unique(raw, _resolver_code(f))
        bad.add(present & mapped.is_null(), "invalid-code", f.name, raw)
        return pl.select(pl.when(mapped == "").then(None).otherwise(mapped)).to_series().alias(f.name)
    if f.type in ("country", "country_list"):
        mapped = _map_unique(raw, _resolver_country(f, ctx))
        region = mapped == _REGION
        bad.add(region, "region-not-country", f.name, raw)
        bad.add(present & mapped.is_null(), "invalid-country", f.name, raw)
        return (
            pl.select(pl.when(region | (mapped == "")).then(None).otherwise(mapped)).to_series().alias(f.name)
        )
    raise ValueError(f"unknown field type {f.type}")


def convert(frame: pl.DataFrame, ctx: Context) -> Converted:
    """Type and check every standard field of a mapped chunk."""
    std = load_standard()
    bad = _Collector(frame)
    cols: dict[str, pl.Series] = {ROW: frame[ROW]}
    n = frame.height
    for f in std.fields:
        raw = frame[f.name] if f.name in frame.columns else pl.Series(f.name, [None] * n, dtype=pl.Utf8)
        default = ctx.profile.defaults.get(f.name, f.default)
        if f.name == "reporting_country" and ctx.country:
            default = default or ctx.country
        pmap = ctx.profile.value_map(f.name)
        if pmap:
            raw = _apply_value_map(raw, pmap, f.is_list)
        if default is not None:
            raw = raw.fill_null(default)
        cols[f.name] = _convert_field(f, raw, ctx, bad)
    data = pl.DataFrame(cols)
    data = _derive(data, frame, ctx, bad)
    return Converted(data, bad.result())


def _raw(frame: pl.DataFrame, name: str) -> pl.Series:
    return frame[name] if name in frame.columns else pl.Series(name, [None] * frame.height, dtype=pl.Utf8)


def _derive(data: pl.DataFrame, frame: pl.DataFrame, ctx: Context, bad: _Collector) -> pl.DataFrame:
    """Cross-field checks and derived values (year, age, age band, minor, sex from gender)."""
    std = load_standard()
    for f in std.fields:
        if f.required:
            bad.add(
                data[f.name].is_null() & _raw(frame, f.name).is_null(),
                "required",
                f.name,
                _raw(frame, f.name),
            )
    if ctx.country:
        bad.add(
            data["reporting_country"].is_not_null() & (data["reporting_country"] != ctx.country),
            "country-mismatch",
            "reporting_country",
            _raw(frame, "reporting_country"),
        )
    ident, birth = data["identification_date"], data["birth_date"]
    year_from_date = ident.dt.year().cast(pl.Int64)
    bad.add(
        data["identification_year"].is_not_null()
        & year_from_date.is_not_null()
        & (data["identification_year"] != year_from_date),
        "inconsistent-year",
        "identification_year",
        _raw(frame, "identification_year"),
    )
    bad.add(birth > ident, "date-order", "identification_date", _raw(frame, "identification_date"))
    bad.add(
        data["exploitation_end_date"] < data["exploitation_start_date"],
        "date-order",
        "exploitation_end_date",
        _raw(frame, "exploitation_end_date"),
    )
    before_birthday = (ident.dt.month().cast(pl.Int32) * 100 + ident.dt.day().cast(pl.Int32)) < (
        birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day().cast(pl.Int32)
    )
    computed_age = (ident.dt.year().cast(pl.Int64) - birth.dt.year().cast(pl.Int64)) - before_birthday.cast(
        pl.Int64
    )
    computed_age = pl.select(pl.when(computed_age >= 0).then(computed_age).otherwise(None)).to_series()
    age_given = data["age"]
    bad.add(
        age_given.is_not_null() & computed_age.is_not_null() & ((age_given - computed_age).abs() > 1),
        "inconsistent-age",
        "age",
        _raw(frame, "age"),
    )
    age = age_given.fill_null(computed_age)

    bands = std.vocabularies["age_band"]
    band_of_age = pl.Series("b", [None] * len(age), dtype=pl.Utf8)
    for v in bands.values:
        lo, hi = v.attrs["min"], v.attrs["max"]
        band_of_age = pl.select(
            pl.when((age >= lo) & (age <= hi)).then(pl.lit(v.code)).otherwise(band_of_age)
        ).to_series()
    band_given = data["age_band"]
    bad.add(
        band_given.is_not_null() & band_of_age.is_not_null() & (band_given != band_of_age),
        "inconsistent-age-band",
        "age_band",
        _raw(frame, "age_band"),
    )
    minor_of_band = band_given.replace_strict(
        {v.code: v.attrs["minor"] for v in bands.values}, default=None, return_dtype=pl.Boolean
    )
    minor_derived = pl.select(pl.when(age.is_not_null()).then(age < 18).otherwise(minor_of_band)).to_series()
    minor_given = data["is_minor"]
    bad.add(
        minor_given.is_not_null() & minor_derived.is_not_null() & (minor_given != minor_derived),
        "inconsistent-age",
        "is_minor",
        _raw(frame, "is_minor"),
    )

    sex_of_gender = data["gender"].replace_strict(
        std.vocabularies["gender"].attr_map("sex"), default=None, return_dtype=pl.Utf8
    )
    sex = data["sex"]
    sex = (
        pl.select(
            pl.when(sex.is_null() | ((sex == "unknown") & sex_of_gender.is_not_null()))
            .then(sex_of_gender)
            .otherwise(sex)
        )
        .to_series()
        .fill_null("unknown")
    )
    return data.with_columns(
        identification_year=data["identification_year"].fill_null(year_from_date),
        age=age,
        age_band=band_given.fill_null(band_of_age),
        is_minor=minor_given.fill_null(minor_derived),
        sex=sex,
    )
