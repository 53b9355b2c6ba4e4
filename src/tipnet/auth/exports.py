"""Export the store's records in the caller's scope: the flat layout (CSV, Parquet, JSON) or an HTCDS 2.0 flat file.

The one way record-level data leaves the store as a file. Whoever asks (the operator at the command line, a signed-in
user), the rows are those the principal's `Scope` allows, and the read is written to the audit log: one entry per
country whose records were exported, so each country's focal point sees who took its data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select

from tipnet.auth import audit
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import Scope
from tipnet.errors import Forbidden, Invalid
from tipnet.standard import load_standard
from tipnet.standard.cells import neutralise_frame
from tipnet.store import Database
from tipnet.store.tables import persons

FORMATS = ("csv", "parquet", "json", "htcds")

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


def _query(scope: Scope, country: str | None) -> Any:
    q = select(*(persons.c[f.name] for f in load_standard().fields)).where(scope.persons()).order_by(persons.c.id)
    return q.where(persons.c.reporting_country == country) if country else q


def _frame(db: Database, scope: Scope, country: str | None) -> pl.DataFrame:
    std = load_standard()
    with db.engine.connect() as conn:
        rows = conn.execute(_query(scope, country)).all()
    schema = {f.name: _POLARS[f.type] for f in std.fields}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def export_records(db: Database, principal: Principal, out: Path, fmt: str, country: str | None = None) -> int:
    """Write the records in scope (optionally one reporting country's) to `out` as csv, parquet, json or htcds;
    returns how many were written. In the CSV layouts a text cell a spreadsheet would run gets a leading `'`.
    Audited as `records.export`, one entry per country exported."""
    if fmt not in FORMATS:
        raise Invalid(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    if not principal.can(Permission.RECORDS_READ):
        raise Forbidden("your role does not allow reading records")
    country = country.upper() if country else None
    df = _frame(db, Scope.of(principal), country)
    per_country = df.group_by("reporting_country").len().sort("reporting_country").rows() if df.height else []
    for subject, rows in per_country or [(country, 0)]:
        audit.record(db, principal, "records.export", object_type="records", subject_country=subject,
                     details={"rows": int(rows), "format": fmt, "country_filter": country})
    if fmt == "parquet":
        df.write_parquet(out)
    elif fmt == "json":
        df.write_json(out)
    elif fmt == "htcds":
        neutralise_frame(to_htcds(df)).write_csv(out)
    else:
        neutralise_frame(df).write_csv(out)
    return df.height


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
