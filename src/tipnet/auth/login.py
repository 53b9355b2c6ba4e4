"""Signing in, step by step: password -> one-time code (or enrolment) -> new password when temporary -> signed in.

Every step answers with a new session (a rotated token); failures count against the account from this source, the
source, and the account (`tipnet.auth.throttle`) and are written to the audit log. A source that keeps failing is
slowed for that account, never the account itself, so a stranger cannot keep the owner out; a sustained attack on
an account writes an `auth.attack` alert to the audit log for the hub administrator. The counts are cleared only when
the last step succeeds, so knowing the password does not buy unlimited guesses at the code.
"""

from __future__ import annotations

import logging
from typing import Any

from tipnet.auth import audit, passwords, sessions, throttle, totp, users
from tipnet.auth.principal import Principal, Stage
from tipnet.auth.roles import TOTP_REQUIRED
from tipnet.auth.settings import AuthSettings
from tipnet.errors import CodeReused, Invalid, Unauthenticated
from tipnet.store import Database

log = logging.getLogger(__name__)

_WRONG = "wrong e-mail address or password"


def _alerting(failures: int, threshold: int) -> bool:
    """True at the threshold and at each doubling of it (20, 40, 80 ...): one alert per step of a sustained attack."""
    if threshold <= 0 or failures < threshold or failures % threshold:
        return False
    times = failures // threshold
    return times & (times - 1) == 0


def _failed(db: Database, settings: AuthSettings, email: str | None, ip: str | None,
            user: users.User | None) -> None:
    """Count a failure; on a sustained attack on the account, alert the hub administrator through the audit log."""
    failures = throttle.failed(db, email, ip, settings)
    if not email or not _alerting(failures, settings.login_alert_failures):
        return
    log.warning("sustained sign-in attack on an account: %d failures (latest from %s)", failures, ip)
    audit.record(db, Principal(email=email, ip=ip), "auth.attack", outcome="alert",
                 object_type="user" if user is not None else None, object_id=user.id if user is not None else None,
                 subject_country=user.country if user is not None else None,
                 details={"failures": failures, "window_seconds": settings.login_forget_seconds})


def _after_factor(user: users.User) -> Stage:
    return Stage.PASSWORD if user.must_change_password else Stage.FULL


def _finish(db: Database, user: users.User, stage: Stage, ip: str | None) -> None:
    if stage == Stage.FULL:
        throttle.succeeded(db, user.email, ip)


def sign_in(db: Database, settings: AuthSettings, email: str, password: str, ip: str | None = None,
            user_agent: str | None = None, code: str | None = None) -> sessions.NewSession:
    """Check the password (and, when given, the one-time code) and open a session at the next stage."""
    email = (email or "").strip().lower()[:254]
    throttle.check(db, email, ip)
    user = users.by_email(db, email) if email else None
    who = Principal(email=email or None, ip=ip)
    if user is None:
        passwords.burn_time(password or "")
    if user is None or user.disabled or not passwords.verify(user.password_hash, password or ""):
        _failed(db, settings, email, ip, user)
        reason = "unknown account" if user is None else "disabled" if user.disabled else "wrong password"
        audit.record(db, who, "auth.login", outcome="failed", details={"reason": reason})
        raise Unauthenticated(_WRONG)
    if passwords.needs_rehash(user.password_hash):
        users.change(db, user.id, password_hash=passwords.hash_password(password))
    if user.totp_enabled:
        stage = Stage.TOTP
    elif user.role in TOTP_REQUIRED:
        stage = Stage.ENROL
    else:
        stage = _after_factor(user)
    actor = Principal(user_id=user.id, email=user.email, role=user.role, country=user.country, ip=ip)
    if stage == Stage.TOTP and code:
        _check_code(db, settings, user, actor, code)
        stage = _after_factor(user)
    _finish(db, user, stage, ip)
    audit.record(db, actor, "auth.login", details={"stage": stage.value})
    return sessions.create(db, user.id, stage, settings, ip, user_agent)


def _check_code(db: Database, settings: AuthSettings, user: users.User, actor: Principal, code: str) -> None:
    step = totp.matching_step(user.totp_secret, code, user.totp_last_step) if user.totp_secret else None
    if step is None or not users.accept_totp_step(db, user.id, step):
        _failed(db, settings, user.email, actor.ip, user)
        # the right code, but its step was used (by an earlier sign-in, or a request that won the race for it)
        reused = step is not None or (user.totp_secret is not None
                                      and totp.already_used(user.totp_secret, code, user.totp_last_step))
        audit.record(db, actor, "auth.totp", outcome="failed", details={"reason": "reused"} if reused else None)
        if reused:
            raise CodeReused("this code was already used: wait for the next code (a new one every 30 seconds)")
        raise Unauthenticated("the code is not valid (or was already used)")


def _user_of(db: Database, principal: Principal) -> users.User:
    user = users.get(db, principal.user_id) if principal.user_id is not None else None
    if user is None or user.disabled:
        raise Unauthenticated("sign in first")
    return user


def verify_code(db: Database, settings: AuthSettings, principal: Principal, code: str) -> sessions.NewSession:
    """The second step: a one-time code from the enrolled authenticator."""
    user = _user_of(db, principal)
    throttle.check(db, user.email, principal.ip)
    _check_code(db, settings, user, principal, code)
    stage = _after_factor(user)
    _finish(db, user, stage, principal.ip)
    audit.record(db, principal, "auth.totp", details={"stage": stage.value})
    return sessions.rotate(db, principal, stage, settings)


def enrolment(db: Database, principal: Principal) -> dict[str, Any]:
    """The secret to enter in an authenticator app (kept pending until a code from it is confirmed)."""
    user = _user_of(db, principal)
    if user.totp_enabled:
        return {"enabled": True}
    secret = user.totp_pending or totp.new_secret()
    if user.totp_pending is None:
        users.change(db, user.id, totp_pending=secret)
    return {"enabled": False, "secret": secret, "uri": totp.provisioning_uri(secret, user.email)}


def confirm_enrolment(db: Database, settings: AuthSettings, principal: Principal,
                      code: str) -> sessions.NewSession:
    user = _user_of(db, principal)
    if user.totp_enabled:
        raise Invalid("a second factor is already set up; an administrator can reset it")
    if user.totp_pending is None:
        raise Invalid("start the enrolment first")
    throttle.check(db, user.email, principal.ip)
    step = totp.matching_step(user.totp_pending, code, None)
    if step is None:
        _failed(db, settings, user.email, principal.ip, user)
        audit.record(db, principal, "auth.totp_enrol", outcome="failed")
        raise Invalid("the code does not match; check the device's clock and try the next code")
    users.change(db, user.id, totp_secret=user.totp_pending, totp_pending=None, totp_last_step=step)
    stage = _after_factor(user)
    _finish(db, user, stage, principal.ip)
    audit.record(db, principal, "auth.totp_enrol", object_type="user", object_id=user.id,
                 subject_country=user.country)
    return sessions.rotate(db, principal, stage, settings)


def change_password(db: Database, settings: AuthSettings, principal: Principal, current: str,
                    new: str) -> sessions.NewSession:
    """Change one's own password; every other session of the account ends."""
    user = _user_of(db, principal)
    throttle.check(db, user.email, principal.ip)
    if not passwords.verify(user.password_hash, current or ""):
        _failed(db, settings, user.email, principal.ip, user)
        audit.record(db, principal, "auth.password_change", outcome="failed")
        raise Invalid("the current password is wrong")
    if new == current:
        raise Invalid("choose a password different from the current one")
    users.set_password(db, user, new, min_length=settings.password_min_length)
    sessions.revoke_user(db, user.id, keep=principal.session_id)
    throttle.succeeded(db, user.email, principal.ip)
    audit.record(db, principal, "auth.password_change", object_type="user", object_id=user.id,
                 subject_country=user.country)
    return sessions.rotate(db, principal, Stage.FULL, settings)


def sign_out(db: Database, principal: Principal) -> None:
    sessions.revoke(db, principal.session_id)
    audit.record(db, principal, "auth.logout")
