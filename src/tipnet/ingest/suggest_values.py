"""Value maps for a mapped column: the values of a file that the standard does not already resolve, each with a
suggested code, and the profile document that the confirmed maps become.

Only a bounded sample is read (the first `SAMPLE_ROWS` rows, at most `MAX_VALUES` distinct values a column): what a
person can confirm on one page. A value is shown only when the import's own resolver would not read it (for record
fields the very look-up chain of `tipnet.ingest.lookups`: vocabulary codes, labels in four languages, crosswalk
codes and synonyms; countries by ISO code or name; yes/no cells as spreadsheets write them).

A suggestion is a guess for the person to confirm, from (in order): the words national files use for "unknown";
short forms (`V` varón, `Muj.`); key words of a form of exploitation; the words of a label written short
(`Explot. sexual`); a close spelling of a label, synonym or country name. Nothing is suggested where nothing fits:
the value is then kept as it is, with a warning, unless the person picks a code.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from tipnet.ingest.convert_base import Context
from tipnet.ingest.lookups import _outcome_fn
from tipnet.ingest.profiles import DEFAULT_MISSING, Profile, _profile_from_doc
from tipnet.ingest.readers import ROW, open_source
from tipnet.standard import load_standard
from tipnet.standard.countries import country_name, country_spellings, resolve_country
from tipnet.standard.model import LIST_SEPARATOR, Field, Vocabulary, normalise_token

SAMPLE_ROWS = 5_000  # rows read for the values shown
MAX_VALUES = 30  # distinct values shown a column
CUTOFF = 0.8  # how close (difflib ratio of normalised spellings) a value must be to suggest a code
KINDS = {"code": "code", "code_list": "code", "country": "country", "country_list": "country", "boolean": "boolean"}

# What national files write for "not known" (any language, any case or accents).
UNKNOWN_WORDS = frozenset(normalise_token(w) for w in (
    "no identificado", "no identificada", "no especificado", "no especificada", "no informado", "no consta",
    "sin dato", "sin datos", "sin información", "sin especificar", "desconocido", "desconocida", "ignorado",
    "se ignora", "no sabe", "no responde", "ns/nr", "nd", "n/d", "s/d", "sd", "unknown", "not known", "not stated",
    "not specified", "not recorded", "inconnu", "inconnue", "non précisé", "non renseigné", "non déterminé",
    "não informado", "desconhecido", "desconhecida", "sem informação", "não sabe", "ignorada",
))
# Short forms of a vocabulary's codes that its synonyms do not hold (normalised key -> code).
ABBREVIATIONS: dict[str, dict[str, str]] = {
    "sex": {"v": "male", "var": "male", "hom": "male", "mas": "male", "masculina": "male", "muj": "female",
            "mu": "female", "fe": "female", "mulh": "female", "femenina": "female", "feminino": "female",
            "masculino": "male"},
    "age_band": {},
}
# Key words of the forms of exploitation (a normalised value containing one suggests the code).
KEYWORDS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "exploitation_form": (
        ("sexual_exploitation", ("sexual", "sexuel", "sexo", "prostitu", "pornogra")),
        ("forced_begging", ("mendic",)),
        ("forced_marriage", ("matrimon", "mariage", "casamento", "marriage", "union")),
        ("organ_removal", ("organ",)),
        ("illegal_adoption", ("adop",)),
        ("servitude", ("servid", "servitu", "esclav", "slave", "escrav")),
        ("forced_criminality", ("delict", "crimin")),
        ("child_labour", ("infantil", "enfant", "childlab")),
        ("forced_labour", ("laboral", "labour", "labor", "trabaj", "travail", "trabalh", "servicios", "services")),
    ),
}


@dataclass(frozen=True)
class ValueRow:
    """One value of a column the standard does not resolve, with the suggested code ('' when nothing fits)."""

    raw: str
    suggested: str

    def to_dict(self) -> dict[str, str]:
        return {"raw": self.raw, "suggested": self.suggested}


def read_sample(path: Path, rows: int = SAMPLE_ROWS) -> pl.DataFrame:
    """The file's first `rows` rows, every source column as text (the reader's encoding and delimiter sniffing)."""
    table = open_source(path, chunk_rows=min(rows, 2_000), careful=True)
    parts: list[pl.DataFrame] = []
    seen = 0
    for chunk in table.chunks():
        part = chunk.data.drop(ROW, strict=False).head(rows - seen)
        parts.append(part)
        seen += part.height
        if seen >= rows:
            break
    if not parts:
        return pl.DataFrame(schema={c: pl.Utf8 for c in table.columns})
    return pl.concat(parts, how="vertical_relaxed")


def distinct(sample: pl.DataFrame, column: str, limit: int = MAX_VALUES,
             missing: tuple[str, ...] = tuple(DEFAULT_MISSING), split: bool = False) -> list[str]:
    """Up to `limit` distinct non-empty values of a column, in the order first seen; `split`: ';'-lists are read
    value by value."""
    out: list[str] = []
    for value in sample.get_column(column).drop_nulls().unique(maintain_order=True).to_list():
        for token in (str(value).split(LIST_SEPARATOR) if split else [str(value)]):
            text = token.strip()
            if text and text not in missing and text not in out:
                out.append(text[:80])
                if len(out) >= limit:
                    return out
    return out


# ---------------------------------------------------------------- suggestions


def _words(text: str) -> list[str]:
    return [w for w in (normalise_token(p) for p in text.replace(".", " ").split()) if w]


@cache
def _label_words(vocab_id: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    vocab = load_standard().vocabularies[vocab_id]
    out: list[tuple[tuple[str, ...], str]] = []
    for v in vocab.values:
        for label in (*v.labels.values(), *(str(s) for s in v.attrs.get("synonyms", []) or [])):
            out.append((tuple(_words(label)), v.code))
    return tuple(out)


def _short_words(vocab: Vocabulary, raw: str) -> str | None:
    """`Explot. sexual` -> sexual_exploitation: each word of the value begins the same word of one label."""
    words = _words(raw)
    if not words or sum(len(w) for w in words) < 3:
        return None
    hits = {code for label, code in _label_words(vocab.id)
            if len(label) == len(words) and all(lw.startswith(w) for w, lw in zip(words, label, strict=True))}
    return hits.pop() if len(hits) == 1 else None


def suggest_code(vocab: Vocabulary, raw: str) -> str:
    """The code a value of this vocabulary most likely means; '' when nothing fits."""
    key = normalise_token(raw)
    if not key:
        return ""
    codes = set(vocab.codes)
    if key in UNKNOWN_WORDS and "unknown" in codes:
        return "unknown"
    if (code := ABBREVIATIONS.get(vocab.id, {}).get(key)) and code in codes:
        return code
    for code, stems in KEYWORDS.get(vocab.id, ()):
        if any(stem in key for stem in stems):
            return code
    if code := _short_words(vocab, raw):
        return code
    close = difflib.get_close_matches(key, list(vocab.lookup), n=1, cutoff=CUTOFF)
    return vocab.lookup[close[0]] if close else ""


@cache
def _country_keys() -> tuple[dict[str, str], tuple[str, ...]]:
    index = {k: v for k, v in country_spellings().items() if len(v) == 3}
    return index, tuple(index)


def suggest_country(raw: str) -> str:
    """The ISO alpha-3 code a country value most likely means (a name written short or misspelt); '' if none."""
    key = normalise_token(raw)
    if len(key) < 3:
        return ""
    index, keys = _country_keys()
    starts = {index[k] for k in keys if k.startswith(key)}
    if len(starts) == 1:
        return starts.pop()
    close = difflib.get_close_matches(key, keys, n=1, cutoff=CUTOFF)
    return index[close[0]] if close else ""


def suggest_flag(raw: str) -> str:
    key = normalise_token(raw)
    if key in UNKNOWN_WORDS:
        return ""
    if key.startswith(("si", "sim", "yes", "oui")):
        return "yes"
    if key.startswith(("no", "nao", "non")):
        return "no"
    return ""


# ---------------------------------------------------------------- the values a column needs mapped


def _resolves(f: Field, country: str | None) -> Any:
    """The import's own look-up chain for one field (no value map): value -> True when it reads."""
    outcome = _outcome_fn(f, Context(profile=Profile(name="probe", title="probe"), country=country))

    def reads(value: str) -> bool:
        text, _, problem = outcome(value)
        return text is None or problem is None

    return reads


def unresolved(field_name: str, values: list[str], country: str | None = None) -> list[ValueRow]:
    """The values the standard does not read for this field, each with a suggestion."""
    f = load_standard().field(field_name)
    kind = KINDS.get(f.type)
    if kind is None:
        return []
    reads = _resolves(f, country)
    vocab = load_standard().vocabulary_of(f) if kind == "code" else None
    out = []
    for value in values:
        if reads(value):
            continue
        if vocab is not None:
            guess = suggest_code(vocab, value)
        elif kind == "country":
            guess = suggest_country(value)
        else:
            guess = suggest_flag(value)
        out.append(ValueRow(value, guess))
    return out


def choices(field_name: str, lang: str) -> list[dict[str, str]]:
    """What a value of this field may be mapped to: the vocabulary's codes, yes/no, or (countries) empty: a country
    is typed as its ISO code or name (see `country_choices`)."""
    f = load_standard().field(field_name)
    kind = KINDS.get(f.type)
    if kind == "code":
        return [{"code": v.code, "label": v.label(lang)} for v in load_standard().vocabulary_of(f).values]
    if kind == "boolean":
        return [{"code": "yes", "label": "✓"}, {"code": "no", "label": "✗"}]
    return []


@cache
def _country_choices(lang: str) -> tuple[tuple[str, str], ...]:
    import pycountry

    return tuple(sorted(((c.alpha_3, country_name(c.alpha_3, lang)) for c in pycountry.countries),
                        key=lambda p: normalise_token(p[1])))


def country_choices(lang: str) -> list[dict[str, str]]:
    """Every country as (ISO alpha-3, name in the language), by name: the suggestions of a country input."""
    return [{"code": code, "label": name} for code, name in _country_choices(lang)]


def value_columns(sample: pl.DataFrame, mapping: dict[str, str], country: str | None) -> list[dict[str, Any]]:
    """For each mapped column whose field has a vocabulary (codes, countries, yes/no): the values the standard
    does not read, with suggestions. Columns whose every value reads are left out."""
    std = load_standard()
    out = []
    for index, (column, field_name) in enumerate(mapping.items()):
        if not field_name or field_name not in std.field_names or column not in sample.columns:
            continue
        f = std.field(field_name)
        if f.type not in KINDS:
            continue
        values = distinct(sample, column, split=f.is_list)
        rows = unresolved(field_name, values, country)
        if rows:
            out.append({"index": index, "column": column, "field": field_name, "kind": KINDS[f.type],
                        "distinct": len(values), "more": len(values) >= MAX_VALUES,
                        "values": [r.to_dict() for r in rows]})
    return out


def check_value(field_name: str, code: str) -> str:
    """The code a person picked for a value, as the profile stores it; ValueError when it is not one."""
    f = load_standard().field(field_name)
    kind = KINDS.get(f.type)
    if kind == "code":
        if code not in load_standard().vocabulary_of(f).codes:
            raise ValueError(f"{code!r} is not a code of {field_name}")
        return code
    if kind == "country":
        m = resolve_country(code)
        if m.kind != "country" or m.code is None:
            raise ValueError(f"{code!r} is not a country (ISO code or name)")
        return m.code
    if kind == "boolean" and code in ("yes", "no"):
        return code
    raise ValueError(f"{code!r} is not a value of {field_name}")


def with_value_maps(doc: dict[str, Any], maps: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The profile document with value maps added (source column -> {raw value: code}); a column that gets a map
    is written `{field, values}`. Checked like any profile file; ValueError names what is wrong."""
    columns: dict[str, Any] = {}
    for src, target in (doc.get("columns") or {}).items():
        given = {raw: check_value(_field_of(target), code) for raw, code in (maps.get(src) or {}).items() if code}
        if not given:
            columns[src] = target
            continue
        if isinstance(target, str):
            columns[src] = {"field": target, "values": given}
        elif isinstance(target, dict):
            columns[src] = {**target, "values": {**(target.get("values") or {}), **given}}
        else:
            raise ValueError(f"column {src!r} feeds several fields; its values cannot be mapped here")
    out = {**doc, "columns": columns}
    _profile_from_doc(out)
    return out


def _field_of(target: Any) -> str:
    if isinstance(target, str):
        return target
    if isinstance(target, dict):
        return str(target.get("field") or "")
    return ""


def profile_mapping(doc: dict[str, Any]) -> dict[str, str]:
    """Source column -> field of a record profile document (columns feeding several fields left out)."""
    return {str(src): _field_of(t) for src, t in (doc.get("columns") or {}).items() if _field_of(t)}
