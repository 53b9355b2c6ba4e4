"""Finding 8 of the outside probe (second half): an API token worked again when its disabled owner was re-enabled
(sessions did not). Disabling an account now revokes its tokens for good, and says so in the audit log."""

from __future__ import annotations

import pytest
from auth_helpers import make_user, sign_in
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tipnet.auth import admin, tokens
from tipnet.auth.principal import Principal, Via, operator
from tipnet.auth.roles import Role
from tipnet.store.tables_auth import api_tokens, audit_log, users
from tipnet.web.app import create_app


@pytest.fixture
def app(sqlite_db, settings):
    return create_app(sqlite_db, settings)


def _status(client: TestClient) -> int:
    return client.get("/submissions.json").status_code


def test_a_token_stays_dead_after_its_owner_is_disabled_and_enabled_again(app, sqlite_db):
    owner = TestClient(app)
    acct = sign_in(owner, make_user(sqlite_db, "analyst", "PER"))
    issued = owner.post("/account/tokens.json", data={"name": "nightly"}).json()
    machine = TestClient(app, headers={"authorization": f"Bearer {issued['token']}"})
    assert _status(machine) == 200
    hub = TestClient(app)
    sign_in(hub, make_user(sqlite_db, "hub_admin"))
    assert hub.post(f"/admin/users/{acct.user.id}.json", data={"action": "disable"}).status_code == 200
    assert _status(machine) == 401
    assert hub.post(f"/admin/users/{acct.user.id}.json", data={"action": "enable"}).status_code == 200
    assert _status(machine) == 401  # the probe's finding: this answered 200
    me = Principal(via=Via.SESSION, user_id=acct.user.id, email=acct.email, role=Role.ANALYST, country="PER")
    fresh = tokens.issue(sqlite_db, me, "nightly 2", 30)  # the owner, enabled again, issues a new one
    assert _status(TestClient(app, headers={"authorization": f"Bearer {fresh['token']}"})) == 200
    listed = {t["id"]: t["revoked_at"] for t in tokens.listing(sqlite_db, acct.user.id)}
    assert listed[issued["id"]] is not None and listed[fresh["id"]] is None
    with sqlite_db.engine.connect() as conn:
        entries = conn.execute(select(audit_log.c.action, audit_log.c.object_id, audit_log.c.details)
                               .where(audit_log.c.action.in_(["user.disable", "token.revoke"]))
                               .order_by(audit_log.c.seq)).all()
    assert [(a, o) for a, o, _ in entries] == [("user.disable", str(acct.user.id)), ("token.revoke", str(issued["id"]))]
    assert f"[{issued['id']}]" in entries[0].details.replace(" ", "")


def test_a_token_left_unrevoked_by_an_older_disable_is_revoked_on_enable(sqlite_db):
    """A store disabled before this rule holds a disabled owner with a live token: enabling must not revive it."""
    acct = make_user(sqlite_db, "analyst", "PER")
    owner = admin.users.get(sqlite_db, acct.user.id)
    assert owner is not None
    me = Principal(via=Via.SESSION, user_id=owner.id, email=owner.email, role=Role.ANALYST, country="PER")
    issued = tokens.issue(sqlite_db, me, "old", 30)
    with sqlite_db.engine.begin() as conn:  # disabled the old way: the account only
        conn.execute(update(users).where(users.c.id == owner.id).values(disabled=True))
    assert tokens.resolve(sqlite_db, issued["token"]) is None
    admin.change(sqlite_db, operator("root"), owner.id, "enable")
    assert tokens.resolve(sqlite_db, issued["token"]) is None
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(select(api_tokens.c.revoked_at)).scalar_one() is not None


def test_enabling_an_account_that_was_not_disabled_keeps_its_tokens(sqlite_db):
    acct = make_user(sqlite_db, "analyst", "PER")
    me = Principal(via=Via.SESSION, user_id=acct.user.id, email=acct.email, role=Role.ANALYST, country="PER")
    issued = tokens.issue(sqlite_db, me, "live", 30)
    admin.change(sqlite_db, operator("root"), acct.user.id, "enable")
    assert tokens.resolve(sqlite_db, issued["token"]) is not None
