"""Editions of the same figures: when several submissions hold the same cell, the newest one wins, cell by cell.

A revised release of a national table, or a later GLOTIP edition (the 2025 export after the 2023 workbook), repeats
many cells of the earlier one. Adding them would count the same victims twice, so each cell is read from the newest
submission that holds it (the highest submission id: the one imported last); a cell only the older submission holds
keeps its value. Within one submission nothing is chosen: a key the file itself repeats is read as before.
"""

from __future__ import annotations

from collections.abc import Sequence

# The columns that name one GLOTIP cell (a country's figure for one indicator, dimension, category, sex, age, year).
GLOTIP_CELL = ("country", "indicator", "dimension", "category_code", "sex", "age", "year")


def newest_edition(relation: str, cell: Sequence[str]) -> str:
    """A SELECT of the rows of `relation` that come from the newest submission holding their `cell`."""
    return (f"SELECT * EXCLUDE (newest) FROM (SELECT *, max(submission_id) OVER (PARTITION BY {', '.join(cell)}) "
            f"AS newest FROM {relation}) WHERE submission_id = newest")
