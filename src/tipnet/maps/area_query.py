"""The victims behind the maps below the country level: which records count, and the filters an analyst sets (period,
sex, age group, form of exploitation). Shared by the figures by subdivision, the subnational routes, the border areas
and the hotspots, so every layer of a map counts the same victims.

Rows read here are restricted data (they may hold coordinates); only counts leave, and those only through the
release threshold of `tipnet.disclosure` (see `area_figures.publishable`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select

from tipnet.store.tables import persons

SEXES = ("female", "male", "other", "unknown")
AGE_GROUPS = ("minor", "adult", "unknown")


@dataclass(frozen=True)
class AreaFilter:
    year_from: int | None = None
    year_to: int | None = None
    sex: str | None = None  # female | male | other | unknown
    age_group: str | None = None  # minor | adult | unknown
    form: str | None = None  # a code of the exploitation_form vocabulary

    def __post_init__(self) -> None:
        if self.sex is not None and self.sex not in SEXES:
            raise ValueError(f"sex must be one of {', '.join(SEXES)}")
        if self.age_group is not None and self.age_group not in AGE_GROUPS:
            raise ValueError(f"age group must be one of {', '.join(AGE_GROUPS)}")
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("the period starts after it ends")

    def conditions(self) -> list[ColumnElement[bool]]:
        c = persons.c
        out: list[ColumnElement[bool]] = []
        if self.year_from is not None:
            out.append(c.identification_year >= self.year_from)
        if self.year_to is not None:
            out.append(c.identification_year <= self.year_to)
        if self.sex == "unknown":
            out.append(c.sex.is_(None) | (c.sex == "unknown"))
        elif self.sex is not None:
            out.append(c.sex == self.sex)
        if self.age_group == "unknown":
            out.append(c.is_minor.is_(None))
        elif self.age_group is not None:
            out.append(c.is_minor.is_(self.age_group == "minor"))
        if self.form is not None:
            out.append(c.forms_of_exploitation.contains(self.form))  # narrowed exactly in `keeps`
        return out

    def keeps(self, row: Any) -> bool:
        """The exact test the SQL cannot make: a form is one of the ';'-separated codes, not a substring."""
        if self.form is None:
            return True
        return self.form in {f.strip() for f in (row.forms_of_exploitation or "").split(";")}

    def params(self) -> dict[str, Any]:
        """The filter as query parameters (links keep it)."""
        return {k: v for k, v in (("from", self.year_from), ("to", self.year_to), ("sex", self.sex),
                                  ("age_group", self.age_group), ("form", self.form)) if v is not None}


NO_FILTER = AreaFilter()


def is_victim(row: Any) -> bool:
    return (row.role or "victim") == "victim" and row.victim_status != "not_a_victim"


def victim_rows(db: Any, columns: Sequence[Any], where: Sequence[ColumnElement[bool]], filt: AreaFilter = NO_FILTER,
                rows: Any = None) -> Iterator[Any]:
    """The victims' rows (persons recorded as victims) with `columns`, under `where`, the filter and `rows` (the
    SQLAlchemy condition on persons the caller may read, None: every record)."""
    c = persons.c
    q = select(*columns, c.role, c.victim_status, c.forms_of_exploitation, c.sex, c.is_minor,
               c.identification_year).where(*where, *filt.conditions())
    if rows is not None:
        q = q.where(rows)
    with db.engine.connect() as conn:
        for row in conn.execute(q):
            if is_victim(row) and filt.keeps(row):
                yield row
