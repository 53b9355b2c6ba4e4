"""Validate or import one file: read -> map -> check -> store accepted rows, quarantine the rest.

Invariant: rows_total = rows_accepted + rows_quarantined. An import is one transaction; a file that cannot be read
at all gets one clear problem and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from tipnet import STANDARD_VERSION
from tipnet.ingest import worker
from tipnet.ingest.convert import Context, convert
from tipnet.ingest.errors import CATALOGUE, error_type
from tipnet.ingest.profiles import ColumnRule, Profile, apply_profile, detect_profile, load_profile
from tipnet.ingest.quarantine import ANNOTATION_COLUMNS, QuarantineWriter
from tipnet.ingest.readers import ROW, Chunk, RaggedInput, ReadError, SourceTable, detect_format, open_source
from tipnet.ingest.report import Problem, Report
from tipnet.settings import Settings
from tipnet.standard import load_standard

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ImportOptions:
    profile: str | None = None
    country: str | None = None
    organisation: str | None = None
    source_type: str | None = None
    sheet: str | None = None
    display_name: str | None = None  # name to report instead of the path (uploads)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(8 * 1024 * 1024):
            h.update(block)
    return h.hexdigest()


def _message(code: str, field: str | None, value: str | None) -> str:
    kw: dict[str, object] = {"field": field, "value": value}
    if field:
        f = load_standard().field(field)
        kw.update(vocabulary=f.vocabulary, minimum=f.minimum, maximum=f.maximum)
    return error_type(code).message(**kw)


def _file_checks(path: Path, settings: Settings, report: Report) -> bool:
    if not path.is_file():
        report.add(Problem("file-not-found", error_type("file-not-found").message(path=report.path)))
        return False
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        msg = error_type("file-too-large").message(path=report.path, size=size, limit=settings.max_file_bytes)
        report.add(Problem("file-too-large", msg))
        return False
    if size == 0:
        report.add(Problem("empty-file", error_type("empty-file").message(path=report.path)))
        return False
    return True


def resolve_profile(options: ImportOptions, columns: list[str], report: Report) -> Profile | None:
    if options.profile:
        profile = load_profile(options.profile)
        if profile is None:
            report.add(
                Problem("unknown-profile", error_type("unknown-profile").message(profile=options.profile))
            )
        return profile
    return detect_profile(columns)


def _header_checks(
    table: SourceTable, profile: Profile, options: ImportOptions, report: Report
) -> tuple[list[ColumnRule], list] | None:
    columns = [c for c in table.columns if c not in ANNOTATION_COLUMNS]
    seen: set[str] = set()
    ok = True
    for c in columns:
        if c in seen:
            report.add(
                Problem("duplicate-column", error_type("duplicate-column").message(column=c), column=c)
            )
            ok = False
        seen.add(c)
    rules, flags, unmapped = profile.bind(columns)
    fed = {r.field for r in rules} | {f.field for f in flags} | set(profile.defaults) | set(profile.generate)
    if profile.events:
        fed |= {"recruitment_country", "exploitation_country", "transit_countries"}
    for f in load_standard().fields:
        if not f.required or f.name in fed or (f.name == "reporting_country" and options.country):
            continue
        msg = error_type("missing-column").message(field=f.name, profile=profile.name)
        report.add(Problem("missing-column", msg, field=f.name))
        ok = False
    for c in unmapped:
        report.add(Problem("unmapped-column", error_type("unmapped-column").message(column=c), column=c))
    return (rules, flags) if ok else None


class RecordSink:
    """Where checked rows go during an import: accepted rows to the store, the others to quarantine."""

    def __init__(self, tx, submission_id: int, quarantine: QuarantineWriter) -> None:  # type: ignore[no-untyped-def]
        self.tx = tx
        self.submission_id = submission_id
        self.quarantine = quarantine
        std = load_standard()
        self._schema = pa.schema(
            [pa.field("submission_id", pa.int32()), pa.field("source_row", pa.int64())]
            + [pa.field(f.name, _ARROW_TYPES[f.type]) for f in std.fields]
        )

    def accept(self, rows: pl.DataFrame) -> None:
        frame = rows.rename({ROW: "source_row"}).with_columns(
            pl.lit(self.submission_id, dtype=pl.Int32).alias("submission_id")
        )
        table = frame.select(self._schema.names).to_arrow().cast(self._schema)
        self.tx.ingest("persons", table)

    def reject(self, raw: pl.DataFrame, reasons: dict[int, str]) -> None:
        self.quarantine.write(raw, reasons)


_ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "date": pa.date32(),
    "boolean": pa.bool_(),
    "country": pa.string(),
    "country_list": pa.string(),
    "code": pa.string(),
    "code_list": pa.string(),
}


def _process(
    table: SourceTable,
    profile: Profile,
    rules: list[ColumnRule],
    flags: list,
    ctx: Context,
    report: Report,
    sink: RecordSink | None,
    settings: Settings,
    progress: Progress | None,
) -> None:
    seen_ids: list[pl.Series] = []
    source_of = {r.field: r.source for r in rules}
    for chunk in table.chunks():
        report.rows_total += chunk.data.height
        if report.rows_total > settings.max_rows:
            raise ReadError(
                Problem(
                    "too-many-rows",
                    error_type("too-many-rows").message(path=report.path, limit=settings.max_rows),
                )
            )
        _process_chunk(chunk, profile, rules, flags, ctx, report, sink, seen_ids, source_of)
        if progress:
            progress(chunk.data.height)


def _process_chunk(
    chunk: Chunk,
    profile: Profile,
    rules: list[ColumnRule],
    flags: list,
    ctx: Context,
    report: Report,
    sink: RecordSink | None,
    seen_ids: list[pl.Series],
    source_of: dict[str, str],
) -> None:
    mapped = apply_profile(profile, chunk.data, rules, flags)
    converted = convert(mapped, ctx)
    data, problems = converted.data, converted.problems
    # record_id must be unique in the file: later copies are rejected, the first is kept.
    ids = data["record_id"]
    dup = ~data.select(pl.col("record_id").is_first_distinct()).to_series() & ids.is_not_null()
    for earlier in seen_ids:
        dup = dup | ids.is_in(earlier.implode())
    if dup.any():
        extra = (
            pl.DataFrame({"row": data[ROW], "value": ids})
            .filter(dup)
            .with_columns(pl.lit("duplicate-record").alias("code"), pl.lit("record_id").alias("field"))
            .select(problems.columns)
        )
        problems = pl.concat([problems, extra])
    seen_ids.append(ids.drop_nulls())

    row_errors: dict[int, list[str]] = {}
    for p in chunk.problems:
        report.add(p)
        assert p.row is not None
        row_errors.setdefault(p.row, []).append(f"{p.code}: {p.message}")
    problems = problems.sort("row")
    for row, code, field, value in problems.iter_rows():
        msg = _message(code, field, value)
        report.add(Problem(code, msg, row=row, field=field, column=source_of.get(field), value=value))
        if CATALOGUE[code].severity == "error":
            row_errors.setdefault(row, []).append(f"{code}: {msg}")
    bad = pl.Series(list(row_errors), dtype=pl.Int64)
    invalid = data[ROW].is_in(bad.implode())
    n_bad = int(invalid.sum())
    report.rows_invalid += n_bad
    report.rows_valid += data.height - n_bad
    if sink is not None:
        sink.accept(data.filter(~invalid))
        if n_bad:
            reasons = {r: " | ".join(msgs) for r, msgs in row_errors.items()}
            sink.reject(chunk.data.filter(invalid), reasons)
        report.rows_accepted += data.height - n_bad
        report.rows_quarantined += n_bad


def _open(path: Path, options: ImportOptions, settings: Settings, careful: bool) -> SourceTable:
    return open_source(path, settings.chunk_rows, sheet=options.sheet, careful=careful)


def validate_file(
    path: Path,
    options: ImportOptions | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Report:
    """Check a file against the standard. Writes nothing."""
    options = options or ImportOptions()
    settings = settings or Settings.from_env()
    report = Report(path=options.display_name or str(path))
    if not _file_checks(path, settings, report):
        return report
    if _is_aggregate(path, options):
        from tipnet.ingest.glotip import validate_glotip

        return validate_glotip(path, report, options)
    for careful in (False, True):
        attempt = Report(path=report.path)
        try:
            table = _open(path, options, settings, careful)
            attempt.format, attempt.encoding = table.format, table.encoding
            profile = resolve_profile(options, table.columns, attempt)
            if profile is None:
                return attempt
            attempt.profile = profile.name
            bound = _header_checks(table, profile, options, attempt)
            if bound is None:
                return attempt
            ctx = Context(profile=profile, country=options.country)
            _process(table, profile, bound[0], bound[1], ctx, attempt, None, settings, progress)
            return attempt
        except RaggedInput:
            continue
        except ReadError as exc:
            attempt.add(exc.problem)
            return attempt
    raise AssertionError("unreachable")


def _is_aggregate(path: Path, options: ImportOptions) -> bool:
    if options.profile == "glotip":
        return True
    if options.profile:
        return False
    from tipnet.ingest.glotip import looks_like_glotip

    return detect_format(path) == "xlsx" and looks_like_glotip(path)


def import_file(
    path: Path,
    db,
    options: ImportOptions | None = None,  # type: ignore[no-untyped-def]
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Report:
    """Import a file into the store: one submission, one transaction; rejected rows to a quarantine file."""
    options = options or ImportOptions()
    settings = settings or Settings.from_env()
    if db.backend_name == "sqlite" and not worker.in_worker():
        return worker.run_import(path, db.url, options, settings, progress)
    report = Report(path=options.display_name or str(path))
    if not _file_checks(path, settings, report):
        return report
    sha = file_sha256(path)
    if _is_aggregate(path, options):
        from tipnet.ingest.glotip import import_glotip

        return import_glotip(path, db, report, options, sha, settings)
    for careful in (False, True):
        attempt = Report(path=report.path)
        try:
            return _import_records(path, db, options, settings, progress, careful, sha, attempt)
        except RaggedInput:
            log.info("restarting the import of %s with the careful reader", path.name)
            continue
        except ReadError as exc:
            attempt.add(exc.problem)
            return attempt
    raise AssertionError("unreachable")


def _import_records(
    path: Path,
    db,
    options: ImportOptions,
    settings: Settings,  # type: ignore[no-untyped-def]
    progress: Progress | None,
    careful: bool,
    sha: str,
    report: Report,
) -> Report:
    table = _open(path, options, settings, careful)
    report.format, report.encoding = table.format, table.encoding
    profile = resolve_profile(options, table.columns, report)
    if profile is None:
        return report
    report.profile = profile.name
    bound = _header_checks(table, profile, options, report)
    if bound is None:
        return report
    ctx = Context(profile=profile, country=options.country)
    with db.bulk.transaction() as tx:
        existing = tx.find_id("submissions", "content_sha256", sha)
        if existing is not None:
            report.duplicate_of = existing
            log.info("%s was already imported as submission %s", path.name, existing)
            return report
        submission_id = tx.insert_returning_id(
            "submissions", submission_row(db, "records", options, profile.name, path, sha)
        )
        qpath = quarantine_dir(settings) / f"submission-{submission_id}-{path.stem}.quarantine.csv"
        quarantine = QuarantineWriter(qpath, table.columns)
        try:
            sink = RecordSink(tx, submission_id, quarantine)
            _process(table, profile, bound[0], bound[1], ctx, report, sink, settings, progress)
            finish_submission(tx, submission_id, report, quarantine)
        except BaseException:
            quarantine.discard()
            report.submission_id = None
            raise
    quarantine.publish()
    log.info(
        "imported %s: %d rows, %d accepted, %d quarantined",
        path.name,
        report.rows_total,
        report.rows_accepted,
        report.rows_quarantined,
    )
    return report


def finish_submission(tx: Any, submission_id: int, report: Report, quarantine: QuarantineWriter) -> None:
    """Record the accounting on the submission row (inside the import's transaction)."""
    quarantine.close()
    report.submission_id = submission_id
    report.quarantine_path = str(quarantine.path) if report.rows_quarantined else None
    tx.update(
        "submissions",
        submission_id,
        {
            "rows_total": report.rows_total,
            "rows_accepted": report.rows_accepted,
            "rows_quarantined": report.rows_quarantined,
            "quarantine_path": report.quarantine_path,
            "report_json": json.dumps(report.to_dict(), ensure_ascii=False, default=str),
        },
    )


def quarantine_dir(settings: Settings) -> Path:
    return settings.home.resolve() / "quarantine"


def submission_row(
    db,
    kind: str,
    options: ImportOptions,
    profile: str,
    path: Path,  # type: ignore[no-untyped-def]
    sha: str,
) -> dict[str, object]:
    now = datetime.now(UTC)
    created = now.strftime("%Y-%m-%d %H:%M:%S.%f") if db.backend_name == "sqlite" else now
    return {
        "kind": kind,
        "reporting_country": options.country,
        "organisation": options.organisation,
        "source_type": options.source_type,
        "profile": profile,
        "standard_version": STANDARD_VERSION,
        "filename": options.display_name or path.name,
        "content_sha256": sha,
        "rows_total": 0,
        "rows_accepted": 0,
        "rows_quarantined": 0,
        "report_json": "{}",
        "created_at": created,
    }
