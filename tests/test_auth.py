"""The account core without HTTP: argon2id passwords, TOTP with replay protection, throttling with backoff,
server-side sessions, API tokens hashed at rest, roles and tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auth_helpers import PASSWORD, make_user
from sqlalchemy import select, text

from tipnet.auth import clock, login, passwords, sessions, throttle, tokens, totp, users
from tipnet.auth.policy import ENROL_STEP, PUBLIC, SIGNED_IN, TOTP_STEP, decide, needs
from tipnet.auth.principal import ANONYMOUS, Principal, Stage, Via
from tipnet.auth.roles import ROLE_PERMISSIONS, Permission, Role
from tipnet.auth.settings import AuthSettings
from tipnet.auth.tenancy import Scope
from tipnet.errors import Forbidden, Invalid, NotVisible, Throttled, Unauthenticated
from tipnet.store.tables_auth import api_tokens
from tipnet.store.tables_auth import sessions as sessions_table
from tipnet.store.tables_auth import users as users_table

SETTINGS = AuthSettings()


class Clock:
    """Moves tipnet.auth.clock.now forward on demand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = clock.now()
        monkeypatch.setattr(clock, "now", lambda: self.at)

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def fake_clock(monkeypatch):
    return Clock(monkeypatch)


def test_passwords_are_argon2id_and_checked():
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and PASSWORD not in stored
    assert passwords.verify(stored, PASSWORD) and not passwords.verify(stored, PASSWORD + "x")
    assert not passwords.verify("not a hash", PASSWORD) and not passwords.verify(stored, "x" * 5000)
    for bad in ("short", "a@b.org", "aaaaaaaaaaaaaa"):
        with pytest.raises(Invalid):
            passwords.check_policy(bad, "a@b.org")
    temporary = passwords.temporary_password()
    passwords.check_policy(temporary)
    assert temporary != passwords.temporary_password()


def test_users_are_validated_and_stored_without_clear_secrets(sqlite_db):
    acct = make_user(sqlite_db, "analyst", "PER", email="Ana@Example.ORG")
    assert acct.user.email == "ana@example.org" and acct.user.role == Role.ANALYST
    with pytest.raises(Invalid, match="already exists"):
        users.create(sqlite_db, "ana@example.org", "analyst", "PER", PASSWORD)
    with pytest.raises(Invalid, match="OAS member"):
        users.create(sqlite_db, "b@example.org", "analyst", "XXX", PASSWORD)
    with pytest.raises(Invalid, match="belongs to the hub"):
        users.create(sqlite_db, "c@example.org", "hub_admin", "PER", PASSWORD)
    with pytest.raises(ValueError, match="unknown role"):
        users.create(sqlite_db, "d@example.org", "superuser", None, PASSWORD)
    with sqlite_db.engine.connect() as conn:
        row = conn.execute(select(users_table)).first()
    assert PASSWORD not in str(tuple(row)) and "password_hash" not in acct.user.public()


def test_totp_drift_and_no_replay(sqlite_db, fake_clock):
    acct = make_user(sqlite_db, "analyst", "PER")
    code = totp.current_code(acct.secret)
    step = totp.matching_step(acct.secret, code, None)
    assert step is not None
    assert users.accept_totp_step(sqlite_db, acct.user.id, step)
    assert not users.accept_totp_step(sqlite_db, acct.user.id, step)  # the same step twice: refused
    assert totp.matching_step(acct.secret, code, step) is None  # and the code is refused once its step is used
    fake_clock.advance(30)
    assert totp.matching_step(acct.secret, code, None) == step  # one step of clock drift is allowed
    fake_clock.advance(60)
    assert totp.matching_step(acct.secret, code, None) is None
    for bad in ("12345", "abcdef", "1234567"):
        assert totp.matching_step(acct.secret, bad, None) is None
    assert totp.provisioning_uri(acct.secret, "a@b.org").startswith("otpauth://totp/tipnet:a%40b.org?secret=")


def test_sign_in_steps(sqlite_db):
    acct = make_user(sqlite_db, "analyst", "PER")
    with pytest.raises(Unauthenticated):
        login.sign_in(sqlite_db, SETTINGS, acct.email, "wrong password!!")
    with pytest.raises(Unauthenticated):
        login.sign_in(sqlite_db, SETTINGS, "nobody@x.org", PASSWORD)
    first = login.sign_in(sqlite_db, SETTINGS, acct.email.upper(), PASSWORD)
    assert first.stage == Stage.TOTP
    who = sessions.resolve(sqlite_db, first.token, SETTINGS)
    assert who is not None and not who.authenticated and who.permissions == frozenset()
    done = login.verify_code(sqlite_db, SETTINGS, who, totp.current_code(acct.secret))
    assert done.stage == Stage.FULL and done.token != first.token
    assert sessions.resolve(sqlite_db, first.token, SETTINGS) is None  # rotated: the first token is dead
    full = sessions.resolve(sqlite_db, done.token, SETTINGS)
    assert full is not None and full.authenticated and full.can(Permission.RECORDS_READ)
    with sqlite_db.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(sessions_table.c.id))]
    assert done.token not in ids and sessions.token_hash(done.token) in ids  # only the hash is stored


def test_enrolment_and_temporary_password(sqlite_db):
    acct = make_user(sqlite_db, "focal_point", "PER", enrolled=False, must_change=True)
    new = login.sign_in(sqlite_db, SETTINGS, acct.email, PASSWORD)
    assert new.stage == Stage.ENROL
    who = sessions.resolve(sqlite_db, new.token, SETTINGS)
    assert who is not None
    shown = login.enrolment(sqlite_db, who)
    assert shown["secret"] == login.enrolment(sqlite_db, who)["secret"]  # stable until confirmed
    with pytest.raises(Invalid):
        login.confirm_enrolment(sqlite_db, SETTINGS, who, "000000")
    step2 = login.confirm_enrolment(sqlite_db, SETTINGS, who, totp.current_code(shown["secret"]))
    assert step2.stage == Stage.PASSWORD
    who2 = sessions.resolve(sqlite_db, step2.token, SETTINGS)
    assert who2 is not None and not who2.authenticated
    with pytest.raises(Invalid, match="current password"):
        login.change_password(sqlite_db, SETTINGS, who2, "not it at all", "a brand new passphrase")
    done = login.change_password(sqlite_db, SETTINGS, who2, PASSWORD, "a brand new passphrase")
    assert done.stage == Stage.FULL
    user = users.get(sqlite_db, acct.user.id)
    assert user is not None and user.totp_enabled and not user.must_change_password


def test_password_change_ends_other_sessions(sqlite_db):
    acct = make_user(sqlite_db, "analyst", "COL")
    a = login.sign_in(sqlite_db, SETTINGS, acct.email, PASSWORD, code=totp.current_code(acct.secret))
    users.change(sqlite_db, acct.user.id, totp_last_step=None)  # a second device signs in within the same step
    b = login.sign_in(sqlite_db, SETTINGS, acct.email, PASSWORD, code=totp.current_code(acct.secret))
    who = sessions.resolve(sqlite_db, a.token, SETTINGS)
    assert who is not None
    login.change_password(sqlite_db, SETTINGS, who, PASSWORD, "another long passphrase")
    assert sessions.resolve(sqlite_db, b.token, SETTINGS) is None
    assert sessions.resolve(sqlite_db, a.token, SETTINGS) is None  # rotated too


def test_sessions_expire_and_die_with_the_account(sqlite_db, fake_clock):
    acct = make_user(sqlite_db, "analyst", "PER")
    s = sessions.create(sqlite_db, acct.user.id, Stage.FULL, SETTINGS)
    fake_clock.advance(SETTINGS.session_idle_seconds - 5)
    assert sessions.resolve(sqlite_db, s.token, SETTINGS) is not None  # activity keeps it alive
    fake_clock.advance(SETTINGS.session_idle_seconds + 1)
    assert sessions.resolve(sqlite_db, s.token, SETTINGS) is None  # idle too long
    s = sessions.create(sqlite_db, acct.user.id, Stage.FULL, SETTINGS)
    for _ in range(SETTINGS.session_max_seconds // 600 + 1):
        fake_clock.advance(600)
        sessions.resolve(sqlite_db, s.token, SETTINGS)
    assert sessions.resolve(sqlite_db, s.token, SETTINGS) is None  # absolute lifetime
    s = sessions.create(sqlite_db, acct.user.id, Stage.FULL, SETTINGS)
    users.change(sqlite_db, acct.user.id, disabled=True)
    assert sessions.resolve(sqlite_db, s.token, SETTINGS) is None
    assert sessions.resolve(sqlite_db, "", SETTINGS) is None
    assert sessions.resolve(sqlite_db, "x" * 500, SETTINGS) is None


def _revoke_elsewhere(db, session_id: str) -> None:  # type: ignore[no-untyped-def]
    """Revoke a session the way another worker process would: a commit this process does not see."""
    import sqlite3

    from sqlalchemy.engine import make_url

    with sqlite3.connect(str(make_url(db.url).database)) as raw:
        raw.execute("UPDATE sessions SET revoked_at = '2000-01-01 00:00:00' WHERE id = ?", (session_id,))


def test_a_resolved_session_is_trusted_briefly_and_any_change_here_ends_it(sqlite_db, fake_clock):
    acct = make_user(sqlite_db, "analyst", "PER")
    s = sessions.create(sqlite_db, acct.user.id, Stage.FULL, SETTINGS)
    assert sessions.known(sqlite_db, s.token) is None  # never resolved: the store must be asked
    who = sessions.resolve(sqlite_db, s.token, SETTINGS, ip="10.0.0.1")
    assert who is not None
    again = sessions.known(sqlite_db, s.token, "10.0.0.2")
    assert again is not None and again.user_id == who.user_id and again.ip == "10.0.0.2"
    # a sign-out by another worker process: trusted at most CACHE_SECONDS more, then the store says no
    _revoke_elsewhere(sqlite_db, who.session_id)
    assert sessions.known(sqlite_db, s.token) is not None
    fake_clock.advance(sessions.CACHE_SECONDS)
    assert sessions.known(sqlite_db, s.token) is None
    assert sessions.resolve(sqlite_db, s.token, SETTINGS) is None
    # a sign-out, a disabled account, any commit in this process: no longer trusted at once
    s = sessions.create(sqlite_db, acct.user.id, Stage.FULL, SETTINGS)
    assert sessions.resolve(sqlite_db, s.token, SETTINGS) is not None and sessions.known(sqlite_db, s.token)
    users.change(sqlite_db, acct.user.id, disabled=True)
    assert sessions.known(sqlite_db, s.token) is None and sessions.resolve(sqlite_db, s.token, SETTINGS) is None
    users.change(sqlite_db, acct.user.id, disabled=False)
    s = sessions.create(sqlite_db, acct.user.id, Stage.FULL, SETTINGS)
    who = sessions.resolve(sqlite_db, s.token, SETTINGS)
    assert who is not None and sessions.known(sqlite_db, s.token) is not None
    sessions.revoke(sqlite_db, who.session_id)
    assert sessions.known(sqlite_db, s.token) is None and sessions.resolve(sqlite_db, s.token, SETTINGS) is None


def test_a_trusted_session_still_ends_on_time(sqlite_db, fake_clock):
    settings = AuthSettings(session_idle_seconds=1)
    acct = make_user(sqlite_db, "analyst", "PER")
    s = sessions.create(sqlite_db, acct.user.id, Stage.FULL, settings)
    assert sessions.resolve(sqlite_db, s.token, settings) is not None
    fake_clock.advance(0.9)
    assert sessions.known(sqlite_db, s.token) is not None
    fake_clock.advance(0.2)  # idle longer than allowed, though resolved less than CACHE_SECONDS ago
    assert sessions.known(sqlite_db, s.token) is None and sessions.resolve(sqlite_db, s.token, settings) is None


def test_throttle_per_account_and_source_with_backoff(sqlite_db, fake_clock):
    """Failures slow the source they come from, for that account; another source, the owner's, is not held
    (tests/security/test_lockout.py has the attack)."""
    acct = make_user(sqlite_db, "analyst", "PER")
    settings = AuthSettings(login_free_failures=3)
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            login.sign_in(sqlite_db, settings, acct.email, "wrong password!!", ip="10.0.0.1")
    with pytest.raises(Throttled) as blocked:
        login.sign_in(sqlite_db, settings, acct.email, PASSWORD, ip="10.0.0.1")  # even the right password waits
    assert blocked.value.retry_after == 1
    throttle.check(sqlite_db, acct.email, "10.0.0.2")  # another source is not held
    fake_clock.advance(2)
    with pytest.raises(Unauthenticated):
        login.sign_in(sqlite_db, settings, acct.email, "wrong again!!!!", ip="10.0.0.1")
    with pytest.raises(Throttled) as blocked:
        throttle.check(sqlite_db, acct.email, "10.0.0.1")
    assert blocked.value.retry_after == 2  # doubled
    fake_clock.advance(3)
    ok = login.sign_in(sqlite_db, settings, acct.email, PASSWORD, ip="10.0.0.1", code=totp.current_code(acct.secret))
    assert ok.stage == Stage.FULL
    throttle.check(sqlite_db, acct.email, "10.0.0.1")  # a full sign-in clears the source's count for the account


def test_throttle_per_address(sqlite_db):
    settings = AuthSettings(login_free_failures_ip=2)
    for i in range(2):
        with pytest.raises(Unauthenticated):
            login.sign_in(sqlite_db, settings, f"guess{i}@x.org", "some password!", ip="192.0.2.7")
    with pytest.raises(Throttled):
        login.sign_in(sqlite_db, settings, "guess9@x.org", "some password!", ip="192.0.2.7")
    with pytest.raises(Unauthenticated):  # another address is not affected
        login.sign_in(sqlite_db, settings, "guess9@x.org", "some password!", ip="192.0.2.8")


def test_knowing_the_password_does_not_reset_code_guessing(sqlite_db):
    acct = make_user(sqlite_db, "analyst", "PER")
    settings = AuthSettings(login_free_failures=3)
    with pytest.raises(Throttled):
        for _ in range(10):
            new = login.sign_in(sqlite_db, settings, acct.email, PASSWORD)
            who = sessions.resolve(sqlite_db, new.token, settings)
            assert who is not None
            with pytest.raises(Unauthenticated):
                login.verify_code(sqlite_db, settings, who, "000000" if totp.current_code(acct.secret) != "000000"
                                  else "111111")


def test_api_tokens(sqlite_db):
    acct = make_user(sqlite_db, "analyst", "PER")
    owner = Principal(via=Via.SESSION, user_id=acct.user.id, email=acct.email, role=Role.ANALYST, country="PER")
    issued = tokens.issue(sqlite_db, owner, "nightly", 30)
    secret = issued["token"].split("_", 2)[2]
    with sqlite_db.engine.connect() as conn:
        stored = conn.execute(select(api_tokens)).first()
    assert secret not in str(tuple(stored)) and stored.country == "PER"
    machine = tokens.resolve(sqlite_db, issued["token"])
    assert machine is not None and machine.via == Via.TOKEN and machine.country == "PER"
    assert machine.permissions == {Permission.UPLOAD, Permission.SUBMISSIONS_READ}
    assert tokens.resolve(sqlite_db, issued["token"][:-1] + "x") is None
    assert tokens.resolve(sqlite_db, "tipnet_nothing_here") is None
    users.change(sqlite_db, acct.user.id, disabled=True)
    assert tokens.resolve(sqlite_db, issued["token"]) is None
    users.change(sqlite_db, acct.user.id, disabled=False)
    tokens.revoke(sqlite_db, owner, issued["id"])
    assert tokens.resolve(sqlite_db, issued["token"]) is None
    with pytest.raises(NotVisible):
        tokens.revoke(sqlite_db, owner, issued["id"])
    investigator = make_user(sqlite_db, "investigator", "PER")
    with pytest.raises(Forbidden):
        tokens.issue(sqlite_db, Principal(via=Via.SESSION, user_id=investigator.user.id, role=Role.INVESTIGATOR,
                                          country="PER"), "x", 1)


def test_rules():
    analyst = Principal(via=Via.SESSION, user_id=1, role=Role.ANALYST, country="PER")
    pending = Principal(via=Via.SESSION, user_id=1, role=Role.ANALYST, country="PER", stage=Stage.TOTP)
    machine = Principal(via=Via.TOKEN, user_id=1, role=Role.ANALYST, country="PER")
    decide(ANONYMOUS, PUBLIC)
    decide(analyst, needs(Permission.STATS_READ))
    decide(pending, TOTP_STEP)
    decide(analyst, ENROL_STEP)
    decide(analyst, SIGNED_IN)
    for who, rule, error in [
        (ANONYMOUS, needs(Permission.STATS_READ), Unauthenticated),
        (pending, needs(Permission.STATS_READ), Unauthenticated),
        (pending, SIGNED_IN, Unauthenticated),
        (ANONYMOUS, TOTP_STEP, Unauthenticated),
        (analyst, TOTP_STEP, Forbidden),  # signed in already
        (analyst, needs(Permission.USERS_ADMIN), Forbidden),
        (machine, needs(Permission.STATS_READ), Forbidden),
        (machine, SIGNED_IN, Forbidden),
        (machine, TOTP_STEP, Forbidden),
    ]:
        with pytest.raises(error):
            decide(who, rule)
    assert ROLE_PERMISSIONS[Role.SERVICE_PROVIDER] == frozenset({Permission.CASES_WRITE})  # case entry only


def test_scopes_are_the_only_country_filters(sqlite_db):
    """The conditions compile on the real tables and carry the country where they should."""
    hub = Scope.of(Principal(via=Via.SESSION, user_id=1, role=Role.HUB_ANALYST))
    per = Scope.of(Principal(via=Via.SESSION, user_id=2, role=Role.ANALYST, country="PER"))
    nobody = Scope.of(ANONYMOUS)
    assert (hub.kind, per.kind, per.country, nobody.kind) == ("hub", "country", "PER", "none")
    assert per.owns("PER") and not per.owns("COL") and not hub.owns("PER")
    with sqlite_db.engine.connect() as conn:
        for scope in (hub, per, nobody):
            for cond in (scope.submissions(), scope.persons(), scope.aggregates(), scope.users(), scope.audit()):
                conn.execute(select(text("1")).where(cond).limit(1)).all()
    compiled = str(per.persons().compile(compile_kwargs={"literal_binds": True}))
    assert "'PER'" in compiled
    assert "consent_share_hub" in str(hub.persons().compile())
