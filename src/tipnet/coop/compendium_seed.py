"""Seed the compendium from the 2009 OAS resolution: the instruments and mechanisms it names and each of its
recommendations, shipped as YAML in `tipnet/coop/data/`. Seeding is repeatable: entries are matched by `ref`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tipnet.auth.principal import Principal
from tipnet.coop import compendium
from tipnet.coop.compendium import CompendiumError, Item
from tipnet.store import Database

log = logging.getLogger(__name__)

INSTRUMENTS = "compendium_oas_2009_instruments.yaml"
RECOMMENDATIONS = "compendium_oas_2009_recommendations.yaml"
TRANSLATED_INTO = ("es", "fr", "pt")  # compendium_oas_2009_recommendations.<lang>.yaml: the texts by `ref`
_SEED_ONLY = ("cited_as", "cited_in", "parties")
_TITLE_WORDS = 14


def read_data(name: str) -> dict[str, Any]:
    text = resources.files("tipnet.coop").joinpath("data", name).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise CompendiumError(f"{name}: not a YAML mapping")
    return doc


def _cited(cited_in: list[str]) -> str:
    return "Named in the 2009 OAS resolution on trafficking in persons: " + "; ".join(cited_in) + "."


def instrument_items(doc: dict[str, Any], name: str = INSTRUMENTS) -> list[Item]:
    items = []
    for i, raw in enumerate(doc.get("instruments") or [], start=1):
        entry = {k: v for k, v in raw.items() if k not in _SEED_ONLY}
        if raw.get("cited_in"):
            entry["body"] = "\n".join(p for p in (entry.get("body"), _cited(raw["cited_in"])) if p)
        try:
            items.append(Item.from_dict(entry))
        except CompendiumError as exc:
            raise CompendiumError(f"{name}: instrument {i} ({raw.get('ref')}): {exc}") from None
    return items


def _title(number: int, text: str, label: str) -> str:
    words = text.split()
    head = " ".join(words[:_TITLE_WORDS]).rstrip(",;:.")
    return f"{label} {number}: {head}{'…' if len(words) > _TITLE_WORDS else ''}"


def recommendation_translations(name: str = RECOMMENDATIONS) -> dict[str, dict[str, Any]]:
    """The recommendations' texts in the other languages: {lang: {"labels", "official", "texts": {ref: text}}}."""
    stem = name.removesuffix(".yaml")
    return {lang: read_data(f"{stem}.{lang}.yaml") for lang in TRANSLATED_INTO}


def _translations(raw: dict[str, Any], number: int, translated: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for lang, doc in translated.items():
        text = (doc.get("texts") or {}).get(raw.get("ref"))
        if text:
            label = doc["labels"][raw["document"]]
            out[lang] = {"title": _title(number, text, label), "body": text, "official": bool(doc.get("official"))}
    return out


def recommendation_items(doc: dict[str, Any], name: str = RECOMMENDATIONS,
                         translated: dict[str, dict[str, Any]] | None = None) -> list[Item]:
    documents = doc.get("documents") or {}
    domains = doc.get("domains") or {}
    items = []
    for i, raw in enumerate(doc.get("recommendations") or [], start=1):
        where = f"{name}: recommendation entry {i} ({raw.get('ref')})"
        document = documents.get(raw.get("document"))
        if document is None:
            raise CompendiumError(f"{where}: document {raw.get('document')!r} is not one of {', '.join(documents)}")
        if raw.get("domain") not in domains:
            raise CompendiumError(f"{where}: domain {raw.get('domain')!r} is not one of {', '.join(domains)}")
        number = raw.get("number")
        if not isinstance(number, int) or number < 1:
            raise CompendiumError(f"{where}: number {number!r} is not a positive whole number")
        label = "Operative paragraph" if raw["document"] == "resolution" else "Recommendation"
        entry = {"ref": raw.get("ref"), "kind": "recommendation", "title": _title(number, raw["text"], label),
                 "body": raw["text"], "date": document.get("approved"), "language": "en",
                 "source": document["title"], "tags": raw.get("tags") or [], "document": document["title"],
                 "number": number, "domain": domains[raw["domain"]],
                 "translations": _translations(raw, number, translated or {})}
        try:
            items.append(Item.from_dict(entry))
        except CompendiumError as exc:
            raise CompendiumError(f"{where}: {exc}") from None
    return items


@dataclass(frozen=True)
class SeedReport:
    instruments: int
    recommendations: int
    created: int
    updated_or_unchanged: int

    def to_dict(self) -> dict[str, int]:
        return {"instruments": self.instruments, "recommendations": self.recommendations, "created": self.created,
                "updated_or_unchanged": self.updated_or_unchanged}


def seed(db: Database, actor: Principal) -> SeedReport:
    instruments = instrument_items(read_data(INSTRUMENTS))
    recommendations = recommendation_items(read_data(RECOMMENDATIONS), translated=recommendation_translations())
    created = 0
    for item in instruments + recommendations:
        _, new = compendium.upsert(db, actor, item)
        created += int(new)
    total = len(instruments) + len(recommendations)
    log.info("compendium seeded: %d entries (%d new)", total, created)
    return SeedReport(len(instruments), len(recommendations), created, total - created)


def items_from_file(path: Path) -> list[Item]:
    """Items from a YAML file (a list of items, or a mapping with `items`); an error names the file, the entry and
    the field."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CompendiumError(f"{path}: cannot be read as YAML ({exc})") from None
    entries = doc.get("items") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise CompendiumError(f"{path}: expected a list of items (or a mapping with 'items')")
    items = []
    for i, raw in enumerate(entries, start=1):
        if not isinstance(raw, dict):
            raise CompendiumError(f"{path}: entry {i} is not a mapping")
        try:
            items.append(Item.from_dict(raw))
        except CompendiumError as exc:
            raise CompendiumError(f"{path}: entry {i} ({raw.get('title') or raw.get('ref') or '?'}): {exc}") from None
    return items
