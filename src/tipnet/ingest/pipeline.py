"""Validate or import one file: read -> map -> check -> store accepted rows, quarantine the rest.

Invariant: rows_total = rows_accepted + rows_quarantined. An import is one transaction; a file that cannot be read
at all gets one clear problem and writes nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from tipnet.ingest import worker
from tipnet.ingest.aggregate_table import import_aggregate_table, validate_aggregate_table
from tipnet.ingest.blank_rows import is_labels_row, report_skipped, without_empty_rows
from tipnet.ingest.convert import Context, convert
from tipnet.ingest.errors import CELL_CODES, error_type
from tipnet.ingest.flags import flag_problems
from tipnet.ingest.glotip import import_glotip, validate_glotip
from tipnet.ingest.glotip_source import looks_like_glotip
from tipnet.ingest.keep import RAW_VALUES, KeptCells, costs_row, level
from tipnet.ingest.period import of_years, widen
from tipnet.ingest.prefetch import Prefetch
from tipnet.ingest.profiles import (
    ColumnRule,
    Profile,
    apply_profile,
    detect_profile,
    load_profile,
    profile_kind,
    raw_fields,
)
from tipnet.ingest.quarantine import ANNOTATION_COLUMNS, QuarantineWriter, reopened, source_dialect
from tipnet.ingest.readers import (
    ROW,
    Chunk,
    NotUtf8,
    RaggedInput,
    ReadError,
    ReadLimits,
    SourceTable,
    open_source,
)
from tipnet.ingest.report import Problem, Report
from tipnet.ingest.submission import (
    ImportOptions,
    ImportStore,
    Progress,
    file_checks,
    file_sha256,
    finish_submission,
    given_period,
    quarantine_path,
    start_submission,
)
from tipnet.settings import Settings
from tipnet.standard import load_standard
from tipnet.standard.model import normalise_token
from tipnet.store import generation
from tipnet.store.bulk import BulkTransaction, sqlite_frame

__all__ = ["ImportOptions", "given_period", "import_file", "import_here", "validate_file"]

log = logging.getLogger(__name__)

@lru_cache(maxsize=65536)
def _message(code: str, field: str | None, value: str | None) -> str:
    kw: dict[str, object] = {"field": field, "value": value}
    if field:
        f = load_standard().field(field)
        kw.update(vocabulary=f.vocabulary, minimum=f.minimum, maximum=f.maximum)
    return error_type(code).message(**kw)


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
        if f.name not in profile.required_fields() or f.name in fed or (
            f.name == "reporting_country" and options.country
        ):
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

    def __init__(self, tx: BulkTransaction, submission_id: int, quarantine: QuarantineWriter) -> None:
        self.tx = tx
        self.submission_id = submission_id
        self.quarantine = quarantine
        std = load_standard()
        self._names = ["submission_id", "source_row", *std.field_names, RAW_VALUES]
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
        + [pa.field(RAW_VALUES, pa.string())]
    )
    return frame.to_arrow().cast(schema)


def _process(
    ready: _Prepared, report: Report, sink: RecordSink | None, settings: Settings, progress: Progress | None
) -> None:
    seen = _SeenIds()
    source_of = {r.field: r.source for r in ready.rules}
    table = ready.table
    read = ready.read_columns()
    empty: list[int] = []
    labels_row: int | None = None
    chunks = Prefetch(table.chunks(), depth=settings.read_ahead) if settings.read_ahead > 0 else table.chunks()
    for n, chunk in enumerate(chunks):
        if n == 0 and is_labels_row(chunk, read):
            labels_row = int(chunk.data.get_column(ROW)[0])
            chunk = Chunk(chunk.data.slice(1), chunk.problems, chunk.bad_rows, chunk.maybe_nul)
        chunk, dropped = without_empty_rows(chunk, list(read))
        empty += dropped
        report.rows_total += chunk.data.height
        if report.rows_total > settings.max_rows:
            raise ReadError(
                Problem(
                    "too-many-rows",
                    error_type("too-many-rows").message(path=report.path, limit=settings.max_rows),
                )
            )
        _process_chunk(chunk, ready, report, sink, seen, source_of)
        if progress:
            progress(chunk.data.height)
    report_skipped(report, empty, labels_row)


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
    ready: _Prepared,
    report: Report,
    sink: RecordSink | None,
    seen: _SeenIds,
    source_of: dict[str, str],
) -> None:
    profile = ready.profile
    mapped = apply_profile(profile, chunk.data, ready.rules, ready.flags, ready.ctx.raw)
    converted = convert(mapped, ready.ctx, maybe_nul=chunk.maybe_nul)
    data = converted.data
    problems = converted.problems.with_columns(
        pl.col("field").replace_strict(source_of, default=None, return_dtype=pl.Utf8).alias("column")
    )
    flagged = flag_problems(chunk.data, ready.flags, profile.missing_values)
    # record_id must be unique in the file: later copies are rejected, the first is kept.
    ids = data.get_column("record_id")
    dup = seen.duplicates(ids)
    extra = []
    if dup.any():
        extra = [
            pl.DataFrame({"row": data[ROW], "value": ids})
            .filter(dup)
            .with_columns(
                pl.lit("duplicate-record").alias("code"),
                pl.lit("record_id").alias("field"),
                pl.lit(source_of.get("record_id"), dtype=pl.Utf8).alias("column"),
            )
            .select(problems.columns)
        ]
    if flagged.height or extra:
        problems = pl.concat([problems, flagged.select(problems.columns), *extra])

    row_errors: dict[int, list[str]] = {}
    for p in chunk.problems:
        report.add(p)
        assert p.row is not None
        row_errors.setdefault(p.row, []).append(f"{p.code}: {p.message}")
    kept = _report_problems(problems, profile, report, row_errors, chunk.data)
    data = data.with_columns(kept.column(data.get_column(ROW)))
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


def _report_problems(
    problems: pl.DataFrame, profile: Profile, report: Report, row_errors: dict[int, list[str]], source: pl.DataFrame
) -> KeptCells:
    """Report a chunk's problems (row, code, field, value, column); those that cost their row go to row_errors,
    the cells of the others are kept raw. A quarantined row's warnings are listed with its errors too."""
    kept = KeptCells(source)
    if not problems.height:
        return kept
    row_warnings: dict[int, list[str]] = {}
    for row, code, field, value, column in problems.sort("row", maintain_order=True).iter_rows():
        msg = _message(code, field, value)
        lost = costs_row(code, field, profile)
        report.add(Problem(code, msg, row=row, field=field, column=column, value=value, level=level(code, lost)))
        if lost:
            row_errors.setdefault(row, []).append(f"{code}: {msg}")
        elif code in CELL_CODES:
            kept.add(row, code, field, column, value)
            row_warnings.setdefault(row, []).append(f"{code}: {msg}")
    for row in row_errors.keys() & row_warnings.keys():
        row_errors[row].extend(row_warnings[row])
    report.values_kept += kept.count(row_errors)
    return kept


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
    return reopened(open_source(
        path,
        settings.chunk_rows,
        sheet=options.sheet,
        careful=attempt == "careful",
        quick_encoding=attempt == "fast",
        limits=ReadLimits.of(settings),
    ))


def _read_with_retries(path: Path, shown_as: str, doing: str, read: Callable[[str, Report], Report]) -> Report:
    """Run `read(attempt, report)` (a fresh report each time) until a way of reading the file gets through:
    "fast" (polars, encoding from a sample), then "fast-checked" (polars, the encoding checked on the whole file
    first: after NotUtf8), or "careful" (record by record: after RaggedInput). A file that cannot be read at all
    gives a report with its one problem. doing: what is read for ("import", "validation"), for the log."""
    attempt = "fast"
    while True:
        result = Report(path=shown_as)
        try:
            return read(attempt, result)
        except NotUtf8:
            log.info("restarting the %s of %s: it is not UTF-8 after all", doing, path.name)
            why = "not-utf8"
        except RaggedInput:
            log.info("restarting the %s of %s with the careful reader", doing, path.name)
            why = "ragged"
        except ReadError as exc:
            result.add(exc.problem)
            return result
        if why == "not-utf8" and attempt == "fast":
            attempt = "fast-checked"
        elif attempt != "careful":
            attempt = "careful"
        else:
            raise AssertionError("the careful reader cannot fail this way")


@dataclass(frozen=True)
class _Prepared:
    """A file opened and its header checked: what the rows are read and checked with."""

    table: SourceTable
    profile: Profile
    rules: list[ColumnRule]
    flags: list
    ctx: Context

    def read_columns(self) -> dict[str, str | None]:
        """Every source column the profile reads -> the field it maps to (None for a flag or route event column)."""
        out: dict[str, str | None] = {r.source: r.field for r in self.rules}
        out.update({f.source: None for f in self.flags if f.source not in out})
        by_key = {normalise_token(c): c for c in self.table.columns}
        for c in self.profile.events.values():
            if normalise_token(c) in by_key:
                out.setdefault(by_key[normalise_token(c)], None)
        return out


def _prepare(
    path: Path, options: ImportOptions, settings: Settings, attempt: str, report: Report
) -> _Prepared | None:
    """Open the file, find its profile and check its header; None if the report says why the rows cannot be read."""
    table = _open(path, options, settings, attempt)
    report.format, report.encoding = table.format, table.encoding
    profile = resolve_profile(options, table.columns, report)
    if profile is None:
        return None
    report.profile = profile.name
    if options.strict and not profile.strict:
        profile = dataclasses.replace(profile, strict=True)
    bound = _header_checks(table, profile, options, report)
    if bound is None:
        return None
    rules, flags = bound
    ctx = Context(profile=profile, country=options.country, raw=raw_fields(profile, rules, flags))
    return _Prepared(table, profile, rules, flags, ctx)


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
    if not file_checks(path, settings, report):
        return report
    if _is_aggregate(path, options):
        return validate_glotip(path, report, options)
    if options.profile and profile_kind(options.profile) == "aggregates":
        return validate_aggregate_table(path, report, options, settings)

    def validate(attempt: str, result: Report) -> Report:
        ready = _prepare(path, options, settings, attempt, result)
        if ready is not None:
            _process(ready, result, None, settings, progress)
        return result

    return _read_with_retries(path, report.path, "validation", validate)


def _is_aggregate(path: Path, options: ImportOptions) -> bool:
    if options.profile == "glotip":
        return True
    if options.profile:
        return False
    return looks_like_glotip(path)


def import_file(
    path: Path,
    db: ImportStore,
    options: ImportOptions | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Report:
    """Import a file into the store: one submission, one transaction; rejected rows to a quarantine file."""
    options = options or ImportOptions()
    settings = settings or Settings.from_env()
    given_period(options)  # a wrong period is refused before anything is read or written
    if db.backend_name == "sqlite" and not worker.in_worker():
        try:
            return worker.run_import(import_here, path, db, options, settings, progress)
        finally:
            generation.bump()  # the worker process committed: this process's caches must look again
    return import_here(path, db, options, settings, progress)


def import_here(
    path: Path,
    db: ImportStore,
    options: ImportOptions,
    settings: Settings,
    progress: Progress | None = None,
    sha256: str | None = None,
) -> Report:
    """`import_file` in this process (the SQLite worker, or any process for PostgreSQL). sha256: the file's
    hash when the caller has it already."""
    report = Report(path=options.display_name or str(path))
    if not file_checks(path, settings, report):
        return report
    sha = sha256 or file_sha256(path)
    if _is_aggregate(path, options):
        return import_glotip(path, db, report, options, sha, settings)
    if options.profile and profile_kind(options.profile) == "aggregates":
        return import_aggregate_table(path, db, report, options, sha, settings)

    def import_records(attempt: str, result: Report) -> Report:
        return _import_records(path, db, options, settings, progress, attempt, sha, result)

    return _read_with_retries(path, report.path, "import", import_records)


def _import_records(
    path: Path,
    db: ImportStore,
    options: ImportOptions,
    settings: Settings,
    progress: Progress | None,
    attempt: str,
    sha: str,
    report: Report,
) -> Report:
    ready = _prepare(path, options, settings, attempt, report)
    if ready is None:
        return report
    with db.bulk.transaction() as tx:
        submission_id = start_submission(tx, db, "records", options, ready.profile.name, path, sha, report)
        if submission_id is None:
            log.info("%s was already imported as submission %s", path.name, report.duplicate_of)
            return report
        encoding, delimiter = source_dialect(ready.table)
        quarantine = QuarantineWriter(
            quarantine_path(settings, submission_id, path), ready.table.columns, encoding, delimiter
        )
        sink: RecordSink | None = None
        try:
            sink = RecordSink(tx, submission_id, quarantine)
            _process(ready, report, sink, settings, progress)
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
