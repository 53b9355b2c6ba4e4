"""Yes/no cells as spreadsheets write them: `1`, `1.0`, `1,0`, `TRUE`, `Sí`, `X`, `oui`, `sim`, `-1` (Access) ...

`read_flag` says what one cell means: True, False, None (blank: not recorded) or UNREADABLE. Flag columns and
boolean fields both use it, once per distinct value of a column, so a chunk costs one look-up per distinct value.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

import polars as pl

from tipnet.ingest.sources import ROW

YES: Final = frozenset({
    "1", "-1", "true", "t", "yes", "y", "x", "si", "s", "sim", "oui", "verdadero", "verdadeiro", "vrai",
    "ja", "checked", "on", "✓", "✔",
})
NO: Final = frozenset({
    "0", "false", "f", "no", "n", "non", "nao", "falso", "faux", "unchecked", "off",
})
UNREADABLE: Final = "unreadable"
# a whole number written by a spreadsheet or a statistics package: 1.0, 1,00, 0.000, +1
_NUMBER = re.compile(r"^[+-]?(\d+)(?:[.,]0+)?$")


def _key(text: str) -> str:
    """Lower case, no accents (Sí -> si, Não -> nao), no surrounding blanks."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=4096)
def read_flag(text: str | None, missing: tuple[str, ...] = ()) -> bool | str | None:
    """What a yes/no cell says: True, False, None (blank or a missing value) or UNREADABLE."""
    if text is None:
        return None
    stripped = text.strip()
    if not stripped or stripped in missing:
        return None
    key = _key(stripped)
    if key in YES:
        return True
    if key in NO:
        return False
    number = _NUMBER.match(key)
    if number:
        whole = int(number.group(1))
        if whole in (0, 1):
            return whole == 1  # -1 (Access, Visual Basic) is yes too
    return UNREADABLE


def flag_states(column: pl.Series, missing: tuple[str, ...]) -> pl.Series:
    """A flag column as "yes" / "no" / null (blank) / "?" (unreadable), looked up once per distinct value."""
    states: dict[str, str | None] = {}
    for value in column.drop_nulls().unique().to_list():
        state = read_flag(value, missing)
        states[value] = "?" if state == UNREADABLE else None if state is None else "yes" if state else "no"
    if not states:
        return pl.repeat(None, len(column), dtype=pl.Utf8, eager=True)
    return column.replace_strict(states, default=None, return_dtype=pl.Utf8)


def flag_problems(data: pl.DataFrame, flags: list, missing: tuple[str, ...]) -> pl.DataFrame:
    """One `invalid-flag` problem (row, code, field, value, column) per flag cell that is neither yes nor no."""
    parts = []
    for flag in flags:
        states = flag_states(data.get_column(flag.source), missing)
        bad = (states == "?").fill_null(False)
        if bad.any():
            parts.append(pl.DataFrame({
                "row": data.get_column(ROW).filter(bad),
                "code": "invalid-flag",
                "field": flag.field,
                "value": data.get_column(flag.source).filter(bad),
                "column": flag.source,
            }))
    if not parts:
        return pl.DataFrame(schema=PROBLEM_COLUMNS)
    return pl.concat(parts).cast(PROBLEM_COLUMNS)  # type: ignore[arg-type]


PROBLEM_COLUMNS = {"row": pl.Int64, "code": pl.Utf8, "field": pl.Utf8, "value": pl.Utf8, "column": pl.Utf8}
