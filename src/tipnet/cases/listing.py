"""The list of cases in scope, with what an authorised worker needs to tell two cases apart: initials, age, sex,
identification date, status and last change; and a search by initials, case id or identification date.

Names follow the rule of `store.get`: the person who entered a case sees its initials; anyone else in scope (the
national office) sees them only when the person consented to the processing of personal data. Full names, birth
dates and narratives never appear in the list. The audit entry records how many rows were listed and whether a
search was made, never what was searched (initials are personal data).
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from typing import Any

from sqlalchemy import select

from tipnet.auth import audit, clock
from tipnet.auth.principal import Principal
from tipnet.auth.tenancy import Scope
from tipnet.cases.store import visible
from tipnet.cases.validate import age_on
from tipnet.store import Database
from tipnet.store.tables_cases import cases

SEARCH_MAX = 40


def _letters(text: str) -> str:
    """Lower case without accents or anything but letters and digits ("L. M. Q." -> "lmq")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def initials(given: Any, family: Any) -> str | None:
    """"Lucía", "Mamani Quispe" -> "L. M. Q."; None without a name."""
    words = [w for part in (given, family) if isinstance(part, str) for w in part.replace("-", " ").split()]
    letters = [w[0].upper() for w in words if w[:1].isalpha()]
    return " ".join(f"{ch}." for ch in letters) or None


def _date(text: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def age(data: dict[str, Any]) -> int | None:
    """The age as entered, else from the birth date on the identification date."""
    raw = data.get("age")
    if isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 3):
        return int(raw)
    birth, ident = _date(data.get("birth_date")), _date(data.get("identification_date"))
    if birth is not None and ident is not None and birth <= ident:
        return age_on(birth, ident)
    return None


def matches(row: dict[str, Any], search: str) -> bool:
    """Whether a listed row answers a search: part of its id, its initials (dots, spaces and accents aside) or the
    start of its identification date (2026, 2026-12, 2026-12-01)."""
    text = search.strip().lower()
    if not text:
        return True
    if text in row["public_id"].lower():
        return True
    if (row.get("identification_date") or "").startswith(text):
        return True
    wanted = _letters(text)
    return bool(wanted) and bool(row.get("initials")) and wanted in _letters(row["initials"])


def listing(db: Database, who: Principal, search: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Cases in scope, newest change first, with initials (when this reader may see names), age, sex,
    identification date, status, child, risk, referral and dates; only those answering `search` when given."""
    c = cases.c
    q = (select(c.public_id, c.country, c.status, c.is_minor, c.risk_level, c.referral_provider, c.created_by,
                c.updated_at, c.submitted_at, c.version, c.data_json)
         .where(visible(who)).order_by(c.updated_at.desc(), c.id.desc()).limit(limit))
    with db.engine.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(q)]
    search = (search or "").strip()[:SEARCH_MAX]
    rows = []
    for r in found:
        data = json.loads(r.pop("data_json"))
        r["mine"] = r.pop("created_by") == who.user_id
        named = r["mine"] or data.get("consent_data_processing") == "yes"
        r["initials"] = initials(data.get("given_names"), data.get("family_names")) if named else None
        r["age"] = age(data)
        r["sex"] = data.get("sex") or None
        ident = _date(data.get("identification_date"))
        r["identification_date"] = ident.isoformat() if ident else None
        for k in ("updated_at", "submitted_at"):
            r[k] = clock.aware(r[k]).isoformat() if r[k] else None  # type: ignore[union-attr]
        if matches(r, search):
            rows.append(r)
    scope = Scope.of(who)
    audit.record(db, who, "case.list", object_type="case", subject_country=scope.country,
                 details={"rows": len(rows), "searched": bool(search)})
    return rows


def drafts(db: Database, who: Principal, limit: int = 10) -> list[dict[str, Any]]:
    """One's own drafts to resume, the most recently changed first (what a home page offers after "enter a case")."""
    return [r for r in listing(db, who) if r["status"] == "draft" and r["mine"]][:limit]
