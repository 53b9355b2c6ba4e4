"""Staleness: entries not verified for six months are flagged, and their focal point is reminded (an outbox record,
at most once every `REMIND_EVERY_DAYS` days per entry, and never for a verification that already answered it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tipnet.auth import audit, clock
from tipnet.auth.principal import Principal
from tipnet.auth.tenancy import Scope
from tipnet.coop import outbox
from tipnet.coop.directory import Authority, listing, stale_before
from tipnet.store import Database

KIND = "directory.stale"
REMIND_EVERY_DAYS = 30


def stale(db: Database, who: Principal, today: dt.date | None = None) -> list[Authority]:
    """Stale entries the principal looks after (hub: every country; focal point: its own), oldest first."""
    scope = Scope.of(who)
    cutoff = stale_before(today)
    found = [a for a in listing(db) if a.last_verified < cutoff and scope.directory_edit(a.country)]
    found.sort(key=lambda a: (a.last_verified, a.country, a.name))
    return found


def _recipient(a: Authority) -> str:
    return str(a.doc.get("focal_point_email") or a.doc.get("direct_email") or a.doc.get("email") or "")


def remind(db: Database, who: Principal, today: dt.date | None = None) -> dict[str, Any]:
    """Write a reminder for every stale entry in scope that is due one; returns what was sent and what was not."""
    now = clock.now()
    day = today or now.date()
    sent: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for a in stale(db, who, day):
        previous = outbox.last_sent(db, KIND, "authority", a.id)
        recipient = _recipient(a)
        if previous is not None and previous.date() >= a.last_verified and \
                (day - previous.date()).days < REMIND_EVERY_DAYS:
            skipped.append({"authority_id": a.id, "name": a.name, "reason": f"reminded on {previous.date()}"})
            continue
        if not recipient:
            skipped.append({"authority_id": a.id, "name": a.name, "reason": "no focal point or e-mail address"})
            continue
        subject = f"tipnet directory: please verify the entry \"{a.name}\" ({a.country})"
        body = (f"The directory entry \"{a.name}\" ({a.country}, id {a.id}) was last verified on "
                f"{a.last_verified.isoformat()}, more than six months ago. Please check its contacts and legal "
                f"profile and confirm it (Verify) or correct it in tipnet: /directory/authorities/{a.id}")
        sent.append(outbox.write(db, KIND, a.country, "authority", a.id, recipient, subject, body))
    audit.record(db, who, "directory.remind", object_type="directory", details={
        "sent": len(sent), "skipped": len(skipped), "authorities": [s["object_id"] for s in sent][:200]})
    return {"sent": sent, "skipped": skipped}


def reminders(db: Database, who: Principal) -> list[dict[str, Any]]:
    """Reminders written so far for the entries the principal looks after, newest first."""
    scope = Scope.of(who)
    rows = outbox.entries(db, KIND)
    return [r for r in rows if scope.directory_edit(r["country"])]
