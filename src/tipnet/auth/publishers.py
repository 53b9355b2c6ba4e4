"""Who publishes a release, and the records its figures are built from.

A release is built only from what its publisher may see. The hub publishes hemispheric releases from the records of
submissions their country shared with the hub and, for victims, only those who consented to sharing with the hub
(the hub's `Scope`). A country publishes a national release of its own records only. Nothing is built from the
whole store: the operator who runs `tipnet release` acts for a publisher, and the release plan says which records
that is (`basis`).
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from tipnet.auth.tenancy import COUNTRY, HUB, Scope
from tipnet.errors import UnknownValue
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.stats.source import StatsSource
from tipnet.store import Database
from tipnet.store.tables import persons

HUB_PUBLISHER = "hub"

_VICTIM = (func.coalesce(persons.c.role, "victim") == "victim") & (
    func.coalesce(persons.c.victim_status, "actual") != "not_a_victim")


def publisher_scope(publisher: str) -> Scope:
    """The scope a publisher's release reads: the hub's, or one member state's own."""
    code = (publisher or "").strip()
    if code.lower() == HUB_PUBLISHER:
        return Scope(HUB)
    if code.upper() not in OAS_MEMBERS:
        raise UnknownValue(f"publisher {publisher!r}: use 'hub' or an OAS member state's ISO 3166-1 alpha-3 code",
                      {"field": "publisher", "value": publisher})
    return Scope(COUNTRY, code.upper())


def canonical(publisher: str) -> str:
    scope = publisher_scope(publisher)
    return scope.country if scope.kind == COUNTRY and scope.country else HUB_PUBLISHER


class PublisherSources:
    """One statistics source per publisher, each loading only the rows that publisher may see."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sources: dict[str, StatsSource] = {}
        self._lock = threading.Lock()

    def __call__(self, publisher: str) -> StatsSource:
        rows = publisher_scope(publisher).rows()
        with self._lock:
            src = self._sources.get(rows.key)
            if src is None:
                src = self._sources[rows.key] = StatsSource(self.db, rows)
            return src

    def basis(self, publisher: str) -> dict[str, Any]:
        """What a publisher's release is built from, in numbers: victims it may count and victims in the store (of
        that country, for a national release), and the rule as a sentence for the plan."""
        scope = publisher_scope(publisher)
        mine = select(func.count()).select_from(persons).where(_VICTIM, scope.persons())
        every = select(func.count()).select_from(persons).where(_VICTIM)
        if scope.kind == COUNTRY:
            every = every.where(persons.c.reporting_country == scope.country)
        with self.db.engine.connect() as conn:
            n, m = int(conn.execute(mine).scalar_one()), int(conn.execute(every).scalar_one())
        if scope.kind == COUNTRY:
            rule = f"country {scope.country}'s own records"
            line = f"built from: {rule}, {n} victims"
        else:
            rule = "records shared with the hub and consented"
            line = f"built from: {rule}, {n} of {m} victims in the store"
        return {"publisher": canonical(publisher), "rule": rule, "victims": n, "victims_in_store": m, "line": line}
