"""What a directory entry holds: the vocabularies (competences, measures, crimes, channels), which fields are public
and which restricted, and the check that turns a submitted entry into a clean document or names what is wrong."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from tipnet.errors import TipnetError
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.standard.urls import url_problem

COMPETENCES = ("prosecution", "police", "victim_assistance", "mla_central_authority", "extradition",
               "labour_inspection", "child_protection", "border_control")


@dataclass(frozen=True)
class Measure:
    code: str
    kind: str  # mla | extradition
    coercive: bool
    competences: tuple[str, ...]  # who executes it, best first


MEASURES: dict[str, Measure] = {m.code: m for m in (
    Measure("evidence_taking", "mla", False, ("mla_central_authority", "prosecution")),
    Measure("documents_records", "mla", False, ("mla_central_authority", "prosecution")),
    Measure("service_of_documents", "mla", False, ("mla_central_authority",)),
    Measure("identification_location", "mla", False, ("mla_central_authority", "police")),
    Measure("videoconference", "mla", False, ("mla_central_authority", "prosecution")),
    Measure("victim_protection", "mla", False, ("mla_central_authority", "victim_assistance", "child_protection")),
    Measure("search_seizure", "mla", True, ("mla_central_authority", "prosecution")),
    Measure("bank_records", "mla", True, ("mla_central_authority", "prosecution")),
    Measure("freezing_confiscation", "mla", True, ("mla_central_authority", "prosecution")),
    Measure("interception", "mla", True, ("mla_central_authority", "prosecution")),
    Measure("extradition", "extradition", True, ("extradition", "mla_central_authority")),
    Measure("provisional_arrest", "extradition", True, ("extradition", "police", "mla_central_authority")),
)}
KINDS = ("mla", "extradition")
CRIMES = ("trafficking_in_persons", "migrant_smuggling", "child_sexual_exploitation", "forced_labour",
          "money_laundering", "organised_crime", "document_fraud", "corruption")
CHANNELS = ("central_authority", "diplomatic", "interpol", "direct_judicial", "electronic")
DUAL_CRIMINALITY = ("none", "coercive", "all")
LANGUAGES = ("en", "es", "fr", "pt", "nl")

PUBLIC_FIELDS = ("name", "country", "competences", "specialisations", "working_languages", "address", "website",
                 "email", "phone", "ops_24_7", "legal_profile")
RESTRICTED_FIELDS = ("contact_person", "direct_phone", "direct_email", "ops_phone", "ops_email", "focal_point_email",
                     "notes")
FIELDS = PUBLIC_FIELDS + RESTRICTED_FIELDS
_TEXT_LIMIT = 2000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,40}$")


class EntryError(TipnetError, ValueError):
    """A directory entry or legal profile that cannot be stored; names the field and the value."""

    status, code = 422, "invalid-request"

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(f"{field}: {message} (got {value!r})")
        self.field, self.value, self.message = field, value, message


def _codes(field: str, value: object, allowed: tuple[str, ...] | dict[str, Any]) -> list[str]:
    items: list[Any] = value.split() if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]
    out: list[str] = []
    for item in items:
        code = str(item).strip().lower()
        if code not in allowed:
            raise EntryError(field, item, f"unknown code; choose from {', '.join(allowed)}")
        if code not in out:
            out.append(code)
    return out


def _text(field: str, value: object, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise EntryError(field, value, "is required")
    if len(text) > _TEXT_LIMIT:
        raise EntryError(field, text[:40] + "...", f"is longer than {_TEXT_LIMIT} characters")
    return text


def _email(field: str, value: object) -> str:
    text = _text(field, value)
    if text and not _EMAIL.match(text):
        raise EntryError(field, value, "is not an e-mail address")
    return text.lower()


def _phone(field: str, value: object) -> str:
    text = _text(field, value)
    if text and not _PHONE.match(text):
        raise EntryError(field, value, "is not a telephone number (digits, spaces, + ( ) . / -)")
    return text


def _url(field: str, value: object) -> str:
    text = _text(field, value)
    problem = url_problem(text)
    if problem:
        raise EntryError(field, value, problem)
    return text


def _flag(field: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise EntryError(field, value, "is not yes or no")


def check_profile(raw: dict[str, Any] | None) -> dict[str, Any]:
    """The legal profile: what the authority accepts, on which legal basis, through which channels, in which
    languages, and what each measure needs beyond the common fields (`required_fields`, `required_attachments`)."""
    raw = dict(raw or {})
    unknown = set(raw) - {"accepts", "legal_basis", "channels", "request_languages", "translation_required",
                          "dual_criminality", "offences", "required_fields", "required_attachments", "notes"}
    if unknown:
        raise EntryError("legal_profile", sorted(unknown), "has unknown keys")
    dual = str(raw.get("dual_criminality") or "coercive").lower()
    if dual not in DUAL_CRIMINALITY:
        raise EntryError("legal_profile.dual_criminality", dual, f"choose from {', '.join(DUAL_CRIMINALITY)}")
    basis = raw.get("legal_basis") or []
    basis = [basis] if isinstance(basis, str) else basis
    per_measure: dict[str, dict[str, list[str]]] = {"required_fields": {}, "required_attachments": {}}
    for key in per_measure:
        for measure, names in dict(raw.get(key) or {}).items():
            if measure != "*" and measure not in MEASURES:
                raise EntryError(f"legal_profile.{key}", measure, "unknown measure")
            items = names.split() if isinstance(names, str) else list(names)
            for name in items:
                if not re.fullmatch(r"[a-z][a-z0-9_]{1,47}", str(name)):
                    raise EntryError(f"legal_profile.{key}.{measure}", name, "is not a field code (a-z, 0-9, _)")
            per_measure[key][measure] = [str(n) for n in items]
    return {
        "accepts": _codes("legal_profile.accepts",
                          list(MEASURES) if raw.get("accepts") is None else raw["accepts"], MEASURES),
        "legal_basis": [_text("legal_profile.legal_basis", b, required=True) for b in basis],
        "channels": _codes("legal_profile.channels", raw.get("channels") or ["central_authority"], CHANNELS),
        "request_languages": _codes("legal_profile.request_languages", raw.get("request_languages") or [], LANGUAGES),
        "translation_required": _flag("legal_profile.translation_required", raw.get("translation_required")),
        "dual_criminality": dual,
        "offences": _codes("legal_profile.offences", raw.get("offences") or list(CRIMES), CRIMES),
        **per_measure,
        "notes": _text("legal_profile.notes", raw.get("notes")),
    }


def check_entry(raw: dict[str, Any]) -> dict[str, Any]:
    """A clean entry document from submitted values; raises EntryError naming the first bad field."""
    unknown = set(raw) - set(FIELDS) - {"last_verified"}
    if unknown:
        raise EntryError("entry", sorted(unknown), "has unknown fields")
    country = _text("country", raw.get("country"), required=True).upper()
    if country not in OAS_MEMBERS:
        raise EntryError("country", raw.get("country"), "is not an OAS member state (ISO 3166-1 alpha-3)")
    competences = _codes("competences", raw.get("competences"), COMPETENCES)
    if not competences:
        raise EntryError("competences", raw.get("competences"), "name at least one competence")
    doc = {
        "name": _text("name", raw.get("name"), required=True),
        "country": country,
        "competences": competences,
        "specialisations": _codes("specialisations", raw.get("specialisations"), CRIMES),
        "working_languages": _codes("working_languages", raw.get("working_languages"), LANGUAGES),
        "address": _text("address", raw.get("address")),
        "website": _url("website", raw.get("website")),
        "email": _email("email", raw.get("email")),
        "phone": _phone("phone", raw.get("phone")),
        "ops_24_7": _flag("ops_24_7", raw.get("ops_24_7")),
        "legal_profile": check_profile(raw.get("legal_profile")),
        "contact_person": _text("contact_person", raw.get("contact_person")),
        "direct_phone": _phone("direct_phone", raw.get("direct_phone")),
        "direct_email": _email("direct_email", raw.get("direct_email")),
        "ops_phone": _phone("ops_phone", raw.get("ops_phone")),
        "ops_email": _email("ops_email", raw.get("ops_email")),
        "focal_point_email": _email("focal_point_email", raw.get("focal_point_email")),
        "notes": _text("notes", raw.get("notes")),
    }
    if not doc["working_languages"]:
        raise EntryError("working_languages", raw.get("working_languages"), "name at least one language")
    if doc["ops_24_7"] and not (doc["ops_phone"] or doc["ops_email"]):
        raise EntryError("ops_phone", "", "a 24/7 operational contact needs a telephone or an e-mail address")
    return doc


def parse_date(field: str, value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise EntryError(field, value, "is not a date (YYYY-MM-DD)") from exc


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def public_view(doc: dict[str, Any], restricted: bool) -> dict[str, Any]:
    """The fields a reader may see: the public ones, plus the restricted ones for signed-in authority roles."""
    names = FIELDS if restricted else PUBLIC_FIELDS
    return {k: doc.get(k) for k in names}
