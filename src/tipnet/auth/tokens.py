"""API tokens for machine submission: `tipnet_<public id>_<secret>`, sent as `Authorization: Bearer ...`.

Only the SHA-256 of the secret is stored (the secret has 256 bits of entropy, so a slow hash adds nothing). A token
acts for its owner, limited to `TOKEN_PERMISSIONS` and to the owner's country, and stops working when it expires,
is revoked, or its owner is disabled or moved to another country. Disabling an account revokes its tokens for good
(`revoke_all`): enabling it again gives back its sign-in, not its tokens; the owner issues new ones."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from tipnet.auth import audit, clock
from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Permission, Role
from tipnet.errors import Forbidden, NotVisible
from tipnet.store import Database
from tipnet.store.tables_auth import api_tokens, users

PREFIX = "tipnet_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue(db: Database, owner: Principal, name: str, days: int, actor: Principal | None = None) -> dict[str, Any]:
    """A new token for the owner's country. The clear token is in the result and nowhere else. `actor` is who
    asked, when not the owner (the operator at the command line)."""
    if not owner.can(Permission.TOKENS) or owner.country is None or owner.user_id is None:
        raise Forbidden("only a country's focal point or analyst can create API tokens")
    public_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    now = clock.now()
    expires = now + timedelta(days=max(1, min(days, 3650)))
    name = (name or "").strip()[:200] or "token"
    with db.engine.begin() as conn:
        key = conn.execute(api_tokens.insert().values(
            public_id=public_id, secret_sha256=_digest(secret), user_id=owner.user_id, name=name,
            country=owner.country, created_at=now, expires_at=expires)).inserted_primary_key
    assert key is not None
    tid = int(key[0])
    audit.record(db, actor or owner, "token.create", object_type="token", object_id=tid, subject_country=owner.country,
                 details={"name": name, "expires_at": expires.isoformat()})
    return {"id": int(tid), "name": name, "country": owner.country, "expires_at": expires.isoformat(),
            "token": f"{PREFIX}{public_id}_{secret}"}


def listing(db: Database, user_id: int) -> list[dict[str, Any]]:
    t = api_tokens.c
    q = (select(t.id, t.public_id, t.name, t.country, t.created_at, t.expires_at, t.last_used_at, t.revoked_at)
         .where(t.user_id == user_id).order_by(t.id.desc()))
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for r in rows:
        for k in ("created_at", "expires_at", "last_used_at", "revoked_at"):
            v = clock.aware(r[k])
            r[k] = v.isoformat() if v is not None else None
    return rows


def revoke(db: Database, owner: Principal, token_id: int) -> None:
    with db.engine.begin() as conn:
        done = conn.execute(update(api_tokens).where(
            api_tokens.c.id == token_id, api_tokens.c.user_id == owner.user_id, api_tokens.c.revoked_at.is_(None)
        ).values(revoked_at=clock.now()))
    if done.rowcount != 1:
        raise NotVisible(f"no active token {token_id}")
    audit.record(db, owner, "token.revoke", object_type="token", object_id=token_id, subject_country=owner.country)


def revoke_all(db: Database, user_id: int) -> list[int]:
    """Revoke every token of a user that still works (its account is being disabled); the ids revoked."""
    t = api_tokens.c
    with db.engine.begin() as conn:
        ids = [int(r[0]) for r in conn.execute(select(t.id).where(t.user_id == user_id, t.revoked_at.is_(None)))]
        if ids:
            conn.execute(update(api_tokens).where(t.id.in_(ids)).values(revoked_at=clock.now()))
    return ids


def resolve(db: Database, bearer: str, ip: str | None = None) -> Principal | None:
    if not bearer.startswith(PREFIX) or len(bearer) > 128:
        return None
    public_id, _, secret = bearer[len(PREFIX):].partition("_")
    t, u = api_tokens.c, users.c
    q = (select(t.id, t.secret_sha256, t.country, t.expires_at, t.revoked_at, u.id.label("user_id"), u.email,
                u.role, u.country.label("user_country"), u.disabled)
         .join_from(api_tokens, users, t.user_id == u.id).where(t.public_id == public_id))
    with db.engine.connect() as conn:
        row = conn.execute(q).first()
    if row is None or not hmac.compare_digest(row.secret_sha256, _digest(secret)):
        return None
    now = clock.now()
    expires = clock.aware(row.expires_at)
    if row.revoked_at is not None or row.disabled or (expires is not None and now >= expires):
        return None
    if row.user_country != row.country:  # the owner moved: the token does not follow
        return None
    with db.engine.begin() as conn:
        conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now))
    return Principal(via=Via.TOKEN, user_id=row.user_id, email=row.email, role=Role(row.role), country=row.country,
                     token_id=row.id, ip=ip)
