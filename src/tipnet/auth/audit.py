"""The audit log: every read of record-level data and every change, appended with a hash chain.

Each row stores `hash = sha256(prev_hash + canonical JSON of the row)`, the first row chaining from 64 zeros, and
numbers rows 1, 2, 3 ... with no gaps. Database triggers refuse UPDATE and DELETE (migration 0003); should someone
get past them, `verify` finds the first row whose content, link or number no longer fits. Truncating the newest rows
leaves a shorter valid chain: keep the head that `verify` prints somewhere else and pass it back as `expect_head`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError, OperationalError

from tipnet.auth import clock
from tipnet.auth.principal import Principal, Via
from tipnet.store import Database
from tipnet.store.tables_auth import audit_log

GENESIS = "0" * 64
HASHED = ("seq", "at", "actor_id", "actor", "role", "country", "ip", "action", "outcome", "object_type",
          "object_id", "subject_country", "details")
_ATTEMPTS = 20


def canonical(row: dict[str, Any]) -> str:
    return json.dumps({k: row.get(k) for k in HASHED}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(row)).encode("utf-8")).hexdigest()


def record(db: Database, actor: Principal, action: str, *, outcome: str = "ok", object_type: str | None = None,
           object_id: object = None, subject_country: str | None = None,
           details: dict[str, Any] | None = None) -> int:
    """Append one entry; returns its sequence number. Concurrent writers race for the next number: the loser retries
    on top of the winner, so the chain stays a single line. An entry made at the command line says so, and names the
    OS user that ran it."""
    if actor.via == Via.CLI:
        details = {**(details or {}), "via": Via.CLI.value, "os_user": actor.os_user}
    base = {
        "actor_id": actor.user_id, "actor": actor.email, "role": actor.role.value if actor.role else None,
        "country": actor.country, "ip": (actor.ip or "")[:64] or None, "action": action, "outcome": outcome,
        "object_type": object_type, "object_id": None if object_id is None else str(object_id)[:64],
        "subject_country": subject_country,
        "details": json.dumps(details or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str),
    }
    for attempt in range(_ATTEMPTS):
        try:
            with db.engine.begin() as conn:
                head = conn.execute(select(audit_log.c.seq, audit_log.c.hash)
                                    .order_by(audit_log.c.seq.desc()).limit(1)).first()
                seq, prev = (int(head.seq) + 1, head.hash) if head is not None else (1, GENESIS)
                row = {**base, "seq": seq, "at": clock.now().isoformat(timespec="microseconds")}
                conn.execute(audit_log.insert().values(**row, prev_hash=prev, hash=row_hash(prev, row)))
            return seq
        except (IntegrityError, OperationalError):
            if attempt == _ATTEMPTS - 1:
                raise
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Verification:
    ok: bool
    rows: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rows(db: Database, batch: int = 5000) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        with db.engine.connect() as conn:
            part = [dict(r._mapping) for r in conn.execute(
                select(audit_log).where(audit_log.c.seq > last).order_by(audit_log.c.seq).limit(batch))]
        yield from part
        if len(part) < batch:
            return
        last = int(part[-1]["seq"])


def verify(db: Database, expect_head: str | None = None) -> Verification:
    """Recompute the chain from the first row. `expect_head` ("SEQ:HASH", kept from an earlier run) must still be
    in the chain: that catches the deletion of the newest rows."""
    prev, expected, n = GENESIS, 1, 0
    anchor_seq, _, anchor_hash = (expect_head or "").partition(":")
    anchor_seen = not expect_head

    def broken(seq: int, reason: str) -> Verification:
        return Verification(False, n, expected - 1, prev, seq, reason)

    for row in _rows(db):
        seq = int(row["seq"])
        if seq != expected:
            return broken(expected, f"row {expected} is missing (next row is {seq})")
        if row["prev_hash"] != prev:
            return broken(seq, f"row {seq} does not link to row {seq - 1}")
        if row["hash"] != row_hash(prev, row):
            return broken(seq, f"row {seq} was altered (its hash does not match its content)")
        if expect_head and str(seq) == anchor_seq:
            if row["hash"] != anchor_hash:
                return broken(seq, f"row {seq} differs from the recorded head")
            anchor_seen = True
        prev, expected, n = row["hash"], expected + 1, n + 1
    if not anchor_seen:
        return Verification(False, n, expected - 1, prev, expected,
                            f"the log ends before the recorded head {anchor_seq}: rows were deleted")
    return Verification(True, n, expected - 1, prev)


FILTERS = ("actor", "action", "outcome", "object_type", "object_id", "subject_country", "country", "since", "until")


def search(db: Database, scope: Any, filters: dict[str, str], limit: int = 100,
           before: int | None = None) -> list[dict[str, Any]]:
    """Entries newest first, within `scope` (a SQLAlchemy condition from `tipnet.auth.tenancy`), filtered."""
    c = audit_log.c
    conds = [scope]
    for key, value in filters.items():
        if not value:
            continue
        if key == "actor":
            conds.append(c.actor.contains(value.strip().lower(), autoescape=True))
        elif key == "action":
            conds.append(c.action.startswith(value.strip(), autoescape=True))
        elif key == "since":
            conds.append(c.at >= value)
        elif key == "until":
            conds.append(c.at < value)
        elif key in FILTERS:
            conds.append(c[key] == value.strip())
    if before is not None:
        conds.append(c.seq < before)
    q = select(audit_log).where(and_(*conds)).order_by(c.seq.desc()).limit(max(1, min(limit, 1000)))
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for r in rows:
        r["details"] = json.loads(r["details"] or "{}")
    return rows
