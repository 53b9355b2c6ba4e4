"""The dark figure per country and year, from linked records that say which agency list each person is on."""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tipnet.mse.errors import MSEError
from tipnet.mse.estimate import PopulationEstimate, estimate_population
from tipnet.mse.table import table_from_memberships

log = logging.getLogger(__name__)

RECORD_COLUMNS = ("country", "year", "person", "source")
MAX_RECORDS_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class ListRecord:
    """One person seen on one list (agency) in a country and year. ``person`` is the linked identity (e.g. the
    cluster id that deduplication or cross-agency linkage gave); the same person on two lists is two records."""

    country: str
    year: int
    person: str
    source: str


@dataclass(frozen=True, eq=False)
class StratumEstimate:
    country: str
    year: int
    observed: int
    lists: tuple[str, ...]  # lists used in the estimate
    estimate: PopulationEstimate | None  # None when refused
    reason: str | None = None  # why the stratum was refused
    dropped_lists: dict[str, str] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.estimate is None

    def to_dict(self) -> dict[str, object]:
        est = self.estimate
        lo, hi = est.interval(0.95) if est else (None, None)
        return {
            "country": self.country, "year": self.year, "status": "refused" if est is None else "estimated",
            "reason": self.reason, "observed": self.observed, "lists": list(self.lists),
            "dropped_lists": self.dropped_lists,
            "dark_figure": est.dark_figure if est else None, "total": est.total if est else None,
            "ci95_low": lo, "ci95_high": hi, "model": est.fit.describe() if est else None,
        }


def _as_record(r: ListRecord | Mapping[str, object]) -> ListRecord:
    if isinstance(r, ListRecord):
        return r
    try:
        return ListRecord(str(r["country"]), int(r["year"]), str(r["person"]), str(r["source"]))  # type: ignore[call-overload]
    except (KeyError, TypeError, ValueError) as exc:
        raise MSEError(f"a record needs country, year, person and source: {dict(r)!r}") from exc


def _stratum(key: tuple[str, int], members: list[tuple[str, str]], method: str, pthresh: float) -> StratumEstimate:
    country, year = key
    people = len({p for p, _ in members})
    try:
        table = table_from_memberships(members)
        reduced, dropped = table.drop_noninformative()
    except MSEError as exc:
        lists = tuple(sorted({s for _, s in members}))
        return StratumEstimate(country, year, people, lists, None, str(exc))
    try:
        est = estimate_population(reduced, method=method, pthresh=pthresh)
    except MSEError as exc:
        log.info("stratum %s %s refused: %s", country, year, exc)
        return StratumEstimate(country, year, table.observed, reduced.lists, None, str(exc), dropped)
    return StratumEstimate(country, year, table.observed, reduced.lists, est, None, dropped)


def estimate_by_stratum(
    records: Iterable[ListRecord | Mapping[str, object]],
    method: str = "stepwise",
    pthresh: float = 0.02,
) -> list[StratumEstimate]:
    """One estimate per (country, year), in sorted order. Lists without cases in a stratum (or holding all of its
    cases, or duplicating another list there) are dropped for that stratum; a stratum is refused, with the reason,
    when fewer than two informative lists remain or the estimate does not exist or is not identifiable."""
    members: dict[tuple[str, int], list[tuple[str, str]]] = defaultdict(list)
    for raw in records:
        r = _as_record(raw)
        members[(r.country, r.year)].append((r.person, r.source))
    out = []
    for key in sorted(members):
        out.append(_stratum(key, members[key], method, pthresh))
    return out


def read_list_records(path: Path | str) -> list[ListRecord]:
    """Read linked records from a CSV with the columns country, year, person, source (others are ignored)."""
    p = Path(path)
    if p.stat().st_size > MAX_RECORDS_BYTES:
        raise MSEError(f"{p.name}: larger than {MAX_RECORDS_BYTES} bytes")
    with p.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in RECORD_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise MSEError(f"{p.name}: missing columns {', '.join(missing)} (need {', '.join(RECORD_COLUMNS)})")
        return [_as_record(row) for row in reader]
