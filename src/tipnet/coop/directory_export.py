"""Exports of the directory for periodic republication: CSV (lossless, re-importable), vCard 4.0 (RFC 6350),
printable HTML and PDF. Each export holds the fields its reader may see: public fields unless asked otherwise by
someone allowed to see the restricted ones."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

from tipnet.coop.directory import Authority
from tipnet.coop.directory_model import PUBLIC_FIELDS, RESTRICTED_FIELDS
from tipnet.coop.pdf_fonts import FAMILY, unicode_pdf
from tipnet.errors import Invalid
from tipnet.standard.cells import neutralise, restore
from tipnet.standard.urls import is_allowed

LIST_FIELDS = ("competences", "specialisations", "working_languages")
CSV_PUBLIC = ("id", *PUBLIC_FIELDS, "last_verified", "stale")
CSV_RESTRICTED = RESTRICTED_FIELDS


def csv_columns(restricted: bool) -> tuple[str, ...]:
    return CSV_PUBLIC + (CSV_RESTRICTED if restricted else ())


def to_csv(entries: Iterable[Authority], restricted: bool, today: dt.date | None = None) -> str:
    """One row per entry; lists joined with ';', the legal profile as JSON, so `from_csv` gets every value back.
    Cells a spreadsheet would run as a formula get a leading `'` (`from_csv` takes it off again)."""
    out = io.StringIO()
    cols = csv_columns(restricted)
    writer = csv.DictWriter(out, fieldnames=cols, lineterminator="\r\n")
    writer.writeheader()
    for a in entries:
        view = a.view(restricted, today)
        row: dict[str, Any] = {}
        for c in cols:
            value = view.get(c)
            if c in LIST_FIELDS:
                value = ";".join(value or [])
            elif c == "legal_profile":
                value = json.dumps(value, sort_keys=True, ensure_ascii=False)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            row[c] = "" if value is None else neutralise(value)
        writer.writerow(row)
    return out.getvalue()


def from_csv(text: str, source: str = "directory.csv") -> list[dict[str, Any]]:
    """Entries (as `check_entry` takes them) from a CSV written by `to_csv`; errors name the row, field and value."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"country", "name", "competences", "working_languages"} - set(reader.fieldnames or [])
    if missing:
        raise Invalid(f"{source}: missing columns {sorted(missing)}", {"file": source, "columns": sorted(missing)})
    known = set(PUBLIC_FIELDS) | set(RESTRICTED_FIELDS) | {"last_verified"}
    out = []
    for n, row in enumerate(reader, start=2):
        entry: dict[str, Any] = {}
        for key, raw in row.items():
            if key not in known:
                continue
            value = restore(raw)
            if key in LIST_FIELDS:
                entry[key] = [v for v in (value or "").split(";") if v]
            elif key == "legal_profile":
                try:
                    entry[key] = json.loads(value) if value else {}
                except json.JSONDecodeError as exc:
                    raise Invalid(f"{source}, row {n}, field legal_profile: not JSON ({exc.msg})",
                                  {"file": source, "row": n, "field": key, "value": value[:80]}) from exc
            else:
                entry[key] = value or ""
        out.append({"row": n, "entry": entry})
    return out


# --- vCard 4.0 ------------------------------------------------------------------------------------------------------


def _escape(value: str) -> str:
    """A vCard text value: a formula-like text neutralised (address books export to CSV), then RFC 6350 escapes."""
    value = neutralise(value)
    return (value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\r\n", "\\n")
            .replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (CRLF + one space), never inside a UTF-8 character."""
    out: list[str] = []
    current = b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(current) + len(b) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += b
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _tel(number: str) -> str:
    return "tel:" + "".join(ch for ch in number if ch.isdigit() or ch == "+")


def to_vcard(entries: Iterable[Authority], restricted: bool) -> str:
    cards = []
    for a in entries:
        d = a.view(restricted)
        lines = ["BEGIN:VCARD", "VERSION:4.0", "KIND:org", f"UID:urn:tipnet:authority:{a.id}",
                 f"FN:{_escape(d['name'])}", f"ORG:{_escape(d['name'])}"]
        for i, lang in enumerate(d["working_languages"] or []):
            lines.append(f"LANG;PREF={i + 1}:{lang}")
        if d["address"]:
            lines.append(f"ADR;TYPE=work:;;{_escape(d['address'])};;;;{d['country']}")
        if d["email"]:
            lines.append(f"EMAIL;TYPE=work:{_escape(d['email'])}")
        if d["phone"]:
            lines.append(f"TEL;VALUE=uri;TYPE=work,voice:{_tel(d['phone'])}")
        if d["website"] and is_allowed(d["website"]):  # an address stored before the scheme rule is left out
            lines.append(f"URL:{_escape(d['website'])}")
        if restricted:
            if d.get("direct_phone"):
                lines.append(f"TEL;VALUE=uri;TYPE=work,voice;PREF=1:{_tel(d['direct_phone'])}")
            if d.get("direct_email"):
                lines.append(f"EMAIL;TYPE=work;PREF=1:{_escape(d['direct_email'])}")
            if d.get("ops_phone"):
                lines.append(f"TEL;VALUE=uri;TYPE=work,voice,x-24-7:{_tel(d['ops_phone'])}")
            if d.get("ops_email"):
                lines.append(f"EMAIL;TYPE=work,x-24-7:{_escape(d['ops_email'])}")
        lines.append("CATEGORIES:" + ",".join(_escape(c) for c in d["competences"]))
        lines.append(f"NOTE:{_escape('Competences: ' + ', '.join(d['competences']))}")
        lines.append(f"REV:{a.last_verified.strftime('%Y%m%d')}")
        lines.append("END:VCARD")
        cards.append("\r\n".join(_fold(line) for line in lines) + "\r\n")
    return "".join(cards)


# --- printable HTML and PDF -----------------------------------------------------------------------------------------


def print_html(entries: list[Authority], lang: str = "en", restricted: bool = False,
               today: dt.date | None = None) -> str:
    """A self-contained printable page (the same template the web app serves at /directory/print)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from tipnet.i18n import date, translate

    folder = str(resources.files("tipnet.web").joinpath("templates"))
    env = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html"]))
    template = env.get_template("directory_print.html")
    return template.render(lang=lang, data=printable(entries, restricted, today),
                           t=lambda key, **kw: translate(lang, key, **kw),
                           fmt_date=lambda value, style="medium": date(lang, value, style))


def printable(entries: list[Authority], restricted: bool, today: dt.date | None = None) -> dict[str, Any]:
    by_country: dict[str, list[dict[str, Any]]] = {}
    for a in entries:
        by_country.setdefault(a.country, []).append(a.view(restricted, today))
    return {"countries": [{"country": c, "authorities": v} for c, v in sorted(by_country.items())],
            "restricted": restricted, "generated": (today or dt.date.today()).isoformat(), "count": len(entries)}


def to_pdf(entries: list[Authority], restricted: bool = False, today: dt.date | None = None,
           title: str = "Directory of national authorities") -> bytes:
    data = printable(entries, restricted, today)
    pdf = unicode_pdf()
    pdf.set_title(title)
    pdf.set_creator("tipnet")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    pdf.multi_cell(0, 5, f"{data['count']} entries, generated {data['generated']}. Entries marked STALE "
                         "have not been verified for more than six months.", new_x="LMARGIN", new_y="NEXT")
    for group in data["countries"]:
        pdf.ln(3)
        pdf.set_font(FAMILY, "B", 13)
        pdf.multi_cell(0, 7, group["country"], new_x="LMARGIN", new_y="NEXT")
        for d in group["authorities"]:
            pdf.set_font(FAMILY, "B", 10)
            flag = "  [STALE]" if d["stale"] else ""
            pdf.multi_cell(0, 5, d["name"] + flag, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FAMILY, "", 9)
            for line in _pdf_lines(d, restricted):
                pdf.multi_cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
    return bytes(pdf.output())


def _pdf_lines(d: dict[str, Any], restricted: bool) -> list[str]:
    lines = [f"Competences: {', '.join(d['competences'])}",
             f"Working languages: {', '.join(d['working_languages'])}"]
    for label, key in (("Address", "address"), ("E-mail", "email"), ("Telephone", "phone"), ("Web", "website")):
        if d.get(key):
            lines.append(f"{label}: {d[key]}")
    if d["ops_24_7"]:
        lines.append("24/7 operational contact: yes")
    profile = d.get("legal_profile") or {}
    if profile.get("legal_basis"):
        lines.append("Legal basis: " + "; ".join(profile["legal_basis"]))
    if restricted:
        for label, key in (("Contact person", "contact_person"), ("Direct telephone", "direct_phone"),
                           ("Direct e-mail", "direct_email"), ("24/7 telephone", "ops_phone"),
                           ("24/7 e-mail", "ops_email")):
            if d.get(key):
                lines.append(f"{label}: {d[key]}")
    lines.append(f"Last verified: {d['last_verified']}")
    return lines


def import_csv(db: Any, who: Any, text: str, source: str = "directory.csv") -> list[Authority]:
    """Create the entries of a CSV (as written by `to_csv`). Every row is checked before any is written: one bad
    row stops the import, naming its file, row, field and value."""
    from tipnet.coop.directory import create
    from tipnet.coop.directory_model import EntryError, check_entry, parse_date

    rows = from_csv(text, source)
    for item in rows:
        entry = item["entry"]
        try:
            check_entry({k: v for k, v in entry.items() if k != "last_verified"})
            if entry.get("last_verified"):
                parse_date("last_verified", entry["last_verified"])
        except EntryError as exc:
            raise Invalid(f"{source}, row {item['row']}, field {exc.field}: {exc.message} (got {exc.value!r})",
                          {"file": source, "row": item["row"], "field": exc.field, "value": exc.value}) from exc
    return [create(db, who, item["entry"]) for item in rows]
