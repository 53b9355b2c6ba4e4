"""Demo accounts with published passwords and TOTP secrets. For `make demo` on loopback only: never run this against
a store holding real data."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from sqlalchemy import select

from tipnet.auth import audit, totp, users
from tipnet.auth.principal import system
from tipnet.auth.roles import Role
from tipnet.store import Database
from tipnet.store.tables import submissions
from tipnet.store.tables_auth import submission_sharing


def _demo_secret(email: str) -> str:
    """A fixed TOTP secret per demo account (base32 of a hash of its e-mail), so the demo's log-ins never change."""
    return base64.b32encode(hashlib.sha256(f"tipnet-demo:{email}".encode()).digest()[:20]).decode("ascii")


# (email, role, country, password)
DEMO_USERS: tuple[tuple[str, Role, str | None, str], ...] = (
    ("hub.admin@demo.tipnet", Role.HUB_ADMIN, None, "demo-hub-admin-2026"),
    ("hub.analyst@demo.tipnet", Role.HUB_ANALYST, None, "demo-hub-analyst-2026"),
    ("focal.per@demo.tipnet", Role.FOCAL_POINT, "PER", "demo-focal-per-2026"),
    ("analyst.per@demo.tipnet", Role.ANALYST, "PER", "demo-analyst-per-2026"),
    ("analyst.col@demo.tipnet", Role.ANALYST, "COL", "demo-analyst-col-2026"),
    ("investigator.per@demo.tipnet", Role.INVESTIGATOR, "PER", "demo-investigator-per-2026"),
    ("ngo.per@demo.tipnet", Role.SERVICE_PROVIDER, "PER", "demo-ngo-per-2026"),
)

# In the demo every country shares its record submissions with the hub except these, which keep theirs national.
NOT_SHARED = frozenset({"COL"})


def create_demo_users(db: Database) -> list[dict[str, Any]]:
    """Create (or leave as they are) the demo accounts, share the demo submissions; return the log-ins to print."""
    out = []
    for email, role, country, password in DEMO_USERS:
        secret = _demo_secret(email)
        user = users.by_email(db, email)
        if user is None:
            user = users.create(db, email, role, country, password, display_name=f"Demo {role.value}",
                                must_change=False, totp_secret=secret)
            audit.record(db, system("demo"), "user.create", object_type="user", object_id=user.id,
                         subject_country=country, details={"email": email, "role": role.value, "demo": True})
        out.append({"email": email, "role": role.value, "country": country, "password": password,
                    "totp_secret": secret, "totp_uri": totp.provisioning_uri(secret, email)})
    _share_demo_submissions(db)
    return out


def _share_demo_submissions(db: Database) -> None:
    with db.engine.begin() as conn:
        done = {r[0] for r in conn.execute(select(submission_sharing.c.submission_id))}
        rows = conn.execute(select(submissions.c.id, submissions.c.reporting_country, submissions.c.created_at)
                            .where(submissions.c.kind == "records", submissions.c.reporting_country.is_not(None)))
        todo = [r for r in rows if r.id not in done and r.reporting_country not in NOT_SHARED]
        for r in todo:
            conn.execute(submission_sharing.insert().values(submission_id=r.id, shared_with_hub=True, revision=1,
                                                            changed_by=None, changed_at=r.created_at))
    if todo:
        audit.record(db, system("demo"), "submission.share", object_type="submission",
                     details={"shared_with_hub": True, "submissions": [r.id for r in todo], "demo": True})
