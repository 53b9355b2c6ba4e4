"""The formal request document, in PDF (fpdf2) and DOCX (python-docx), in the requested state's language where a
template exists (en, es, fr, pt; otherwise English). Both formats are written from one outline, so they say the same.

Field and attachment labels come from the UI catalogues (`coop.field.<code>`), the document's own sentences from
`_TEXT` below; a field code a legal profile invented without a label is shown as its words ("period covered").
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from tipnet.coop.directory import Authority
from tipnet.coop.pdf_fonts import FAMILY, unicode_pdf
from tipnet.coop.requests import Request
from tipnet.coop.requests_model import DOCUMENT_LANGUAGES, Requirements

_TEXT: dict[str, dict[str, str]] = {
    "en": {"title.mla": "Request for mutual legal assistance in criminal matters", "title.extradition":
           "Request for extradition", "reference": "Reference", "date": "Date", "from": "Requesting state",
           "to": "Requested authority", "basis": "Legal basis", "crime": "Offence", "measures": "Measures requested",
           "cases": "Related cases", "deadline": "Execution requested by", "attachments": "Attachments",
           "none": "none", "closing": "The requesting authority undertakes to use the information and evidence "
           "obtained only for the purposes stated in this request and to keep it confidential, and thanks the "
           "requested authority for its assistance.", "signature": "Signature and seal of the requesting authority",
           "status": "Status"},
    "es": {"title.mla": "Solicitud de asistencia jurídica mutua en materia penal", "title.extradition":
           "Solicitud de extradición", "reference": "Referencia", "date": "Fecha", "from": "Estado requirente",
           "to": "Autoridad requerida", "basis": "Fundamento jurídico", "crime": "Delito",
           "measures": "Medidas solicitadas", "cases": "Casos relacionados",
           "deadline": "Ejecución solicitada antes del",
           "attachments": "Anexos", "none": "ninguno", "closing": "La autoridad requirente se compromete a utilizar "
           "la información y las pruebas obtenidas únicamente para los fines indicados en esta solicitud y a "
           "mantener su confidencialidad, y agradece a la autoridad requerida su asistencia.",
           "signature": "Firma y sello de la autoridad requirente", "status": "Estado"},
    "fr": {"title.mla": "Demande d'entraide judiciaire en matière pénale", "title.extradition":
           "Demande d'extradition", "reference": "Référence", "date": "Date", "from": "État requérant",
           "to": "Autorité requise", "basis": "Fondement juridique", "crime": "Infraction",
           "measures": "Mesures demandées", "cases": "Affaires liées", "deadline": "Exécution demandée avant le",
           "attachments": "Pièces jointes", "none": "aucune", "closing": "L'autorité requérante s'engage à n'utiliser "
           "les informations et les preuves obtenues qu'aux fins indiquées dans la présente demande et à en préserver "
           "la confidentialité, et remercie l'autorité requise de son assistance.",
           "signature": "Signature et sceau de l'autorité requérante", "status": "Statut"},
    "pt": {"title.mla": "Pedido de auxílio jurídico mútuo em matéria penal", "title.extradition":
           "Pedido de extradição", "reference": "Referência", "date": "Data", "from": "Estado requerente",
           "to": "Autoridade requerida", "basis": "Fundamento jurídico", "crime": "Crime",
           "measures": "Medidas solicitadas", "cases": "Casos relacionados", "deadline": "Execução solicitada até",
           "attachments": "Anexos", "none": "nenhum", "closing": "A autoridade requerente compromete-se a utilizar as "
           "informações e provas obtidas apenas para os fins indicados neste pedido e a manter a sua "
           "confidencialidade, e agradece à autoridade requerida a sua assistência.",
           "signature": "Assinatura e selo da autoridade requerente", "status": "Situação"},
}


@dataclass
class Outline:
    """What the document says, in order: a title, header lines, sections (heading, text), attachments, closing."""

    language: str
    title: str
    header: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)
    closing: str = ""
    signature: str = ""
    attachments_heading: str = ""


def label(lang: str, kind: str, code: str) -> str:
    from tipnet.i18n import catalogue

    key = f"coop.{kind}.{code}"
    return catalogue(lang).get(key) or catalogue("en").get(key) or code.replace("_", " ").capitalize()


def outline(req: Request, authority: Authority | None, need: Requirements, today: str,
            files: list[dict[str, Any]] | None = None) -> Outline:
    lang = need.language if need.language in DOCUMENT_LANGUAGES else "en"
    text = _TEXT[lang]
    out = Outline(lang, text[f"title.{req['kind']}"], attachments_heading=text["attachments"],
                  closing=text["closing"], signature=text["signature"])
    to = f"{authority.name} ({authority.country})" if authority else req["requested_country"]
    basis = "; ".join(authority.profile.get("legal_basis", [])) if authority else ""
    out.header = [(text["reference"], req["reference"]), (text["date"], today),
                  (text["from"], req["requesting_country"]), (text["to"], to), (text["basis"], basis or text["none"]),
                  (text["crime"], label(lang, "crime", req["crime"])),
                  (text["measures"], ", ".join(label(lang, "measure", m) for m in req.measures)),
                  (text["cases"], ", ".join(req["case_ids"]) or text["none"])]
    if req["deadline"]:
        out.header.append((text["deadline"], req["deadline"].isoformat()))
    if req["status"] != "draft":
        out.header.append((text["status"], label(lang, "status", req["status"])))
    for name in [*need.fields, *(k for k in req["fields"] if k not in need.fields)]:
        value = (req["fields"].get(name) or "").strip()
        if value:
            out.sections.append((label(lang, "field", name), value))
    out.attachments = []
    for name in need.attachments:
        what = [(req["attachments"].get(name) or "").strip()]
        what += [f"{f['filename']} (SHA-256 {f['sha256'][:16]})" for f in files or [] if f["slot"] == name]
        out.attachments.append((label(lang, "field", name), "; ".join(w for w in what if w) or "-"))
    return out


def to_docx(doc: Outline) -> bytes:
    from docx import Document

    d = Document()
    d.core_properties.title = doc.title
    d.core_properties.language = doc.language
    d.add_heading(doc.title, level=0)
    table = d.add_table(rows=0, cols=2)
    for key, value in doc.header:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = key, value
    for heading, body in doc.sections:
        d.add_heading(heading, level=2)
        for para in body.splitlines() or [""]:
            d.add_paragraph(para)
    d.add_heading(doc.attachments_heading, level=2)
    for name, what in doc.attachments:
        d.add_paragraph(f"{name}: {what}", style="List Number")
    d.add_paragraph(doc.closing)
    d.add_paragraph("\n\n______________________________\n" + doc.signature)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def to_pdf(doc: Outline) -> bytes:
    pdf = unicode_pdf()
    pdf.set_title(doc.title)
    pdf.set_lang(doc.language)
    pdf.set_creator("tipnet")
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 15)
    pdf.multi_cell(0, 8, doc.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for key, value in doc.header:
        pdf.set_font(FAMILY, "B", 9.5)
        pdf.cell(48, 5.5, key)
        pdf.set_font(FAMILY, "", 9.5)
        pdf.multi_cell(0, 5.5, value, new_x="LMARGIN", new_y="NEXT")
    for heading, body in doc.sections:
        pdf.ln(2)
        pdf.set_font(FAMILY, "B", 11)
        pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 10)
        pdf.multi_cell(0, 5, body, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FAMILY, "B", 11)
    pdf.multi_cell(0, 6, doc.attachments_heading, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    for i, (name, what) in enumerate(doc.attachments, start=1):
        pdf.multi_cell(0, 5, f"{i}. {name}: {what}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 5, doc.closing, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    pdf.multi_cell(0, 5, "______________________________\n" + doc.signature, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render(req: Request, authority: Authority | None, need: Requirements, fmt: str, today: str,
           files: list[dict[str, Any]] | None = None) -> bytes:
    doc = outline(req, authority, need, today, files)
    if fmt == "pdf":
        return to_pdf(doc)
    if fmt == "docx":
        return to_docx(doc)
    raise ValueError(f"unknown document format {fmt!r}; choose pdf or docx")


def media_type(fmt: str) -> str:
    return {"pdf": "application/pdf",
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}[fmt]


def document_for(db: Any, req: Request, fmt: str, today: str) -> bytes:
    from tipnet.coop import requests_files

    return render(req, req.authority(db), req.requirements(db), fmt, today, requests_files.listing(db, req.id))
