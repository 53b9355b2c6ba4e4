"""The error catalogue: every problem an import can report, with a stable code, a title and a message template."""

from __future__ import annotations

from dataclasses import dataclass

from tipnet.i18n import translate


@dataclass(frozen=True)
class ErrorType:
    code: str
    title: str
    template: str
    scope: str  # "file" (nothing can be read), "header", "row"
    severity: str = "error"  # "error" quarantines the row; "warning" is reported, row kept

    def message(self, **kw: object) -> str:
        return self.template.format(**kw)


_TYPES = [
    # file level: nothing is imported
    ErrorType("file-not-found", "File not found", "{path} does not exist", "file"),
    ErrorType(
        "file-too-large", "File too large", "{path} is {size} bytes; the limit is {limit} bytes", "file"
    ),
    ErrorType(
        "unreadable-file", "File cannot be read", "{path} cannot be read as {format}: {reason}", "file"
    ),
    ErrorType("unknown-format", "Unknown file format", "{path}: cannot tell the format ({reason})", "file"),
    ErrorType("empty-file", "Empty file", "{path} has no header row", "file"),
    ErrorType("unknown-profile", "Unknown profile", "no import profile named {profile!r}", "file"),
    ErrorType("too-many-rows", "Too many rows", "{path} has more than {limit} rows", "file"),
    ErrorType(
        "source-too-large",
        "File beyond the reading limits",
        "{path}: {what} is beyond the limit of {limit} (setting {setting}); nothing was read from it",
        "file",
    ),
    # header level
    ErrorType(
        "missing-column",
        "Required column missing",
        "column for required field {field!r} is missing (profile {profile})",
        "header",
    ),
    ErrorType("duplicate-column", "Duplicate column", "column {column!r} appears more than once", "header"),
    ErrorType(
        "unmapped-column",
        "Column not in the profile",
        "column {column!r} is not mapped to the standard and is not stored",
        "header",
        "warning",
    ),
    # row level
    ErrorType("extra-cell", "Extra cells", "row has {found} cells; the header has {expected}", "row"),
    ErrorType("missing-cell", "Missing cells", "row has {found} cells; the header has {expected}", "row"),
    ErrorType("required", "Required value missing", "{field} is required", "row"),
    ErrorType(
        "invalid-text", "Invalid characters", "{field}: {value!r} holds control characters (NUL)", "row"
    ),
    ErrorType("invalid-date", "Invalid date", "{field}: {value!r} is not a date (use YYYY-MM-DD)", "row"),
    ErrorType("future-date", "Date in the future", "{field}: {value!r} is after today", "row"),
    ErrorType("invalid-integer", "Invalid whole number", "{field}: {value!r} is not a whole number", "row"),
    ErrorType("invalid-number", "Invalid number", "{field}: {value!r} is not a number", "row"),
    ErrorType(
        "out-of-range", "Value out of range", "{field}: {value!r} is outside {minimum}..{maximum}", "row"
    ),
    ErrorType(
        "invalid-boolean", "Invalid yes/no value", "{field}: {value!r} is not yes/no (true/false)", "row"
    ),
    ErrorType(
        "invalid-code",
        "Value not in the vocabulary",
        "{field}: {value!r} is not a value of the vocabulary {vocabulary}",
        "row",
    ),
    ErrorType(
        "invalid-country",
        "Unknown country",
        "{field}: {value!r} is not a country (ISO 3166-1 or name)",
        "row",
    ),
    ErrorType(
        "region-not-country",
        "Region where a country is expected",
        "{field}: {value!r} is a region, not a country",
        "row",
    ),
    ErrorType(
        "duplicate-record",
        "Duplicate record identifier",
        "{field}: {value!r} already appears in this file",
        "row",
    ),
    ErrorType(
        "inconsistent-age",
        "Age does not match the birth date",
        "{field}: {value!r} does not match the birth date and identification date",
        "row",
    ),
    ErrorType(
        "inconsistent-age-band",
        "Age band does not match the age",
        "{field}: {value!r} does not match the age",
        "row",
    ),
    ErrorType(
        "inconsistent-year",
        "Year does not match the date",
        "{field}: {value!r} does not match the year of identification_date",
        "row",
    ),
    ErrorType(
        "date-order",
        "Dates in the wrong order",
        "{field}: {value!r} comes before the date it must follow",
        "row",
    ),
    ErrorType(
        "country-mismatch",
        "Row from another country",
        "{field}: {value!r} differs from the submission's country",
        "row",
    ),
    # aggregate figures: plausibility and consistency checks (tipnet.ingest.plausibility). The figure is stored,
    # kept as written, and held out of statistics, maps, indicators and releases until a person confirms or corrects
    # it (`tipnet review`); `unresolved-category` only reports (such a figure is never counted under a category).
    ErrorType(
        "code-shaped-category",
        "Category looks like a code",
        "{field}: {value!r} looks like a questionnaire or variable code, not a category; the figure is held for review",
        "row",
        "warning",
    ),
    ErrorType(
        "code-shaped-value",
        "Figure looks like a code or a date",
        "{field}: {value!r} {reason}; the figure is held for review",
        "row",
        "warning",
    ),
    ErrorType(
        "implausible-count",
        "Figure above a plausible bound",
        "{field}: {value!r} is {share} of the population of {country} in {year} ({population}); the bound is "
        "{bound}; the figure is held for review",
        "row",
        "warning",
    ),
    ErrorType(
        "negative-count", "Negative count", "{field}: {value!r} is below zero; the figure is held for review",
        "row", "warning",
    ),
    ErrorType(
        "fractional-count",
        "Fractional count",
        "{field}: {value!r} is not a whole number of persons; the figure is held for review",
        "row",
        "warning",
    ),
    ErrorType(
        "breakdown-exceeds-total",
        "Breakdown larger than its total",
        "{field}: {value!r} (by {dimension}) is more than the total {total!r} of row {total_row} for the same "
        "country, indicator, year, sex and age (the parts add up to at least {parts}); the figure is held for review",
        "row",
        "warning",
    ),
    ErrorType(
        "unresolved-category",
        "Category not recognised",
        "{field}: {value!r} is not a known {dimension} category; {outcome}",
        "row",
        "warning",
    ),
]

# national statistics tables (aggregate profiles, `kind: aggregates`)
_TYPES += [
    ErrorType("invalid-profile", "Profile cannot be used", "profile {profile}: {reason}", "file"),
    ErrorType(
        "missing-source-column",
        "Column named by the profile missing",
        "column {column!r} ({role}) named by profile {profile} is not in the file",
        "header",
    ),
    ErrorType(
        "rows-filtered",
        "Rows outside the profile's filter",
        "{count} rows do not match the profile's filter ({filter}) and are not part of this import",
        "header",
        "warning",
    ),
    ErrorType(
        "empty-period",
        "Period not reported",
        "column {column!r} is empty in {count} rows: no figure is stored for that period there",
        "header",
        "warning",
    ),
    ErrorType(
        "invalid-count",
        "Invalid count",
        "{column}: {value!r} is not a count (a whole number >= 0, or '<N' for a censored small count)",
        "row",
    ),
    ErrorType(
        "unmapped-value",
        "Value not in the profile",
        "{column}: {value!r} is not a {role} value the profile knows",
        "row",
    ),
    ErrorType(
        "invalid-subdivision",
        "Unknown subdivision",
        "{column}: {value!r} is not a first-level subdivision of {country} (ISO 3166-2 code or name)",
        "row",
    ),
    ErrorType("invalid-year", "Invalid year", "{column}: {value!r} is not a year", "row"),
    ErrorType(
        "rows-without-values",
        "Rows without values",
        "{count} rows (rows {first} to {last}) hold nothing in any column the profile reads: they are not records "
        "and are not imported",
        "header",
        "warning",
    ),
    ErrorType(
        "labels-row",
        "Row of column labels",
        "row {row} repeats the header as labels (e.g. 'First Name' under 'prs_FirstName'): it is not a record and "
        "is not imported",
        "header",
        "warning",
    ),
    ErrorType(
        "owner-needed",
        "Reporting country needed",
        "profile {profile} takes each row's country from a column: name the reporting country the figures belong "
        "to (--country, or upload as a country), or say `public: true` in the profile if the table is already "
        "published (figures of no country are public)",
        "file",
    ),
    ErrorType(
        "edition-date-unknown",
        "Release date not found",
        "{path} gives no release date (above its header or in its name): where another edition holds the same "
        "figure, the one imported last is read",
        "header",
        "warning",
    ),
]

# ---- kept values (keep the victim, flag the fact): cells that no rule could read, the row kept all the same
_TYPES += [
    ErrorType(
        "invalid-flag",
        "Flag not read",
        "{field}: {value!r} in a yes/no column is neither yes nor no; left unknown, the cell is kept",
        "row",
        "warning",
    ),
]

# Codes of a cell that could not be read. Outside a strict profile they cost the row only in a field needed to count
# the victim at all (see `tipnet.ingest.keep`); elsewhere the row is kept, the field unknown and the raw cell stored.
CELL_CODES = frozenset({
    "invalid-text", "invalid-date", "future-date", "invalid-integer", "invalid-number", "out-of-range",
    "invalid-boolean", "invalid-code", "invalid-country", "region-not-country", "invalid-flag",
    # a field that contradicts another (age and birth date, band and age, year and date, dates out of order)
    "inconsistent-age", "inconsistent-age-band", "inconsistent-year", "date-order",
})

CATALOGUE: dict[str, ErrorType] = {t.code: t for t in _TYPES}


def error_type(code: str) -> ErrorType:
    return CATALOGUE[code]


def error_title(lang: str, code: str) -> str:
    """A problem's title in a language (catalogue key `ingest.error.<code>`), else the catalogue's English title."""
    key = f"ingest.error.{code}"
    text = translate(lang, key)
    return text if text != key else (CATALOGUE[code].title if code in CATALOGUE else code)
