"""The compendium of hemispheric cooperation instruments (recommendations 4, 11 and 35 of the 2009 OAS resolution):
treaties and their ratification status, declarations and resolutions, national legislation, cooperation mechanisms,
case-law briefs, best practices, guidelines and the resolution's own recommendations.

Every item is public. Each change is written to the audit log and re-indexed for search in the same transaction.
Tags come from the standard's vocabularies ("exploitation_form:forced_labour").
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from tipnet.auth import audit
from tipnet.auth.principal import Principal
from tipnet.coop import search
from tipnet.coop.search import new_id
from tipnet.errors import TipnetError
from tipnet.i18n.languages import LANGUAGES
from tipnet.standard import load_standard
from tipnet.standard.countries import resolve_country
from tipnet.store import Database
from tipnet.store.tables_compendium import compendium_items, compendium_ratifications

# kind -> its own fields (kept in `details`); the common fields are columns.
KINDS: dict[str, tuple[str, ...]] = {
    "treaty": ("short_name", "organisation", "adopted_at", "in_force_on", "depositary", "cited_as"),
    "declaration": ("organisation", "adopted_at", "cited_as"),
    "resolution": ("organisation", "symbol", "adopted_at", "cited_as"),
    "legislation": ("citation", "in_force_on", "articles"),
    "mechanism": ("mechanism_type", "legal_basis", "procedure", "contact"),
    "case_law": ("court", "case_number", "parties", "charges", "verdict", "sentence", "facts"),
    "best_practice": ("organisation", "period", "results"),
    "guideline": ("issuer", "audience"),
    "recommendation": ("document", "number", "domain", "adopted_at"),
}
COMMON = ("kind", "title", "summary", "body", "country", "year", "date", "language", "source", "tags", "ref")
# Any item may carry its text in other languages: details["translations"] = {lang: {"title", "summary"?, "body"?,
# "official"}}; pages show the reader's language and say when it is a translation (and whether an official one).
TRANSLATIONS = "translations"
_TRANSLATED = ("title", "summary", "body")
RATIFICATION_STATUSES = ("signed", "ratified", "acceded", "accepted", "succeeded", "denounced")
TAG_VOCABULARIES = ("exploitation_form", "means_of_control", "recruitment_method", "recruiter_relationship",
                    "perpetrator_role", "labour_sector", "sexual_exploitation_type", "assistance_type", "age_band",
                    "victim_status", "legal_status")


class CompendiumError(TipnetError, ValueError):
    """Bad input: the message names the field and the value (and the file and entry when loading a file)."""

    status, code = 422, "invalid-request"


def check_tag(tag: str) -> str:
    vocab, _, code = str(tag).strip().partition(":")
    vocabularies = load_standard().vocabularies
    if vocab not in TAG_VOCABULARIES or vocab not in vocabularies:
        raise CompendiumError(f"tags: {tag!r} is not 'vocabulary:code' with a vocabulary among "
                              f"{', '.join(TAG_VOCABULARIES)}")
    if code not in vocabularies[vocab].codes:
        raise CompendiumError(f"tags: {tag!r}: {vocab} has no code {code!r}")
    return f"{vocab}:{code}"


def parse_date(name: str, value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CompendiumError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


def check_country(name: str, value: Any) -> str | None:
    if value in (None, ""):
        return None
    match = resolve_country(str(value))
    if match.kind != "country" or match.code is None:
        raise CompendiumError(f"{name}: {value!r} is not a country (ISO 3166-1 alpha-3)")
    return match.code


@dataclass
class Item:
    kind: str
    title: str
    summary: str | None = None
    body: str | None = None
    country: str | None = None
    year: int | None = None
    date: dt.date | None = None
    language: str | None = None
    source: str | None = None
    tags: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    ref: str | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Item:
        """Check and normalise an item given as a mapping (a YAML entry, a form, a JSON body)."""
        kind = str(raw.get("kind") or "").strip()
        if kind not in KINDS:
            raise CompendiumError(f"kind: {raw.get('kind')!r} is not one of {', '.join(KINDS)}")
        unknown = sorted(set(raw) - set(COMMON) - set(KINDS[kind]) - {"details", "ratifications", TRANSLATIONS})
        if unknown:
            raise CompendiumError(f"{unknown[0]}: not a field of a {kind} (fields: "
                                  f"{', '.join(COMMON + KINDS[kind])})")
        title = str(raw.get("title") or "").strip()
        if not title:
            raise CompendiumError("title: missing")
        details = dict(raw.get("details") or {})
        details.update({k: raw[k] for k in (*KINDS[kind], TRANSLATIONS) if raw.get(k) not in (None, "", [], {})})
        if TRANSLATIONS in details:
            details[TRANSLATIONS] = check_translations(details[TRANSLATIONS])
        bad = sorted(set(details) - set(KINDS[kind]) - {TRANSLATIONS})
        if bad:
            raise CompendiumError(f"details.{bad[0]}: not a field of a {kind}")
        for key, value in list(details.items()):
            if key.endswith("_on"):
                parsed = parse_date(key, value)
                details[key] = parsed.isoformat() if parsed else None
        date = parse_date("date", raw.get("date"))
        year = raw.get("year")
        if year in (None, ""):
            year = date.year if date else None
        else:
            try:
                year = int(year)
            except (TypeError, ValueError):
                raise CompendiumError(f"year: {year!r} is not a year") from None
            if not 1800 <= year <= 2100:
                raise CompendiumError(f"year: {year} is out of range (1800-2100)")
            if date and date.year != year:
                raise CompendiumError(f"year: {year} differs from the year of date {date.isoformat()}")
        language = raw.get("language") or None
        if language is not None and language not in LANGUAGES:
            raise CompendiumError(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
        tags = raw.get("tags") or []
        if isinstance(tags, str):
            tags = [t for t in tags.replace(",", " ").split() if t]
        return cls(kind=kind, title=title, summary=_text(raw.get("summary")), body=_text(raw.get("body")),
                   country=check_country("country", raw.get("country")), year=year, date=date, language=language,
                   source=_text(raw.get("source")), tags=sorted({check_tag(t) for t in tags}),
                   details={k: v for k, v in details.items() if v not in (None, "", [])},
                   ref=_text(raw.get("ref")))

    def columns(self) -> dict[str, Any]:
        return {"ref": self.ref, "kind": self.kind, "title": self.title, "summary": self.summary, "body": self.body,
                "country": self.country, "year": self.year, "date": self.date, "language": self.language,
                "source": self.source, "tags": json.dumps(self.tags), "details": json.dumps(
                    self.details, ensure_ascii=False, sort_keys=True, default=str)}


def check_translations(raw: Any) -> dict[str, dict[str, Any]]:
    """{lang: {"title", "summary"?, "body"?, "official"?}} with known languages and a title each."""
    if not isinstance(raw, dict):
        raise CompendiumError("translations: expected a mapping of language to title, summary and body")
    out: dict[str, dict[str, Any]] = {}
    for lang, text in sorted(raw.items()):
        if lang not in LANGUAGES:
            raise CompendiumError(f"translations: {lang!r} is not one of {', '.join(LANGUAGES)}")
        if not isinstance(text, dict) or not _text(text.get("title")):
            raise CompendiumError(f"translations.{lang}: a title is missing")
        unknown = sorted(set(text) - {*_TRANSLATED, "official"})
        if unknown:
            raise CompendiumError(f"translations.{lang}.{unknown[0]}: not a translated field "
                                  f"({', '.join(_TRANSLATED)})")
        out[lang] = {k: _text(text.get(k)) for k in _TRANSLATED if _text(text.get(k))}
        out[lang]["official"] = bool(text.get("official"))
    return out


def localized(item: dict[str, Any], lang: str) -> dict[str, Any]:
    """The item as a reader of `lang` sees it: title, summary and body in that language where a translation exists,
    with `translated_from` (the original's language) and `translation_official`; otherwise the item unchanged."""
    text = (item.get("details") or {}).get(TRANSLATIONS, {}).get(lang)
    if not text or lang == (item.get("language") or "en"):
        return item
    out = {**item, **{k: text[k] for k in _TRANSLATED if text.get(k)}}
    out["translated_from"] = item.get("language") or "en"
    out["translation_official"] = bool(text.get("official"))
    return out


def translations_of(db: Database, item_ids: list[int], lang: str) -> dict[int, dict[str, Any]]:
    """The `lang` text of those items that have one (for a list of hits)."""
    if not item_ids:
        return {}
    c = compendium_items.c
    with db.engine.connect() as conn:
        rows = conn.execute(select(c.id, c.language, c.details).where(c.id.in_(item_ids))).all()
    out = {}
    for r in rows:
        text = json.loads(r.details or "{}").get(TRANSLATIONS, {}).get(lang)
        if text and lang != (r.language or "en"):
            out[int(r.id)] = text
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def _details_text(details: dict[str, Any]) -> str:
    parts: list[str] = []
    for value in details.values():
        if isinstance(value, list | tuple):
            parts.extend(str(v) for v in value)
        elif not isinstance(value, dict):
            parts.append(str(value))
    return "\n".join(parts)


def search_doc(item_id: int, item: Item, created_at: dt.datetime | None = None) -> search.Doc:
    """The item as the search index holds it: its text, its details, and its translations (a Spanish reader's words
    find the Spanish text)."""
    translated = [t.get(k) for t in item.details.get(TRANSLATIONS, {}).values() for k in _TRANSLATED]
    body = "\n".join(p for p in (item.summary, item.body, _details_text(item.details), *translated) if p)
    return search.Doc("compendium", item_id, item.kind, item.title, body, item.country, item.year,
                      tuple(item.tags), created_at)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write(conn: Connection, item: Item, actor: Principal, item_id: int | None = None) -> int:
    now = _now()
    if item_id is None:
        item_id = new_id(conn.execute(insert(compendium_items).values(
            **item.columns(), created_at=now, updated_at=now, created_by=actor.email)))
        created = now
    else:
        conn.execute(update(compendium_items).where(compendium_items.c.id == item_id)
                     .values(**item.columns(), updated_at=now))
        created = conn.execute(select(compendium_items.c.created_at)
                               .where(compendium_items.c.id == item_id)).scalar_one()
    search.put(conn, search_doc(item_id, item, created))
    return item_id


def add(db: Database, actor: Principal, raw: dict[str, Any] | Item) -> int:
    item = raw if isinstance(raw, Item) else Item.from_dict(raw)
    with db.engine.begin() as conn:
        item_id = _write(conn, item, actor)
    audit.record(db, actor, "compendium.create", object_type="compendium_item", object_id=item_id,
                 details={"kind": item.kind, "title": item.title[:200], "ref": item.ref})
    return item_id


def change(db: Database, actor: Principal, item_id: int, raw: dict[str, Any]) -> None:
    current = get(db, item_id)
    if current is None:
        raise LookupError(f"no compendium item {item_id}")
    merged = {k: current.get(k) for k in COMMON if k in current}
    merged["details"] = current["details"]
    merged.update(raw)
    item = Item.from_dict(merged)
    with db.engine.begin() as conn:
        _write(conn, item, actor, item_id)
    audit.record(db, actor, "compendium.update", object_type="compendium_item", object_id=item_id,
                 details={"fields": sorted(raw)})


def upsert(db: Database, actor: Principal, item: Item) -> tuple[int, bool]:
    """Create the item, or replace the one with the same `ref` (seeding is repeatable). Returns (id, created)."""
    if item.ref is None:
        return add(db, actor, item), True
    with db.engine.connect() as conn:
        existing = conn.execute(select(compendium_items.c.id).where(compendium_items.c.ref == item.ref)).scalar()
    if existing is None:
        return add(db, actor, item), True
    old = get(db, int(existing))
    if old is not None and Item.from_dict({**{k: old.get(k) for k in COMMON}, "details": old["details"]}) == item:
        return int(existing), False
    with db.engine.begin() as conn:
        _write(conn, item, actor, int(existing))
    audit.record(db, actor, "compendium.update", object_type="compendium_item", object_id=existing,
                 details={"ref": item.ref})
    return int(existing), False


def set_ratification(db: Database, actor: Principal, item_id: int, country: str, status: str,
                     signed_on: Any = None, ratified_on: Any = None, in_force_on: Any = None,
                     notes: str | None = None) -> None:
    item = get(db, item_id)
    if item is None or item["kind"] != "treaty":
        raise CompendiumError(f"item {item_id}: ratifications are recorded for treaties only")
    code = check_country("country", country)
    if code is None:
        raise CompendiumError("country: missing")
    if status not in RATIFICATION_STATUSES:
        raise CompendiumError(f"status: {status!r} is not one of {', '.join(RATIFICATION_STATUSES)}")
    row = {"status": status, "signed_on": parse_date("signed_on", signed_on),
           "ratified_on": parse_date("ratified_on", ratified_on), "in_force_on": parse_date("in_force_on", in_force_on),
           "notes": _text(notes), "updated_at": _now()}
    r = compendium_ratifications.c
    with db.engine.begin() as conn:
        done = conn.execute(update(compendium_ratifications).where(r.item_id == item_id, r.country == code)
                            .values(**row)).rowcount
        if not done:
            conn.execute(insert(compendium_ratifications).values(item_id=item_id, country=code, **row))
    audit.record(db, actor, "compendium.ratification", object_type="compendium_item", object_id=item_id,
                 subject_country=code, details={k: v for k, v in row.items() if k != "updated_at"})


def _public(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    d["tags"] = json.loads(d["tags"] or "[]")
    d["details"] = json.loads(d["details"] or "{}")
    for key in ("date", "created_at", "updated_at"):
        if d.get(key) is not None:
            d[key] = d[key].isoformat()
    d.pop("created_by", None)
    return d


def get(db: Database, item_id: int) -> dict[str, Any] | None:
    r = compendium_ratifications.c
    with db.engine.connect() as conn:
        row = conn.execute(select(compendium_items).where(compendium_items.c.id == item_id)).first()
        if row is None:
            return None
        rats = conn.execute(select(r.country, r.status, r.signed_on, r.ratified_on, r.in_force_on, r.notes)
                            .where(r.item_id == item_id).order_by(r.country)).all()
    item = _public(row)
    item["ratifications"] = [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in x._mapping.items()}
                             for x in rats]
    return item


def newest(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    c = compendium_items.c
    with db.engine.connect() as conn:
        rows = conn.execute(select(compendium_items).order_by(c.created_at.desc(), c.id.desc()).limit(limit)).all()
    return [_public(r) for r in rows]


def count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(compendium_items)).scalar_one())
