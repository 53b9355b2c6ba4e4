"""Vectorised checks: text columns from a profile -> typed standard columns, plus every problem found.

Values are checked a column at a time (polars expressions); vocabulary, country and yes/no look-ups run once per
distinct value per import, never once per row. Dates and numbers take a vectorised fast path for the common
spellings (ISO dates, plain numbers); only the other cells go through the full set of formats. Nothing here
raises on bad data: problems come back as a frame of (row, code, field, value).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import polars as pl

from tipnet.ingest.convert_base import DTYPES, Collector, Context, Converted
from tipnet.ingest.lookups import Lookup, _default, _mapped_value
from tipnet.ingest.profiles import blank_series
from tipnet.ingest.readers import ROW
from tipnet.standard import Field, load_standard

MIN_DATE = dt.date(1900, 1, 1)
ISO_DATE = r"^\d{4}-\d{1,2}-\d{1,2}$"  # read by the fast path; any other spelling takes the full one
EXACT_FLOAT = 2**53  # integers beyond this take the full path (which goes through float)
_LOOKUP_TYPES = {"code", "code_list", "country", "country_list", "boolean"}


def _apply_value_map(raw: pl.Series, pmap: dict[str, str], is_list: bool) -> pl.Series:
    apply = _mapped_value(pmap, is_list)
    uniq = raw.drop_nulls().unique().to_list()
    return (
        raw.replace_strict({u: apply(u) for u in uniq}, default=None, return_dtype=pl.Utf8) if uniq else raw
    )


def _text(f: Field, raw: pl.Series, ctx: Context, is_raw: bool) -> pl.Series:
    """A field's text as the checks see it: blanked, the profile's value map and the default applied."""
    text = blank_series(raw, ctx.profile.missing_values) if is_raw else raw
    pmap = ctx.profile.value_map(f.name)
    if pmap:
        text = _apply_value_map(text, pmap, f.is_list)
    default = _default(f, ctx)
    if default is not None:
        text = text.fill_null(default)
    return text


def _without_nul(f: Field, text: pl.Series, rows: pl.Series, bad: Collector) -> pl.Series:
    nul = text.str.contains("\x00", literal=True).fill_null(False)
    if nul.any():
        bad.add_rows(rows.filter(nul), "invalid-text", f.name, text.filter(nul))
        text = text.set(nul, None)  # type: ignore[arg-type]
    return text


def _string_field(
    f: Field, raw: pl.Series, ctx: Context, is_raw: bool, rows: pl.Series, bad: Collector, maybe_nul: bool,
    pre: pl.DataFrame | None,
) -> pl.Series:
    if pre is not None:  # stripped by the chunk's first pass: blank the missing values, fill the default
        text = pre.get_column(f.name + _STRIPPED)
        gone = text.is_in(list(ctx.profile.missing_values))
        if gone.any():
            text = text.set(gone, None)  # type: ignore[arg-type]
        default = _default(f, ctx)
        if default is not None:
            text = text.fill_null(default)
    else:
        text = _text(f, raw, ctx, is_raw)
    if maybe_nul:
        text = _without_nul(f, text, rows, bad)
    return text.alias(f.name)


def _dates(text: pl.Series, day_first: bool) -> pl.Series:
    """Every accepted spelling of a date (ISO with an optional time, year/month/day, day/month/year)."""
    s = text.str.strip_chars()
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


def _full_path(raw: pl.Series, fast_ok: pl.Series | None, with_nulls: bool) -> pl.Series:
    """Indexes of the cells the fast path did not settle: not null (or null too, where a default fills them),
    and not read by the fast path (fast_ok None: no fast path)."""
    todo = pl.repeat(True, len(raw), eager=True) if with_nulls else raw.is_not_null()
    if fast_ok is not None:
        todo = todo & ~fast_ok.fill_null(False)
    return todo.arg_true()


def _date_field(
    f: Field, raw: pl.Series, ctx: Context, is_raw: bool, rows: pl.Series, bad: Collector, maybe_nul: bool,
    pre: pl.DataFrame | None,
) -> pl.Series:
    fast: pl.Series | None = None
    if pre is not None:
        # ISO dates as they are (not blank, not a missing value): the full path would read them the same way
        plain = pre.get_column(f.name + _PLAIN).fill_null(False)
        missing = [m for m in ctx.profile.missing_values if re.match(ISO_DATE, m)]
        if missing:
            plain = plain & ~raw.is_in(missing).fill_null(False)
        fast = pre.get_column(f.name + _DATE).set(~plain, None)  # type: ignore[arg-type]
    idx = _full_path(raw, None if fast is None else fast.is_not_null(), _default(f, ctx) is not None)
    typed = fast if fast is not None else pl.repeat(None, len(raw), dtype=pl.Date, eager=True)
    texts = raw  # the text each cell was checked as (differs from raw on the full path only)
    if len(idx):
        sub_rows = rows.gather(idx)
        text = _text(f, raw.gather(idx), ctx, is_raw)
        if maybe_nul:
            text = _without_nul(f, text, sub_rows, bad)
        sub = _dates(text, ctx.profile.day_first)
        bad_date = text.is_not_null() & sub.is_null()
        bad.add_rows(sub_rows.filter(bad_date), "invalid-date", f.name, text.filter(bad_date))
        typed = typed.clone().scatter(idx, sub)
        texts = raw.clone().scatter(idx, text)
    future = typed > ctx.today
    bad.add(future, "future-date", f.name, texts)
    early = typed < MIN_DATE
    bad.add(early, "out-of-range", f.name, texts)
    out = (future | early).fill_null(False)
    if out.any():
        typed = typed.set(out, None)  # type: ignore[arg-type]
    return typed.alias(f.name)


def _number_field(
    f: Field, raw: pl.Series, ctx: Context, is_raw: bool, rows: pl.Series, bad: Collector, maybe_nul: bool,
    pre: pl.DataFrame | None,
) -> pl.Series:
    integer = f.type == "integer"
    dtype = pl.Int64 if integer else pl.Float64
    lo = f.minimum if f.minimum is not None else float("-inf")
    hi = f.maximum if f.maximum is not None else float("inf")
    ok: pl.Series | None = None
    typed = pl.repeat(None, len(raw), dtype=dtype, eager=True)
    if pre is not None:
        # plain numbers in range, not a missing value: the full path would read them the same way
        fast = pre.get_column(f.name + _NUMBER)
        ok = fast.is_not_null() & ~pre.get_column(f.name + _MISSING) & (fast >= lo) & (fast <= hi)
        ok = ok & (fast.abs() <= EXACT_FLOAT) if integer else ok & fast.is_finite()
        ok = ok.fill_null(False)
        typed = fast.set(~ok, None)  # type: ignore[arg-type]
    idx = _full_path(raw, ok, _default(f, ctx) is not None)
    if not len(idx):
        return typed.alias(f.name)
    sub_rows = rows.gather(idx)
    text = _text(f, raw.gather(idx), ctx, is_raw)
    if maybe_nul:
        text = _without_nul(f, text, sub_rows, bad)
    present = text.is_not_null()
    cleaned = text.str.strip_chars()
    if not integer:
        cleaned = pl.select(
            pl.when(cleaned.str.contains(r"^-?\d+,\d+$")).then(cleaned.str.replace(",", ".")).otherwise(cleaned)
        ).to_series()
    num = cleaned.cast(pl.Float64, strict=False)
    if integer:
        good = (num.is_not_null() & num.is_finite() & (num == num.floor())).fill_null(False)
        code = "invalid-integer"
    else:
        good = (num.is_not_null() & num.is_finite()).fill_null(False)
        code = "invalid-number"
    failed = present & ~good
    bad.add_rows(sub_rows.filter(failed), code, f.name, text.filter(failed))
    sub = num.set(~good, None).cast(dtype)  # type: ignore[arg-type]
    outside = (sub.is_not_null() & ((sub < lo) | (sub > hi))).fill_null(False)
    if outside.any():
        bad.add_rows(sub_rows.filter(outside), "out-of-range", f.name, text.filter(outside))
        sub = sub.set(outside, None)  # type: ignore[arg-type]
    return typed.clone().scatter(idx, sub).alias(f.name)


# ---------------------------------------------------------------- convert


_INDEX, _STRIPPED, _PLAIN, _DATE, _NUMBER, _MISSING = (f"\x00{k}" for k in "ispdnm")


def _first_pass(f: Field, ctx: Context, lookup: Lookup | None) -> list[pl.Expr]:
    """The vectorised work on a field's column that does not depend on other results: done for all fields in one
    `select`, which polars spreads over its threads."""
    name = f.name
    col = pl.col(name)
    if lookup is not None:
        return [lookup.index_expr().alias(name + _INDEX)]
    if name not in ctx.raw or ctx.profile.value_map(name):
        return []
    if f.type == "string":
        return [col.str.strip_chars().alias(name + _STRIPPED)]
    if f.type == "date":
        return [
            col.str.contains(ISO_DATE).alias(name + _PLAIN),
            col.str.to_date("%Y-%m-%d", strict=False).alias(name + _DATE),
        ]
    if f.type in ("integer", "number"):
        return [
            col.cast(pl.Int64 if f.type == "integer" else pl.Float64, strict=False).alias(name + _NUMBER),
            col.is_in(list(ctx.profile.missing_values)).fill_null(False).alias(name + _MISSING),
        ]
    return []


def convert(frame: pl.DataFrame, ctx: Context, maybe_nul: bool = True) -> Converted:
    """Type and check every standard field of a mapped chunk.

    maybe_nul=False: the reader saw no NUL character in this chunk, so the NUL checks of text are skipped."""
    std = load_standard()
    rows = frame.get_column(ROW)
    n = frame.height
    work: list[tuple[Field, pl.Series | None, Lookup | None, bool]] = []
    first: list[pl.Expr] = []
    for f in std.fields:
        if f.name in frame.columns:
            raw: pl.Series | None = frame.get_column(f.name)
        elif _default(f, ctx) is not None or ctx.profile.value_map(f.name):
            raw = pl.repeat(None, n, dtype=pl.Utf8, eager=True).alias(f.name)
        else:
            raw = None
        lookup = None
        if raw is not None and f.type in _LOOKUP_TYPES:
            lookup = ctx.lookups.get(f.name)
            if lookup is None:
                lookup = ctx.lookups[f.name] = Lookup(f, ctx)
        exprs = _first_pass(f, ctx, lookup) if f.name in frame.columns else []
        first.extend(exprs)
        work.append((f, raw, lookup, bool(exprs)))
    pre = frame.select(first) if first else None
    bad = Collector(rows)
    cols: dict[str, pl.Series] = {ROW: rows}
    for f, raw, lookup, has_first in work:
        if raw is None:
            cols[f.name] = pl.repeat(None, n, dtype=DTYPES[f.type], eager=True).alias(f.name)
            continue
        is_raw = f.name in ctx.raw
        mine = pre if has_first else None
        if lookup is not None:
            idx = mine.get_column(f.name + _INDEX) if mine is not None else raw.cast(
                lookup._enum, strict=False
            ).to_physical()
            cols[f.name] = lookup.finish(raw, idx, rows, bad)
        elif f.type == "string":
            cols[f.name] = _string_field(f, raw, ctx, is_raw, rows, bad, maybe_nul, mine)
        elif f.type == "date":
            cols[f.name] = _date_field(f, raw, ctx, is_raw, rows, bad, maybe_nul, mine)
        elif f.type in ("integer", "number"):
            cols[f.name] = _number_field(f, raw, ctx, is_raw, rows, bad, maybe_nul, mine)
        else:
            raise ValueError(f"unknown field type {f.type}")
    data = _derive(pl.DataFrame(cols), frame, ctx, bad)
    return Converted(data, bad.result())


def _raw(frame: pl.DataFrame, ctx: Context, name: str) -> Callable[[pl.Series], pl.Series]:
    """The mapped text of a field (stripped, missing values as nulls) for the rows of a mask."""

    def values(mask: pl.Series) -> pl.Series:
        if name not in frame.columns:
            return pl.repeat(None, int(mask.sum()), dtype=pl.Utf8, eager=True)
        col = frame.get_column(name).filter(mask)
        return blank_series(col, ctx.profile.missing_values) if name in ctx.raw else col

    return values


def _derive(data: pl.DataFrame, frame: pl.DataFrame, ctx: Context, bad: Collector) -> pl.DataFrame:
    """Cross-field checks and derived values (year, age, age band, minor, sex from gender)."""
    std = load_standard()
    needed = ctx.profile.required_fields()
    for f in std.fields:
        if f.name in needed:
            missing = data.get_column(f.name).is_null()
            if missing.any():
                text = _raw(frame, ctx, f.name)(missing)
                rows = data.get_column(ROW).filter(missing)
                bad.add_rows(rows.filter(text.is_null()), "required", f.name, text.filter(text.is_null()))
    c = pl.col
    ident, birth = c("identification_date"), c("birth_date")
    before_birthday = (ident.dt.month().cast(pl.Int32) * 100 + ident.dt.day().cast(pl.Int32)) < (
        birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day().cast(pl.Int32)
    )
    computed = (ident.dt.year().cast(pl.Int64) - birth.dt.year().cast(pl.Int64)) - before_birthday.cast(pl.Int64)
    bands = std.vocabularies["age_band"]
    band_of_age: Any = pl.lit(None, dtype=pl.Utf8)
    for v in bands.values:  # a later band wins where two overlap (as the loop it replaces did)
        band_of_age = (
            pl.when((c("_age") >= v.attrs["min"]) & (c("_age") <= v.attrs["max"]))
            .then(pl.lit(v.code))
            .otherwise(band_of_age)
        )
    minor_of_band = c("age_band").replace_strict(
        {v.code: v.attrs["minor"] for v in bands.values}, default=None, return_dtype=pl.Boolean
    )
    sex_of_gender = c("gender").replace_strict(
        std.vocabularies["gender"].attr_map("sex"), default=None, return_dtype=pl.Utf8
    )
    # Each derived value is computed once, in stages, and the checks read the stages' columns.
    staged = (
        data.lazy()
        .with_columns(
            ident.dt.year().cast(pl.Int64).alias("_year"),
            pl.when(computed >= 0).then(computed).alias("_computed"),
        )
        .with_columns(c("age").fill_null(c("_computed")).alias("_age"))
        .with_columns(
            band_of_age.alias("_band"),
            pl.when(c("_age").is_not_null()).then(c("_age") < 18).otherwise(minor_of_band).alias("_minor"),
            sex_of_gender.alias("_sex_of_gender"),
        )
        .collect()
    )
    country_mismatch = (
        c("reporting_country").is_not_null() & (c("reporting_country") != ctx.country)
        if ctx.country
        else pl.lit(False)
    )
    band_given = c("age_band")
    checks = staged.select(
        country_mismatch.alias("country-mismatch"),
        (c("identification_year").is_not_null() & c("_year").is_not_null()
         & (c("identification_year") != c("_year"))).alias("inconsistent-year"),
        (birth > ident).alias("date-order"),
        (c("exploitation_end_date") < c("exploitation_start_date")).alias("date-order-end"),
        (c("age").is_not_null() & c("_computed").is_not_null() & ((c("age") - c("_computed")).abs() > 1)).alias(
            "age"
        ),
        (band_given.is_not_null() & c("_band").is_not_null() & (band_given != c("_band"))).alias("band"),
        (c("is_minor").is_not_null() & c("_minor").is_not_null() & (c("is_minor") != c("_minor"))).alias("minor"),
    )
    flagged = checks.select(pl.all().fill_null(False).any()).row(0, named=True)
    for column, code, name, source in (
        ("country-mismatch", "country-mismatch", "reporting_country", "reporting_country"),
        ("inconsistent-year", "inconsistent-year", "identification_year", "identification_year"),
        ("date-order", "date-order", "identification_date", "identification_date"),
        ("date-order-end", "date-order", "exploitation_end_date", "exploitation_end_date"),
        ("age", "inconsistent-age", "age", "age"),
        ("band", "inconsistent-age-band", "age_band", "age_band"),
        ("minor", "inconsistent-age", "is_minor", "is_minor"),
    ):
        if flagged[column]:
            bad.add(checks.get_column(column), code, name, _raw(frame, ctx, source))
    sex = c("sex")
    # Keep the victim, flag the fact: a field that contradicts another is left unknown on a kept row (its raw cell
    # is kept, the problem a warning), and nothing is derived from the side it contradicts. A strict profile
    # quarantines such rows instead (`keep.costs_row`).
    staged = staged.hstack(checks.select(pl.all().fill_null(False).name.prefix("_x_")))

    def unless(flag: str, value: pl.Expr) -> pl.Expr:
        return pl.when(c(f"_x_{flag}")).then(None).otherwise(value)

    return staged.with_columns(
        identification_year=unless("inconsistent-year", c("identification_year").fill_null(
            unless("date-order", c("_year")))),
        identification_date=unless("date-order", ident),
        exploitation_end_date=unless("date-order-end", c("exploitation_end_date")),
        age=unless("age", c("_age")),
        age_band=unless("band", band_given.fill_null(unless("age", c("_band")))),
        is_minor=unless("minor", c("is_minor").fill_null(unless("age", c("_minor")))),
        sex=pl.when(sex.is_null() | ((sex == "unknown") & c("_sex_of_gender").is_not_null()))
        .then(c("_sex_of_gender"))
        .otherwise(sex)
        .fill_null("unknown"),
    ).select(data.columns)
