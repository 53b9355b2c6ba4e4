"""UNODC GLOTIP aggregate returns: the `data_glotip` workbook as aggregate observations with provenance.

Each source row becomes one observation (indicator x dimension x category x sex x age x year). `<5` is kept as a
censored value in 1..4 (value NULL, value_min 1, value_max 4), never guessed. GLOTIP repeats the same victims under
several dimensions; the dimension is stored with each figure so statistics can pick one and never add across them.

Every figure goes through the plausibility checks of `tipnet.ingest.plausibility` (codes exported as values, counts
above a share of the population, negative or fractional counts, breakdowns far above their total): a figure that fails
one is stored as written, reported as a warning and held out of statistics until reviewed (`tipnet review`). The
breakdown check compares figures across the whole file, so accepted figures are stored once the file has been read.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from tipnet.ingest.errors import error_type
from tipnet.ingest.glotip_source import GlotipSource, open_glotip
from tipnet.ingest.period import of_years, widen
from tipnet.ingest.plausibility import Flag, Populations, check_breakdowns, check_cell, hold
from tipnet.ingest.quarantine import QuarantineWriter
from tipnet.ingest.readers import ROW, ReadError
from tipnet.ingest.report import Problem, Report
from tipnet.ingest.submission import (
    ImportOptions,
    ImportStore,
    finish_submission,
    given_period,
    quarantine_path,
    start_submission,
)
from tipnet.settings import Settings
from tipnet.standard.countries import region_codes, resolve_country

log = logging.getLogger(__name__)

COLUMNS = [
    "Iso3_code",
    "Country",
    "Region",
    "Subregion",
    "Indicator",
    "Dimension",
    "Category",
    "Sex",
    "Age",
    "Year",
    "Unit of measurement",
    "txtVALUE",
    "Source",
]
INDICATORS = {
    "Detected trafficking victims": "detected_victims",
    "Persons brought into formal contact": "formal_contact",
    "Persons prosecuted": "prosecuted",
    "Persons convicted": "convicted",
    "Offences of trafficking in persons": "offences",
}
DIMENSIONS = {
    "Total": "total",
    "by form of exploitation": "form_of_exploitation",
    "by citizenship": "citizenship",
    "by country of repatriation": "repatriation",
}
EXPLOITATION = {
    "Sexual exploitation": "sexual",
    "Forced labour": "labour",
    "Other forms of exploitation": "other",
}
SEX = {"Female": "female", "Male": "male", "Other": "other", "Unknown": "unknown", "Total": "total"}
AGE = {"0 to 17 years": "minor", "18 years or over": "adult", "Unknown": "unknown", "Total": "total"}
GLOTIP_SOURCE = "GLOTIP"  # the source name of every figure a GLOTIP workbook brings (national tables may not use it)
_NUMBER = re.compile(r"^\d{1,3}(,\d{3})*$|^\d+$")
_NEGATIVE = re.compile(r"^-\d{1,3}(,\d{3})*$|^-\d+$")
_FRACTION = re.compile(r"^\d+\.\d+$|^\d+,\d{1,2}$")  # 2.5, 2,5 (a comma with three digits after is thousands)
_SINK_ROWS = 50_000


def parse_value(raw: str | None) -> tuple[int | None, int, int, bool] | None:
    """'1,282' -> exact 1282; '<5' -> censored 1..4; anything else -> None (invalid). Counts no count can be, kept
    for review (the plausibility checks hold them): '-3' -> -3; '2.5' -> value None, the interval 2..3 round it."""
    if raw is None:
        return None
    text = raw.strip()
    if text == "<5":
        return None, 1, 4, True
    if _NUMBER.match(text) or _NEGATIVE.match(text):
        n = int(text.replace(",", ""))
        return n, n, n, False
    if _FRACTION.match(text):
        x = float(text.replace(",", "."))
        return None, math.floor(x), math.ceil(x), False
    return None


def _area(code: str | None, name: str | None) -> tuple[str, str | None]:
    if code:
        m = resolve_country(code) if len(code) == 3 else None
        if m is not None and m.kind == "country":
            return "country", m.code
        if code.upper() in region_codes():
            return "region", None
        return "unknown", None
    m = resolve_country(name or "")
    return ("country", m.code) if m.kind == "country" else ("unknown", None)


def _category(dimension: str, raw: str | None, area_country: str | None) -> tuple[str | None, str]:
    if dimension == "total":
        return "total", "total"
    if dimension == "form_of_exploitation":
        code = EXPLOITATION.get(raw or "")
        return (code, "exploitation") if code else (None, "unknown")
    m = resolve_country(raw or "")
    if m.kind == "country":
        return m.code, "country"
    if m.kind == "own":
        return area_country, "own"
    if (raw or "").strip().lower() == "abroad":
        return None, "abroad"
    return None, m.kind if m.kind == "region" else "unknown"


def _convert_row(
    row: dict[str, Any], submission_id: int | None
) -> tuple[dict[str, Any] | None, list[tuple[str, str, Any]]]:
    errors: list[tuple[str, str, Any]] = []
    indicator = INDICATORS.get(row["Indicator"] or "")
    if indicator is None:
        errors.append(("invalid-code", "Indicator", row["Indicator"]))
    dimension = DIMENSIONS.get(row["Dimension"] or "")
    if dimension is None:
        errors.append(("invalid-code", "Dimension", row["Dimension"]))
    sex = SEX.get(row["Sex"] or "")
    if sex is None:
        errors.append(("invalid-code", "Sex", row["Sex"]))
    age = AGE.get(row["Age"] or "")
    if age is None:
        errors.append(("invalid-code", "Age", row["Age"]))
    year_raw = row["Year"]
    year = int(year_raw) if year_raw and str(year_raw).isdigit() else None
    if year is None:
        errors.append(("invalid-integer", "Year", year_raw))
    value = parse_value(row["txtVALUE"])
    if value is None:
        errors.append(("invalid-integer", "txtVALUE", row["txtVALUE"]))
    if errors:
        return None, errors
    assert dimension is not None and value is not None
    area_kind, country = _area(row["Iso3_code"], row["Country"])
    category_code, category_kind = _category(dimension, row["Category"], country)
    exact, lo, hi, censored = value
    return {
        "submission_id": submission_id,
        "source_row": row[ROW],
        "area_code": row["Iso3_code"],
        "area_kind": area_kind,
        "country": country,
        "area_name": row["Country"],
        "indicator": indicator,
        "dimension": dimension,
        "category": row["Category"],
        "category_code": category_code,
        "category_kind": category_kind,
        "sex": sex,
        "age": age,
        "year": year,
        "value": exact,
        "value_min": lo,
        "value_max": hi,
        "censored": censored,
        "raw_value": row["txtVALUE"],
        "source": GLOTIP_SOURCE,  # the statistics read GLOTIP figures by this name, whatever the row says
        "held": False,
        "checks": None,
    }, []


_MESSAGES = {
    "invalid-code": "{field}: {value!r} is not a known GLOTIP category",
    "invalid-integer": "{field}: {value!r} is not a count (a whole number or '<5')",
}


def _run(
    path: Path,
    report: Report,
    submission_id: int | None,
    sink: Callable[[list[dict[str, Any]]], None] | None,
    quarantine: QuarantineWriter | None,
) -> None:
    source = _open(path, 100_000)
    table = source.table
    report.format, report.profile, report.kind = table.format, "glotip", "aggregates"
    report.released = source.released
    if source.released is None:
        report.add(Problem("edition-date-unknown", error_type("edition-date-unknown").message(path=path.name)))
    missing = [c for c in COLUMNS if c not in table.columns]
    for c in missing:
        report.add(
            Problem(
                "missing-column", error_type("missing-column").message(field=c, profile="glotip"), field=c
            )
        )
    if missing:
        return
    populations = Populations.load()
    kept: list[dict[str, Any]] = []
    for chunk in table.chunks():
        accepted: list[dict[str, Any]] = []
        rejected: dict[int, str] = {}
        for row in chunk.data.iter_rows(named=True):
            report.rows_total += 1
            obs, errors = _convert_row(row, submission_id)
            if obs is not None:
                _flagged(report, obs, check_cell(obs, populations))
                accepted.append(obs)
                continue
            msgs = []
            for code, field, value in errors:
                msg = _MESSAGES[code].format(field=field, value=value)
                report.add(
                    Problem(
                        code, msg, row=row[ROW], column=field, value=None if value is None else str(value)
                    )
                )
                msgs.append(f"{code}: {msg}")
            rejected[row[ROW]] = " | ".join(msgs)
        report.rows_valid += len(accepted)
        report.rows_invalid += len(rejected)
        kept.extend(accepted)
        if quarantine is not None and rejected:
            quarantine.write(chunk.data.filter(chunk.data[ROW].is_in(list(rejected))), rejected)
            report.rows_quarantined += len(rejected)
    for obs, flag in check_breakdowns(kept):
        _flagged(report, obs, [flag])
    report.rows_held = sum(1 for obs in kept if obs["held"])
    if sink is not None:
        for start in range(0, len(kept), _SINK_ROWS):
            sink(kept[start:start + _SINK_ROWS])
        report.rows_accepted += len(kept)


def _flagged(report: Report, obs: dict[str, Any], flags: list[Flag]) -> None:
    """Report each failed check as a warning on the figure's row, and hold the figure if a check holds it."""
    for f in flags:
        report.add(Problem(f.code, f.message, row=obs["source_row"], column=f.column, value=f.value))
    hold(obs, flags)


def validate_glotip(path: Path, report: Report, options: ImportOptions) -> Report:
    try:
        _run(path, report, None, None, None)
    except ReadError as exc:
        report.add(exc.problem)
    return report


def import_glotip(
    path: Path, db: ImportStore, report: Report, options: ImportOptions, sha: str, settings: Settings
) -> Report:
    report.kind = "aggregates"
    try:
        return _import_in_transaction(path, db, report, options, sha, settings)
    except _Abort:
        return report


def _import_in_transaction(
    path: Path, db: ImportStore, report: Report, options: ImportOptions, sha: str, settings: Settings
) -> Report:
    import pyarrow as pa

    with db.bulk.transaction() as tx:
        submission_id = start_submission(tx, db, "aggregates", options, "glotip", path, sha, report)
        if submission_id is None:
            return report
        try:
            table = _open(path, 1).table
        except ReadError as exc:
            report.add(exc.problem)
            raise _Abort from exc
        quarantine = QuarantineWriter(quarantine_path(settings, submission_id, path), table.columns)

        def sink(rows: list[dict[str, Any]]) -> None:
            if rows:
                tx.ingest("aggregates", pa.Table.from_pylist(rows, schema=_schema()))
                years = [r["year"] for r in rows if r.get("year")]
                if years:
                    report.period_start, report.period_end = widen(
                        (report.period_start, report.period_end), *of_years(min(years), max(years))
                    )

        try:
            _run(path, report, submission_id, sink, quarantine)
            if report.file_error is not None:
                raise _Abort
            finish_submission(tx, submission_id, report, quarantine, given_period(options))
        except BaseException:
            quarantine.discard()
            report.submission_id = None
            raise
    quarantine.publish()
    return report


def _open(path: Path, chunk_rows: int) -> GlotipSource:
    source = open_glotip(path, chunk_rows)
    if source is None:
        missing = ", ".join(c for c in COLUMNS if c != "Source")
        raise ReadError(Problem("missing-column", error_type("missing-column").message(field=missing,
                                                                                      profile="glotip")))
    return source


class _Abort(Exception):
    """Stop the import and roll it back; the report already says why."""


@cache
def _schema() -> Any:
    """The Arrow schema of the aggregates rows (pyarrow is imported only by an import of aggregates)."""
    import pyarrow as pa

    return pa.schema(
        [
            ("submission_id", pa.int32()),
            ("source_row", pa.int64()),
            ("area_code", pa.string()),
            ("area_kind", pa.string()),
            ("country", pa.string()),
            ("area_name", pa.string()),
            ("indicator", pa.string()),
            ("dimension", pa.string()),
            ("category", pa.string()),
            ("category_code", pa.string()),
            ("category_kind", pa.string()),
            ("sex", pa.string()),
            ("age", pa.string()),
            ("year", pa.int32()),
            ("value", pa.int64()),
            ("value_min", pa.int64()),
            ("value_max", pa.int64()),
            ("censored", pa.bool_()),
            ("raw_value", pa.string()),
            ("source", pa.string()),
            ("held", pa.bool_()),
            ("checks", pa.string()),
        ]
    )

