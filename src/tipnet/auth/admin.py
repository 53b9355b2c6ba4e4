"""User administration: the hub administrator for everyone, a focal point for its own country. Every change is
audited; temporary passwords are returned once and must be changed at the next sign-in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tipnet.auth import audit, passwords, sessions, throttle, tokens, users
from tipnet.auth.policy import check_manage, check_target
from tipnet.auth.principal import Principal
from tipnet.auth.settings import AuthSettings
from tipnet.auth.tenancy import Scope
from tipnet.errors import Invalid, NotVisible
from tipnet.store import Database
from tipnet.store.tables_auth import users as users_table

ACTIONS = ("disable", "enable", "reset_password", "reset_totp", "set_role")


def listing(db: Database, actor: Principal) -> list[dict[str, Any]]:
    q = select(users_table.c.id).where(Scope.of(actor).users()).order_by(users_table.c.country, users_table.c.email)
    with db.engine.connect() as conn:
        ids = [int(r[0]) for r in conn.execute(q)]
    return [u.public() for i in ids if (u := users.get(db, i)) is not None]


def sign_in_alerts(db: Database, actor: Principal, settings: AuthSettings) -> list[dict[str, Any]]:
    """Accounts under a sustained sign-in attack (`tipnet.auth.throttle.under_attack`): every one for the hub
    administrator, a focal point's own country's accounts for it."""
    attacks = throttle.under_attack(db, settings)
    if attacks and not actor.hub:
        q = select(users_table.c.email).where(Scope.of(actor).users())
        with db.engine.connect() as conn:
            mine = {str(r[0]).lower() for r in conn.execute(q)}
        attacks = [a for a in attacks if a.email in mine]
    return [a.to_dict() for a in attacks]


def visible(db: Database, actor: Principal, user_id: int) -> users.User:
    user = users.get(db, user_id)
    if user is None:
        raise NotVisible(f"no user {user_id}")
    check_target(actor, user.role, user.country)
    return user


def create(db: Database, actor: Principal, email: str, role: str, country: str | None,
           display_name: str | None = None) -> tuple[users.User, str]:
    """Create an account with a temporary password, returned once; it must be changed at the first sign-in."""
    temporary = passwords.temporary_password()
    return _create(db, actor, email, role, country, display_name, temporary, must_change=True), temporary


def create_with_password(db: Database, actor: Principal, email: str, role: str, country: str | None,
                         display_name: str | None, password: str) -> users.User:
    """Create an account with the password given (the operator's first accounts, typed at the command line)."""
    return _create(db, actor, email, role, country, display_name, password, must_change=False)


def _create(db: Database, actor: Principal, email: str, role: str, country: str | None, display_name: str | None,
            password: str, must_change: bool) -> users.User:
    parsed, country = users.check_role_country(role, country)
    check_manage(actor, parsed, country)
    user = users.create(db, email, parsed, country, password, display_name=(display_name or "").strip() or None,
                        created_by=actor.user_id, must_change=must_change)
    audit.record(db, actor, "user.create", object_type="user", object_id=user.id, subject_country=user.country,
                 details={"email": user.email, "role": user.role.value})
    return user


def change(db: Database, actor: Principal, user_id: int, action: str, role: str | None = None) -> dict[str, Any]:
    """Apply one administrative action; returns what to show (a temporary password after a reset)."""
    if action not in ACTIONS:
        raise Invalid(f"unknown action {action!r}; choose from {', '.join(ACTIONS)}")
    user = visible(db, actor, user_id)
    if user.id == actor.user_id and action in ("disable", "set_role"):
        raise Invalid("you cannot disable yourself or change your own role")
    out: dict[str, Any] = {"user_id": user.id, "action": action}
    details: dict[str, Any] = {}
    if action == "disable":
        users.change(db, user.id, disabled=True)
        sessions.revoke_user(db, user.id)
        details = {"tokens_revoked": tokens.revoke_all(db, user.id)}
    elif action == "enable":
        # tokens do not come back: any still unrevoked here were left by a disable from before that rule
        details = {"tokens_revoked": tokens.revoke_all(db, user.id)} if user.disabled else {}
        users.change(db, user.id, disabled=False)
    elif action == "reset_password":
        temporary = passwords.temporary_password()
        users.set_password(db, user, temporary, must_change=True)
        sessions.revoke_user(db, user.id)
        out["temporary_password"] = temporary
    elif action == "reset_totp":
        users.change(db, user.id, totp_secret=None, totp_pending=None, totp_last_step=None)
        sessions.revoke_user(db, user.id)
    else:
        new_role, country = users.check_role_country(role or "", user.country)
        check_manage(actor, new_role, country)
        users.change(db, user.id, role=new_role.value)
        sessions.revoke_user(db, user.id)
        details = {"from": user.role.value, "to": new_role.value}
    audit.record(db, actor, f"user.{action}", object_type="user", object_id=user.id, subject_country=user.country,
                 details=details)
    for token_id in details.get("tokens_revoked", []):
        audit.record(db, actor, "token.revoke", object_type="token", object_id=token_id,
                     subject_country=user.country, details={"reason": f"owner {action}d", "user_id": user.id})
    return out
