"""A demo directory for the 35 OAS member states: plausible institutions with clearly fictitious contacts
(example.org addresses, +000 telephone numbers), varied legal profiles, and some entries past their verification
date so staleness and reminders can be seen. Deterministic: the same store gets the same directory."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from importlib import resources
from typing import Any

import pycountry
import yaml

from tipnet.auth import audit, clock
from tipnet.auth.principal import Principal, system
from tipnet.coop.directory import create, listing
from tipnet.coop.directory_model import MEASURES
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.store import Database

# (key, competences, specialisations, 24/7, accepted measures, channels)
_KINDS: list[tuple[str, list[str], list[str], bool, list[str], list[str]]] = [
    ("central", ["mla_central_authority", "extradition"], [], False, list(MEASURES),
     ["central_authority", "diplomatic", "electronic"]),
    ("prosecution", ["prosecution"], ["trafficking_in_persons", "migrant_smuggling"], False,
     ["evidence_taking", "documents_records", "videoconference", "identification_location"], ["direct_judicial"]),
    ("police", ["police"], ["trafficking_in_persons", "child_sexual_exploitation"], True,
     ["identification_location", "provisional_arrest"], ["interpol", "direct_judicial"]),
    ("victims", ["victim_assistance"], ["trafficking_in_persons"], True, ["victim_protection"], ["central_authority"]),
    ("labour", ["labour_inspection"], ["forced_labour"], False, [], []),
    ("children", ["child_protection", "victim_assistance"], ["child_sexual_exploitation"], True,
     ["victim_protection"], ["central_authority"]),
    ("border", ["border_control"], ["migrant_smuggling", "document_fraud"], True, ["identification_location"],
     ["interpol"]),
]
_NAMES = {
    "es": {"central": "Autoridad Central de Asistencia Jurídica Mutua y Extradición",
           "prosecution": "Fiscalía Especializada contra la Trata de Personas",
           "police": "Unidad Policial contra la Trata de Personas y el Tráfico de Migrantes",
           "victims": "Programa Nacional de Atención a Víctimas de Trata",
           "labour": "Inspección Nacional del Trabajo", "children": "Oficina Nacional de Protección de la Niñez",
           "border": "Dirección de Migración y Control Fronterizo"},
    "en": {"central": "Central Authority for Mutual Legal Assistance and Extradition",
           "prosecution": "Office of the Director of Public Prosecutions, Trafficking in Persons Unit",
           "police": "Police Anti-Trafficking in Persons and Smuggling Unit",
           "victims": "Victim Support Services, Trafficking in Persons Desk",
           "labour": "Labour Inspectorate", "children": "Child Protection Agency",
           "border": "Immigration and Border Control Department"},
    "fr": {"central": "Autorité centrale d'entraide judiciaire et d'extradition",
           "prosecution": "Parquet spécialisé contre la traite des personnes",
           "police": "Unité de police contre la traite des personnes et le trafic de migrants",
           "victims": "Service national d'assistance aux victimes de la traite",
           "labour": "Inspection du travail", "children": "Office de protection de l'enfance",
           "border": "Direction de l'immigration et des frontières"},
    "pt": {"central": "Autoridade Central de Cooperação Jurídica Internacional e Extradição",
           "prosecution": "Ministério Público, Núcleo de Enfrentamento ao Tráfico de Pessoas",
           "police": "Unidade Policial de Repressão ao Tráfico de Pessoas e Contrabando de Migrantes",
           "victims": "Serviço Nacional de Atendimento às Vítimas de Tráfico",
           "labour": "Inspeção do Trabalho", "children": "Conselho Nacional de Proteção da Criança",
           "border": "Departamento de Migração e Controle de Fronteiras"},
    "nl": {"central": "Centrale Autoriteit voor Wederzijdse Rechtshulp en Uitlevering",
           "prosecution": "Openbaar Ministerie, Eenheid Mensenhandel",
           "police": "Politie, Eenheid Mensenhandel en Mensensmokkel",
           "victims": "Bureau Slachtofferhulp Mensenhandel", "labour": "Arbeidsinspectie",
           "children": "Bureau Kinderbescherming", "border": "Vreemdelingenpolitie en Grensbewaking"},
}
_LANGUAGES = {"CAN": ["en", "fr"], "SUR": ["nl", "en"], "BLZ": ["en", "es"], "HTI": ["fr"], "BRA": ["pt"],
              "USA": ["en"]}
BASIS = ["Inter-American Convention on Mutual Assistance in Criminal Matters (Nassau, 1992)",
         "United Nations Convention against Transnational Organized Crime (2000) and its Trafficking in Persons "
         "Protocol", "Inter-American Convention on Extradition (Caracas, 1981)"]
COMMON_LAW = frozenset({"ATG", "BHS", "BRB", "BLZ", "CAN", "DMA", "GRD", "GUY", "JAM", "KNA", "LCA", "VCT", "TTO",
                        "USA"})


@cache
def _members() -> dict[str, Any]:
    text = resources.files("tipnet.demo").joinpath("data", "oas_members.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text)["members"])


def _n(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _profile(iso3: str, accepts: list[str], channels: list[str], languages: list[str]) -> dict[str, Any]:
    n = _n(iso3, "profile")
    required_fields: dict[str, list[str]] = {}
    required_attachments: dict[str, list[str]] = {}
    if iso3 in COMMON_LAW:
        required_fields["search_seizure"] = ["probable_cause_statement"]
        required_attachments["search_seizure"] = ["sworn_affidavit"]
    else:
        required_attachments["search_seizure"] = ["judicial_order"]
    if n % 3 == 0:
        required_attachments["*"] = ["certified_copy_of_law"]
    if n % 4 == 1:
        required_fields["bank_records"] = ["account_identification", "period_covered"]
    request_languages = list(dict.fromkeys(languages + (["en"] if n % 4 == 0 else [])))
    dual = "all" if n % 5 == 1 else "none" if n % 7 == 3 else "coercive"
    offences = [c for c in ("trafficking_in_persons", "migrant_smuggling", "child_sexual_exploitation",
                            "forced_labour", "money_laundering", "organised_crime", "document_fraud", "corruption")
                if not (c == "document_fraud" and n % 6 == 2)]
    return {"accepts": accepts, "legal_basis": BASIS if "extradition" in accepts else BASIS[:2],
            "channels": channels, "request_languages": request_languages if accepts else [],
            "translation_required": bool(accepts) and n % 4 != 0,
            "dual_criminality": dual, "offences": offences, "required_fields": required_fields if accepts else {},
            "required_attachments": required_attachments if accepts else {},
            "notes": "Fictitious demo profile."}


def demo_entries(iso3: str, today: dt.date) -> list[dict[str, Any]]:
    """The demo entries of one country (not yet stored)."""
    member = _members().get(iso3, {})
    lang = member.get("language", "en")
    languages = _LANGUAGES.get(iso3, [lang])
    names = _NAMES.get(languages[0], _NAMES["en"])
    place = (member.get("places") or ["Capital"])[0]
    country = pycountry.countries.get(alpha_3=iso3)
    country_name = getattr(country, "name", iso3)
    domain = f"{iso3.lower()}.example.org"
    out = []
    for i, (key, competences, specs, ops, accepts, channels) in enumerate(_KINDS):
        n = _n(iso3, key)
        age = n % 260 if key != "central" else n % 200  # some entries older than six months
        out.append({
            "name": f"{names[key]} ({country_name}, demo)", "country": iso3, "competences": competences,
            "specialisations": specs, "working_languages": languages,
            "address": f"{10 + n % 90} Demo Street, {place}", "website": f"https://{key}.{domain}/",
            "email": f"{key}@{domain}", "phone": f"+000 {i + 1}{n % 100:02d} {n % 10000:04d}", "ops_24_7": ops,
            "legal_profile": _profile(iso3, accepts, channels, languages),
            "contact_person": f"Duty officer {key.title()} (fictitious)",
            "direct_phone": f"+000 {i + 1}{n % 100:02d} {(n // 7) % 10000:04d}", "direct_email": f"desk.{key}@{domain}",
            "ops_phone": f"+000 247 {n % 10000:04d}" if ops else "", "ops_email": f"duty.{key}@{domain}" if ops else "",
            "focal_point_email": f"focal.point@{domain}", "notes": "Fictitious demo entry: do not contact.",
            "last_verified": (today - dt.timedelta(days=age)).isoformat(),
        })
    return out


def seed_directory(db: Database, who: Principal | None = None, today: dt.date | None = None) -> dict[str, int]:
    """Add the demo entries for every member state that has none yet (idempotent)."""
    who = who or system("demo")
    day = today or clock.now().date()
    have = {a.country for a in listing(db)}
    added = 0
    for iso3 in OAS_MEMBERS:
        if iso3 in have:
            continue
        for entry in demo_entries(iso3, day):
            create(db, who, entry, audit_it=False)
            added += 1
    if added:
        audit.record(db, who, "directory.seed", object_type="directory", details={"added": added})
    return {"added": added, "countries": len(OAS_MEMBERS) - len(have)}
