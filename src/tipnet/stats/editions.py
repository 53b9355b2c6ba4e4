"""Editions of the same figures: when several submissions hold the same cell, the newest edition wins, cell by cell.

A revised release of a national table, or a later GLOTIP edition (the 2025 export after the 2023 workbook), repeats
many cells of the earlier one. Adding them would count the same victims twice, so each cell is read from the newest
edition that holds it; a cell only an older edition holds keeps its value. Within one submission nothing is chosen:
a key the file itself repeats is read as before.

Which edition is newest: the release date the file gives (GLOTIP prints it above its header), else the day the file
was imported; on the same day, the one imported last. So the 2023 workbook imported after the 2025 export does not
replace the 2025 figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

# The columns that name one GLOTIP cell (a country's figure for one indicator, dimension, category, sex, age, year).
GLOTIP_CELL = ("country", "indicator", "dimension", "category_code", "sex", "age", "year")


def edition_ranks(rows: Iterable[tuple[int, Any, Any]]) -> dict[int, int]:
    """(submission id, released_on, created_at) -> a rank per submission id, higher for a newer edition."""

    def day(value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value)[:10]) if value else dt.date.min

    ordered = sorted(rows, key=lambda r: (day(r[1] or r[2]), r[0]))
    return {sid: rank for rank, (sid, _released, _created) in enumerate(ordered, start=1)}


def newest_edition(relation: str, cell: Sequence[str]) -> str:
    """A SELECT of the rows of `relation` (with an `edition` rank column) from the newest edition holding their
    `cell`."""
    return (f"SELECT * EXCLUDE (newest) FROM (SELECT *, max(edition) OVER (PARTITION BY {', '.join(cell)}) "
            f"AS newest FROM {relation}) WHERE edition = newest")
