"""The screening and identification form: its sections and fields, each tied to the standard where the standard has
the field (`fields.yaml`, `vocab/*.yaml`), or to a case-entry choice list (`CHOICES`) where it does not.

A field's `kind` says how a posted value is read: text, date, integer, flag (a checkbox), answer (yes / no / not
asked yet), code (one of a list), codes (several), country, countries, language. `required` fields must be filled
before a case can be submitted; a draft may hold anything, as typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from tipnet.standard import load_standard

SECTIONS = ("screening", "identity", "child", "consent", "risk", "referral", "plan")


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str
    section: str
    choices: str | None = None  # a standard vocabulary id, or a key of CHOICES
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None

    @property
    def standard(self) -> bool:
        """The field carries a vocabulary of the standard (its labels come from the standard's YAML)."""
        return self.choices is not None and self.choices in load_standard().vocabularies

    @property
    def multiple(self) -> bool:
        return self.kind in ("codes", "countries")


# Case-entry choice lists that the standard does not define (labels: cases.po, key cases.choice.<list>.<code>).
CHOICES: dict[str, tuple[str, ...]] = {
    "guardian_type": ("parent", "relative", "legal_guardian", "appointed_guardian", "child_protection_authority"),
    "protection_measure": ("removed_from_danger", "emergency_shelter", "child_protection_notified",
                           "medical_examination", "guardian_appointed", "family_tracing", "no_contact_with_suspects"),
    "consent_given_by": ("victim", "guardian", "legal_representative"),
    "risk_level": ("low", "medium", "high", "immediate"),
    "risk_factor": ("trafficker_contact", "threats_to_family", "debt_bondage", "health", "self_harm",
                    "re_trafficking", "no_documents", "irregular_status", "pending_proceedings"),
}

# Languages a person may understand, offered first (ISO 639; names come from the CLDR in the page's language).
# Anything else is written in `primary_language_other`.
LANGUAGE_CODES = ("es", "en", "pt", "fr", "ht", "qu", "ay", "gn", "quc", "arn", "nl", "pap", "srn", "zh", "ar",
                  "hi", "ne", "bn", "wo", "ru", "uk")
OTHER_LANGUAGE = "other"

# The assistance plan: one row per kind of assistance (codes of the standard's `assistance_type` vocabulary).
PLAN_TYPES = ("medical", "psychological", "legal", "social", "shelter", "interpretation", "repatriation",
              "reintegration")
PLAN_PARTS = ("needed", "start", "end", "provider")

CONSENT_ITEMS = ("consent_data_processing", "consent_share_services", "consent_share_law_enforcement",
                 "consent_share_hub", "consent_research")
# Consent items that are fields of the standard (and so columns of the stored person).
CONSENT_IN_STANDARD = ("consent_data_processing", "consent_share_hub", "consent_research")

FIELDS: tuple[Spec, ...] = (
    # screening
    Spec("identification_date", "date", "screening", required=True),
    Spec("agency", "text", "screening"),
    Spec("source_type", "code", "screening", "source_type"),
    Spec("screening_place", "text", "screening"),
    Spec("victim_status", "code", "screening", "victim_status", required=True),
    Spec("forms_of_exploitation", "codes", "screening", "exploitation_form"),
    Spec("means_of_control", "codes", "screening", "means_of_control"),
    Spec("recruitment_country", "country", "screening"),
    Spec("exploitation_country", "country", "screening"),
    # identity
    Spec("given_names", "text", "identity"),
    Spec("family_names", "text", "identity"),
    Spec("birth_date", "date", "identity"),
    Spec("age", "integer", "identity", minimum=0, maximum=120),
    Spec("age_presumed_minor", "flag", "identity"),
    Spec("sex", "code", "identity", "sex", required=True),
    Spec("citizenship", "countries", "identity"),
    Spec("primary_language", "language", "identity", required=True),
    Spec("primary_language_other", "text", "identity"),
    Spec("interpreter_needed", "flag", "identity"),
    # child branch (applies when the person is under 18 or presumed to be)
    Spec("best_interests", "flag", "child"),
    Spec("guardian_type", "code", "child", "guardian_type"),
    Spec("guardian_name", "text", "child"),
    Spec("unaccompanied", "flag", "child"),
    Spec("protection_measures", "codes", "child", "protection_measure"),
    Spec("protection_date", "date", "child"),
    # consent: what may be shared with whom
    Spec("consent_given_by", "code", "consent", "consent_given_by", required=True),
    Spec("consent_date", "date", "consent", required=True),
    *(Spec(item, "answer", "consent", required=True) for item in CONSENT_ITEMS),
    # risk assessment
    Spec("risk_level", "code", "risk", "risk_level", required=True),
    Spec("risk_factors", "codes", "risk", "risk_factor"),
    Spec("risk_assessed_on", "date", "risk"),
    Spec("safety_plan", "text", "risk"),
    # referral to a service provider
    Spec("referral_provider", "text", "referral"),
    Spec("referral_authority_id", "text", "referral"),
    Spec("referral_date", "date", "referral"),
    Spec("referral_services", "codes", "referral", "assistance_type"),
)

_BY_NAME = {s.name: s for s in FIELDS}


def plan_field(kind: str, part: str) -> str:
    return f"plan_{kind}_{part}"


PLAN_FIELDS: tuple[Spec, ...] = tuple(
    Spec(plan_field(kind, part), {"needed": "flag", "start": "date", "end": "date", "provider": "text"}[part], "plan")
    for kind in PLAN_TYPES for part in PLAN_PARTS
)
ALL_FIELDS: tuple[Spec, ...] = FIELDS + PLAN_FIELDS
_BY_NAME.update({s.name: s for s in PLAN_FIELDS})


def spec(name: str) -> Spec:
    return _BY_NAME[name]


def known(name: str) -> bool:
    return name in _BY_NAME


def choice_codes(s: Spec) -> tuple[str, ...]:
    if s.choices is None:
        return ()
    std = load_standard()
    if s.choices in std.vocabularies:
        return tuple(std.vocabularies[s.choices].codes)
    return CHOICES[s.choices]


def _check() -> None:
    std = load_standard()
    missing = [t for t in PLAN_TYPES if t not in std.vocabularies["assistance_type"].codes]
    if missing:
        raise RuntimeError(f"assistance plan types not in the standard's assistance_type: {missing}")


_check()
