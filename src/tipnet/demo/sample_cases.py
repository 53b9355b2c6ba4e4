"""Case-entry records for the demo: what Peru's demo service provider finds on signing in — a child's case
already submitted (so it counts in Peru's statistics) and an adult's draft still missing answers, to resume.
The people are fictitious. Created once: a second `tipnet demo` finds them and adds nothing."""

from __future__ import annotations

from typing import Any

from tipnet.auth import clock, users
from tipnet.auth.principal import Principal, Via
from tipnet.cases import store
from tipnet.cases.listing import listing
from tipnet.store import Database

PROVIDER = "ngo.per@demo.tipnet"


def _child(day: str) -> dict[str, Any]:
    return {
        "identification_date": day, "victim_status": "actual", "sex": "female", "age": "15",
        "given_names": "Milagros", "family_names": "Quispe Huamán", "citizenship": ["PER"],
        "primary_language": "qu", "interpreter_needed": "yes", "best_interests": "yes",
        "guardian_type": "child_protection_authority", "guardian_name": "DEMUNA Puerto Maldonado (demo)",
        "unaccompanied": "yes", "protection_measures": ["emergency_shelter", "child_protection_notified"],
        "protection_date": day, "consent_given_by": "guardian", "consent_date": day,
        "consent_data_processing": "yes", "consent_share_services": "yes", "consent_share_law_enforcement": "yes",
        "consent_share_hub": "yes", "consent_research": "no", "risk_level": "high",
        "safety_plan": "Shelter with restricted visits; school re-enrolment with the DEMUNA (demo)",
        "referral_provider": "Casa de acogida (demo)", "referral_date": day, "referral_services": ["shelter"],
        "plan_shelter_needed": "yes", "plan_shelter_start": day, "plan_psychological_needed": "yes",
        "plan_psychological_start": day, "plan_interpretation_needed": "yes", "plan_interpretation_start": day,
        "forms_of_exploitation": ["sexual_exploitation"],
        "exploitation_country": "PER",
    }


def _draft(day: str) -> dict[str, Any]:
    return {"identification_date": day, "victim_status": "possible", "sex": "male", "age": "34",
            "citizenship": ["VEN"], "primary_language": "es", "forms_of_exploitation": ["forced_labour"],
            "exploitation_country": "PER"}


def create_sample_cases(db: Database) -> dict[str, int]:
    """The demo provider's cases by status (creating them the first time)."""
    user = users.by_email(db, PROVIDER)
    if user is None:
        return {"draft": 0, "submitted": 0}
    who = Principal(via=Via.SESSION, user_id=user.id, email=user.email, role=user.role, country=user.country)
    mine = [c for c in listing(db, who) if c["mine"]]
    if not mine:
        day = clock.now().date().replace(day=1).isoformat()
        child, _ = store.save(db, who, _child(day))
        store.submit(db, who, child.public_id)
        store.save(db, who, _draft(day))
        mine = [c for c in listing(db, who) if c["mine"]]
    counts = {"draft": 0, "submitted": 0}
    for c in mine:
        counts[c["status"]] += 1
    return counts
