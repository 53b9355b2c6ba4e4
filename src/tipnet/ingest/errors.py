"""The error catalogue: every problem an import can report, with a stable code, a title and a message template."""

from __future__ import annotations

from dataclasses import dataclass


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
})

CATALOGUE: dict[str, ErrorType] = {t.code: t for t in _TYPES}


def error_type(code: str) -> ErrorType:
    return CATALOGUE[code]
