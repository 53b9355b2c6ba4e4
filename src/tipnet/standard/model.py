"""Load the standard (fields and vocabularies) from its data files."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from tipnet.standard.yaml_parse import parse_yaml

LIST_TYPES = frozenset({"code_list", "country_list"})
LIST_SEPARATOR = ";"


def normalise_token(value: str) -> str:
    """Case-, accent- and spacing-insensitive key for matching labels and synonyms."""
    decomposed = unicodedata.normalize("NFKD", value.strip().lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for ch in "_-/.,()'\"":
        stripped = stripped.replace(ch, " ")
    return "".join(stripped.split())


@dataclass(frozen=True)
class VocabValue:
    code: str
    labels: dict[str, str]
    attrs: dict[str, Any]

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.code


@dataclass(frozen=True)
class Vocabulary:
    id: str
    labels: dict[str, str]
    values: tuple[VocabValue, ...]
    lookup: dict[str, str] = field(repr=False, compare=False)

    @property
    def codes(self) -> list[str]:
        return [v.code for v in self.values]

    def get(self, code: str) -> VocabValue:
        for v in self.values:
            if v.code == code:
                return v
        raise KeyError(f"{self.id}: no code {code!r}")

    def resolve(self, raw: str) -> str | None:
        """Map a code, a label in any language, a crosswalk code or a synonym to the canonical code."""
        return self.lookup.get(normalise_token(raw))

    def attr_map(self, attr: str) -> dict[str, Any]:
        return {v.code: v.attrs[attr] for v in self.values if attr in v.attrs}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    entity: str
    description: str
    required: bool = False
    unique: bool = False
    identifying: bool = False
    vocabulary: str | None = None
    default: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    htcds: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def is_list(self) -> bool:
        return self.type in LIST_TYPES

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.name

    def describe(self, lang: str = "en") -> str:
        return self.descriptions.get(lang) or self.description


@dataclass(frozen=True)
class Standard:
    version: str
    fields: tuple[Field, ...]
    vocabularies: dict[str, Vocabulary]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def vocabulary_of(self, f: Field) -> Vocabulary:
        if f.vocabulary is None:
            raise KeyError(f"field {f.name} has no vocabulary")
        return self.vocabularies[f.vocabulary]


_CROSSWALK_KEYS = ("htcds", "ctdc", "glotip")


def _build_vocabulary(doc: dict[str, Any]) -> Vocabulary:
    values: list[VocabValue] = []
    lookup: dict[str, str] = {}
    for raw in doc["values"]:
        code = str(raw["code"])
        attrs = {k: v for k, v in raw.items() if k not in ("code", "labels")}
        values.append(VocabValue(code=code, labels=dict(raw.get("labels", {})), attrs=attrs))
    # Codes win over labels, labels over crosswalk codes, those over synonyms: add weakest first.
    for v in values:
        for syn in v.attrs.get("synonyms", []) or []:
            lookup[normalise_token(str(syn))] = v.code
    for v in values:
        for key in _CROSSWALK_KEYS:
            if key in v.attrs and isinstance(v.attrs[key], str):
                lookup.setdefault(normalise_token(v.attrs[key]), v.code)
    for v in values:
        for label in v.labels.values():
            lookup[normalise_token(label)] = v.code
    for v in values:
        lookup[normalise_token(v.code)] = v.code
    return Vocabulary(id=doc["id"], labels=dict(doc.get("labels", {})), values=tuple(values), lookup=lookup)


def _read_yaml(*parts: str) -> Any:
    ref = resources.files("tipnet.standard").joinpath("data", *parts)
    return parse_yaml(ref.read_text(encoding="utf-8"))


@cache
def load_standard() -> Standard:
    """The standard shipped with the package (cached; it is immutable)."""
    doc = _read_yaml("fields.yaml")
    vocab_dir = resources.files("tipnet.standard").joinpath("data", "vocab")
    vocabularies = {}
    for entry in sorted(vocab_dir.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            voc = _build_vocabulary(parse_yaml(entry.read_text(encoding="utf-8")))
            vocabularies[voc.id] = voc
    try:
        labels_doc = _read_yaml("field_labels.yaml") or {}
    except FileNotFoundError:
        labels_doc = {}
    labels = labels_doc.get("labels", {})
    descriptions = labels_doc.get("descriptions", {})
    fields = []
    for raw in doc["fields"]:
        name = raw["name"]
        desc = {"en": raw["description"], **descriptions.get(name, {})}
        fields.append(
            Field(
                name=name,
                type=raw["type"],
                entity=raw["entity"],
                description=raw["description"],
                required=bool(raw.get("required", False)),
                unique=bool(raw.get("unique", False)),
                identifying=bool(raw.get("identifying", False)),
                vocabulary=raw.get("vocabulary"),
                default=raw.get("default"),
                minimum=raw.get("minimum"),
                maximum=raw.get("maximum"),
                htcds=raw.get("htcds"),
                labels=dict(labels.get(name, {"en": name.replace("_", " ").capitalize()})),
                descriptions=desc,
            )
        )
    for f in fields:
        if f.vocabulary and f.vocabulary not in vocabularies:
            raise ValueError(f"field {f.name} names unknown vocabulary {f.vocabulary}")
    return Standard(version=str(doc["version"]), fields=tuple(fields), vocabularies=vocabularies)
