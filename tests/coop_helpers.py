"""Directory entries and principals for the cooperation tests (entries written here, not taken from the demo)."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from typing import Any

from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.coop import directory
from tipnet.store import Database

TODAY = dt.date.today()


def who(role: str, country: str | None = None) -> Principal:
    return Principal(via=Via.SESSION, user_id=None, email=f"{role}.{(country or 'hub').lower()}@test.tipnet",
                     role=Role(role), country=country)


OPERATOR = Principal(via=Via.SYSTEM, email="cli:test", role=Role.HUB_ADMIN)


def entry(country: str, name: str, competences: list[str], **extra: Any) -> dict[str, Any]:
    domain = f"{country.lower()}.example.org"
    base: dict[str, Any] = {"name": name, "country": country, "competences": competences,
                            "working_languages": ["es"], "email": f"{name.split()[0].lower()}@{domain}",
                            "phone": "+000 100 0001", "direct_phone": "+000 555 0101",
                            "focal_point_email": f"focal@{country.lower()}.example.org",
                            "legal_profile": {"legal_basis": ["Nassau Convention (1992)"]}}
    base.update(extra)
    return base


def peru(db: Database, verified: dt.date | None = None) -> dict[str, directory.Authority]:
    """Four PER authorities with distinct competences and legal profiles."""
    day = (verified or TODAY).isoformat()
    made = {
        "central": entry("PER", "Central Authority PER", ["mla_central_authority", "extradition"],
                         legal_profile={"legal_basis": ["Nassau Convention (1992)"], "dual_criminality": "coercive",
                                        "offences": ["trafficking_in_persons", "migrant_smuggling", "forced_labour"],
                                        "request_languages": ["es"], "translation_required": True,
                                        "required_attachments": {"search_seizure": ["judicial_order"]}},
                         last_verified=day),
        "prosecution": entry("PER", "Prosecution Unit PER", ["prosecution"], specialisations=["trafficking_in_persons"],
                             legal_profile={"legal_basis": ["Law 28950"], "accepts": ["evidence_taking"],
                                            "channels": ["direct_judicial"]}, last_verified=day),
        "police": entry("PER", "Police Unit PER", ["police"], ops_24_7=True, ops_phone="+000 247 9999",
                        ops_email="duty@per.example.org",
                        legal_profile={"legal_basis": ["Interpol rules"],
                                       "accepts": ["identification_location", "provisional_arrest"],
                                       "channels": ["interpol"]}, last_verified=day),
        "victims": entry("PER", "Victim Services PER", ["victim_assistance"],
                         legal_profile={"legal_basis": ["Law 28950"], "accepts": ["victim_protection"]},
                         last_verified=day),
    }
    return {k: directory.create(db, OPERATOR, v) for k, v in made.items()}


def pdf_text(data: bytes) -> str:
    """The text drawn by a PDF written with core fonts: every content stream inflated, the strings of its text
    operators joined (an independent reader, not the writer's code)."""
    assert data.startswith(b"%PDF-")
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            body = zlib.decompress(raw)
        except zlib.error:
            body = raw
        for s in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", body):
            out.append(re.sub(rb"\\(.)", rb"\1", s).decode("latin-1"))
    return " ".join(out)


def parse_vcards(text: str) -> list[dict[str, list[str]]]:
    """RFC 6350 reading: unfold, split properties (name;params:value), unescape; one dict per card."""
    lines = text.replace("\r\n ", "").split("\r\n")
    cards: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for line in lines:
        if not line:
            continue
        head, _, value = line.partition(":")
        name = head.split(";")[0].upper()
        if name == "BEGIN":
            current = {}
            continue
        if name == "END":
            assert current is not None
            cards.append(current)
            current = None
            continue
        assert current is not None, line
        value = re.sub(r"\\([\\,;nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
        current.setdefault(name, []).append(value)
    assert current is None
    return cards
