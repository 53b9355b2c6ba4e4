"""Directory entries and principals for the cooperation tests (entries written here, not taken from the demo)."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from typing import Any

from tipnet.auth import clock
from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.coop import directory
from tipnet.store import Database

TODAY = clock.now().date()  # the day (UTC) the test run began; the code under test also counts in UTC


def tomorrow() -> str:
    """The day after the one the code under test sees now: asked at the moment of use, so a run that goes past
    midnight still hands it a future date."""
    return (clock.now().date() + dt.timedelta(days=1)).isoformat()


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


_OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _unescape(s: bytes) -> bytes:
    """A PDF literal string's bytes (ISO 32000-1, 7.3.4.2): escapes and octal codes resolved."""
    def one(m: re.Match[bytes]) -> bytes:
        code = m.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return b"" if code in (b"\n", b"\r") else _ESC.get(code, code)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, s, flags=re.S)


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes]]:
    """object number -> (dictionary, stream inflated or b"")."""
    out = {}
    for m in _OBJ.finditer(data):
        body = m.group(2)
        found = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
        stream = b""
        if found:
            stream = found.group(1)
            if b"/FlateDecode" in body[:found.start()]:
                stream = zlib.decompress(stream)
        out[int(m.group(1))] = (body[:found.start()] if found else body, stream)
    return out


def _cmap(text: bytes) -> dict[int, str]:
    """A ToUnicode CMap: character code -> text (bfchar and bfrange sections)."""
    out: dict[int, str] = {}

    def uni(hexa: bytes) -> str:
        return bytes.fromhex(hexa.decode()).decode("utf-16-be")

    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = uni(dst)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = int(dst, 16)
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(first + i)
    return out


def pdf_fonts(data: bytes) -> dict[str, dict[str, Any]]:
    """Font resource name (F1 ...) -> {base: BaseFont, embedded: has a font file, cmap: ToUnicode map or None}."""
    objs = _objects(data)
    fonts = {}
    for head, _ in objs.values():
        for res in re.findall(rb"/Font\s*<<(.*?)>>", head, re.S):
            for name, num in re.findall(rb"/(\w+)\s+(\d+) 0 R", res):
                font = objs[int(num)][0]
                base = re.search(rb"/BaseFont\s*/([^\s/>]+)", font)
                uni = re.search(rb"/ToUnicode\s+(\d+) 0 R", font)
                descendants = re.findall(rb"/DescendantFonts\s*\[\s*(\d+) 0 R", font)
                descriptors = [re.search(rb"/FontDescriptor\s+(\d+) 0 R", objs[int(d)][0]) for d in descendants]
                embedded = any(d and re.search(rb"/FontFile2\s+\d+ 0 R", objs[int(d.group(1))][0])
                               for d in descriptors)
                fonts[name.decode()] = {"base": base.group(1).decode() if base else "", "embedded": bool(embedded),
                                        "cmap": _cmap(objs[int(uni.group(1))][1]) if uni else None}
    return fonts


def pdf_text(data: bytes) -> str:
    """The text a PDF draws, read independently of the writer: every content stream, its `Tf` font changes and the
    strings of its `Tj` operators; a two-byte (Identity-H) string is mapped back through the font's ToUnicode CMap,
    a core-font string read as Latin-1."""
    assert data.startswith(b"%PDF-")
    fonts = pdf_fonts(data)
    out = []
    for head, body in _objects(data).values():
        if not body or b"/Length1" in head or b"Tf" not in body:
            continue
        cmap: dict[int, str] | None = None
        for m in re.finditer(rb"/(\w+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", body, re.S):
            if m.group(1) is not None:
                cmap = fonts.get(m.group(1).decode(), {}).get("cmap")
                continue
            raw = _unescape(m.group(2))
            if cmap is None:
                out.append(raw.decode("latin-1"))
            else:
                out.append("".join(cmap.get(int.from_bytes(raw[i:i + 2], "big"), "\ufffd")
                                   for i in range(0, len(raw) - 1, 2)))
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
