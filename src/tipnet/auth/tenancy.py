"""Tenancy: which rows a principal's queries may touch. THE one place where country filters are written.

Record-level data is partitioned by country. A country's users see their country's rows. The hub sees every
submission's metadata, but record-level rows only where the country shared the submission (`shared_with_hub`, set by
its focal point or analyst) and, for victims, the person consented to sharing with the hub (`consent_share_hub` is
true). Quarantine files (rejected rows, consent unverified) never leave the country. Aggregate figures without a
reporting country (UNODC GLOTIP, regional returns) are public and in everyone's scope.

Every repository function that reads submissions, persons, aggregates, quarantine files, users or the audit log takes
a `Scope` and applies these conditions; views never write their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, func, or_, select, true

from tipnet.auth.principal import Principal
from tipnet.auth.roles import Role
from tipnet.stats.base import base_scope
from tipnet.stats.source import RowFilter
from tipnet.store.tables import aggregates, persons, submissions
from tipnet.store.tables_auth import audit_log, submission_sharing, users

NONE, COUNTRY, HUB, ALL = "none", "country", "hub", "all"


def shared_submission_ids() -> Any:
    return select(submission_sharing.c.submission_id).where(submission_sharing.c.shared_with_hub.is_(True))


@dataclass(frozen=True)
class Scope:
    kind: str
    country: str | None = None
    role: Role | None = None

    @classmethod
    def of(cls, principal: Principal) -> Scope:
        if principal.operator:
            return cls(ALL)
        if not principal.authenticated or principal.role is None:
            return cls(NONE)
        if principal.hub:
            return cls(HUB, role=principal.role)
        if principal.country:
            return cls(COUNTRY, principal.country, principal.role)
        return cls(NONE)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.country}" if self.kind == COUNTRY else self.kind

    def owns(self, country: str | None) -> bool:
        """The country's own users (or the operator): full record-level access to that country's data."""
        return self.kind == ALL or (self.kind == COUNTRY and country is not None and country == self.country)

    # --- submissions -------------------------------------------------------------------------------------------
    def submissions(self) -> Any:
        """Submissions whose metadata (file name, row counts, dates) may be listed."""
        if self.kind in (ALL, HUB):
            return true()
        if self.kind == COUNTRY:
            return submissions.c.reporting_country == self.country
        return false()

    def quarantine(self) -> Any:
        """Submissions whose quarantine file (raw rejected rows) may be downloaded."""
        if self.kind == ALL:
            return true()
        if self.kind == COUNTRY:
            return submissions.c.reporting_country == self.country
        return false()

    # --- record-level rows -------------------------------------------------------------------------------------
    def persons(self) -> Any:
        if self.kind == ALL:
            return true()
        if self.kind == COUNTRY:
            return persons.c.reporting_country == self.country
        if self.kind == HUB:
            consented = or_(persons.c.consent_share_hub.is_(True), func.coalesce(persons.c.role, "victim") != "victim")
            return persons.c.submission_id.in_(shared_submission_ids()) & consented
        return false()

    def aggregates(self) -> Any:
        public = select(submissions.c.id).where(submissions.c.reporting_country.is_(None))
        if self.kind == ALL:
            return true()
        if self.kind == COUNTRY:
            own = select(submissions.c.id).where(submissions.c.reporting_country == self.country)
            return aggregates.c.submission_id.in_(public) | aggregates.c.submission_id.in_(own)
        if self.kind == HUB:
            return aggregates.c.submission_id.in_(public) | aggregates.c.submission_id.in_(shared_submission_ids())
        return aggregates.c.submission_id.in_(public)

    def rows(self) -> RowFilter:
        """The filter a statistics source reads the store through."""
        if self.kind == ALL:
            return RowFilter(self.key, base=base_scope(ALL, None))
        version = (select(func.count(), func.coalesce(func.sum(submission_sharing.c.revision), 0))
                   if self.kind == HUB else None)
        return RowFilter(self.key, persons=self.persons(), aggregates=self.aggregates(), version=version,
                         base=base_scope(self.kind, self.country))

    # --- cooperation (directory, requests) ----------------------------------------------------------------------
    def directory_edit(self, country: str) -> bool:
        """Directory entries the principal may change (with DIRECTORY_EDIT): the hub everywhere, a country its own."""
        return self.kind in (ALL, HUB) or self.owns(country)

    def coop_requests(self) -> Any:
        """MLA and extradition requests: the requesting country's own (drafts included) and, once sent, those
        addressed to the country. Third countries and the hub see none: they are no party to the request."""
        from tipnet.store.tables_directory import coop_requests as req

        if self.kind == ALL:
            return true()
        if self.kind == COUNTRY:  # a request registered by the requested state (received on paper) is its own
            return or_((req.c.requesting_country == self.country) & req.c.registered_by.is_(None),
                       (req.c.requested_country == self.country) & (req.c.status != "draft"))
        return false()

    # --- case entry --------------------------------------------------------------------------------------------
    def cases(self, user_id: int | None, whole_country: bool) -> Any:
        """Cases a principal may read: a draft only by the person entering it; a submitted case by the person who
        entered it and, with `whole_country` (national focal points and analysts), by the country's office. Never
        another country's; the hub enters and reads no cases (it sees submitted cases only as shared statistics)."""
        from tipnet.store.tables_cases import cases as c

        if self.kind == ALL:
            return true()
        if self.kind == COUNTRY and user_id is not None:
            mine = c.c.created_by == user_id
            seen = or_(mine, c.c.status == "submitted") if whole_country else mine
            return (c.c.country == self.country) & seen
        return false()

    # --- administration ----------------------------------------------------------------------------------------
    def users(self) -> Any:
        if self.kind in (ALL, HUB):
            return true()
        if self.kind == COUNTRY:
            return users.c.country == self.country
        return false()

    def audit(self) -> Any:
        """Audit entries an administrator may read: a focal point sees what its country's users did and what
        anyone did with its country's data."""
        if self.kind in (ALL, HUB):
            return true()
        if self.kind == COUNTRY:
            return or_(audit_log.c.country == self.country, audit_log.c.subject_country == self.country)
        return false()
