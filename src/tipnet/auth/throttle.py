"""Login throttling that slows guessing without locking the owner out, kept in the store so every worker process sees
the same counts.

Three counters per failed attempt:

- `pair:<source>|<account>`: one source guessing at one account. Past `login_free_failures` each failure imposes a
  wait that doubles (1 s, 2 s, 4 s ... capped at `login_max_block_seconds`) - on that source, for that account only.
- `ip:<source>`: one source guessing at many accounts (password spraying), slowed the same way past
  `login_free_failures_ip`.
- `account:<email>`: every failure against the account, from anywhere. It never blocks anyone (else anyone who knows
  an address could keep its owner out): it raises an alert for the hub administrator on a sustained attack
  (`tipnet.auth.login`) and is listed by `under_attack`.

A source is the client's address; IPv6 addresses count by their /64 network, the block one subscriber is given.
The owner's full sign-in (password and second factor) clears the account's count and the owner's own source; an
attacker's slowed source stays slowed.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from tipnet.auth import clock
from tipnet.auth.settings import AuthSettings
from tipnet.errors import Throttled
from tipnet.store import Database
from tipnet.store.tables_auth import login_throttle

UNKNOWN_SOURCE = "-"


def source(ip: str | None) -> str:
    """The throttled source of an address: the address itself, an IPv6 address's /64 network, or "-" unknown."""
    if not ip:
        return UNKNOWN_SOURCE
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip.strip()[:64].replace("|", "_") or UNKNOWN_SOURCE
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


def _account(email: str) -> str:
    return email.strip().lower()[:240]


def keys(email: str | None, ip: str | None) -> list[tuple[str, str]]:
    """(key, kind) pairs counted for one attempt."""
    src = source(ip)
    out = []
    if email:
        out.append((f"account:{_account(email)}", "account"))
        out.append((f"pair:{src}|{_account(email)}", "pair"))
    if ip:
        out.append((f"ip:{src}", "ip"))
    return out


def _free(kind: str, settings: AuthSettings) -> int | None:
    """Failures allowed before a wait is imposed; None: this counter never blocks."""
    return {"pair": settings.login_free_failures, "ip": settings.login_free_failures_ip}.get(kind)


def check(db: Database, email: str | None, ip: str | None) -> None:
    """Raise Throttled while this source is slowed, for this account or for all."""
    now = clock.now()
    wanted = [k for k, kind in keys(email, ip) if kind != "account"]
    with db.engine.connect() as conn:
        rows = conn.execute(select(login_throttle).where(login_throttle.c.key.in_(wanted))).all()
    waits = [clock.aware(r.blocked_until) for r in rows if r.blocked_until is not None]
    wait = max(((w - now).total_seconds() for w in waits if w is not None), default=0.0)
    if wait > 0:
        raise Throttled("too many failed sign-ins from here; try again later", retry_after=math.ceil(wait))


def _wait(over: int, settings: AuthSettings) -> float:
    return float(min(2 ** min(over, 20), settings.login_max_block_seconds))


def failed(db: Database, email: str | None, ip: str | None, settings: AuthSettings) -> int:
    """Count a failure on each counter; returns the account's failures (0 without an account)."""
    now = clock.now()
    forget = timedelta(seconds=settings.login_forget_seconds)
    account_failures = 0
    for key, kind in keys(email, ip):
        free = _free(kind, settings)
        for _ in range(3):  # a concurrent first failure may insert the row first: then update it
            try:
                with db.engine.begin() as conn:
                    row = conn.execute(select(login_throttle).where(login_throttle.c.key == key)).first()
                    last = clock.aware(row.last_failure_at) if row is not None else None
                    failures = 1 if row is None or (last is not None and now - last > forget) else row.failures + 1
                    blocked = (now + timedelta(seconds=_wait(failures - free, settings))
                               if free is not None and failures >= free else None)
                    values = {"failures": failures, "last_failure_at": now, "blocked_until": blocked}
                    if row is None:
                        conn.execute(login_throttle.insert().values(key=key, **values))
                    else:
                        conn.execute(login_throttle.update().where(login_throttle.c.key == key).values(**values))
                break
            except IntegrityError:
                continue
        if kind == "account":
            account_failures = failures
    return account_failures


def succeeded(db: Database, email: str | None, ip: str | None) -> None:
    """The owner signed in fully: clear the account's count and the owner's own source for it. Other sources stay
    slowed (an attacker does not get fresh guesses from the owner's success); the per-address count runs down on its
    own."""
    if not email:
        return
    ks = [k for k, kind in keys(email, ip) if kind in ("account", "pair")]
    with db.engine.begin() as conn:
        conn.execute(delete(login_throttle).where(login_throttle.c.key.in_(ks)))


@dataclass(frozen=True)
class Attack:
    """An account many sign-ins failed against lately, and the sources slowed for it."""

    email: str
    failures: int
    last_failure_at: datetime | None
    sources: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"email": self.email, "failures": self.failures,
                "last_failure_at": self.last_failure_at.isoformat() if self.last_failure_at else None,
                "sources": self.sources}


def under_attack(db: Database, settings: AuthSettings, limit: int = 100) -> list[Attack]:
    """Accounts with at least `login_alert_failures` recent failures, most failures first."""
    since = clock.now() - timedelta(seconds=settings.login_forget_seconds)
    c = login_throttle.c
    with db.engine.connect() as conn:
        accounts = conn.execute(select(login_throttle).where(
            c.key.startswith("account:"), c.failures >= settings.login_alert_failures, c.last_failure_at >= since)
            .order_by(c.failures.desc()).limit(limit)).all()
        emails = [a.key[len("account:"):] for a in accounts]
        pairs = conn.execute(select(login_throttle).where(
            c.key.startswith("pair:"), or_(*(c.key.endswith(f"|{e}", autoescape=True) for e in emails)))
            ).all() if emails else []
    by_account: dict[str, list[dict[str, Any]]] = {}
    for p in pairs:
        src, _, email = p.key[len("pair:"):].partition("|")
        until = clock.aware(p.blocked_until)
        by_account.setdefault(email, []).append(
            {"source": src, "failures": p.failures, "slowed_until": until.isoformat() if until else None})
    out = []
    for a in accounts:
        email = a.key[len("account:"):]
        sources = sorted(by_account.get(email, []), key=lambda s: -int(s["failures"]))
        out.append(Attack(email, a.failures, clock.aware(a.last_failure_at), sources))
    return out
