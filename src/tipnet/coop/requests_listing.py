"""Which MLA and extradition requests a list shows: the filters of the register (direction, status, kind, the
other state, overdue, a year, words of the reference) as one SQL query in the caller's scope, so a page of it is
counted and cut by the database (`tipnet.store.paging`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select

from tipnet.auth.principal import Principal
from tipnet.auth.tenancy import Scope
from tipnet.coop.requests_model import FINAL
from tipnet.errors import Invalid
from tipnet.store import paging
from tipnet.store.tables_directory import coop_requests

DIRECTIONS = ("all", "outgoing", "incoming")


@dataclass(frozen=True)
class RequestFilters:
    direction: str | None = None  # outgoing (the principal's country asks) | incoming (it is asked) | all
    status: str | None = None
    overdue: bool = False  # a deadline passed and the request not closed
    kind: str | None = None  # mla | extradition
    country: str | None = None  # the other state (requested for outgoing, requesting for incoming; either for all)
    year: int | None = None  # the year the request was created (or registered)
    text: str | None = None  # words of the reference or of the requesting state's own reference

    def audit_details(self) -> dict[str, Any]:
        """What the audit log keeps of a listing's filters (never the words searched)."""
        return {"direction": self.direction or "all", "status": self.status, "overdue": self.overdue,
                "kind": self.kind, "country": self.country, "year": self.year, "searched": bool(self.text)}


def query(who: Principal, f: RequestFilters, backend: str, today: dt.date) -> Select[Any]:
    """The requests in scope that answer the filters, newest first."""
    c = coop_requests.c
    q = select(coop_requests).where(Scope.of(who).coop_requests()).order_by(c.id.desc())
    if f.direction not in (None, "", *DIRECTIONS):
        raise Invalid(f"direction {f.direction!r}: choose outgoing, incoming or all", {"field": "direction"})
    if f.direction == "outgoing" and who.country:
        q = q.where(c.requesting_country == who.country)
    elif f.direction == "incoming" and who.country:
        q = q.where(c.requested_country == who.country)
    if f.status:
        q = q.where(c.status == f.status)
    if f.overdue:
        q = q.where(c.deadline.is_not(None), c.deadline < today, c.status.not_in(sorted(FINAL)))
    if f.kind:
        q = q.where(c.kind == f.kind)
    if f.country:
        q = q.where(or_(c.requesting_country == f.country, c.requested_country == f.country))
    if f.year:
        since = dt.datetime(f.year, 1, 1, tzinfo=dt.UTC)
        q = q.where(c.created_at >= since, c.created_at < since.replace(year=f.year + 1))
    if f.text:
        q = q.where(paging.words_match([c.reference, c.external_reference], f.text, backend))
    return q
