"""What a record import and a GLOTIP import share: the options, the store they write to, the file's checks and hash,
and the submission row from its start (one per imported file) to its finish (the accounting, inside the import's
transaction), with the place of its quarantine file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from tipnet import STANDARD_VERSION
from tipnet.ingest.errors import error_type
from tipnet.ingest.period import parse_period
from tipnet.ingest.quarantine import QuarantineWriter
from tipnet.ingest.report import Problem, Report
from tipnet.settings import Settings
from tipnet.store.bulk import BulkBackend, BulkTransaction

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
    strict: bool = False  # quarantine a row for any cell that cannot be read, whatever the profile says


class ImportStore(Protocol):
    """What an import needs of a store: a `tipnet.store.db.Database`, or the import worker's `WorkerStore` (the same
    store without SQLAlchemy)."""

    @property
    def url(self) -> str: ...

    @property
    def bulk(self) -> BulkBackend: ...

    @property
    def backend_name(self) -> str: ...


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(8 * 1024 * 1024):
            h.update(block)  # releases the GIL
    return h.hexdigest()


def file_problem(path: Path, settings: Settings, shown_as: str) -> Problem | None:
    """Why the file cannot be read at all (missing, too large, empty), or None. shown_as: its name in messages."""
    if not path.is_file():
        return Problem("file-not-found", error_type("file-not-found").message(path=shown_as))
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        msg = error_type("file-too-large").message(path=shown_as, size=size, limit=settings.max_file_bytes)
        return Problem("file-too-large", msg)
    if size == 0:
        return Problem("empty-file", error_type("empty-file").message(path=shown_as))
    return None


def file_checks(path: Path, settings: Settings, report: Report) -> bool:
    """True if the file can be read; otherwise the report says why."""
    problem = file_problem(path, settings, report.path)
    if problem is not None:
        report.add(problem)
        return False
    return True


def sha256_if_readable(path: Path, settings: Settings) -> str | None:
    """The file's hash, if an import will need it (a missing, empty or oversized file is reported by the import)."""
    try:
        return None if file_problem(path, settings, str(path)) is not None else file_sha256(path)
    except OSError:
        return None


def given_period(options: ImportOptions) -> tuple[dt.date, dt.date] | None:
    """The period named with the import, if any (PeriodError names what is wrong with it)."""
    return parse_period(options.period) if options.period else None


def quarantine_dir(settings: Settings) -> Path:
    return settings.home.resolve() / "quarantine"


def quarantine_path(settings: Settings, submission_id: int, path: Path) -> Path:
    """Where the rejected rows of this submission of this file go."""
    return quarantine_dir(settings) / f"submission-{submission_id}-{path.stem}.quarantine.csv"


def submission_row(
    db: ImportStore, kind: str, options: ImportOptions, profile: str, path: Path, sha: str
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


def start_submission(
    tx: BulkTransaction,
    db: ImportStore,
    kind: str,
    options: ImportOptions,
    profile: str,
    path: Path,
    sha: str,
    report: Report,
) -> int | None:
    """Insert the file's submission row and return its id; None (and report.duplicate_of) if a file with this
    content was imported already."""
    existing = tx.find_id("submissions", "content_sha256", sha)
    if existing is not None:
        report.duplicate_of = existing
        return None
    return tx.insert_returning_id("submissions", submission_row(db, kind, options, profile, path, sha))


def finish_submission(
    tx: BulkTransaction,
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
            "released_on": _sql_date(tx, report.released),
            "report_json": json.dumps(report.to_dict(), ensure_ascii=False, default=str),
        },
    )


def _sql_date(tx: BulkTransaction, value: dt.date | None) -> Any:
    if value is None:
        return None
    return value.isoformat() if tx.backend == "sqlite" else value
