"""The authorisation matrix: every endpoint x every role x own / other / shared country data -> the expected status,
and zero reads of another country's records.

Three submissions: PER's (not shared), COL's (not shared) and COL's shared one, whose victims consented to sharing with
the hub (COLSHAREDOK), refused (COLSHAREDNO) or said nothing (COLSHAREDNULL). Every record carries a marker in
`given_names`, every file name is a marker too, and every response is searched for markers its reader must not see.

The expectations below are written from the roles' description, not derived from the implementation's tables. A
route that is not listed in EXPECT fails `test_every_route_is_classified`: a new page stays closed until someone
decides who may see it, here and with `@access(...)`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from auth_helpers import make_user
from fastapi.testclient import TestClient

from tipnet.auth import records, sessions, tokens
from tipnet.auth.principal import Principal, Stage, Via
from tipnet.auth.roles import Role
from tipnet.auth.settings import AuthSettings
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.settings import Settings
from tipnet.store import Database
from tipnet.web.app import create_app
from tipnet.web.security import endpoints

HEADER = "record_id,case_id,given_names,sex,age,citizenship,identification_date,consent_share_hub\n"
FILES = {
    "per-private.csv": ("PER", "P1,PC1,PERPRIV,F,17,PER,2022-03-01,true\nP2,PC1,PERPRIV,M,30,VEN,2022-04-01,false\n"
                               "P3,PC2,PERPRIV,F,25,BOL,2023-01-10,\nP4,PC3,PERQUAR,F,400,PER,2023-02-01,true\n"),
    "col-private.csv": ("COL", "C1,CC1,COLPRIV,F,16,COL,2022-05-01,true\nC2,CC1,COLPRIV,F,19,VEN,2022-05-02,true\n"
                               "C3,CC2,COLPRIV,M,40,ECU,2023-06-01,\nC4,CC3,COLPRIV,F,22,COL,2023-07-01,false\n"
                               "C5,CC4,COLQUAR,F,400,COL,2023-07-01,true\n"),
    "col-shared.csv": ("COL", "S1,SC1,COLSHAREDOK,F,15,VEN,2022-08-01,true\n"
                              "S2,SC1,COLSHAREDNO,F,18,VEN,2022-08-01,false\n"
                              "S3,SC2,COLSHAREDNULL,M,33,PER,2023-09-01,\n"
                              "S4,SC3,COLSHQUAR,F,400,COL,2023-09-01,true\n"),
}
PER_MARKERS = {"PERPRIV", "PERQUAR", "per-private.csv", "PERCASE"}
COL_MARKERS = {"COLPRIV", "COLQUAR", "COLSHAREDOK", "COLSHAREDNO", "COLSHAREDNULL", "COLSHQUAR", "col-private.csv",
               "col-shared.csv", "COLCASE"}
ALL_MARKERS = PER_MARKERS | COL_MARKERS
# what the hub may see: the shared submission's metadata and its consented victim; COL's other file's name
HUB_MAY_SEE = {"COLSHAREDOK", "col-shared.csv", "col-private.csv", "per-private.csv"}

# --- who ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    name: str
    role: str | None = None
    country: str | None = None
    via: str = "session"  # anon | pending | session | token

    @property
    def hub(self) -> bool:
        return self.role in ("hub_admin", "hub_analyst")

    @property
    def signed_in(self) -> bool:
        return self.via in ("session", "token")


WHO = [
    Who("anonymous", via="anon"),
    Who("pending", "analyst", "PER", via="pending"),  # password given, one-time code not yet
    Who("hub_admin", "hub_admin"),
    Who("hub_analyst", "hub_analyst"),
    Who("focal_per", "focal_point", "PER"),
    Who("analyst_per", "analyst", "PER"),
    Who("investigator_per", "investigator", "PER"),
    Who("ngo_per", "service_provider", "PER"),
    Who("token_per", "analyst", "PER", via="token"),
]
TARGETS = ("own", "other", "shared")  # PER's data, COL's unshared data, COL's shared data

# What each role may do, from the issue and the design (not from tipnet.auth.roles).
MAY = {
    "stats": {"hub_admin", "hub_analyst", "focal_point", "analyst", "investigator"},
    "submissions": {"hub_admin", "hub_analyst", "focal_point", "analyst"},
    "records": {"hub_admin", "hub_analyst", "focal_point", "analyst"},
    "upload": {"hub_admin", "hub_analyst", "focal_point", "analyst"},
    "share": {"focal_point", "analyst"},
    "users": {"hub_admin", "focal_point"},
    "audit": {"hub_admin", "focal_point"},
    "verify": {"hub_admin"},
    "tokens": {"focal_point", "analyst"},
    "assess": {"hub_admin", "hub_analyst", "focal_point", "analyst"},  # self-assessments: the country and the hub
    "assess_edit": {"focal_point", "analyst"},  # the country fills in and submits its own self-assessment
    "compendium_edit": {"hub_admin", "hub_analyst", "focal_point"},  # edited by the OAS and the focal points
    "registry_edit": {"hub_admin", "hub_analyst", "focal_point", "analyst", "investigator"},  # authorities
    "cases": {"focal_point", "analyst", "service_provider"},  # case entry in one's country; the hub enters none
    "messaging": {"hub_admin", "focal_point", "analyst", "investigator"},  # authority accounts
    "directory_edit": {"hub_admin", "focal_point"},  # directory entries: the hub everywhere, a focal point its own
    "cooperation": {"focal_point", "investigator"},  # MLA and extradition requests of one's country
}
MACHINE_MAY = {"upload", "submissions"}  # an API token submits files and follows them; nothing else


def html(method: str, path: str) -> bool:
    return method == "GET" and not path.startswith("/api/") and not path.endswith((".json", ".csv", ".md", ".{fmt}"))


def gate(who: Who, need: str, method: str, path: str) -> int | None:
    """The status when the principal may not use the route at all (None: it may)."""
    if not who.signed_in:
        return 303 if html(method, path) else 401
    if who.via == "token":
        return None if need in MACHINE_MAY else 403
    return None if who.role in MAY[need] else 403


def sub_meta(who: Who, target: str) -> int:
    return 200 if who.hub or target == "own" else 404


def sub_quarantine(who: Who, target: str) -> int:
    return 200 if (not who.hub and target == "own") else 404  # never leaves the country, not even to the hub


def sub_records(who: Who, target: str) -> int:
    if who.hub:
        return 200 if target == "shared" else 404
    return 200 if target == "own" else 404


def own_only(who: Who, target: str, ok: int = 200) -> int:
    if who.hub:
        return ok
    return ok if target == "own" else 404


Expect = Callable[[Who, str, str, str], int]  # (who, target, method, path) -> status


def perm(need: str, then: Callable[[Who, str], int] | int = 200) -> Expect:
    def expect(who: Who, target: str, method: str, path: str) -> int:
        denied = gate(who, need, method, path)
        if denied is not None:
            return denied
        return then(who, target) if callable(then) else then

    return expect


def public(status: int = 200) -> Expect:
    return lambda who, target, method, path: status


def signed_in_page(who: Who, target: str, method: str, path: str) -> int:
    if who.via == "token":
        return 403
    if who.via != "session":
        return 303 if html(method, path) else 401
    return 200


def step(pending: dict[str, int] | None, full: dict[str, int] | None) -> Expect:
    """Sign-in step pages: `pending` is the answer (by method) to a session still waiting for its one-time code,
    `full` to a signed-in session; None means the page is not theirs."""

    def expect(who: Who, target: str, method: str, path: str) -> int:
        if who.via == "token":
            return 403
        if who.via == "pending" and pending is not None:
            return pending[method]
        if who.via in ("anon", "pending"):
            return 303 if html(method, path) else 401
        return full[method] if full is not None else 403

    return expect


def login_page(who: Who, target: str, method: str, path: str) -> int:
    if method == "POST":
        return 401  # the matrix signs in with a wrong password: refused for everyone, the route is open to all
    return 303 if (who.signed_in and html(method, path)) else 200


def upload_post(who: Who, target: str) -> int:
    if who.hub:
        return 403  # the hub uploads aggregate workbooks only
    return 303 if target == "own" else 403


def upload_post_json(who: Who, target: str) -> int:
    return 403 if who.hub or target != "own" else 201


def staged(ok: int) -> Callable[[Who, str], int]:
    return lambda who, target: ok if (not who.hub and target == "own") else 404


def tokens_post(ok: int) -> Callable[[Who, str], int]:
    return lambda who, target: ok


def admin_user(who: Who, target: str) -> int:
    return 200 if who.role == "hub_admin" or target == "own" else 404


def admin_create(ok: int) -> Callable[[Who, str], int]:
    return lambda who, target: ok if who.role == "hub_admin" or target == "own" else 403


def directory_edit(ok: int) -> Callable[[Who, str], int]:
    return lambda who, target: ok if who.role == "hub_admin" or target == "own" else 403


def party(ok: int) -> Callable[[Who, str], int]:
    return lambda who, target: ok if target == "own" else 404


def fed_push(who: Who, target: str) -> int:
    return 403 if who.hub else 404


def revoke(who: Who, target: str) -> int:
    return 200 if target == "own" else 404  # "own": a token of the caller's; otherwise someone else's


EXPECT: dict[tuple[str, str], tuple[Expect, tuple[str, ...]]] = {
    # public pages
    ("GET", "/"): (public(), ("-",)),
    ("GET", "/index.json"): (public(), ("-",)),
    ("GET", "/dictionary"): (public(), ("-",)),
    ("GET", "/dictionary.json"): (public(), ("-",)),
    ("GET", "/dictionary.md"): (public(), ("-",)),
    ("GET", "/standard/record.schema.json"): (public(), ("-",)),
    ("GET", "/standard/table-schema.json"): (public(), ("-",)),
    ("GET", "/releases"): (public(), ("-",)),
    ("GET", "/releases.json"): (public(), ("-",)),
    ("GET", "/releases/{release_id}"): (public(404), ("-",)),  # none published in this store
    ("GET", "/releases/{release_id}.json"): (public(404), ("-",)),
    ("GET", "/releases/{release_id}/files/{path}"): (public(404), ("-",)),
    ("GET", "/statistics"): (public(), ("-",)),  # says that nothing is published yet
    ("GET", "/statistics.json"): (public(), ("-",)),
    ("GET", "/statistics/{iso3}"): (public(), ("-",)),
    ("GET", "/statistics/{iso3}.json"): (public(), ("-",)),
    ("GET", "/statistics/{area}/{table}.csv"): (public(404), ("-",)),
    ("GET", "/health"): (public(), ("-",)),
    ("GET", "/favicon.ico"): (public(204), ("-",)),
    # the API reference: signed-in users only, served by the app itself (no CDN)
    ("GET", "/api/openapi.json"): (signed_in_page, ("-",)),
    ("GET", "/api/docs"): (signed_in_page, ("-",)),
    ("GET", "/api/docs.json"): (signed_in_page, ("-",)),
    ("GET", "/static/{path}"): (public(), ("-",)),
    # signing in and out
    ("GET", "/login"): (login_page, ("-",)),
    ("GET", "/login.json"): (login_page, ("-",)),
    ("POST", "/login"): (login_page, ("-",)),
    ("POST", "/login.json"): (login_page, ("-",)),
    ("GET", "/login/totp"): (step({"GET": 200}, None), ("-",)),
    ("GET", "/login/totp.json"): (step({"GET": 200}, None), ("-",)),
    ("POST", "/login/totp"): (step({"POST": 401}, None), ("-",)),  # a wrong code
    ("POST", "/login/totp.json"): (step({"POST": 401}, None), ("-",)),
    ("POST", "/logout"): (step({"POST": 303}, {"POST": 303}), ("-",)),
    ("POST", "/logout.json"): (step({"POST": 200}, {"POST": 200}), ("-",)),
    ("POST", "/session/stay"): (step(None, {"POST": 303}), ("-",)),  # restart one's idle timer
    ("POST", "/session/stay.json"): (step(None, {"POST": 200}), ("-",)),
    # one's own account
    ("GET", "/account"): (signed_in_page, ("-",)),
    ("GET", "/account.json"): (signed_in_page, ("-",)),
    ("GET", "/account/password"): (step(None, {"GET": 200}), ("-",)),
    ("GET", "/account/password.json"): (step(None, {"GET": 200}), ("-",)),
    ("POST", "/account/password"): (step(None, {"POST": 422}), ("-",)),  # wrong current password
    ("POST", "/account/password.json"): (step(None, {"POST": 422}), ("-",)),
    ("GET", "/account/totp"): (step(None, {"GET": 200}), ("-",)),
    ("GET", "/account/totp.json"): (step(None, {"GET": 200}), ("-",)),
    ("POST", "/account/totp"): (step(None, {"POST": 422}), ("-",)),  # already enrolled
    ("POST", "/account/totp.json"): (step(None, {"POST": 422}), ("-",)),
    ("POST", "/account/tokens"): (perm("tokens", tokens_post(201)), ("-",)),
    ("POST", "/account/tokens.json"): (perm("tokens", tokens_post(201)), ("-",)),
    ("POST", "/account/tokens/{token_id}/revoke"): (perm("tokens", lambda w, t: 303 if t == "own" else 404),
                                                     ("own", "other")),
    ("POST", "/account/tokens/{token_id}/revoke.json"): (perm("tokens", revoke), ("own", "other")),
    # administration
    ("GET", "/admin/users"): (perm("users"), ("-",)),
    ("GET", "/admin/users.json"): (perm("users"), ("-",)),
    ("POST", "/admin/users"): (perm("users", admin_create(201)), ("own", "other")),
    ("POST", "/admin/users.json"): (perm("users", admin_create(201)), ("own", "other")),
    ("GET", "/admin/users/{user_id}"): (perm("users", admin_user), ("own", "other")),
    ("GET", "/admin/users/{user_id}.json"): (perm("users", admin_user), ("own", "other")),
    ("POST", "/admin/users/{user_id}"): (perm("users", admin_user), ("own", "other")),
    ("POST", "/admin/users/{user_id}.json"): (perm("users", admin_user), ("own", "other")),
    ("GET", "/admin/audit"): (perm("audit"), ("-",)),
    ("GET", "/admin/audit.json"): (perm("audit"), ("-",)),
    ("GET", "/admin/audit/verify.json"): (perm("verify"), ("-",)),
    # statistics
    ("GET", "/stats"): (perm("stats"), ("-",)),
    ("GET", "/stats.json"): (perm("stats"), ("-",)),
    ("GET", "/countries/{iso3}"): (perm("stats"), ("own", "other")),
    ("GET", "/countries/{iso3}.json"): (perm("stats"), ("own", "other")),
    ("GET", "/routes"): (perm("stats"), ("-",)),
    ("GET", "/routes.json"): (perm("stats"), ("-",)),
    ("GET", "/api/stats"): (perm("stats"), ("-",)),
    ("GET", "/stats/table.{fmt}"): (perm("stats"), ("-",)),
    ("GET", "/countries/{iso3}/table.{fmt}"): (perm("stats"), ("own", "other")),
    ("GET", "/areas/{iso3}"): (perm("stats"), ("own", "other")),
    ("GET", "/areas/{iso3}.json"): (perm("stats"), ("own", "other")),
    ("GET", "/areas/{iso3}/map.svg"): (perm("stats"), ("own", "other")),
    # submissions and record-level data
    ("GET", "/submissions"): (perm("submissions"), ("-",)),
    ("GET", "/submissions.json"): (perm("submissions"), ("-",)),
    ("GET", "/submissions/{submission_id}"): (perm("submissions", sub_meta), TARGETS),
    ("GET", "/submissions/{submission_id}.json"): (perm("submissions", sub_meta), TARGETS),
    ("GET", "/submissions/{submission_id}/quarantine.csv"): (perm("records", sub_quarantine), TARGETS),
    ("GET", "/submissions/{submission_id}/records.csv"): (perm("records", sub_records), TARGETS),
    ("POST", "/submissions/{submission_id}/sharing"): (perm("share", lambda w, t: own_only(w, t, 303)), TARGETS),
    ("POST", "/submissions/{submission_id}/sharing.json"): (perm("share", own_only), TARGETS),
    # figures held for review (aggregate submissions; a records submission lists none): the metadata's scope
    ("GET", "/submissions/{submission_id}/review"): (perm("records", sub_meta), TARGETS),
    ("GET", "/submissions/{submission_id}/review.json"): (perm("records", sub_meta), TARGETS),
    # confirming or correcting one: importers of the figure's country (none at the placeholder id: not found)
    ("POST", "/submissions/{submission_id}/review/{figure_id}/confirm"): (perm("upload", 404), TARGETS),
    ("POST", "/submissions/{submission_id}/review/{figure_id}/confirm.json"): (perm("upload", 404), TARGETS),
    ("POST", "/submissions/{submission_id}/review/{figure_id}/correct"): (perm("upload", 404), TARGETS),
    ("POST", "/submissions/{submission_id}/review/{figure_id}/correct.json"): (perm("upload", 404), TARGETS),
    # uploads
    ("GET", "/uploads"): (perm("upload"), ("-",)),
    ("GET", "/uploads.json"): (perm("upload"), ("-",)),
    ("POST", "/uploads"): (perm("upload", upload_post), ("own", "other")),
    ("POST", "/uploads.json"): (perm("upload", upload_post_json), ("own", "other")),
    ("GET", "/uploads/{token}"): (perm("upload", staged(200)), ("own", "other")),
    ("GET", "/uploads/{token}.json"): (perm("upload", staged(200)), ("own", "other")),
    ("POST", "/uploads/{token}/commit"): (perm("upload", staged(303)), ("own", "other")),
    ("POST", "/uploads/{token}/commit.json"): (perm("upload", staged(201)), ("own", "other")),
    ("GET", "/uploads/{token}/mapping"): (perm("upload", staged(200)), ("own", "other")),
    ("GET", "/uploads/{token}/mapping.json"): (perm("upload", staged(200)), ("own", "other")),
    ("POST", "/uploads/{token}/mapping"): (perm("upload", staged(303)), ("own", "other")),
    ("POST", "/uploads/{token}/mapping.json"): (perm("upload", staged(200)), ("own", "other")),
    # the later mapping steps: the staged file has no saved mapping nor a table draft yet (409), and an empty
    # table mapping is refused (422): either answer means the caller got past the door to that country's upload
    ("GET", "/uploads/{token}/mapping/values"): (perm("upload", staged(409)), ("own", "other")),
    ("GET", "/uploads/{token}/mapping/values.json"): (perm("upload", staged(409)), ("own", "other")),
    ("POST", "/uploads/{token}/mapping/values"): (perm("upload", staged(409)), ("own", "other")),
    ("POST", "/uploads/{token}/mapping/values.json"): (perm("upload", staged(409)), ("own", "other")),
    ("GET", "/uploads/{token}/mapping/counts"): (perm("upload", staged(200)), ("own", "other")),
    ("GET", "/uploads/{token}/mapping/counts.json"): (perm("upload", staged(200)), ("own", "other")),
    ("POST", "/uploads/{token}/mapping/counts"): (perm("upload", staged(422)), ("own", "other")),
    ("POST", "/uploads/{token}/mapping/counts.json"): (perm("upload", staged(422)), ("own", "other")),
    ("GET", "/uploads/{token}/mapping/counts/values"): (perm("upload", staged(409)), ("own", "other")),
    ("GET", "/uploads/{token}/mapping/counts/values.json"): (perm("upload", staged(409)), ("own", "other")),
    ("POST", "/uploads/{token}/mapping/counts/values"): (perm("upload", staged(409)), ("own", "other")),
    ("POST", "/uploads/{token}/mapping/counts/values.json"): (perm("upload", staged(409)), ("own", "other")),
    # compendium and agency registry: the public searches and reads; an empty body is refused as invalid; nothing
    # exists at the placeholder ids
    ("GET", "/compendium"): (public(), ("-",)),
    ("GET", "/compendium.json"): (public(), ("-",)),
    ("GET", "/compendium/feed.atom"): (public(), ("-",)),
    ("GET", "/compendium/{item_id}"): (public(404), ("-",)),
    ("GET", "/compendium/{item_id}.json"): (public(404), ("-",)),
    ("POST", "/compendium/items"): (perm("compendium_edit", 422), ("-",)),
    ("POST", "/compendium/items.json"): (perm("compendium_edit", 422), ("-",)),
    ("POST", "/compendium/{item_id}/ratifications"): (perm("compendium_edit", 404), ("-",)),
    ("POST", "/compendium/{item_id}/ratifications.json"): (perm("compendium_edit", 404), ("-",)),
    ("GET", "/registry"): (public(), ("-",)),
    ("GET", "/registry.json"): (public(), ("-",)),
    ("GET", "/registry/{agency_id}"): (public(404), ("-",)),
    ("GET", "/registry/{agency_id}.json"): (public(404), ("-",)),
    ("POST", "/registry/agencies"): (perm("registry_edit", 422), ("-",)),
    ("POST", "/registry/agencies.json"): (perm("registry_edit", 422), ("-",)),
    ("POST", "/registry/{agency_id}"): (perm("registry_edit", 404), ("-",)),
    ("POST", "/registry/{agency_id}.json"): (perm("registry_edit", 404), ("-",)),
    ("POST", "/registry/{agency_id}/events"): (perm("registry_edit", 404), ("-",)),
    ("POST", "/registry/{agency_id}/events.json"): (perm("registry_edit", 404), ("-",)),
    ("POST", "/registry/{agency_id}/links"): (perm("registry_edit", 404), ("-",)),
    ("POST", "/registry/{agency_id}/links.json"): (perm("registry_edit", 404), ("-",)),
    # case entry: "own" is a draft the caller entered, "other" a COL draft (never visible outside its author)
    ("GET", "/cases"): (perm("cases"), ("-",)),
    ("GET", "/cases.json"): (perm("cases"), ("-",)),
    ("GET", "/cases/new"): (perm("cases"), ("-",)),
    ("GET", "/cases/new.json"): (perm("cases"), ("-",)),
    ("POST", "/cases"): (perm("cases", 303), ("-",)),
    ("POST", "/cases.json"): (perm("cases", 201), ("-",)),
    ("GET", "/cases/{case_id}"): (perm("cases", lambda w, t: 200 if t == "own" else 404), ("own", "other")),
    ("GET", "/cases/{case_id}.json"): (perm("cases", lambda w, t: 200 if t == "own" else 404), ("own", "other")),
    ("POST", "/cases/{case_id}"): (perm("cases", lambda w, t: 303 if t == "own" else 404), ("own", "other")),
    ("POST", "/cases/{case_id}.json"): (perm("cases", lambda w, t: 200 if t == "own" else 404), ("own", "other")),
    ("POST", "/cases/{case_id}/consent"): (perm("cases", lambda w, t: 303 if t == "own" else 404),
                                           ("own", "other")),
    ("POST", "/cases/{case_id}/consent.json"): (perm("cases", lambda w, t: 200 if t == "own" else 404),
                                                ("own", "other")),
    ("POST", "/cases/{case_id}/plan"): (perm("cases", lambda w, t: 409 if t == "own" else 404), ("own", "other")),
    ("POST", "/cases/{case_id}/plan.json"): (perm("cases", lambda w, t: 409 if t == "own" else 404),
                                             ("own", "other")),  # a draft's plan is changed in the form
    ("GET", "/cases/{case_id}/correct"): (perm("cases", lambda w, t: 303 if t == "own" else 404), ("own", "other")),
    ("GET", "/cases/{case_id}/correct.json"): (perm("cases", lambda w, t: 409 if t == "own" else 404),
                                               ("own", "other")),  # a draft is corrected in the form
    ("POST", "/cases/{case_id}/correct"): (perm("cases", lambda w, t: 409 if t == "own" else 404),
                                           ("own", "other")),
    ("POST", "/cases/{case_id}/correct.json"): (perm("cases", lambda w, t: 409 if t == "own" else 404),
                                                ("own", "other")),
    # secure messaging (an empty body is refused as invalid; nothing exists at the placeholder ids)
    ("GET", "/messages"): (perm("messaging"), ("-",)),
    ("GET", "/messages.json"): (perm("messaging"), ("-",)),
    ("GET", "/messages/mailbox.json"): (perm("messaging"), ("-",)),
    ("GET", "/messages/keys.json"): (perm("messaging"), ("-",)),
    ("POST", "/messages/keys.json"): (perm("messaging", 422), ("-",)),
    ("POST", "/messages/keys/{key_id}/revoke.json"): (perm("messaging", 404), ("-",)),
    ("GET", "/messages/directory.json"): (perm("messaging"), ("-",)),
    ("GET", "/messages/users/{user_id}/keys.json"): (perm("messaging"), ("-",)),
    ("POST", "/messages/send.json"): (perm("messaging", 422), ("-",)),
    ("GET", "/messages/alerts.json"): (perm("messaging"), ("-",)),
    ("POST", "/messages/alerts/{alert_id}/ack.json"): (perm("messaging", 404), ("-",)),
    ("GET", "/messages/{message_id}.json"): (perm("messaging", 404), ("-",)),
    ("GET", "/messages/{message_id}/attachments/{index}.json"): (perm("messaging", 404), ("-",)),
    ("POST", "/messages/{message_id}/receipts.json"): (perm("messaging", 422), ("-",)),
    # directory of authorities: public reading (restricted fields only for authority roles, see
    # tests/test_coop_web.py); a focal point edits its own country's entries, the hub administrator every entry
    ("GET", "/directory"): (public(), ("-",)),
    ("GET", "/directory.json"): (public(), ("-",)),
    ("GET", "/directory/authorities/{authority_id}"): (public(), ("own", "other")),
    ("GET", "/directory/authorities/{authority_id}.json"): (public(), ("own", "other")),
    ("GET", "/directory/route"): (public(), ("-",)),
    ("GET", "/directory/route.json"): (public(), ("-",)),
    ("GET", "/directory/export.csv"): (public(), ("-",)),
    ("GET", "/directory/export.vcf"): (public(), ("-",)),
    ("GET", "/directory/export.pdf"): (public(), ("-",)),
    ("GET", "/directory/print"): (public(), ("-",)),
    ("POST", "/directory/authorities"): (perm("directory_edit", directory_edit(303)), ("own", "other")),
    ("POST", "/directory/authorities.json"): (perm("directory_edit", directory_edit(201)), ("own", "other")),
    ("POST", "/directory/authorities/{authority_id}"): (perm("directory_edit", directory_edit(303)),
                                                        ("own", "other")),
    ("POST", "/directory/authorities/{authority_id}.json"): (perm("directory_edit", directory_edit(200)),
                                                             ("own", "other")),
    ("POST", "/directory/authorities/{authority_id}/verify"): (perm("directory_edit", directory_edit(303)),
                                                               ("own", "other")),
    ("POST", "/directory/authorities/{authority_id}/verify.json"): (perm("directory_edit", directory_edit(200)),
                                                                    ("own", "other")),
    ("POST", "/directory/authorities/{authority_id}/retire"): (perm("directory_edit", directory_edit(303)),
                                                               ("own", "other")),
    ("POST", "/directory/authorities/{authority_id}/retire.json"): (perm("directory_edit", directory_edit(200)),
                                                                    ("own", "other")),
    ("POST", "/directory/authorities/{authority_id}/reinstate"): (perm("directory_edit", directory_edit(303)),
                                                                  ("own", "other")),
    ("POST", "/directory/authorities/{authority_id}/reinstate.json"): (perm("directory_edit", directory_edit(200)),
                                                                       ("own", "other")),
    ("GET", "/directory/stale"): (perm("directory_edit"), ("-",)),
    ("GET", "/directory/stale.json"): (perm("directory_edit"), ("-",)),
    ("POST", "/directory/remind"): (perm("directory_edit", 303), ("-",)),
    ("POST", "/directory/remind.json"): (perm("directory_edit"), ("-",)),
    # MLA and extradition requests: "own" is a PER draft to COL, "other" a COL draft to ECU (PER is no party); the
    # status change asked for (draft -> executed) is refused by the workflow
    ("GET", "/requests"): (perm("cooperation"), ("-",)),
    ("GET", "/requests.json"): (perm("cooperation"), ("-",)),
    ("GET", "/requests/new"): (perm("cooperation"), ("-",)),
    ("GET", "/requests/new.json"): (perm("cooperation"), ("-",)),
    ("POST", "/requests"): (perm("cooperation", 303), ("-",)),
    ("POST", "/requests.json"): (perm("cooperation", 201), ("-",)),
    # incoming requests received outside tipnet, registered by the requested state; overdue reminders (focal
    # points for their country's requests, the hub administrator for the whole register)
    ("GET", "/requests/incoming/new"): (perm("cooperation"), ("-",)),
    ("GET", "/requests/incoming/new.json"): (perm("cooperation"), ("-",)),
    ("POST", "/requests/incoming"): (perm("cooperation", 303), ("-",)),
    ("POST", "/requests/incoming.json"): (perm("cooperation", 201), ("-",)),
    ("POST", "/requests/remind"): (perm("directory_edit", 303), ("-",)),
    ("POST", "/requests/remind.json"): (perm("directory_edit"), ("-",)),
    ("GET", "/requests/{request_id}"): (perm("cooperation", party(200)), ("own", "other")),
    ("GET", "/requests/{request_id}.json"): (perm("cooperation", party(200)), ("own", "other")),
    ("GET", "/requests/{request_id}/edit"): (perm("cooperation", party(200)), ("own", "other")),
    ("GET", "/requests/{request_id}/edit.json"): (perm("cooperation", party(200)), ("own", "other")),
    ("POST", "/requests/{request_id}/edit"): (perm("cooperation", party(303)), ("own", "other")),
    ("POST", "/requests/{request_id}/edit.json"): (perm("cooperation", party(200)), ("own", "other")),
    ("POST", "/requests/{request_id}/status"): (perm("cooperation", party(409)), ("own", "other")),
    ("POST", "/requests/{request_id}/status.json"): (perm("cooperation", party(409)), ("own", "other")),
    ("GET", "/requests/{request_id}/document.pdf"): (perm("cooperation", party(200)), ("own", "other")),
    ("GET", "/requests/{request_id}/document.docx"): (perm("cooperation", party(200)), ("own", "other")),
    ("GET", "/requests/{request_id}/files/{file_id}"): (perm("cooperation", 404), ("own", "other")),  # no such file
    # progress indicators and national diagnostic assessments (none published in this store)
    ("GET", "/assess"): (public(), ("-",)),
    ("GET", "/assess.json"): (public(), ("-",)),
    ("GET", "/assess/live"): (perm("assess"), ("-",)),  # recomputed scorecards: the hub's all, a country its own
    ("GET", "/assess/live.json"): (perm("assess"), ("-",)),
    ("GET", "/assess/{iso3}"): (public(), ("-",)),
    ("GET", "/assess/{iso3}.json"): (public(), ("-",)),
    ("GET", "/assess/{iso3}/report"): (public(404), ("-",)),
    ("GET", "/assess/{iso3}/report.json"): (public(404), ("-",)),
    ("GET", "/assess/{iso3}/report.pdf"): (public(404), ("-",)),
    ("GET", "/assess/{iso3}/questionnaire"): (perm("assess", own_only), ("own", "other")),
    ("GET", "/assess/{iso3}/questionnaire.json"): (perm("assess", own_only), ("own", "other")),
    ("POST", "/assess/{iso3}/questionnaire"): (perm("assess_edit", lambda w, t: 303 if t == "own" else 404),
                                               ("own", "other")),
    ("POST", "/assess/{iso3}/questionnaire.json"): (perm("assess_edit", lambda w, t: 200 if t == "own" else 404),
                                                    ("own", "other")),
    ("POST", "/assess/{iso3}/workflow"): (perm("assess", 422), ("own", "other")),  # no action given
    ("POST", "/assess/{iso3}/workflow.json"): (perm("assess", 422), ("own", "other")),
    # federation: the matrix's store is not a hub (no hub keys), so pushes find nothing (404); the hub's own users
    # push nothing (403): bundles come from a country's node with that country's token
    ("GET", "/api/federation/hub"): (public(404), ("-",)),
    ("POST", "/api/federation/uploads"): (perm("upload", fed_push), ("-",)),
    ("GET", "/api/federation/uploads/{bundle_id}"): (perm("upload", fed_push), ("-",)),
    ("PUT", "/api/federation/uploads/{bundle_id}"): (perm("upload", fed_push), ("-",)),
    ("POST", "/api/federation/uploads/{bundle_id}/commit"): (perm("upload", fed_push), ("-",)),
    ("GET", "/api/federation/results"): (perm("upload", fed_push), ("-",)),
    ("GET", "/api/federation/results/{node_id}/{sequence}"): (perm("upload", fed_push), ("-",)),
    ("POST", "/api/federation/nodes/{node_id}/keys"): (perm("upload", fed_push), ("-",)),
    ("GET", "/federation/nodes"): (perm("submissions"), ("-",)),  # the register: the hub all, a country its own
    ("GET", "/federation/nodes.json"): (perm("submissions"), ("-",)),
    ("GET", "/federation/nodes/{node_id}"): (perm("submissions", 404), ("-",)),  # no node registered here
    ("GET", "/federation/nodes/{node_id}.json"): (perm("submissions", 404), ("-",)),
    ("POST", "/federation/nodes/{node_id}/revoke"): (perm("users", 404), ("-",)),
    ("POST", "/federation/nodes/{node_id}/revoke.json"): (perm("users", 404), ("-",)),
    ("GET", "/federation/tables"): (perm("stats"), ("-",)),  # shared tables: the hub all, a country its own
    ("GET", "/federation/tables.json"): (perm("stats"), ("-",)),
}

# --- the store and the principals -----------------------------------------------------------------------------------


class World:
    def __init__(self, root: Path) -> None:
        self.settings = Settings.from_env(home=root / "home")
        self.db = Database(f"sqlite:///{root / 'matrix.db'}")
        self.db.upgrade()
        self.app = create_app(self.db, self.settings,
                              AuthSettings(login_free_failures=10**6, login_free_failures_ip=10**6))
        self.client = TestClient(self.app)
        self.sub: dict[str, int] = {}
        for name, (country, rows) in FILES.items():
            path = root / name
            path.write_text(HEADER + rows, encoding="utf-8")
            report = import_file(path, self.db, ImportOptions(country=country, strict=True), self.settings)
            assert report.rows_quarantined == 1 and report.submission_id is not None
            self.sub[name] = report.submission_id
        col = make_user(self.db, "analyst", "COL")
        self.col = Principal(via=Via.SESSION, user_id=col.user.id, email=col.email, role=Role.ANALYST, country="COL")
        records.set_shared(self.db, self.col, self.sub["col-shared.csv"], True)
        self.users = {c: make_user(self.db, "service_provider", c).user.id for c in ("PER", "COL")}  # admin targets
        self.case_authors = {}
        for c in ("PER", "COL"):
            ngo = make_user(self.db, "service_provider", c)
            self.case_authors[c] = Principal(via=Via.SESSION, user_id=ngo.user.id, email=ngo.email,
                                             role=Role.SERVICE_PROVIDER, country=c)
        self.authorities, self.coop_requests = self._cooperation()
        spare = make_user(self.db, "analyst", "PER")
        spare_owner = Principal(via=Via.SESSION, user_id=spare.user.id, email=spare.email, role=Role.ANALYST,
                                country="PER")
        self.spare_token = tokens.issue(self.db, spare_owner, "spare", 30)
        self.machine = tokens.issue(self.db, spare_owner, "matrix", 30)["token"]
        self.creds: dict[str, dict[str, str]] = {}
        self.accounts: dict[str, Principal] = {}
        for who in WHO:
            self.creds[who.name] = self._credentials(who)
        self._n = itertools.count(1)

    def _cooperation(self) -> tuple[dict[str, int], dict[str, int]]:
        """A directory entry in PER and COL; a PER draft to COL ("own") and a COL draft to ECU ("other")."""
        from tipnet.auth.principal import system
        from tipnet.coop import directory, requests

        entries = {c: directory.create(self.db, system("matrix"), {
            "name": f"Central Authority {c}", "country": c, "competences": ["mla_central_authority"],
            "working_languages": ["es"], "legal_profile": {"legal_basis": ["Nassau Convention"]}}).id
            for c in ("PER", "COL", "ECU")}
        drafts = {}
        for target, (country, to) in {"own": ("PER", "COL"), "other": ("COL", "ECU")}.items():
            author = Principal(via=Via.SESSION, email=f"investigator.{country}@x.org", role=Role.INVESTIGATOR,
                               country=country)
            drafts[target] = requests.create(self.db, author, "mla", to, ["evidence_taking"],
                                             "trafficking_in_persons").id
        return entries, drafts

    def _credentials(self, who: Who) -> dict[str, str]:
        if who.via == "anon":
            token = self.client.get("/login.json").json()["csrf_token"]
            self.client.cookies.clear()
            return {"cookie": f"tipnet_csrf={token}", "x-csrf-token": token}
        if who.via == "token":
            return {"authorization": f"Bearer {self.machine}"}
        acct = make_user(self.db, who.role or "", who.country)
        self.accounts[who.name] = Principal(via=Via.SESSION, user_id=acct.user.id, email=acct.email,
                                            role=Role(who.role or ""), country=who.country)
        stage = Stage.TOTP if who.via == "pending" else Stage.FULL
        new = sessions.create(self.db, acct.user.id, stage, self.app.state.auth_settings)
        return {"cookie": f"tipnet_session={new.token}", "x-csrf-token": new.csrf}

    def stage_upload(self, who: str) -> str:
        """A staged upload of the given principal's country (one row without a case id, so a commit adds no records)."""
        creds = self.creds[who]
        body = f"{HEADER}U{next(self._n)},,STAGED,F,400,PER,2023-01-01,true\n"
        self.client.cookies.clear()
        r = self.client.post("/uploads.json", files={"file": ("staged.csv", body.encode(), "text/csv")},
                             headers=creds)
        assert r.status_code == 201, r.text
        return r.json()["token"]

    def url(self, who: Who, path: str, target: str) -> tuple[str, dict[str, object]]:
        """The concrete URL and request body for a route, principal and target."""
        country = {"own": "PER", "other": "COL", "shared": "COL"}.get(target, "PER")
        sub = {"own": "per-private.csv", "other": "col-private.csv", "shared": "col-shared.csv"}.get(target, "")
        values: dict[str, object] = {
            "submission_id": self.sub.get(sub, 0), "iso3": country, "release_id": 999, "path": "datapackage.json",
            "area": country, "table": "country_sex",
            "user_id": self.users.get(country, 0),
            "key_id": "0" * 64, "message_id": "0" * 32, "alert_id": 0, "index": 0,
            "bundle_id": "0" * 32, "node_id": "per-node", "sequence": 1, "figure_id": 999, "fmt": "csv",
        }
        body: dict[str, object] = {}
        if "{token}" in path:
            values["token"] = self.stage_upload("analyst_per" if target == "own" else "col_analyst")
        if "{case_id}" in path:
            values["case_id"] = self.case_draft(who, target)
        if "{authority_id}" in path:
            values["authority_id"] = self.authorities["PER" if target == "own" else "COL"]
        if "{request_id}" in path:
            values["request_id"] = self.coop_requests[target]
            values["file_id"] = 999
        if "{token_id}" in path:
            values["token_id"] = (self._own_token(who) if target == "own" else self.spare_token["id"])
        concrete = "/static/tipnet.css" if path == "/static/{path}" else path
        for key, value in values.items():
            concrete = concrete.replace("{" + key + "}", str(value))
        if path.startswith("/uploads") and path.count("/") == 1:
            body = {"files": {"file": ("m.csv", (HEADER + "M1,MC,MATRIX,F,30,PER,2023-01-01,true\n").encode(),
                                       "text/csv")}, "data": {"country": country}}
        elif path.endswith(("/mapping", "/mapping.json")):
            body = {"data": {"name": "matrix", "column-0": "record_id", "column-1": "case_id"}}
        elif path.startswith("/login/totp"):
            body = {"data": {"code": "999999"}}
        elif path.startswith("/login"):
            body = {"data": {"email": "nobody@x.org", "password": "not a password at all"}}
        elif path.startswith("/account/password"):
            body = {"data": {"current": "wrong password!!", "new": "x" * 20, "confirm": "x" * 20}}
        elif path.startswith("/account/totp"):
            body = {"data": {"code": "123456"}}
        elif path.startswith("/account/tokens") and "{token_id}" not in path:
            body = {"data": {"name": "matrix"}}
        elif path.startswith("/admin/users/{user_id}"):
            body = {"data": {"action": "enable"}}
        elif path.startswith("/admin/users"):
            body = {"data": {"email": f"new{next(self._n)}@x.org", "role": "analyst", "country": country}}
        elif path.startswith("/cases") and "/consent" in path:
            body = {"data": {"items": "consent_research", "given_by": "victim"}}
        elif path.startswith("/cases"):
            body = {"data": {"action": "save", "given_names": "MATRIXCASE", "age": "15"}}
        elif path.startswith("/directory/authorities/{authority_id}/re"):  # retire, reinstate
            body = {"data": {"reason": "matrix"}}
        elif path.startswith("/directory/authorities/{authority_id}") and "/verify" not in path:
            body = {"data": {"phone": f"+000 {next(self._n)}"}}
        elif path.startswith("/directory/authorities"):
            body = {"data": {"name": f"Matrix authority {next(self._n)}", "country": country, "competences": "police",
                             "working_languages": "es"}} if "/verify" not in path else {}
        elif path in ("/requests/incoming", "/requests/incoming.json"):
            body = {"data": {"kind": "mla", "requesting_country": "COL", "received_on": "2026-01-05",
                             "external_reference": f"MATRIX-{next(self._n)}", "measures": "evidence_taking",
                             "crime": "trafficking_in_persons"}}
        elif path in ("/requests", "/requests.json"):
            body = {"data": {"kind": "mla", "requested_country": "COL", "measures": "evidence_taking",
                             "crime": "trafficking_in_persons"}}
        elif path.startswith("/requests/{request_id}/edit"):
            body = {"data": {"field_purpose": "matrix"}}
        elif path.startswith("/requests/{request_id}/status"):
            body = {"data": {"status": "executed"}}
        elif path.endswith(("/correct", "/correct.json")) and "{figure_id}" in path:
            body = {"data": {"value": "3", "reason": "matrix"}}
        elif "/sharing" in path:
            body = {"data": {"shared": "true" if target == "shared" else "false"}}
        return concrete, body

    def case_draft(self, who: Who, target: str) -> str:
        """A fresh draft: for "own", entered by the caller when it enters cases (else by a PER service provider);
        for "other", entered by a COL service provider. A draft stores nothing in the statistics."""
        from tipnet.cases import store as case_store

        if target == "own":
            mine = self.accounts.get(who.name)
            author = mine if mine is not None and who.role in MAY["cases"] else self.case_authors["PER"]
            marker = "PERCASE"
        else:
            author, marker = self.case_authors["COL"], "COLCASE"
        case, _ = case_store.save(self.db, author, {"given_names": marker, "age": "15", "consent_research": "yes"})
        return case.public_id

    def _own_token(self, who: Who) -> int:
        owner = self.accounts.get(who.name)
        if owner is None or owner.country is None or who.role not in MAY["tokens"]:
            return self.spare_token["id"]
        return int(tokens.issue(self.db, owner, "to revoke", 1)["id"])

    def request(self, who: Who, method: str, path: str, target: str):  # type: ignore[no-untyped-def]
        url, body = self.url(who, path, target)
        headers = dict(self.creds[who.name])
        if path == "/logout" or path == "/logout.json":  # log out a copy of the session, not the one the matrix uses
            headers = self._throwaway(who, headers)
        self.client.cookies.clear()
        return self.client.request(method, url, headers=headers, follow_redirects=False, **body)  # type: ignore[arg-type]

    def _throwaway(self, who: Who, headers: dict[str, str]) -> dict[str, str]:
        owner = self.accounts.get(who.name)
        if owner is None or owner.user_id is None:
            return headers
        stage = Stage.TOTP if who.via == "pending" else Stage.FULL
        new = sessions.create(self.db, owner.user_id, stage, self.app.state.auth_settings)
        return {"cookie": f"tipnet_session={new.token}", "x-csrf-token": new.csrf}


@pytest.fixture(scope="module")
def world(tmp_path_factory, request) -> World:
    root = tmp_path_factory.mktemp("matrix")
    mp = pytest.MonkeyPatch()
    mp.setenv("TIPNET_HOME", str(root / "home"))
    request.addfinalizer(mp.undo)
    w = World(root)
    w.creds["col_analyst"] = w._credentials(Who("col_analyst", "analyst", "COL"))
    return w


# --- the tests ------------------------------------------------------------------------------------------------------


def test_every_route_is_classified(world):
    """Each route has an access rule in the app and an expectation here; nothing is left open by accident."""
    seen = {(m, e.path) for e in endpoints(world.app) for m in (e.methods or ("GET",)) if m != "HEAD"}
    unclassified = sorted(seen - set(EXPECT))
    assert not unclassified, f"classify these routes in EXPECT (and with @access in the app): {unclassified}"
    assert not sorted(set(EXPECT) - seen), "EXPECT lists routes the app no longer has"
    unruled = [e.path for e in endpoints(world.app) if e.api and e.rule is None]
    assert not unruled, f"routes without @access(...) are refused at run time: {unruled}"


def test_an_unclassified_route_is_refused(sqlite_db, settings):
    app = create_app(sqlite_db, settings)

    @app.get("/forgotten.json")
    def forgotten() -> dict[str, str]:
        return {"secret": "leak"}

    r = TestClient(app).get("/forgotten.json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def _markers_forbidden(who: Who) -> set[str]:
    if not who.signed_in:
        return ALL_MARKERS
    if who.hub:
        return ALL_MARKERS - HUB_MAY_SEE
    return COL_MARKERS  # a PER principal never reads COL's records, quarantine rows, or its submissions' names


CASES = [(who, method, path, target) for (method, path), (_, targets) in EXPECT.items() for who in WHO
         for target in targets]


@pytest.mark.parametrize("who,method,path,target", CASES,
                         ids=[f"{w.name}-{m}-{p}-{t}" for w, m, p, t in CASES])
def test_matrix(world, who, method, path, target):
    expect, _ = EXPECT[(method, path)]
    r = world.request(who, method, path, target)
    wanted = expect(who, target, method, path)
    assert r.status_code == wanted, f"{who.name} {method} {path} [{target}]: {r.status_code} {r.text[:300]}"
    if r.status_code in (401, 403, 404, 422, 429):
        body = r.json() if "json" in r.headers.get("content-type", "") else None
        if body is not None:
            assert set(body) == {"error"} and body["error"]["status"] == r.status_code
    leaked = {m for m in _markers_forbidden(who) if m in r.text}
    assert not leaked, f"{who.name} read {leaked} through {method} {path} [{target}]"


# --- what the figures and files contain -----------------------------------------------------------------------------


def _get(world: World, who: str, url: str):  # type: ignore[no-untyped-def]
    world.client.cookies.clear()
    return world.client.get(url, headers=world.creds[who])


@pytest.mark.parametrize("who", ["analyst_per", "focal_per", "investigator_per"])
def test_a_country_sees_only_its_microdata(world, who):
    by_country = _get(world, who, "/api/stats?by=country").json()["rows"]
    assert {r["country"] for r in by_country} <= {"PER", "_all"}
    assert next(r["victims"] for r in by_country if r["country"] == "PER") == 3
    assert _get(world, who, "/countries/COL.json").json()["victims_total"] == 0
    assert _get(world, who, "/countries/PER.json").json()["victims_total"] == 3
    overview = _get(world, who, "/stats.json").json()
    assert [r["country"] for r in overview["microdata_by_country"]] == ["PER"]
    assert overview["route_summary"]["victims_with_route"] <= 3


def test_the_hub_sees_only_shared_consented_records(world):
    for who in ("hub_admin", "hub_analyst"):
        by_country = {r["country"]: r["victims"] for r in _get(world, who, "/api/stats?by=country").json()["rows"]}
        assert by_country == {"COL": 1, "_all": 1}
        assert _get(world, who, "/countries/PER.json").json()["victims_total"] == 0
        exported = _get(world, who, f"/submissions/{world.sub['col-shared.csv']}/records.csv").text
        assert "COLSHAREDOK" in exported and "COLSHAREDNO" not in exported and "COLSHAREDNULL" not in exported
        listed = {s["filename"]: s for s in _get(world, who, "/submissions.json").json()["submissions"]}
        assert listed["col-private.csv"]["records_visible"] is False and not listed["col-private.csv"]["has_quarantine"]
        assert listed["col-shared.csv"]["records_visible"] is True and listed["col-shared.csv"]["shared_with_hub"]
        detail = _get(world, who, f"/submissions/{world.sub['col-private.csv']}.json").json()
        assert "problems" not in detail["report"]  # the report quotes source values: only for the country


def test_a_country_reads_its_own_records_and_quarantine(world):
    sid = world.sub["per-private.csv"]
    assert _get(world, "analyst_per", f"/submissions/{sid}/records.csv").text.count("PERPRIV") == 3
    assert "PERQUAR" in _get(world, "analyst_per", f"/submissions/{sid}/quarantine.csv").text
    detail = _get(world, "analyst_per", f"/submissions/{sid}.json").json()
    assert detail["report"]["problems"] and detail["has_quarantine"] and detail["records_visible"]
    listed = _get(world, "analyst_per", "/submissions.json").json()["submissions"]
    assert {s["reporting_country"] for s in listed} == {"PER"}


def test_sharing_is_what_opens_records_to_the_hub(world):
    sid = world.sub["col-private.csv"]
    col = world.creds["col_analyst"]
    assert _get(world, "hub_analyst", f"/submissions/{sid}/records.csv").status_code == 404
    world.client.cookies.clear()
    assert world.client.post(f"/submissions/{sid}/sharing.json", data={"shared": "true"}, headers=col).json() == {
        "submission_id": sid, "shared_with_hub": True}
    try:
        text = _get(world, "hub_analyst", f"/submissions/{sid}/records.csv").text
        assert text.count("COLPRIV") == 2  # the two victims who consented
        rows = {r["country"]: r["victims"] for r in _get(world, "hub_analyst", "/api/stats?by=country").json()["rows"]}
        assert rows["COL"] == 3  # the statistics source reloads when sharing changes
    finally:
        world.client.cookies.clear()
        world.client.post(f"/submissions/{sid}/sharing.json", data={"shared": "false"}, headers=col)
    assert _get(world, "hub_analyst", f"/submissions/{sid}/records.csv").status_code == 404
    rows = {r["country"]: r["victims"] for r in _get(world, "hub_analyst", "/api/stats?by=country").json()["rows"]}
    assert rows["COL"] == 1
