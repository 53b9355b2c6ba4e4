"""Mapping an agency's own spreadsheet: a suggested field of the standard for each source column, and the profile
that a confirmed mapping becomes.

A header is matched, case-, accent- and spacing-insensitively, against the standard's field names, their labels in
the four languages and the header synonyms below (what national spreadsheets commonly write); failing an exact
match, the closest of those spellings by `difflib` when it is close enough. A suggestion is only a suggestion: the
person confirms or changes it, and the confirmed mapping is written as an ordinary profile document (the YAML shape
of `tests/fixtures/national_mapping.yaml`: name, title, columns: {source header: field}).
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from tipnet.ingest.profiles import _profile_from_doc
from tipnet.ingest.readers import open_source
from tipnet.standard import load_standard
from tipnet.standard.model import normalise_token

log = logging.getLogger(__name__)

IGNORE = ""  # the choice "do not import this column"
CUTOFF = 0.75  # how close (difflib ratio of the normalised spellings) a fuzzy match must be
SAMPLES = 3

# Headers that national spreadsheets write for a field, beyond its name and labels (any language, any case/accents).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "record_id": ("Nro Registro", "Número de registro", "No. registro", "Registro", "ID", "ID víctima",
                  "Victim ID", "Record number", "Numéro d'enregistrement", "Número do registro"),
    "case_id": ("Nro Caso", "Número de caso", "No. caso", "Caso", "Expediente", "Case number", "Numéro de dossier",
                "Número do caso", "Processo"),
    "given_names": ("Nombre", "Nombres", "First name", "Prénom", "Nome"),
    "family_names": ("Apellido", "Surname", "Last name", "Nom", "Sobrenome"),
    "sex": ("Sexo biológico", "Género/sexo", "Sex at birth"),
    "age": ("Edad (años)", "Age (years)", "Idade (anos)"),
    "identification_date": ("Fecha de intervención", "Fecha de rescate", "Fecha de registro", "Fecha",
                            "Date of intervention", "Date of rescue", "Date d'intervention", "Data da intervenção",
                            "Data do resgate"),
    "citizenship": ("Nacionalidad", "País de origen", "Nationality", "Nationalité"),
    "forms_of_exploitation": ("Finalidad", "Finalidad de la trata", "Tipo de explotación", "Modalidad",
                              "Purpose", "Type of exploitation", "Finalité", "Finalidade", "Tipo de exploração"),
    "exploitation_place": ("Lugar de explotación", "Lugar de los hechos", "Place of exploitation"),
    "agency": ("Institución", "Entidad", "Unidad", "Institution", "Instituição"),
}


@dataclass(frozen=True)
class Suggestion:
    column: str
    field: str  # IGNORE when nothing fits
    how: str  # "exact" (name, label or synonym), "close" (difflib) or "none"
    samples: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "field": self.field, "how": self.how, "samples": list(self.samples)}


@cache
def _spellings() -> dict[str, str]:
    """Normalised spelling -> field: names, labels in every language, synonyms (a name or label wins a clash)."""
    out: dict[str, str] = {}
    for name, words in SYNONYMS.items():
        for word in words:
            out.setdefault(normalise_token(word), name)
    for f in load_standard().fields:
        for word in (f.name, *f.labels.values()):
            out[normalise_token(word)] = f.name
    return out


def suggest_field(header: str) -> tuple[str, str]:
    """(field, how) for one source header: an exact spelling, else the closest one, else (IGNORE, "none")."""
    key = normalise_token(header)
    spellings = _spellings()
    if key in spellings:
        return spellings[key], "exact"
    close = difflib.get_close_matches(key, list(spellings), n=1, cutoff=CUTOFF) if key else []
    if close:
        return spellings[close[0]], "close"
    return IGNORE, "none"


def suggest(columns: list[str], samples: dict[str, list[str]] | None = None) -> list[Suggestion]:
    """A suggestion per source column; a field is suggested once (the first, best-matched column gets it)."""
    guesses = {c: suggest_field(c) for c in columns}
    chosen: dict[str, tuple[str, str]] = {}
    claimed: set[str] = set()
    for rank in ("exact", "close"):
        for column in columns:
            field, how = guesses[column]
            if how == rank and field not in claimed:
                chosen[column] = (field, how)
                claimed.add(field)
    return [Suggestion(c, *chosen.get(c, (IGNORE, "none")), tuple((samples or {}).get(c, [])[:SAMPLES]))
            for c in columns]


def read_samples(path: Path, limit: int = SAMPLES) -> tuple[list[str], dict[str, list[str]]]:
    """The file's headers and up to `limit` distinct non-empty values of each column from its first rows."""
    table = open_source(path, chunk_rows=200, careful=True)
    values: dict[str, list[str]] = {c: [] for c in table.columns}
    for chunk in islice(table.chunks(), 1):
        for c in table.columns:
            for v in chunk.data.get_column(c).to_list():
                text = (v or "").strip()
                if text and text not in values[c] and len(values[c]) < limit:
                    values[c].append(text[:80])
    return table.columns, values


def field_choices(lang: str) -> list[dict[str, str]]:
    """The standard's fields as choices for a select: name and label in the language."""
    return [{"name": f.name, "label": f.label(lang)} for f in load_standard().fields]


def build_profile(name: str, title: str, mapping: dict[str, str]) -> dict[str, Any]:
    """The profile document of a confirmed mapping (source header -> field; IGNORE drops a column).

    Raises ValueError when a field is unknown or when nothing is mapped."""
    columns = {src: field for src, field in mapping.items() if field != IGNORE}
    if not columns:
        raise ValueError("the mapping maps no column to the standard")
    doc: dict[str, Any] = {"name": name, "title": title or name, "kind": "records", "day_first": True,
                           "columns": columns}
    _profile_from_doc(doc)  # the same checks as any profile file (unknown fields)
    return doc
