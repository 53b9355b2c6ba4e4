"""What a mutual legal assistance or extradition request must contain, and how its status may move.

Requirements = the fields and attachments every request of its kind needs, plus those of each measure asked for,
plus what the requested state's legal profile adds (its `required_fields` / `required_attachments` for the measure
or for every measure ("*"), a dual-criminality statement where it applies, a translation when the document is not in
a language the state accepts). `missing` lists, by field, what a draft still lacks; a draft is sent only when
nothing is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tipnet.coop.directory_model import MEASURES
from tipnet.errors import TipnetError
from tipnet.i18n.languages import LANGUAGES

DRAFT, SENT, RECEIVED, IN_EXECUTION, EXECUTED, REFUSED, WITHDRAWN = (
    "draft", "sent", "received", "in_execution", "executed", "refused", "withdrawn")
STATUSES = (DRAFT, SENT, RECEIVED, IN_EXECUTION, EXECUTED, REFUSED, WITHDRAWN)
FINAL = frozenset({EXECUTED, REFUSED, WITHDRAWN})
REQUESTING, REQUESTED = "requesting", "requested"

# (from, to) -> which side moves it
TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, SENT): REQUESTING,
    (SENT, RECEIVED): REQUESTED,
    (RECEIVED, IN_EXECUTION): REQUESTED,
    (IN_EXECUTION, EXECUTED): REQUESTED,
    (RECEIVED, REFUSED): REQUESTED,
    (IN_EXECUTION, REFUSED): REQUESTED,
    **{(s, WITHDRAWN): REQUESTING for s in (DRAFT, SENT, RECEIVED, IN_EXECUTION)},
}

COMMON_FIELDS = {
    "mla": ("requesting_authority", "contact_officer", "summary_of_facts", "offence_and_law", "purpose",
            "assistance_requested", "persons_concerned"),
    "extradition": ("requesting_authority", "contact_officer", "person_identity", "person_location",
                    "summary_of_facts", "offence_and_law", "penalty", "limitation"),
}
COMMON_ATTACHMENTS = {
    "mla": (),
    "extradition": ("arrest_warrant", "charging_document", "legal_texts", "identification_documents"),
}
MEASURE_FIELDS = {
    "evidence_taking": ("witnesses", "questions"),
    "documents_records": ("records_sought",),
    "service_of_documents": ("documents_to_serve", "recipient_address"),
    "identification_location": ("person_to_locate",),
    "videoconference": ("hearing_details",),
    "victim_protection": ("protection_needed",),
    "search_seizure": ("place_to_search", "items_sought"),
    "bank_records": ("bank_details",),
    "freezing_confiscation": ("assets_description",),
    "interception": ("interception_target", "interception_period"),
    "extradition": (),
    "provisional_arrest": ("urgency_reason", "warrant_reference"),
}
MEASURE_ATTACHMENTS = {"interception": ("judicial_order",), "provisional_arrest": ("arrest_warrant",)}
OPTIONAL_FIELDS = ("confidentiality", "urgency_reason", "assurances", "notes")
DOCUMENT_LANGUAGES = LANGUAGES  # languages the formal document can be written in


class InvalidTransition(TipnetError):
    """A status change the workflow does not allow (or not to this side)."""

    status, code = 409, "invalid-transition"


@dataclass(frozen=True)
class Requirements:
    fields: tuple[str, ...]
    attachments: tuple[str, ...]
    language: str
    conditions: tuple[str, ...]  # codes: dual_criminality, translation

    def to_dict(self) -> dict[str, Any]:
        return {"fields": list(self.fields), "attachments": list(self.attachments), "language": self.language,
                "conditions": list(self.conditions)}


def document_language(profile: dict[str, Any], working_languages: list[str]) -> str:
    """The requested state's language for the document: the first it accepts requests in that has a template, else
    its first working language with a template, else English."""
    for lang in [*(profile.get("request_languages") or []), *working_languages]:
        if lang in DOCUMENT_LANGUAGES:
            return lang
    return "en"


def _add(out: list[str], names: Any) -> None:
    for name in names:
        if name not in out:
            out.append(name)


def requirements(kind: str, measures: list[str], profile: dict[str, Any], working_languages: list[str],
                 crime: str) -> Requirements:
    fields: list[str] = []
    attachments: list[str] = []
    conditions: list[str] = []
    _add(fields, COMMON_FIELDS[kind])
    _add(attachments, COMMON_ATTACHMENTS[kind])
    extra_fields = profile.get("required_fields") or {}
    extra_attachments = profile.get("required_attachments") or {}
    _add(fields, extra_fields.get("*", []))
    _add(attachments, extra_attachments.get("*", []))
    for m in measures:
        _add(fields, MEASURE_FIELDS.get(m, ()))
        _add(attachments, MEASURE_ATTACHMENTS.get(m, ()))
        _add(fields, extra_fields.get(m, []))
        _add(attachments, extra_attachments.get(m, []))
    dual = profile.get("dual_criminality", "coercive")
    if dual == "all" or (dual == "coercive" and any(MEASURES[m].coercive for m in measures)):
        _add(fields, ["dual_criminality_statement"])
        conditions.append("dual_criminality")
    language = document_language(profile, working_languages)
    accepted = profile.get("request_languages") or []
    if profile.get("translation_required") and accepted and language not in accepted:
        _add(attachments, ["translation"])
        conditions.append("translation")
    return Requirements(tuple(fields), tuple(attachments), language, tuple(conditions))


def missing(req: Requirements, fields: dict[str, str], attachments: dict[str, str],
            authority_id: int | None) -> list[dict[str, str]]:
    """What the draft still lacks, field by field (empty: complete)."""
    out = []
    if authority_id is None:
        out.append({"field": "authority_id", "kind": "setup", "message": "choose the requested authority"})
    for name in req.fields:
        if not (fields.get(name) or "").strip():
            out.append({"field": name, "kind": "field", "message": f"{name} is required"})
    for name in req.attachments:
        if not (attachments.get(name) or "").strip():
            out.append({"field": name, "kind": "attachment", "message": f"attachment {name} is required"})
    return out


def check_transition(current: str, target: str, side: str | None) -> None:
    """Raise InvalidTransition unless `side` (requesting / requested) may move a request from current to target."""
    if target not in STATUSES:
        raise InvalidTransition(f"unknown status {target!r}; choose from {', '.join(STATUSES)}")
    who = TRANSITIONS.get((current, target))
    if who is None:
        allowed = sorted(t for (f, t) in TRANSITIONS if f == current)
        raise InvalidTransition(
            f"a request cannot go from {current} to {target}"
            + (f"; from {current} it may go to {', '.join(allowed)}" if allowed else f"; {current} is final"),
            {"from": current, "to": target, "allowed": allowed})
    if side != who:
        raise InvalidTransition(f"only the {who} state moves a request from {current} to {target}",
                                {"from": current, "to": target, "side": who})


def next_steps(current: str, side: str | None) -> list[str]:
    return [t for (f, t), s in TRANSITIONS.items() if f == current and s == side]
