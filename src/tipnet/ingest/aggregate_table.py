"""Validate or import a national statistics table through an aggregate profile (`kind: aggregates`).

Accounting: `rows_total` counts the rows in scope (those the profile's filter keeps, and any row that cannot be
read whole); each is stored (all its figures) or quarantined with its reasons, so rows_total = rows_accepted +
rows_quarantined. Rows outside the filter are counted in `rows_filtered` and named in a warning; the file's rows
are rows_total + rows_filtered. One transaction; a file whose header lacks a column the profile names writes nothing.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from tipnet.ingest import submission
from tipnet.ingest.aggregate_profile import AggregateProfile, ProfileError, profile_from_doc
from tipnet.ingest.aggregate_rows import RowMapper
from tipnet.ingest.errors import error_type
from tipnet.ingest.period import widen
from tipnet.ingest.profiles import profile_doc
from tipnet.ingest.quarantine import ANNOTATION_COLUMNS, QuarantineWriter, reopened
from tipnet.ingest.readers import ROW, Chunk, RaggedInput, ReadError, ReadLimits, open_source
from tipnet.ingest.report import Problem, Report
from tipnet.ingest.submission import ImportOptions, ImportStore
from tipnet.settings import Settings
from tipnet.standard.model import normalise_token

log = logging.getLogger(__name__)

Sink = Callable[[list[dict[str, Any]]], None]


def load_aggregate_profile(name_or_path: str) -> AggregateProfile:
    doc = profile_doc(name_or_path)
    if doc is None:
        raise ProfileError(f"no profile named {name_or_path!r}")
    return profile_from_doc(doc)


def _bind(profile: AggregateProfile, columns: list[str], report: Report) -> dict[str, str] | None:
    """Profile column name -> the file's column (matched like headers: case-, accent- and spacing-insensitive)."""
    by_key = {normalise_token(c): c for c in columns if c not in ANNOTATION_COLUMNS}
    bound: dict[str, str] = {}
    for column, role in profile.columns():
        found = by_key.get(normalise_token(column))
        if found is None:
            msg = error_type("missing-source-column").message(column=column, role=role, profile=profile.name)
            report.add(Problem("missing-source-column", msg, column=column))
        else:
            bound[column] = found
    if len(bound) < len({c for c, _ in profile.columns()}):
        return None
    for c in sorted(set(by_key.values()) - set(bound.values()), key=columns.index):
        report.add(Problem("unmapped-column", error_type("unmapped-column").message(column=c), column=c))
    return bound


def _span(figure: dict[str, Any]) -> tuple[dt.date, dt.date]:
    y, kind, n = figure["year"], figure["period_kind"], figure["period_number"]
    if kind == "month":
        return dt.date(y, n, 1), dt.date(y, n, calendar.monthrange(y, n)[1])
    if kind == "quarter":
        last = 3 * n
        return dt.date(y, last - 2, 1), dt.date(y, last, calendar.monthrange(y, last)[1])
    return dt.date(y, 1, 1), dt.date(y, 12, 31)


class _Pass:
    """One reading of the table: rows in scope converted, counted and sent on (figures to `sink`, rejected rows to
    the quarantine)."""

    def __init__(self, profile: AggregateProfile, report: Report, settings: Settings, country: str | None) -> None:
        self.profile, self.report, self.settings, self.country = profile, report, settings, country
        self.filtered = 0
        self.empty: Counter[str] = Counter()
        self.figures = 0

    def chunk(self, chunk: Chunk, mapper: RowMapper, sink: Sink | None, quarantine: QuarantineWriter | None) -> None:
        report = self.report
        reasons: dict[int, list[str]] = {}
        for p in chunk.problems:  # rows the reader could not read whole: in scope whatever they hold
            report.add(p)
            reasons.setdefault(p.row or 0, []).append(f"{p.code}: {p.message}")
        accepted: list[dict[str, Any]] = []
        valid = 0
        scope = mapper.in_scope(chunk.data) | chunk.data.get_column(ROW).is_in(list(reasons))
        self.filtered += int((~scope).sum())
        for row in chunk.data.filter(scope).iter_rows(named=True):
            n = row[ROW]
            report.rows_total += 1
            if report.rows_total > self.settings.max_rows:
                msg = error_type("too-many-rows").message(path=report.path, limit=self.settings.max_rows)
                raise ReadError(Problem("too-many-rows", msg))
            if n in reasons:
                continue
            converted = mapper.convert(row, n)
            for fig in converted.figures:
                if self.country and fig["country"] != self.country:
                    msg = error_type("country-mismatch").message(field="country", value=fig["country"])
                    converted.errors.append(("country-mismatch", "country", fig["country"], msg))
                    converted.figures = []
                    break
            for code, column, value, msg in converted.errors:
                report.add(Problem(code, msg, row=n, column=column, value=value))
                reasons.setdefault(n, []).append(f"{code}: {msg}")
            if n not in reasons:
                accepted.extend(converted.figures)
                self.empty.update(converted.empty)
                valid += 1
        report.rows_valid += valid
        report.rows_invalid += len(reasons)
        self.figures += len(accepted)
        if sink is not None:
            sink(accepted)
            report.rows_accepted += valid
        if quarantine is not None and reasons:
            quarantine.write(chunk.data.filter(chunk.data[ROW].is_in(list(reasons))),
                             {r: " | ".join(m) for r, m in reasons.items()})
            report.rows_quarantined += len(reasons)

    def finish(self) -> None:
        report = self.report
        report.rows_filtered = self.filtered
        if self.filtered:
            msg = error_type("rows-filtered").message(count=self.filtered, filter=self.profile.filter_text())
            report.add(Problem("rows-filtered", msg))
        for column, count in self.empty.items():
            report.add(Problem("empty-period", error_type("empty-period").message(column=column, count=count),
                               column=column))


def _read(path: Path, profile: AggregateProfile, options: ImportOptions, settings: Settings, careful: bool,
          report: Report, submission_id: int | None, sink: Sink | None,
          quarantine: Callable[[list[str]], QuarantineWriter] | None) -> QuarantineWriter | None:
    table = reopened(open_source(path, settings.chunk_rows, sheet=options.sheet, careful=careful,
                                 limits=ReadLimits.of(settings)))
    report.format, report.encoding = table.format, table.encoding
    bound = _bind(profile, table.columns, report)
    if bound is None:
        return None
    writer = quarantine(table.columns) if quarantine is not None else None
    mapper = RowMapper(profile, bound, submission_id)
    run = _Pass(profile, report, settings, options.country)
    for chunk in table.chunks():
        run.chunk(chunk, mapper, sink, writer)
    run.finish()
    log.info("%s: %d rows in scope, %d filtered out, %d figures", path.name, report.rows_total, run.filtered,
             run.figures)
    return writer


def _attempts(shown_as: str, profile_name: str, attempt: Callable[[bool, Report], Report]) -> Report:
    """The fast reader first; the careful one (every row kept, ragged ones flagged) when rows do not line up."""
    for careful in (False, True):
        report = Report(path=shown_as, profile=profile_name, kind="aggregates")
        try:
            return attempt(careful, report)
        except RaggedInput:
            log.info("reading %s again with the careful reader", shown_as)
        except ReadError as exc:
            report.add(exc.problem)
            return report
    raise AssertionError("the careful reader does not raise RaggedInput")


def _profile_or_report(options: ImportOptions, report: Report) -> AggregateProfile | None:
    report.kind = "aggregates"
    try:
        profile = load_aggregate_profile(options.profile or "")
    except (ProfileError, KeyError, TypeError, ValueError) as exc:
        msg = error_type("invalid-profile").message(profile=options.profile, reason=exc)
        report.add(Problem("invalid-profile", msg))
        return None
    if options.country is None and profile.country.fixed is None and not profile.public:
        # figures of no country are public: a table nobody has published must belong to a country
        report.add(Problem("owner-needed", error_type("owner-needed").message(profile=profile.name)))
        return None
    return profile


def validate_aggregate_table(path: Path, report: Report, options: ImportOptions, settings: Settings) -> Report:
    """Check a table against its aggregate profile. Writes nothing."""
    profile = _profile_or_report(options, report)
    if profile is None:
        return report

    def attempt(careful: bool, result: Report) -> Report:
        _read(path, profile, options, settings, careful, result, None, None, None)
        return result

    return _attempts(report.path, profile.name, attempt)


def import_aggregate_table(
    path: Path, db: ImportStore, report: Report, options: ImportOptions, sha: str, settings: Settings
) -> Report:
    """Import a table as aggregate figures: one submission of the profile's country, one transaction."""
    profile = _profile_or_report(options, report)
    if profile is None:
        return report
    if options.country is None and profile.country.fixed is not None:
        options = dataclasses.replace(options, country=profile.country.fixed)

    def attempt(careful: bool, result: Report) -> Report:
        return _import(path, db, profile, options, sha, settings, careful, result)

    return _attempts(report.path, profile.name, attempt)


def _import(path: Path, db: ImportStore, profile: AggregateProfile, options: ImportOptions, sha: str,
            settings: Settings, careful: bool, report: Report) -> Report:
    writer: QuarantineWriter | None = None
    try:
        with db.bulk.transaction() as tx:
            submission_id = submission.start_submission(tx, db, "aggregates", options, profile.name, path, sha, report)
            if submission_id is None:
                return report

            def sink(figures: list[dict[str, Any]]) -> None:
                if figures:
                    import pyarrow as pa

                    tx.ingest("aggregates", pa.Table.from_pylist(figures, schema=arrow_schema()))
                    for fig in figures:
                        report.period_start, report.period_end = widen(
                            (report.period_start, report.period_end), *_span(fig))

            def quarantine(columns: list[str]) -> QuarantineWriter:
                nonlocal writer
                writer = QuarantineWriter(submission.quarantine_path(settings, submission_id, path), columns)
                return writer

            _read(path, profile, options, settings, careful, report, submission_id, sink, quarantine)
            if report.file_error is not None or writer is None:
                raise _Rollback
            submission.finish_submission(tx, submission_id, report, writer, submission.given_period(options))
    except BaseException as exc:
        if writer is not None:
            writer.discard()
        report.submission_id = None
        if isinstance(exc, _Rollback):
            return report
        raise
    assert writer is not None
    writer.publish()
    log.info("imported %s as aggregates: %d rows in scope, %d accepted, %d quarantined", path.name,
             report.rows_total, report.rows_accepted, report.rows_quarantined)
    return report


class _Rollback(Exception):
    """Nothing can be imported (the header is not what the profile names): roll back; the report says why."""


@cache
def arrow_schema() -> Any:
    """The Arrow schema of the aggregates rows a national table adds."""
    import pyarrow as pa

    text = pa.string()
    names = [
        ("submission_id", pa.int32()), ("source_row", pa.int64()), ("area_code", text), ("area_kind", text),
        ("country", text), ("area_name", text), ("indicator", text), ("dimension", text), ("category", text),
        ("category_code", text), ("category_kind", text), ("sex", text), ("age", text), ("year", pa.int32()),
        ("value", pa.int64()), ("value_min", pa.int64()), ("value_max", pa.int64()), ("censored", pa.bool_()),
        ("raw_value", text), ("source", text), ("subdivision", text), ("period_kind", text),
        ("period_number", pa.int16()), ("age_band", text), ("unit", text),
    ]
    return pa.schema(names)
