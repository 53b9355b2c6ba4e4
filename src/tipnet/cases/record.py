"""A submitted case as the standard's flat record (one person, role victim): the row that lands in `persons` so the
statistics count it. Identifying fields are stored only with consent to the processing of personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tipnet.cases.spec import PLAN_TYPES, plan_field
from tipnet.cases.validate import age_on
from tipnet.standard import load_standard

IDENTIFYING = tuple(f.name for f in load_standard().fields if f.identifying)


def age_band(age: int | None) -> str | None:
    if age is None:
        return None
    for v in load_standard().vocabularies["age_band"].values:
        if int(v.attrs["min"]) <= age <= int(v.attrs["max"]):
            return v.code
    return None


def _joined(values: list[str] | None) -> str | None:
    return ";".join(values) if values else None


def assistance(values: dict[str, Any]) -> tuple[list[str], dt.date | None]:
    """The kinds of assistance planned and the earliest start date."""
    kinds = [k for k in PLAN_TYPES if values.get(plan_field(k, "needed"))]
    starts = [values[plan_field(k, "start")] for k in kinds if values.get(plan_field(k, "start"))]
    return kinds, min(starts) if starts else None


def person_row(public_id: str, country: str, values: dict[str, Any], minor: bool) -> dict[str, Any]:
    """Columns of `persons` (without id, submission_id, source_row) for a submitted case's parsed values."""
    ident: dt.date | None = values.get("identification_date")
    birth: dt.date | None = values.get("birth_date")
    age = values.get("age")
    if age is None and birth is not None and ident is not None and birth <= ident:
        age = age_on(birth, ident)
    kinds, start = assistance(values)
    language = values.get("primary_language")
    if language == "other":
        language = values.get("primary_language_other")
    row: dict[str, Any] = {
        "record_id": public_id,
        "case_id": public_id,
        "reporting_country": country,
        "agency": values.get("agency"),
        "source_type": values.get("source_type"),
        "role": "victim",
        "identification_date": ident,
        "identification_year": ident.year if ident else None,
        "victim_status": values.get("victim_status"),
        "given_names": values.get("given_names"),
        "family_names": values.get("family_names"),
        "birth_date": birth,
        "age": age,
        "age_band": age_band(age),
        "is_minor": minor,
        "sex": values.get("sex") or "unknown",
        "citizenship": _joined(values.get("citizenship")),
        "primary_language": language,
        "forms_of_exploitation": _joined(values.get("forms_of_exploitation")),
        "means_of_control": _joined(values.get("means_of_control")),
        "recruitment_country": values.get("recruitment_country"),
        "exploitation_country": values.get("exploitation_country"),
        "assistance_types": _joined(kinds),
        "assistance_start_date": start,
        "consent_data_processing": values.get("consent_data_processing"),
        "consent_share_hub": values.get("consent_share_hub"),
        "consent_research": values.get("consent_research"),
    }
    if row["consent_data_processing"] is not True:
        row.update(dict.fromkeys(IDENTIFYING))
    return row
