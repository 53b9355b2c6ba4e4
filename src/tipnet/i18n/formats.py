"""Numbers and dates as each of the four languages writes them (babel)."""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal


def locale_of(lang: str) -> Locale:
    """The babel locale a language's numbers and dates are written in."""
    return _locale(lang)


def _locale(lang: str) -> Locale:
    return Locale.parse({"en": "en_US", "es": "es", "fr": "fr", "pt": "pt_BR"}.get(lang, "en_US"))


def number(lang: str, value: float | int | None, digits: int | None = None) -> str:
    """A number as the language writes it (1,234.5 / 1.234,5 / 1 234,5)."""
    if value is None:
        return ""
    fmt = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=fmt, locale=_locale(lang))


def date(lang: str, value: dt.date | dt.datetime | str | None, style: str = "medium") -> str:
    """A date (or date-time) as the language writes it; ISO strings are parsed first."""
    if value is None or value == "":
        return ""
    when: dt.date | dt.datetime
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value) if "T" in value or " " in value else dt.date.fromisoformat(value)
        except ValueError:
            return value
    else:
        when = value
    if isinstance(when, dt.datetime):
        return str(format_datetime(when, format=style, locale=_locale(lang)))
    return str(format_date(when, format=style, locale=_locale(lang)))


def day(lang: str, value: dt.date | dt.datetime | str | None, style: str = "medium") -> str:
    """The day alone, as the language writes it, whether given a date or a time stamp ("7 dic 2026", never
    "2026-12-07T00:43:29.659197"): the one form of dates in lists."""
    when: dt.date | dt.datetime | None
    if isinstance(value, str):
        try:
            when = (dt.datetime.fromisoformat(value) if "T" in value or " " in value
                    else dt.date.fromisoformat(value)) if value else None
        except ValueError:
            return value
    else:
        when = value
    if isinstance(when, dt.datetime):
        when = when.date()
    return date(lang, when, style)
