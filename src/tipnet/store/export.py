"""Export stored records: the flat layout (CSV, Parquet, JSON) or an HTCDS 2.0 flat file."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import select

from tipnet.standard import load_standard
from tipnet.store.db import Database
from tipnet.store.tables import persons


def read_records(db: Database, country: str | None = None) -> pl.DataFrame:
    std = load_standard()
    q = select(*(persons.c[f.name] for f in std.fields)).order_by(persons.c.id)
    if country:
        q = q.where(persons.c.reporting_country == country)
    with db.engine.connect() as conn:
        rows = conn.execute(q).all()
    schema = {f.name: _POLARS[f.type] for f in std.fields}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


_POLARS = {
    "string": pl.Utf8,
    "integer": pl.Int64,
    "number": pl.Float64,
    "date": pl.Date,
    "boolean": pl.Boolean,
    "country": pl.Utf8,
    "country_list": pl.Utf8,
    "code": pl.Utf8,
    "code_list": pl.Utf8,
}


def to_htcds(df: pl.DataFrame) -> pl.DataFrame:
    """Rename to HTCDS field names and translate codes to HTCDS picklist values where HTCDS has them."""
    std = load_standard()
    out = {}
    for f in std.fields:
        if not f.htcds or f.htcds in out or f.entity == "route":
            continue
        col = df[f.name]
        if f.vocabulary:
            mapping: dict[str, str] = std.vocabularies[f.vocabulary].attr_map("htcds")
            uniq = col.drop_nulls().unique().to_list()
            translated = {v: ";".join(mapping.get(t, t) for t in v.split(";")) for v in uniq}
            col = col.replace_strict(translated, default=None, return_dtype=pl.Utf8) if uniq else col
        out[f.htcds] = col.cast(pl.Utf8)
    events_type, events_country = [], []
    for rec, transit, expl in zip(
        df["recruitment_country"], df["transit_countries"], df["exploitation_country"], strict=True
    ):
        types, countries = [], []
        if rec:
            types.append("Recruitment")
            countries.append(rec)
        for t in (transit or "").split(";"):
            if t:
                types.append("Transit")
                countries.append(t)
        if expl:
            types.append("Exploitation")
            countries.append(expl)
        events_type.append(";".join(types) or None)
        events_country.append(";".join(countries) or None)
    out["hte_Type"] = pl.Series(events_type, dtype=pl.Utf8)
    out["hte_Country"] = pl.Series(events_country, dtype=pl.Utf8)
    out["cas_CaseNumber"] = df["case_id"]
    out["prs_Id"] = df["record_id"]
    return pl.DataFrame(out)


def export_records(db: Database, out: Path, fmt: str, country: str | None = None) -> int:
    df = read_records(db, country)
    if fmt == "parquet":
        df.write_parquet(out)
    elif fmt == "json":
        df.write_json(out)
    elif fmt == "htcds":
        to_htcds(df).write_csv(out)
    else:
        df.write_csv(out)
    return df.height
