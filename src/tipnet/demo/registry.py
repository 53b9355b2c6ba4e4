"""A small fictitious agency registry for the demo: two agencies in each of a few countries whose demo files hold
recruiter or broker records, linked to some of those records, and one agency that also appears in a neighbour's
cases (so the multi-country flag has something to show). Names say they are fictitious; identifiers start with
DEMO-. Running it again adds nothing."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import func, or_, select

from tipnet.auth.principal import system
from tipnet.coop import registry
from tipnet.store import Database
from tipnet.store.tables import persons
from tipnet.store.tables_compendium import agencies

_NAMES = {"recruitment": ("Empleos {n} (ficticia)", "Talentos {n} (ficticia)"),
          "travel": ("Viajes {n} (ficticia)", "Turismo {n} (ficticia)")}
_WORDS = ("Horizonte", "Andes", "Caribe", "Pacífico", "Sol", "Norte", "Austral", "Brisa")


def _candidates(db: Database, limit_countries: int) -> dict[str, list[int]]:
    p = persons.c
    roles = or_(*(p.perpetrator_roles.contains(r) for r in registry.LINK_ROLES))
    q = (select(p.reporting_country, p.id).where(p.role == "perpetrator", roles)
         .order_by(p.reporting_country, p.id))
    out: dict[str, list[int]] = {}
    with db.engine.connect() as conn:
        for country, pid in conn.execute(q):
            out.setdefault(country, []).append(int(pid))
    busiest = sorted(out, key=lambda c: (-len(out[c]), c))[:limit_countries]
    return {c: out[c] for c in sorted(busiest)}


def seed_registry(db: Database, countries: int = 6, seed: int = 2026) -> dict[str, Any]:
    with db.engine.connect() as conn:
        done = conn.execute(select(func.count()).select_from(agencies)
                            .where(agencies.c.identifier.like("DEMO-%"))).scalar_one()
    if done:
        return {"agencies": int(done), "links": 0, "already_loaded": True}
    me = system("demo")
    rng = random.Random(seed)
    found = _candidates(db, countries)
    created: list[tuple[str, int]] = []
    links = 0
    for i, (country, records) in enumerate(found.items()):
        for j, kind in enumerate(registry.KINDS):
            name = _NAMES[kind][j % 2].format(n=_WORDS[(i * 2 + j) % len(_WORDS)])
            status = rng.choice(("licensed", "licensed", "suspended", "revoked", "expired"))
            issued = f"{rng.randrange(2012, 2020)}-0{rng.randrange(1, 10)}-01"
            agency_id = registry.add(db, me, {"kind": kind, "name": name, "country": country,
                                              "identifier": f"DEMO-{country}-{j + 1}", "licence_status": status,
                                              "licence_issued_on": issued})
            if status in ("suspended", "revoked"):
                measure = {"suspended": "suspension", "revoked": "revocation"}[status]
                registry.add_sanction(db, me, agency_id, {"country": country, "measure": measure,
                                                          "description": "Demo sanction (fictitious)"})
            for pid in rng.sample(records, min(3, len(records))):
                registry.link(db, me, agency_id, pid)
                links += 1
            created.append((country, agency_id))
    if len(found) >= 2:  # the first country's recruitment agency also appears in the next country's cases
        countries_list = list(found)
        registry.link(db, me, created[0][1], found[countries_list[1]][-1])
        links += 1
    return {"agencies": len(created), "links": links, "flagged": len(registry.multi_country(db))}
