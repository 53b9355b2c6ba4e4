"""User accounts: create, find, change. Who may change whom is decided in `tipnet.auth.policy`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tipnet.auth import clock, passwords, secretbox
from tipnet.auth.roles import Role, is_hub, parse_role
from tipnet.errors import Invalid
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.store import Database
from tipnet.store.tables_auth import users

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")


@dataclass(frozen=True)
class User:
    id: int
    email: str
    display_name: str | None
    role: Role
    country: str | None
    password_hash: str
    must_change_password: bool
    totp_secret: str | None
    totp_pending: str | None
    totp_last_step: int | None
    disabled: bool
    created_at: datetime

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret is not None

    def public(self) -> dict[str, Any]:
        """What an administrator sees: never the hash or the secrets."""
        return {"id": self.id, "email": self.email, "display_name": self.display_name, "role": self.role.value,
                "country": self.country, "totp_enabled": self.totp_enabled, "disabled": self.disabled,
                "must_change_password": self.must_change_password, "created_at": self.created_at.isoformat()}


def _user(row: Any) -> User:
    d = dict(row._mapping)
    return User(id=d["id"], email=d["email"], display_name=d["display_name"], role=Role(d["role"]),
                country=d["country"], password_hash=d["password_hash"],
                must_change_password=bool(d["must_change_password"]),
                totp_secret=secretbox.open_(d["totp_secret"], "users.totp_secret"),
                totp_pending=secretbox.open_(d["totp_pending"], "users.totp_pending"),
                totp_last_step=d["totp_last_step"], disabled=bool(d["disabled"]),
                created_at=clock.aware(d["created_at"]) or clock.now())


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not _EMAIL.match(email):
        raise Invalid(f"{email!r} is not an e-mail address")
    return email


def check_role_country(role: Role | str, country: str | None) -> tuple[Role, str | None]:
    role = parse_role(role) if isinstance(role, str) else role
    country = (country or "").strip().upper() or None
    if is_hub(role):
        if country is not None:
            raise Invalid(f"a {role.value} belongs to the hub, not to a country")
    elif country not in OAS_MEMBERS:
        raise Invalid(f"a {role.value} needs the ISO3 code of an OAS member state (got {country!r})")
    return role, country


def create(db: Database, email: str, role: Role | str, country: str | None, password: str,
           display_name: str | None = None, created_by: int | None = None, must_change: bool = True,
           totp_secret: str | None = None, min_length: int = 12) -> User:
    email = normalise_email(email)
    role, country = check_role_country(role, country)
    passwords.check_policy(password, email, min_length)
    now = clock.now()
    values = {"email": email, "display_name": display_name, "role": role.value, "country": country,
              "password_hash": passwords.hash_password(password), "must_change_password": must_change,
              "totp_secret": secretbox.seal(totp_secret, "users.totp_secret"), "totp_pending": None,
              "totp_last_step": None, "disabled": False,
              "created_at": now, "created_by": created_by, "updated_at": now}
    try:
        with db.engine.begin() as conn:
            key = conn.execute(users.insert().values(**values)).inserted_primary_key
    except IntegrityError as exc:
        raise Invalid(f"a user with e-mail {email} already exists") from exc
    assert key is not None
    found = get(db, int(key[0]))
    assert found is not None
    return found


def get(db: Database, user_id: int) -> User | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return _user(row) if row is not None else None


def by_email(db: Database, email: str) -> User | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.email == (email or "").strip().lower())).first()
    return _user(row) if row is not None else None


_SEALED = {"totp_secret", "totp_pending"}


def change(db: Database, user_id: int, **values: Any) -> None:
    allowed = {"display_name", "role", "country", "password_hash", "must_change_password", "totp_secret",
               "totp_pending", "totp_last_step", "disabled"}
    bad = set(values) - allowed
    if bad:
        raise ValueError(f"cannot change {sorted(bad)}")
    for name in _SEALED.intersection(values):  # TOTP seeds are stored encrypted (tipnet.auth.secretbox)
        values[name] = secretbox.seal(values[name], f"users.{name}")
    with db.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(**values, updated_at=clock.now()))


def set_password(db: Database, user: User, password: str, must_change: bool = False, min_length: int = 12) -> None:
    passwords.check_policy(password, user.email, min_length)
    change(db, user.id, password_hash=passwords.hash_password(password), must_change_password=must_change)


def accept_totp_step(db: Database, user_id: int, step: int) -> bool:
    """Record a used time step; False when another request used it (or a later one) first."""
    with db.engine.begin() as conn:
        done = conn.execute(
            update(users)
            .where(users.c.id == user_id, (users.c.totp_last_step.is_(None)) | (users.c.totp_last_step < step))
            .values(totp_last_step=step)
        )
    return done.rowcount == 1
