"""The Report: what a validation or an import found, row by row. Bad data never raises; it is reported."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from tipnet.ingest.errors import CATALOGUE

MAX_LISTED_PROBLEMS = 1000


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    row: int | None = None  # row number in the source file (the header row is row 1 in a CSV)
    field: str | None = None  # standard field
    column: str | None = None  # source column
    value: str | None = None
    level: str | None = None  # the severity where it differs from the catalogue's (a kept value, a strict profile)

    @property
    def severity(self) -> str:
        return self.level or CATALOGUE[self.code].severity

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["level"]
        d["severity"] = self.severity
        d["title"] = CATALOGUE[self.code].title
        return d


@dataclass
class Report:
    path: str
    profile: str | None = None
    format: str | None = None
    encoding: str | None = None
    rows_total: int = 0
    rows_valid: int = 0
    rows_invalid: int = 0
    rows_filtered: int = 0  # aggregate tables: rows outside the profile's filter (not in rows_total)
    rows_skipped: int = 0  # rows that are no records: empty in every mapped column, labels (not in rows_total)
    values_kept: int = 0  # cells that could not be read, kept raw on rows that were kept (warnings)
    problems: list[Problem] = field(default_factory=list)
    problem_counts: Counter[str] = field(default_factory=Counter)
    problems_truncated: bool = False
    # set by an import
    submission_id: int | None = None
    rows_accepted: int = 0
    rows_quarantined: int = 0
    rows_held: int = 0  # accepted, stored, but held out of statistics until reviewed (plausibility checks)
    quarantine_path: str | None = None
    duplicate_of: int | None = None
    kind: str = "records"
    # the period the submission covers: given with the import, else the span of its accepted rows' dates
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    released: dt.date | None = None  # aggregates: the release date of the edition the file is (GLOTIP preamble)

    @property
    def file_error(self) -> Problem | None:
        for p in self.problems:
            if CATALOGUE[p.code].scope == "file" or (
                CATALOGUE[p.code].scope == "header" and p.severity == "error"
            ):
                return p
        return None

    @property
    def valid(self) -> bool:
        return self.file_error is None and self.rows_invalid == 0

    def add(self, problem: Problem) -> None:
        self.problem_counts[problem.code] += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS or CATALOGUE[problem.code].scope != "row":
            self.problems.append(problem)
        else:
            self.problems_truncated = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "profile": self.profile,
            "format": self.format,
            "encoding": self.encoding,
            "valid": self.valid,
            "rows_total": self.rows_total,
            "rows_valid": self.rows_valid,
            "rows_invalid": self.rows_invalid,
            "rows_filtered": self.rows_filtered,
            "rows_skipped": self.rows_skipped,
            "values_kept": self.values_kept,
            "submission_id": self.submission_id,
            "rows_accepted": self.rows_accepted,
            "rows_quarantined": self.rows_quarantined,
            "rows_held": self.rows_held,
            "quarantine_path": self.quarantine_path,
            "duplicate_of": self.duplicate_of,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "released": self.released.isoformat() if self.released else None,
            "problem_counts": dict(sorted(self.problem_counts.items())),
            "problems_truncated": self.problems_truncated,
            "problems": [p.to_dict() for p in self.problems],
        }
