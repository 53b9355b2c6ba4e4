"""The period a submission covers: given by the sender (`--period 2023`, `2023-04`, `2023-01-01..2023-06-30`) or,
when not given, the span of the dates its accepted rows hold (identification date, else identification year)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_RANGE = re.compile(r"^\s*(\S+)\s*(?:\.\.|/)\s*(\S+)\s*$")


class PeriodError(ValueError):
    pass


def _bounds(text: str) -> tuple[dt.date, dt.date]:
    text = text.strip()
    if _YEAR.match(text):
        year = int(text)
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    month = _MONTH.match(text)
    if month:
        year, mon = int(month.group(1)), int(month.group(2))
        if not 1 <= mon <= 12:
            raise PeriodError(f"period {text!r}: month {mon} is not 1-12")
        return dt.date(year, mon, 1), dt.date(year, mon, calendar.monthrange(year, mon)[1])
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise PeriodError(f"period {text!r} is not a year (2023), a month (2023-04) or a date (2023-04-30)") from exc
    return day, day


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """'2023' -> the year; '2023-04' -> the month; 'A..B' or 'A/B' -> from the start of A to the end of B."""
    match = _RANGE.match(text)
    if match:
        start, end = _bounds(match.group(1))[0], _bounds(match.group(2))[1]
    else:
        start, end = _bounds(text)
    if end < start:
        raise PeriodError(f"period {text!r} ends ({end}) before it starts ({start})")
    return start, end


def widen(
    current: tuple[dt.date | None, dt.date | None], start: dt.date | None, end: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    lo, hi = current
    if start is not None:
        lo = start if lo is None else min(lo, start)
    if end is not None:
        hi = end if hi is None else max(hi, end)
    return lo, hi


def of_years(first: int | None, last: int | None) -> tuple[dt.date | None, dt.date | None]:
    return (dt.date(first, 1, 1) if first else None, dt.date(last, 12, 31) if last else None)
