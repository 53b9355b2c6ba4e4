"""Reading and checking a case form: values against the standard's vocabularies, the child branch, consent, risk,
referral and assistance-plan rules. Every problem names the field and the value it is about.

`clean` keeps what was typed (a draft is saved as entered: nothing is lost). `check` parses it; with
`submitting=True` it also applies the completeness rules a case must meet before it is submitted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from babel import Locale

from tipnet.cases.spec import (
    ALL_FIELDS,
    CONSENT_ITEMS,
    LANGUAGE_CODES,
    OTHER_LANGUAGE,
    PLAN_TYPES,
    Spec,
    choice_codes,
    known,
    plan_field,
    spec,
)
from tipnet.standard import load_standard
from tipnet.standard.countries import resolve_country

MAX_TEXT = 2000
ADULT_AGE = 18
TRUE_WORDS = frozenset({"yes", "on", "true", "1", "si", "sí", "oui", "sim"})
FALSE_WORDS = frozenset({"no", "off", "false", "0", "non", "não", "nao"})

# English messages ({field} and {value} always; other placeholders per code). The UI shows the same message from
# the `cases` gettext domain (key cases.error.<code>) in the reader's language.
MESSAGES: dict[str, str] = {
    "required": "{field}: a value is required before the case can be submitted",
    "too-long": "{field}: the text is longer than {limit} characters",
    "not-a-date": "{field}: '{value}' is not a date (write it as YYYY-MM-DD)",
    "not-a-number": "{field}: '{value}' is not a whole number",
    "out-of-range": "{field}: {value} is outside the range {minimum} to {maximum}",
    "not-in-list": "{field}: '{value}' is not one of the codes of {list} ({allowed})",
    "not-a-country": "{field}: '{value}' is not a country (ISO 3166-1 alpha-3 code or name)",
    "not-a-language": "{field}: '{value}' is not a language code (ISO 639)",
    "not-an-answer": "{field}: '{value}' is neither yes nor no",
    "in-future": "{field}: {value} is in the future",
    "before": "{field}: {value} is before {other} ({other_value})",
    "age-mismatch": "{field}: {value} does not match the birth date {birth_date} (age {derived} on {on})",
    "language-other": "{field}: name the language when '{value}' is chosen",
    "child-best-interests": "{field}: the person is under 18, so the best interests of the child must be "
                           "considered and this flag set",
    "child-required": "{field}: the person is under 18, so this child-protection field is required",
    "child-unaccompanied": "{field}: '{value}' cannot be the guardian of an unaccompanied child; "
                           "choose an appointed guardian or the child protection authority",
    "child-consent": "{field}: '{value}' cannot give consent alone for a person under 18; a guardian or legal "
                     "representative gives it",
    "consent-needs-processing": "{field}: '{value}' needs consent to the processing of personal data, which was "
                                "refused",
    "risk-safety-plan": "{field}: a safety plan is required when the risk is '{value}'",
    "referral-provider": "{field}: name the service provider the person is referred to",
    "referral-consent": "{field}: '{value}' cannot be referred without the person's consent to share data with "
                        "service providers",
    "referral-unknown": "{field}: '{value}' is not a victim-assistance provider of the country in the directory",
    "plan-not-needed": "{field}: {value} is filled in but the assistance is not marked as needed",
    "plan-interpretation": "{field}: an interpreter is needed, so interpretation must be part of the assistance "
                           "plan",
}


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    value: str = ""
    params: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def message(self) -> str:
        return MESSAGES[self.code].format(field=self.field, value=self.value, **self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "value": self.value, "params": dict(self.params),
                "message": self.message}


@dataclass
class Checked:
    """Parsed values (None when empty or invalid), the problems found, and whether the child branch applies."""

    values: dict[str, Any]
    errors: list[FieldError]
    minor: bool
    minor_reason: str | None = None

    def errors_for(self, name: str) -> list[FieldError]:
        return [e for e in self.errors if e.field == name]


# --- what was typed -------------------------------------------------------------------------------------------------


def clean(form: Mapping[str, Any]) -> dict[str, Any]:
    """The form's known fields as typed: text stripped, lists without blanks, flags as 'yes' or ''. Unknown names
    (buttons, the CSRF token) are dropped."""
    out: dict[str, Any] = {}
    for s in ALL_FIELDS:
        if s.name not in form:
            continue
        raw = form[s.name]
        items = raw if isinstance(raw, list | tuple) else [raw]
        texts = [str(v).replace("\x00", "").strip() for v in items if v is not None]  # no NUL: PostgreSQL text
        texts = [v for v in texts if v]
        if s.multiple:
            out[s.name] = list(dict.fromkeys(texts))
        elif s.kind == "flag":
            out[s.name] = "yes" if texts and texts[-1].lower() in TRUE_WORDS else ("no" if texts else "")
        else:
            out[s.name] = texts[-1] if texts else ""
    return out


def merge(old: Mapping[str, Any], new: Mapping[str, Any], posted: AbstractSet[str]) -> dict[str, Any]:
    """A draft after a save: fields present in the post replace the old ones; checkboxes and multiple choices that
    were on the page but sent nothing are cleared (a browser omits an unticked box)."""
    out = dict(old)
    for name in posted:
        if known(name):
            out[name] = new.get(name, [] if spec(name).multiple else "")
    return out


# --- parsing one value ----------------------------------------------------------------------------------------------


def _date(s: Spec, text: str, errors: list[FieldError]) -> dt.date | None:
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError(s.name, "not-a-date", text))
        return None


def _code(s: Spec, text: str, errors: list[FieldError]) -> str | None:
    codes = choice_codes(s)
    if text in codes:
        return text
    vocab = load_standard().vocabularies.get(s.choices or "")
    resolved = vocab.resolve(text) if vocab is not None else None
    if resolved is not None:
        return resolved
    errors.append(FieldError(s.name, "not-in-list", text, {"list": s.choices or "", "allowed": ", ".join(codes)}))
    return None


def _country(s: Spec, text: str, errors: list[FieldError]) -> str | None:
    match = resolve_country(text)
    if match.kind == "country" and match.code:
        return match.code
    errors.append(FieldError(s.name, "not-a-country", text))
    return None


def _language(s: Spec, text: str, errors: list[FieldError]) -> str | None:
    code = text.lower()
    if code in LANGUAGE_CODES or code == OTHER_LANGUAGE or code in Locale.parse("en").languages:
        return code
    errors.append(FieldError(s.name, "not-a-language", text))
    return None


def _answer(s: Spec, text: str, errors: list[FieldError]) -> bool | None:
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    errors.append(FieldError(s.name, "not-an-answer", text))
    return None


def _integer(s: Spec, text: str, errors: list[FieldError]) -> int | None:
    try:
        value = int(text)
    except ValueError:
        errors.append(FieldError(s.name, "not-a-number", text))
        return None
    lo, hi = s.minimum, s.maximum
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        errors.append(FieldError(s.name, "out-of-range", text, {"minimum": str(lo), "maximum": str(hi)}))
        return None
    return value


def parse_value(s: Spec, raw: Any, errors: list[FieldError]) -> Any:
    if s.multiple:
        items = raw if isinstance(raw, list) else ([raw] if raw else [])
        one = _country if s.kind == "countries" else _code
        parsed = [one(s, str(v), errors) for v in items]
        return [v for v in dict.fromkeys(parsed) if v is not None]
    text = "" if raw is None else str(raw).strip()
    if s.kind == "flag":
        return text.lower() in TRUE_WORDS
    if not text:
        return None
    if len(text) > MAX_TEXT:
        errors.append(FieldError(s.name, "too-long", text[:40] + "…", {"limit": str(MAX_TEXT)}))
        return None
    parsers = {"date": _date, "code": _code, "country": _country, "language": _language, "answer": _answer,
               "integer": _integer}
    parser = parsers.get(s.kind)
    return parser(s, text, errors) if parser else text


# --- the rules ------------------------------------------------------------------------------------------------------


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _minor(v: dict[str, Any], today: dt.date, errors: list[FieldError]) -> tuple[bool, str | None]:
    """Under 18 by the age given, by the birth date (on the identification date), or presumed a child when the age
    is uncertain. When the two disagree, the person is treated as a child (and the mismatch is reported)."""
    on = v.get("identification_date") or today
    birth, age = v.get("birth_date"), v.get("age")
    derived = age_on(birth, on) if birth is not None and birth <= on else None
    if birth is not None and derived is not None and age is not None and abs(derived - age) > 1:
        errors.append(FieldError("age", "age-mismatch", str(age),
                                 {"birth_date": birth.isoformat(), "derived": str(derived), "on": on.isoformat()}))
    if age is not None and age < ADULT_AGE:
        return True, "age"
    if derived is not None and derived < ADULT_AGE:
        return True, "birth_date"
    if v.get("age_presumed_minor"):
        return True, "presumed"
    return False, None


def _dates(v: dict[str, Any], today: dt.date, errors: list[FieldError]) -> None:
    for name in ("identification_date", "birth_date", "consent_date", "risk_assessed_on", "protection_date"):
        when = v.get(name)
        if when is not None and when > today:
            errors.append(FieldError(name, "in-future", when.isoformat()))
    ident = v.get("identification_date")
    birth = v.get("birth_date")
    if ident is not None and birth is not None and ident < birth:
        errors.append(FieldError("identification_date", "before", ident.isoformat(),
                                 {"other": "birth_date", "other_value": birth.isoformat()}))
    ref = v.get("referral_date")
    if ref is not None and ident is not None and ref < ident:
        errors.append(FieldError("referral_date", "before", ref.isoformat(),
                                 {"other": "identification_date", "other_value": ident.isoformat()}))


def _required(v: dict[str, Any], errors: list[FieldError]) -> None:
    for s in ALL_FIELDS:
        if s.required and v.get(s.name) in (None, "", []) and not any(e.field == s.name for e in errors):
            errors.append(FieldError(s.name, "required"))
    if v.get("primary_language") == OTHER_LANGUAGE and not v.get("primary_language_other"):
        errors.append(FieldError("primary_language_other", "language-other", OTHER_LANGUAGE))


def _child(v: dict[str, Any], errors: list[FieldError]) -> None:
    if not v.get("best_interests"):
        errors.append(FieldError("best_interests", "child-best-interests"))
    for name in ("guardian_type", "guardian_name", "protection_measures", "protection_date"):
        if v.get(name) in (None, "", []) and not any(e.field == name for e in errors):
            errors.append(FieldError(name, "child-required"))
    guardian = v.get("guardian_type")
    if v.get("unaccompanied") and guardian in ("parent", "relative", "legal_guardian"):
        errors.append(FieldError("guardian_type", "child-unaccompanied", guardian))
    if v.get("consent_given_by") == "victim":
        errors.append(FieldError("consent_given_by", "child-consent", "victim"))


def _consent(v: dict[str, Any], errors: list[FieldError]) -> None:
    if v.get("consent_data_processing") is False:
        for item in ("consent_share_hub", "consent_research"):
            if v.get(item) is True:
                errors.append(FieldError(item, "consent-needs-processing", "yes"))


def _risk(v: dict[str, Any], errors: list[FieldError]) -> None:
    level = v.get("risk_level")
    if level in ("high", "immediate") and not v.get("safety_plan"):
        errors.append(FieldError("safety_plan", "risk-safety-plan", level))


def _referral(v: dict[str, Any], minor: bool, errors: list[FieldError]) -> None:
    provider = v.get("referral_provider")
    if not provider and (v.get("referral_authority_id") or v.get("referral_date") or v.get("referral_services")):
        errors.append(FieldError("referral_provider", "referral-provider"))
    # A child is referred to protection whatever was consented (the child's best interests come first).
    if provider and not minor and v.get("consent_share_services") is not True:
        errors.append(FieldError("referral_provider", "referral-consent", provider))


def _plan(v: dict[str, Any], errors: list[FieldError]) -> None:
    for kind in PLAN_TYPES:
        needed = v.get(plan_field(kind, "needed"))
        start, end = v.get(plan_field(kind, "start")), v.get(plan_field(kind, "end"))
        if needed and start is None and not errors_on(errors, plan_field(kind, "start")):
            errors.append(FieldError(plan_field(kind, "start"), "required"))
        if start is not None and end is not None and end < start:
            errors.append(FieldError(plan_field(kind, "end"), "before", end.isoformat(),
                                     {"other": plan_field(kind, "start"), "other_value": start.isoformat()}))
        if not needed:
            for part in ("start", "end", "provider"):
                value = v.get(plan_field(kind, part))
                if value:
                    shown = value.isoformat() if isinstance(value, dt.date) else str(value)
                    errors.append(FieldError(plan_field(kind, part), "plan-not-needed", shown))
    if v.get("interpreter_needed") and not v.get(plan_field("interpretation", "needed")):
        errors.append(FieldError(plan_field("interpretation", "needed"), "plan-interpretation"))


def errors_on(errors: list[FieldError], name: str) -> bool:
    return any(e.field == name for e in errors)


def check(data: Mapping[str, Any], today: dt.date | None = None, submitting: bool = False) -> Checked:
    """Parse a draft's values; with `submitting`, also apply the rules a case must meet to be submitted."""
    today = today or dt.date.today()
    errors: list[FieldError] = []
    values = {s.name: parse_value(s, data.get(s.name), errors) for s in ALL_FIELDS}
    minor, reason = _minor(values, today, errors)
    _dates(values, today, errors)
    if submitting:
        _required(values, errors)
        if minor:
            _child(values, errors)
        _consent(values, errors)
        _risk(values, errors)
        _referral(values, minor, errors)
        _plan(values, errors)
    return Checked(values, errors, minor, reason)


def consent_state(values: Mapping[str, Any]) -> dict[str, bool | None]:
    return {item: values.get(item) for item in CONSENT_ITEMS}
