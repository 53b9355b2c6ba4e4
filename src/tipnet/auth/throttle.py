"""Login throttling per account and per IP address, with exponential backoff, kept in the store so every worker
process sees the same counts."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from tipnet.auth import clock
from tipnet.auth.settings import AuthSettings
from tipnet.errors import Throttled
from tipnet.store import Database
from tipnet.store.tables_auth import login_throttle


def keys(email: str | None, ip: str | None) -> list[tuple[str, str]]:
    """(key, kind) pairs checked for one attempt."""
    out = []
    if email:
        out.append((f"account:{email.strip().lower()[:300]}", "account"))
    if ip:
        out.append((f"ip:{ip[:64]}", "ip"))
    return out


def _free(kind: str, settings: AuthSettings) -> int:
    return settings.login_free_failures if kind == "account" else settings.login_free_failures_ip


def check(db: Database, email: str | None, ip: str | None) -> None:
    """Raise Throttled while any key is blocked."""
    now = clock.now()
    wanted = [k for k, _ in keys(email, ip)]
    with db.engine.connect() as conn:
        rows = conn.execute(select(login_throttle).where(login_throttle.c.key.in_(wanted))).all()
    waits = [clock.aware(r.blocked_until) for r in rows if r.blocked_until is not None]
    wait = max(((w - now).total_seconds() for w in waits if w is not None), default=0.0)
    if wait > 0:
        raise Throttled("too many failed sign-ins; try again later", retry_after=math.ceil(wait))


def failed(db: Database, email: str | None, ip: str | None, settings: AuthSettings) -> None:
    """Count a failure; once the free allowance is used up, each failure imposes a wait that doubles (1 s, 2 s, 4 s
    ... capped)."""
    now = clock.now()
    forget = timedelta(seconds=settings.login_forget_seconds)
    for key, kind in keys(email, ip):
        for _ in range(3):  # a concurrent first failure may insert the row first: then update it
            try:
                with db.engine.begin() as conn:
                    row = conn.execute(select(login_throttle).where(login_throttle.c.key == key)).first()
                    last = clock.aware(row.last_failure_at) if row is not None else None
                    failures = 1 if row is None or (last is not None and now - last > forget) else row.failures + 1
                    over = failures - _free(kind, settings)
                    blocked = (now + timedelta(seconds=min(2 ** min(over, 20), settings.login_max_block_seconds))
                               if over >= 0 else None)
                    values = {"failures": failures, "last_failure_at": now, "blocked_until": blocked}
                    if row is None:
                        conn.execute(login_throttle.insert().values(key=key, **values))
                    else:
                        conn.execute(login_throttle.update().where(login_throttle.c.key == key).values(**values))
                break
            except IntegrityError:
                continue


def succeeded(db: Database, email: str | None) -> None:
    """A successful sign-in clears the account's count (the address's count runs down on its own)."""
    ks = [k for k, kind in keys(email, None) if kind == "account"]
    if ks:
        with db.engine.begin() as conn:
            conn.execute(delete(login_throttle).where(login_throttle.c.key.in_(ks)))
