"""Validate or import one file: read -> map -> check -> store accepted rows, quarantine the rest.

Invariant: rows_total = rows_accepted + rows_quarantined. An import is one transaction; a file that cannot be read
at all gets one clear problem and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from tipnet import STANDARD_VERSION
from tipnet.ingest import worker
from tipnet.ingest.convert import Context, convert
from tipnet.ingest.errors import CATALOGUE, error_type
from tipnet.ingest.period import of_years, parse_period, widen
from tipnet.ingest.prefetch import Prefetch
from tipnet.ingest.profiles import ColumnRule, Profile, apply_profile, detect_profile, load_profile, raw_fields
from tipnet.ingest.quarantine import ANNOTATION_COLUMNS, QuarantineWriter
from tipnet.ingest.readers import (
    ROW,
    Chunk,
    NotUtf8,
    RaggedInput,
    ReadError,
    SourceTable,
    detect_format,
    open_source,
)
from tipnet.ingest.report import Problem, Report
from tipnet.settings import Settings
from tipnet.standard import load_standard
from tipnet.store import generation

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
    period: str | None = None  # the period the file covers ("2023", "2023-04", "2023-01-01..2023-06-30")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(8 * 1024 * 1024):
            h.update(block)  # releases the GIL
    return h.hexdigest()


@lru_cache(maxsize=65536)
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
    """Where checked rows go during an import: accepted rows to the store, the others to quarantine.

    Accepted rows are written by a background thread (`BulkTransaction.background`) while the next chunk is read
    and checked; `close` waits for the last write and raises a failed one, `abort` stops the writer."""

    def __init__(self, tx, submission_id: int, quarantine: QuarantineWriter) -> None:  # type: ignore[no-untyped-def]
        self.tx = tx
        self.submission_id = submission_id
        self.quarantine = quarantine
        std = load_standard()
        self._names = ["submission_id", "source_row", *std.field_names]
        self._types = {f.name: f.type for f in std.fields}
        self._writer = tx.background()

    def accept(self, rows: pl.DataFrame) -> None:
        frame = rows.rename({ROW: "source_row"}).with_columns(
            pl.lit(self.submission_id, dtype=pl.Int32).alias("submission_id")
        )
        if self.tx.backend == "sqlite":
            # Only the columns that hold a value in this chunk: the others default to NULL (persons has no column
            # defaults), and SQLite would bind a NULL per column and row otherwise. The frame is made ready here,
            # so that the writer thread (the bottleneck) only writes.
            nulls = dict(zip(frame.columns, frame.null_count().row(0), strict=True))
            from tipnet.store.bulk import sqlite_frame

            table: Any = sqlite_frame(frame.select([n for n in self._names if nulls[n] < len(frame)]))
        else:
            table = _to_arrow(frame.select(self._names), self._types)
        self._writer.put("persons", table)

    def reject(self, raw: pl.DataFrame, reasons: dict[int, str]) -> None:
        self.quarantine.write(raw, reasons)

    def close(self) -> None:
        """Wait until every accepted row is written."""
        self._writer.close()

    def abort(self) -> None:
        self._writer.abort()


def _to_arrow(frame: pl.DataFrame, types: dict[str, str]) -> Any:
    import pyarrow as pa

    arrow_types = {
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
    schema = pa.schema(
        [pa.field("submission_id", pa.int32()), pa.field("source_row", pa.int64())]
        + [pa.field(name, arrow_types[t]) for name, t in types.items()]
    )
    return frame.to_arrow().cast(schema)


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
    seen = _SeenIds()
    source_of = {r.field: r.source for r in rules}
    chunks = Prefetch(table.chunks(), depth=settings.read_ahead) if settings.read_ahead > 0 else table.chunks()
    for chunk in chunks:
        report.rows_total += chunk.data.height
        if report.rows_total > settings.max_rows:
            raise ReadError(
                Problem(
                    "too-many-rows",
                    error_type("too-many-rows").message(path=report.path, limit=settings.max_rows),
                )
            )
        _process_chunk(chunk, profile, rules, flags, ctx, report, sink, seen, source_of)
        if progress:
            progress(chunk.data.height)


class _SeenIds:
    """record_id values of the chunks before this one, with their hashes: each chunk is compared with the earlier
    ones through the hashes (numbers), and only the few ids whose hash matches are compared as text."""

    def __init__(self) -> None:
        self.ids: pl.Series | None = None
        self.hashes: pl.Series | None = None

    def duplicates(self, ids: pl.Series) -> pl.Series:
        """True where a record_id is a later copy: of a record earlier in this chunk or in an earlier chunk."""
        dup = ~ids.is_first_distinct() & ids.is_not_null()
        present = ids.drop_nulls()
        hashes = present.hash()
        if self.ids is not None and self.hashes is not None and len(self.ids):
            shared = self.hashes.is_in(hashes.implode())
            if shared.any():
                dup = dup | ids.is_in(self.ids.filter(shared).implode()).fill_null(False)
        self.ids = present if self.ids is None else self.ids.append(present)
        self.hashes = hashes if self.hashes is None else self.hashes.append(hashes)
        return dup


def _process_chunk(
    chunk: Chunk,
    profile: Profile,
    rules: list[ColumnRule],
    flags: list,
    ctx: Context,
    report: Report,
    sink: RecordSink | None,
    seen: _SeenIds,
    source_of: dict[str, str],
) -> None:
    mapped = apply_profile(profile, chunk.data, rules, flags, ctx.raw)
    converted = convert(mapped, ctx, maybe_nul=chunk.maybe_nul)
    data, problems = converted.data, converted.problems
    # record_id must be unique in the file: later copies are rejected, the first is kept.
    ids = data.get_column("record_id")
    dup = seen.duplicates(ids)
    if dup.any():
        extra = (
            pl.DataFrame({"row": data[ROW], "value": ids})
            .filter(dup)
            .with_columns(pl.lit("duplicate-record").alias("code"), pl.lit("record_id").alias("field"))
            .select(problems.columns)
        )
        problems = pl.concat([problems, extra])

    row_errors: dict[int, list[str]] = {}
    for p in chunk.problems:
        report.add(p)
        assert p.row is not None
        row_errors.setdefault(p.row, []).append(f"{p.code}: {p.message}")
    if problems.height:
        problems = problems.sort("row", maintain_order=True)
        for row, code, field, value in problems.iter_rows():
            msg = _message(code, field, value)
            report.add(Problem(code, msg, row=row, field=field, column=source_of.get(field), value=value))
            if CATALOGUE[code].severity == "error":
                row_errors.setdefault(row, []).append(f"{code}: {msg}")
    n_bad = 0
    invalid = None
    if row_errors:
        invalid = data.get_column(ROW).is_in(pl.Series(list(row_errors), dtype=pl.Int64).implode())
        n_bad = int(invalid.sum())
    report.rows_invalid += n_bad
    report.rows_valid += data.height - n_bad
    if sink is not None:
        sink.accept(data.filter(~invalid) if invalid is not None and n_bad else data)
        if invalid is not None and n_bad:
            reasons = {r: " | ".join(msgs) for r, msgs in row_errors.items()}
            sink.reject(chunk.data.filter(invalid), reasons)
        report.rows_accepted += data.height - n_bad
        report.rows_quarantined += n_bad
        _observe_period(report, data.filter(~invalid) if invalid is not None and n_bad else data)


def _observe_period(report: Report, accepted: pl.DataFrame) -> None:
    """Widen the report's period to the dates of these accepted rows (identification date, else year)."""
    if not accepted.height:
        return
    no_date = pl.col("identification_date").is_null()
    span = accepted.select(
        pl.col("identification_date").min().alias("d0"), pl.col("identification_date").max().alias("d1"),
        pl.col("identification_year").filter(no_date).min().alias("y0"),
        pl.col("identification_year").filter(no_date).max().alias("y1"),
    ).row(0, named=True)
    lo, hi = widen((report.period_start, report.period_end), span["d0"], span["d1"])
    lo, hi = widen((lo, hi), *of_years(span["y0"], span["y1"]))  # rows with a year only: the whole year
    report.period_start, report.period_end = lo, hi


def _open(path: Path, options: ImportOptions, settings: Settings, attempt: str) -> SourceTable:
    return open_source(
        path,
        settings.chunk_rows,
        sheet=options.sheet,
        careful=attempt == "careful",
        quick_encoding=attempt == "fast",
    )


def _attempts() -> Iterator[tuple[str, list[str]]]:
    """Ways to read a file, tried in turn: "fast" (polars, encoding from a sample), "fast-checked" (polars, the
    encoding checked on the whole file first: after NotUtf8), "careful" (record by record: after RaggedInput).
    The caller appends to the list what made an attempt fail."""
    failures: list[str] = []
    attempt = "fast"
    while True:
        yield attempt, failures
        if not failures:
            return
        why = failures[-1]
        if why == "not-utf8" and attempt == "fast":
            attempt = "fast-checked"
        elif attempt != "careful":
            attempt = "careful"
        else:
            raise AssertionError("the careful reader cannot fail this way")


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
    for attempt, failures in _attempts():
        result = Report(path=report.path)
        try:
            table = _open(path, options, settings, attempt)
            result.format, result.encoding = table.format, table.encoding
            profile = resolve_profile(options, table.columns, result)
            if profile is None:
                return result
            result.profile = profile.name
            bound = _header_checks(table, profile, options, result)
            if bound is None:
                return result
            ctx = _context(profile, options, bound)
            _process(table, profile, bound[0], bound[1], ctx, result, None, settings, progress)
            return result
        except NotUtf8:
            failures.append("not-utf8")
        except RaggedInput:
            failures.append("ragged")
        except ReadError as exc:
            result.add(exc.problem)
            return result
    raise AssertionError("unreachable")


def _context(profile: Profile, options: ImportOptions, bound: tuple[list[ColumnRule], list]) -> Context:
    return Context(profile=profile, country=options.country, raw=raw_fields(profile, bound[0], bound[1]))


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
    given_period(options)  # a wrong period is refused before anything is read or written
    if db.backend_name == "sqlite" and not worker.in_worker():
        try:
            return worker.run_import(path, db, options, settings, progress)
        finally:
            generation.bump()  # the worker process committed: this process's caches must look again
    return import_here(path, db, options, settings, progress)


def import_here(
    path: Path,
    db: Any,
    options: ImportOptions,
    settings: Settings,
    progress: Progress | None = None,
    sha256: str | None = None,
) -> Report:
    """`import_file` in this process (the SQLite worker, or any process for PostgreSQL). sha256: the file's
    hash when the caller has it already."""
    report = Report(path=options.display_name or str(path))
    if not _file_checks(path, settings, report):
        return report
    sha = sha256 or file_sha256(path)
    if _is_aggregate(path, options):
        from tipnet.ingest.glotip import import_glotip

        return import_glotip(path, db, report, options, sha, settings)
    for attempt, failures in _attempts():
        result = Report(path=report.path)
        try:
            return _import_records(path, db, options, settings, progress, attempt, sha, result)
        except NotUtf8:
            log.info("restarting the import of %s: it is not UTF-8 after all", path.name)
            failures.append("not-utf8")
        except RaggedInput:
            log.info("restarting the import of %s with the careful reader", path.name)
            failures.append("ragged")
        except ReadError as exc:
            result.add(exc.problem)
            return result
    raise AssertionError("unreachable")


def _import_records(
    path: Path,
    db,
    options: ImportOptions,
    settings: Settings,  # type: ignore[no-untyped-def]
    progress: Progress | None,
    attempt: str,
    sha: str,
    report: Report,
) -> Report:
    table = _open(path, options, settings, attempt)
    report.format, report.encoding = table.format, table.encoding
    profile = resolve_profile(options, table.columns, report)
    if profile is None:
        return report
    report.profile = profile.name
    bound = _header_checks(table, profile, options, report)
    if bound is None:
        return report
    ctx = _context(profile, options, bound)
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
        sink: RecordSink | None = None
        try:
            sink = RecordSink(tx, submission_id, quarantine)
            _process(table, profile, bound[0], bound[1], ctx, report, sink, settings, progress)
            sink.close()
            finish_submission(tx, submission_id, report, quarantine, given_period(options))
        except BaseException:
            if sink is not None:
                sink.abort()
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


def finish_submission(
    tx: Any,
    submission_id: int,
    report: Report,
    quarantine: QuarantineWriter,
    given_period: tuple[dt.date, dt.date] | None = None,
) -> None:
    """Record the accounting on the submission row (inside the import's transaction)."""
    quarantine.close()
    report.submission_id = submission_id
    if given_period is not None:
        report.period_start, report.period_end = given_period
    report.quarantine_path = str(quarantine.path) if report.rows_quarantined else None
    tx.update(
        "submissions",
        submission_id,
        {
            "rows_total": report.rows_total,
            "rows_accepted": report.rows_accepted,
            "rows_quarantined": report.rows_quarantined,
            "quarantine_path": report.quarantine_path,
            "period_start": _sql_date(tx, report.period_start),
            "period_end": _sql_date(tx, report.period_end),
            "report_json": json.dumps(report.to_dict(), ensure_ascii=False, default=str),
        },
    )


def given_period(options: ImportOptions) -> tuple[dt.date, dt.date] | None:
    """The period named with the import, if any (PeriodError names what is wrong with it)."""
    return parse_period(options.period) if options.period else None


def _sql_date(tx: Any, value: dt.date | None) -> Any:
    if value is None:
        return None
    return value.isoformat() if tx.backend == "sqlite" else value


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
