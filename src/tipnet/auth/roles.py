"""Roles and what each may do. One table: `ROLE_PERMISSIONS`; everything else asks it."""

from __future__ import annotations

from enum import StrEnum

from tipnet.errors import UnknownValue


class Role(StrEnum):
    HUB_ADMIN = "hub_admin"  # OAS Secretariat: administers everyone, reads the audit log
    HUB_ANALYST = "hub_analyst"  # OAS Secretariat: hemispheric statistics over what countries share
    FOCAL_POINT = "focal_point"  # national focal point: administers its country's users
    ANALYST = "analyst"  # national analyst
    INVESTIGATOR = "investigator"  # investigator, prosecutor, central authority
    SERVICE_PROVIDER = "service_provider"  # victim-service NGO, first responder


class Permission(StrEnum):
    STATS_READ = "stats.read"  # statistics over the microdata in scope, GLOTIP figures
    SUBMISSIONS_READ = "submissions.read"  # submission metadata in scope
    RECORDS_READ = "records.read"  # record-level data in scope (quarantine files, record exports)
    UPLOAD = "uploads.write"  # upload -> report -> commit
    SHARE = "submissions.share"  # set a submission's shared_with_hub flag
    USERS_ADMIN = "users.admin"  # user administration in scope
    AUDIT_READ = "audit.read"  # the audit log in scope
    AUDIT_VERIFY = "audit.verify"  # recompute the whole hash chain
    TOKENS = "tokens.manage"  # own API tokens for machine submission
    DIRECTORY_EDIT = "directory.edit"  # directory of authorities: edit and verify entries (focal point: its country)
    DIRECTORY_RESTRICTED = "directory.restricted"  # directory: direct lines and 24/7 operational contacts
    COOPERATION = "cooperation.requests"  # MLA and extradition requests of one's country (and those addressed to it)
    MESSAGING = "messaging.use"  # end-to-end encrypted messages between authority accounts
    CASES_WRITE = "cases.write"  # case entry: own drafts and the cases one entered (one's country only)
    CASES_READ = "cases.read"  # every submitted case of one's country (national office)
    ASSESS_READ = "assess.read"  # self-assessments of one's country (hub: every one submitted), live scorecards
    ASSESS_EDIT = "assess.edit"  # fill in, import and submit one's country's self-assessment
    ASSESS_REVIEW = "assess.review"  # review, return and publish submitted self-assessments (hub)
    COMPENDIUM_EDIT = "compendium.edit"  # add and change compendium items, treaty ratification status
    REGISTRY_EDIT = "registry.edit"  # agency registry: entries (own country), complaints, sanctions, case links
    REGISTRY_CASES = "registry.cases"  # agency registry: complaints, links to perpetrator records in scope, flags


HUB_ROLES = frozenset({Role.HUB_ADMIN, Role.HUB_ANALYST})

P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.HUB_ADMIN: frozenset({P.STATS_READ, P.SUBMISSIONS_READ, P.RECORDS_READ, P.UPLOAD, P.USERS_ADMIN,
                               P.AUDIT_READ, P.AUDIT_VERIFY, P.DIRECTORY_EDIT, P.DIRECTORY_RESTRICTED, P.MESSAGING,
                               P.ASSESS_READ, P.ASSESS_REVIEW, P.COMPENDIUM_EDIT, P.REGISTRY_EDIT,
                               P.REGISTRY_CASES}),
    Role.HUB_ANALYST: frozenset({P.STATS_READ, P.SUBMISSIONS_READ, P.RECORDS_READ, P.UPLOAD, P.DIRECTORY_RESTRICTED,
                                 P.ASSESS_READ, P.ASSESS_REVIEW, P.COMPENDIUM_EDIT, P.REGISTRY_EDIT,
                                 P.REGISTRY_CASES}),
    Role.FOCAL_POINT: frozenset({P.STATS_READ, P.SUBMISSIONS_READ, P.RECORDS_READ, P.UPLOAD, P.SHARE,
                                 P.USERS_ADMIN, P.AUDIT_READ, P.TOKENS, P.DIRECTORY_EDIT, P.DIRECTORY_RESTRICTED,
                                 P.COOPERATION, P.CASES_WRITE, P.CASES_READ, P.MESSAGING, P.ASSESS_READ,
                                 P.ASSESS_EDIT, P.COMPENDIUM_EDIT, P.REGISTRY_EDIT, P.REGISTRY_CASES}),
    Role.ANALYST: frozenset({P.STATS_READ, P.SUBMISSIONS_READ, P.RECORDS_READ, P.UPLOAD, P.SHARE, P.TOKENS,
                             P.DIRECTORY_RESTRICTED, P.CASES_WRITE, P.CASES_READ, P.MESSAGING, P.ASSESS_READ,
                             P.ASSESS_EDIT, P.REGISTRY_EDIT, P.REGISTRY_CASES}),
    Role.INVESTIGATOR: frozenset({P.STATS_READ, P.DIRECTORY_RESTRICTED, P.COOPERATION, P.MESSAGING, P.REGISTRY_EDIT,
                                  P.REGISTRY_CASES}),
    Role.SERVICE_PROVIDER: frozenset({P.CASES_WRITE}),  # enters cases; reads the cases it entered
}

# What a machine (API token) may do, whatever its owner's role: submit files and follow them.
TOKEN_PERMISSIONS = frozenset({P.UPLOAD, P.SUBMISSIONS_READ})

# Roles that see record-level data must use a second factor. Every role does today; the set is kept explicit so a
# future role without record access (e.g. a read-only statistics viewer) can be added deliberately.
TOTP_REQUIRED = frozenset(Role)

# Which roles an administrator of each kind may create or change.
ASSIGNABLE: dict[Role, frozenset[Role]] = {
    Role.HUB_ADMIN: frozenset(Role),
    Role.FOCAL_POINT: frozenset({Role.FOCAL_POINT, Role.ANALYST, Role.INVESTIGATOR, Role.SERVICE_PROVIDER}),
}


def permissions(role: Role | None) -> frozenset[Permission]:
    return ROLE_PERMISSIONS.get(role, frozenset()) if role is not None else frozenset()


def is_hub(role: Role | None) -> bool:
    return role in HUB_ROLES


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        raise UnknownValue(f"unknown role {value!r}; choose from {', '.join(r.value for r in Role)}",
                           {"field": "role", "value": value}) from exc
