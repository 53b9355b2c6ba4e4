"""What the case pages show: the form's sections and fields with labels, choices and problems in the reader's
language (standard vocabularies label themselves; case-entry texts come from the `cases` gettext domain)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pycountry
from babel import Locale

from tipnet.cases.spec import (
    ALL_FIELDS,
    CHOICES,
    FIELDS,
    LANGUAGE_CODES,
    OTHER_LANGUAGE,
    PLAN_PARTS,
    PLAN_TYPES,
    SECTIONS,
    Spec,
    choice_codes,
    plan_field,
    spec,
)
from tipnet.cases.validate import FieldError
from tipnet.i18n import date, translate
from tipnet.standard import load_standard
from tipnet.standard.countries import country_name


def field_label(lang: str, name: str) -> str:
    if name.startswith("plan_"):  # plan_<kind>_<part>: the standard's label of the kind, and the part
        kind, _, part = name.removeprefix("plan_").rpartition("_")
        vocab = load_standard().vocabularies["assistance_type"]
        return f"{vocab.get(kind).label(lang)} — {translate(lang, f'cases.plan.{part}')}"
    return translate(lang, f"cases.field.{name}")


@cache
def countries(lang: str) -> tuple[tuple[str, str], ...]:
    codes = [c.alpha_3 for c in pycountry.countries]
    return tuple(sorted(((c, country_name(c, lang)) for c in codes), key=lambda p: p[1].casefold()))


@cache
def languages(lang: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(lang).languages
    listed = [(c, names.get(c) or c) for c in LANGUAGE_CODES]
    return (*listed, (OTHER_LANGUAGE, translate(lang, "cases.language.other")))


def options(lang: str, s: Spec) -> list[tuple[str, str]]:
    if s.kind in ("country", "countries"):
        return list(countries(lang))
    if s.kind == "language":
        return list(languages(lang))
    vocab = load_standard().vocabularies.get(s.choices or "")
    if vocab is not None:
        return [(v.code, v.label(lang)) for v in vocab.values]
    if s.choices in CHOICES:
        return [(c, translate(lang, f"cases.choice.{s.choices}.{c}")) for c in choice_codes(s)]
    return []


def vocabulary_labels(lang: str, vocabulary: str) -> dict[str, str]:
    """{code: label} of a vocabulary of the standard in the page language (the list's sex column)."""
    return {v.code: v.label(lang) for v in load_standard().vocabularies[vocabulary].values}


def error_text(lang: str, e: FieldError) -> str:
    return translate(lang, f"cases.error.{e.code}", field=field_label(lang, e.field), value=e.value, **e.params)


def _field(lang: str, s: Spec, values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    raw = values.get(s.name, [] if s.multiple else "")
    return {"name": s.name, "id": f"f-{s.name}", "kind": s.kind, "label": field_label(lang, s.name),
            "required": s.required, "value": raw, "chosen": raw if isinstance(raw, list) else [raw],
            "options": options(lang, s), "errors": errors.get(s.name, [])}


def sections(lang: str, values: dict[str, Any], problems: list[FieldError]) -> list[dict[str, Any]]:
    """[{id, title, help, fields}] in form order; the assistance plan comes separately (`plan`)."""
    errors: dict[str, list[str]] = {}
    for e in problems:
        errors.setdefault(e.field, []).append(error_text(lang, e))
    out = []
    for sec in SECTIONS:
        if sec == "plan":
            continue
        out.append({"id": sec, "title": translate(lang, f"cases.section.{sec}"),
                    "help": translate(lang, f"cases.section.{sec}.help"),
                    "fields": [_field(lang, s, values, errors) for s in FIELDS if s.section == sec]})
    return out


def plan(lang: str, values: dict[str, Any], problems: list[FieldError]) -> list[dict[str, Any]]:
    """One row per kind of assistance: its label (the standard's) and its four inputs."""
    errors: dict[str, list[str]] = {}
    for e in problems:
        errors.setdefault(e.field, []).append(error_text(lang, e))
    vocab = load_standard().vocabularies["assistance_type"]
    return [{"kind": kind, "label": vocab.get(kind).label(lang),
             "parts": {part: _field(lang, spec(plan_field(kind, part)), values, errors) for part in PLAN_PARTS}}
            for kind in PLAN_TYPES]


def summary(lang: str, problems: list[FieldError]) -> list[dict[str, str]]:
    """The problems as links to their fields, for the list at the top of the form."""
    return [{"id": f"f-{e.field}", "text": error_text(lang, e)} for e in problems]


def readable(lang: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A submitted case as label -> shown value rows, by section (codes as labels in the reader's language)."""
    out = []
    for sec in SECTIONS:
        if sec == "plan":
            continue
        rows = []
        for s in FIELDS:
            if s.section != sec:
                continue
            raw = data.get(s.name)
            if raw in (None, "", []):
                continue
            labels = dict(options(lang, s))
            items = raw if isinstance(raw, list) else [raw]
            if s.kind == "date":
                shown = [date(lang, str(v)) for v in items]
            elif s.kind in ("flag", "answer"):
                shown = [translate(lang, "common.yes" if str(v).lower() in ("yes", "true", "on") else "common.no")
                         for v in items]
            else:
                shown = [labels.get(str(v), str(v)) for v in items]
            rows.append({"name": s.name, "label": field_label(lang, s.name), "value": ", ".join(shown)})
        out.append({"id": sec, "title": translate(lang, f"cases.section.{sec}"), "rows": rows})
    return out


def definition() -> list[dict[str, Any]]:
    """The form for API clients: every field with its section, kind, whether submission needs it, and its codes."""
    out = []
    for s in ALL_FIELDS:
        item: dict[str, Any] = {"name": s.name, "section": s.section, "kind": s.kind, "required": s.required,
                                "multiple": s.multiple}
        if s.choices:
            item["vocabulary"] = s.choices
            item["codes"] = list(choice_codes(s))
        elif s.kind == "language":
            item["codes"] = [*LANGUAGE_CODES, OTHER_LANGUAGE]
        elif s.kind in ("country", "countries"):
            item["codes"] = "ISO 3166-1 alpha-3"
        out.append(item)
    return out
