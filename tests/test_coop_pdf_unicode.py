"""Request documents and the directory PDF carry any character (an embedded Unicode TrueType font, not the Latin-1
core fonts): the text is read back through the font's ToUnicode map by the independent reader in coop_helpers."""

from __future__ import annotations

from coop_helpers import OPERATOR, entry, pdf_fonts, pdf_text, peru, who

from tipnet.coop import directory, directory_export, documents, requests

SAMPLE = "Łódź – “São Tomé” €"
CREOLE = "Ti Manmi Ayiti: ò, è, Ŋ, ẽ"
COL = who("investigator", "COL")


def _embedded_dejavu_only(data: bytes) -> None:
    fonts = pdf_fonts(data)
    assert fonts, "the PDF names its fonts"
    for name, font in fonts.items():
        assert "DejaVuSans" in font["base"], (name, font["base"])  # no core font (Helvetica) left
        assert font["embedded"] and font["cmap"], name  # the glyphs travel with the file, with a ToUnicode map


def test_request_document_prints_characters_outside_latin1(db):
    peru(db)
    req = requests.create(db, COL, "mla", "PER", ["evidence_taking"], "trafficking_in_persons")
    need = req.requirements(db)
    fields = {f: f"{SAMPLE} ({f})" for f in need.fields}
    fields["summary_of_facts"] = f"{SAMPLE}\n{CREOLE}"
    req = requests.save(db, COL, req.id, fields)
    data = documents.document_for(db, req, "pdf", "2026-11-28")
    _embedded_dejavu_only(data)
    text = pdf_text(data)
    assert SAMPLE in text and CREOLE in text
    assert "Solicitud de asistencia jurídica mutua en materia penal" in text  # the Spanish template, accents intact
    assert "?" not in text and "\ufffd" not in text  # nothing printed as "?", every glyph maps back


def test_directory_pdf_prints_characters_outside_latin1(db):
    directory.create(db, OPERATOR, entry("BRA", f"Autoridade Central {SAMPLE}", ["mla_central_authority"],
                                         address="Praça dos Três Poderes – Brasília"))
    data = directory_export.to_pdf(directory.listing(db))
    _embedded_dejavu_only(data)
    text = pdf_text(data)
    assert f"Autoridade Central {SAMPLE}" in text and "Praça dos Três Poderes – Brasília" in text
    assert "?" not in text
