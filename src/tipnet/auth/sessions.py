"""Server-side sessions. The browser holds a random token; the store holds only its SHA-256, so a copy of the
database does not let anyone sign in. Sessions end on logout, idle time, absolute lifetime, password change, or
when the account is disabled."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update

from tipnet.auth import clock
from tipnet.auth.principal import Principal, Stage, Via
from tipnet.auth.roles import Role
from tipnet.auth.settings import AuthSettings
from tipnet.store import Database, generation
from tipnet.store.tables_auth import sessions, users

_TOUCH_EVERY = timedelta(seconds=60)


def touch_every(settings: AuthSettings) -> timedelta:
    """How stale a session's last-seen time may get before a request writes it: a minute, or a tenth of the idle
    limit when that is shorter (never under the one-second trust in a resolved session). A page may therefore count
    on its session lasting the idle limit minus this from its last request (`tipnet-session.js` warns before that)."""
    tenth = timedelta(seconds=settings.session_idle_seconds / 10)
    return max(timedelta(seconds=CACHE_SECONDS), min(_TOUCH_EVERY, tenth))
# A resolved session is trusted for this long without asking the store again. Anything this process commits (a
# sign-out, a disabled account, a password change) ends that trust at once; a change made by another worker process
# is seen within this time.
CACHE_SECONDS = 1.0
_CACHE_ENTRIES = 10_000


@dataclass(frozen=True)
class _Known:
    principal: Principal
    trusted_until: datetime  # the earliest of: check + CACHE_SECONDS, next touch due, idle end, absolute end
    checked_at: datetime
    generation: int


_known: dict[tuple[str, str], _Known] = {}
_known_lock = threading.Lock()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie, never stored
    csrf: str
    stage: Stage


def create(db: Database, user_id: int, stage: Stage, settings: AuthSettings, ip: str | None = None,
           user_agent: str | None = None) -> NewSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = clock.now()
    life = settings.session_max_seconds if stage == Stage.FULL else settings.signin_step_seconds
    with db.engine.begin() as conn:
        conn.execute(sessions.insert().values(
            id=token_hash(token), user_id=user_id, stage=stage.value, csrf=csrf, created_at=now, last_seen_at=now,
            expires_at=now + timedelta(seconds=life), revoked_at=None, ip=(ip or "")[:64] or None,
            user_agent=(user_agent or "")[:400] or None))
    return NewSession(token, csrf, stage)


def rotate(db: Database, principal: Principal, stage: Stage, settings: AuthSettings) -> NewSession:
    """Replace the session with a new one (new token, new CSRF token) at the next stage: a token seen before a
    step was completed is worth nothing after it."""
    revoke(db, principal.session_id)
    assert principal.user_id is not None
    return create(db, principal.user_id, stage, settings, principal.ip)


def revoke(db: Database, session_id: str | None) -> None:
    if session_id is None:
        return
    with db.engine.begin() as conn:
        conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
                     .values(revoked_at=clock.now()))


def revoke_user(db: Database, user_id: int, keep: str | None = None) -> int:
    q = update(sessions).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
    if keep is not None:
        q = q.where(sessions.c.id != keep)
    with db.engine.begin() as conn:
        return conn.execute(q.values(revoked_at=clock.now())).rowcount


def known(db: Database, token: str, ip: str | None = None) -> Principal | None:
    """The principal of a session resolved moments ago, without asking the store (for callers on an event loop);
    None when it must be resolved again with `resolve`."""
    if not token or len(token) > 128:
        return None
    entry = _known.get((db.url, token_hash(token)))
    if entry is None or entry.generation != generation.current():
        return None
    now = clock.now()
    if not entry.checked_at <= now < entry.trusted_until:
        return None
    return entry.principal if entry.principal.ip == ip else replace(entry.principal, ip=ip)


def _remember(db: Database, principal: Principal, seen: int, now: datetime, last_seen: datetime,
              expires: datetime, settings: AuthSettings) -> None:
    until = min(now + timedelta(seconds=CACHE_SECONDS), last_seen + touch_every(settings),
                last_seen + timedelta(seconds=settings.session_idle_seconds), expires)
    assert principal.session_id is not None
    with _known_lock:
        if len(_known) >= _CACHE_ENTRIES:
            _known.clear()
        _known[(db.url, principal.session_id)] = _Known(principal, until, now, seen)


def resolve(db: Database, token: str, settings: AuthSettings, ip: str | None = None) -> Principal | None:
    """The principal a session cookie stands for, or None when the session is unknown, ended or its user disabled."""
    if not token or len(token) > 128:
        return None
    seen = generation.current()  # taken before the query: a commit meanwhile is not hidden by what the query saw
    sid = token_hash(token)
    s, u = sessions.c, users.c
    q = (select(s.stage, s.csrf, s.last_seen_at, s.expires_at, s.revoked_at, u.id, u.email, u.role, u.country,
                u.disabled)
         .join_from(sessions, users, s.user_id == u.id).where(s.id == sid))
    with db.engine.connect() as conn:
        row = conn.execute(q).first()
    if row is None or row.revoked_at is not None or row.disabled:
        return None
    now = clock.now()
    last_seen, expires = clock.aware(row.last_seen_at), clock.aware(row.expires_at)
    assert last_seen is not None and expires is not None
    if now >= expires or now - last_seen > timedelta(seconds=settings.session_idle_seconds):
        revoke(db, sid)
        return None
    if now - last_seen > touch_every(settings):
        with db.engine.begin() as conn:
            conn.execute(update(sessions).where(sessions.c.id == sid).values(last_seen_at=now))
        last_seen, seen = now, generation.current()  # our own touch does not make the session unknown
    found = Principal(via=Via.SESSION, user_id=row.id, email=row.email, role=Role(row.role), country=row.country,
                      stage=Stage(row.stage), session_id=sid, csrf=row.csrf, ip=ip)
    _remember(db, found, seen, now, last_seen, expires, settings)
    return found


def stay(db: Database, principal: Principal, settings: AuthSettings) -> int:
    """Restart the idle timer of the principal's session now ("stay signed in") and return the seconds it has left:
    the idle limit, or less when its absolute lifetime ends sooner (that one never moves)."""
    assert principal.session_id is not None
    now = clock.now()
    with db.engine.begin() as conn:
        conn.execute(update(sessions).where(sessions.c.id == principal.session_id, sessions.c.revoked_at.is_(None))
                     .values(last_seen_at=now))
        expires = conn.execute(select(sessions.c.expires_at).where(sessions.c.id == principal.session_id)).scalar_one()
    left = (clock.aware(expires) - now).total_seconds()  # type: ignore[operator]
    return max(0, int(min(settings.session_idle_seconds, left)))
