"""Finding 7 of the outside probe: five wrong passwords locked the account even against the right password, so anyone
who knew an e-mail address could keep its owner out. Now a source that keeps failing is slowed for that account
(growing waits), the owner signs in from elsewhere with password and one-time code, and a sustained attack alerts
the hub administrator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auth_helpers import PASSWORD, make_user, pre_csrf, sign_in
from fastapi.testclient import TestClient

from tipnet.auth import audit, clock, login, throttle, totp
from tipnet.auth.principal import Principal, Stage, Via
from tipnet.auth.settings import AuthSettings
from tipnet.auth.tenancy import Scope
from tipnet.errors import Throttled, Unauthenticated
from tipnet.web.app import create_app

ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"
WRONG = "not the password!"


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = clock.now()
        monkeypatch.setattr(clock, "now", lambda: self.at)

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def fake_clock(monkeypatch):  # type: ignore[no-untyped-def]
    return Clock(monkeypatch)


def _hammer(db, settings, email, ip, times):  # type: ignore[no-untyped-def]
    """Wrong passwords from one source, waiting out each imposed delay as a patient attacker would."""
    throttled = 0
    for _ in range(times):
        try:
            login.sign_in(db, settings, email, WRONG, ip=ip)
        except Throttled:
            throttled += 1
        except Unauthenticated:
            pass
    return throttled


@pytest.mark.parametrize("attempts", [5, 50])
def test_wrong_passwords_from_one_source_do_not_keep_the_owner_out(sqlite_db, attempts):
    owner = make_user(sqlite_db, "analyst", "PER")
    settings = AuthSettings()
    _hammer(sqlite_db, settings, owner.email, ATTACKER, attempts)
    with pytest.raises(Throttled):  # the attacker's source is slowed for this account, even with the right password
        login.sign_in(sqlite_db, settings, owner.email, PASSWORD, ip=ATTACKER)
    new = login.sign_in(sqlite_db, settings, owner.email, PASSWORD, ip=OWNER, code=totp.current_code(owner.secret))
    assert new.stage == Stage.FULL


def test_the_attackers_waits_grow_and_stay_after_the_owner_signs_in(sqlite_db, fake_clock):
    owner = make_user(sqlite_db, "analyst", "PER")
    settings = AuthSettings(login_free_failures=3, login_max_block_seconds=60)
    waits = []
    for _ in range(12):
        try:
            login.sign_in(sqlite_db, settings, owner.email, WRONG, ip=ATTACKER)
        except Unauthenticated:
            pass
        try:
            throttle.check(sqlite_db, owner.email, ATTACKER)
            waits.append(0)
        except Throttled as exc:
            waits.append(exc.retry_after)
            fake_clock.advance(exc.retry_after)  # the attacker waits it out, then guesses again
    assert waits[:2] == [0, 0] and waits[2:9] == [1, 2, 4, 8, 16, 32, 60] and set(waits[9:]) == {60}, waits
    with pytest.raises(Unauthenticated):
        login.sign_in(sqlite_db, settings, owner.email, WRONG, ip=ATTACKER)
    ok = login.sign_in(sqlite_db, settings, owner.email, PASSWORD, ip=OWNER, code=totp.current_code(owner.secret))
    assert ok.stage == Stage.FULL
    with pytest.raises(Throttled):  # the owner's success gives the attacker no fresh guesses
        login.sign_in(sqlite_db, settings, owner.email, WRONG, ip=ATTACKER)


def test_the_owners_second_factor_resets_the_owners_count(sqlite_db, fake_clock):
    owner = make_user(sqlite_db, "analyst", "PER")
    settings = AuthSettings(login_free_failures=3)
    _hammer(sqlite_db, settings, owner.email, OWNER, 2)  # the owner mistypes twice
    first = login.sign_in(sqlite_db, settings, owner.email, PASSWORD, ip=OWNER)  # the password alone resets nothing
    assert first.stage == Stage.TOTP
    _hammer(sqlite_db, settings, owner.email, OWNER, 1)
    with pytest.raises(Throttled):
        throttle.check(sqlite_db, owner.email, OWNER)
    fake_clock.advance(1)
    full = login.sign_in(sqlite_db, settings, owner.email, PASSWORD, ip=OWNER, code=totp.current_code(owner.secret))
    assert full.stage == Stage.FULL
    _hammer(sqlite_db, settings, owner.email, OWNER, 2)
    throttle.check(sqlite_db, owner.email, OWNER)  # counted from zero again


def test_the_per_source_throttle_still_stops_spraying(sqlite_db):
    settings = AuthSettings(login_free_failures_ip=4)
    victims = [make_user(sqlite_db, "analyst", "PER") for _ in range(5)]
    for v in victims[:4]:
        with pytest.raises(Unauthenticated):
            login.sign_in(sqlite_db, settings, v.email, WRONG, ip=ATTACKER)
    with pytest.raises(Throttled):
        login.sign_in(sqlite_db, settings, victims[4].email, WRONG, ip=ATTACKER)
    # IPv6: the whole /64 a subscriber is given is one source
    for n in range(4):
        with pytest.raises(Unauthenticated):
            login.sign_in(sqlite_db, settings, victims[n].email, WRONG, ip=f"2001:db8:1:2::{n + 1}")
    with pytest.raises(Throttled):
        login.sign_in(sqlite_db, settings, victims[4].email, WRONG, ip="2001:db8:1:2:ffff::9")
    assert throttle.source("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert throttle.source("::ffff:192.0.2.1") == "192.0.2.1"


def test_a_sustained_attack_alerts_the_hub_administrator(sqlite_db):
    owner = make_user(sqlite_db, "analyst", "PER")
    settings = AuthSettings(login_alert_failures=10, login_free_failures=10)
    for n in range(40):  # a distributed attack: ten sources, four guesses each
        try:
            login.sign_in(sqlite_db, settings, owner.email, WRONG, ip=f"192.0.2.{n % 10 + 1}")
        except (Unauthenticated, Throttled):
            pass
    hub_admin = make_user(sqlite_db, "hub_admin")
    admin = Principal(via=Via.SESSION, user_id=hub_admin.user.id, email=hub_admin.email, role=hub_admin.user.role)
    alerts = audit.search(sqlite_db, Scope.of(admin).audit(), {"action": "auth.attack"})
    assert [a["details"]["failures"] for a in alerts] == [40, 20, 10]  # at the threshold and each doubling
    assert {a["outcome"] for a in alerts} == {"alert"} and alerts[0]["object_id"] == str(owner.user.id)
    assert len(throttle.under_attack(sqlite_db, settings)) == 1
    login.sign_in(sqlite_db, settings, owner.email, PASSWORD, ip=OWNER, code=totp.current_code(owner.secret))
    assert throttle.under_attack(sqlite_db, settings) == []  # the owner is in: the account's count is cleared


def test_through_the_web_the_owner_gets_in_and_the_admin_page_lists_the_attack(sqlite_db, settings):
    app = create_app(sqlite_db, settings, AuthSettings(login_alert_failures=5))
    owner = make_user(sqlite_db, "analyst", "PER")
    attacker = TestClient(app, client=(ATTACKER, 40000))
    csrf = pre_csrf(attacker)
    codes = [attacker.post("/login.json", data={"email": owner.email, "password": WRONG},
                           headers={"x-csrf-token": csrf}).status_code for _ in range(7)]
    assert codes[:4] == [401] * 4 and set(codes[5:]) == {429}, codes
    r = attacker.post("/login.json", data={"email": owner.email, "password": PASSWORD}, headers={"x-csrf-token": csrf})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1

    admin_client = TestClient(app, client=(OWNER, 40001))
    sign_in(admin_client, make_user(sqlite_db, "hub_admin"))
    page = admin_client.get("/admin/users.json").json()
    assert [(a["email"], a["failures"]) for a in page["sign_in_alerts"]] == [(owner.email, 5)]
    assert page["sign_in_alerts"][0]["sources"][0]["source"] == ATTACKER
    assert 'id="sign-in-alerts"' in admin_client.get("/admin/users", headers={"accept": "text/html"}).text

    owners_browser = TestClient(app, client=(OWNER, 40002))
    sign_in(owners_browser, owner)  # password and one-time code from the owner's own address: signed in
    assert owners_browser.get("/account.json").status_code == 200
