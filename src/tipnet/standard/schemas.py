"""Generated artefacts of the standard: JSON Schema (nested entities), Frictionless Table Schema (flat CSV
layout) and the human data dictionary. All come from the same field list and vocabularies."""

from __future__ import annotations

import html
from typing import Any

from tipnet.standard.model import LIST_SEPARATOR, Field, Standard, load_standard

_JSON_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
}
_TABLE_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "date": "date",
    "boolean": "boolean",
    "country": "string",
    "country_list": "string",
    "code": "string",
    "code_list": "string",
}


def _json_field(std: Standard, f: Field) -> dict[str, Any]:
    if f.type in _JSON_TYPES:
        prop: dict[str, Any] = dict(_JSON_TYPES[f.type])
        if f.minimum is not None:
            prop["minimum"] = f.minimum
        if f.maximum is not None:
            prop["maximum"] = f.maximum
    elif f.type == "country":
        prop = {"type": "string", "pattern": "^[A-Z]{3}$"}
    elif f.type == "country_list":
        prop = {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{3}$"}}
    elif f.type == "code":
        prop = {"type": "string", "enum": std.vocabulary_of(f).codes}
    else:
        prop = {
            "type": "array",
            "items": {"type": "string", "enum": std.vocabulary_of(f).codes},
            "uniqueItems": True,
        }
    prop["description"] = f.description
    prop["title"] = f.label("en")
    return prop


def json_schema(std: Standard | None = None) -> dict[str, Any]:
    """A record as nested entities: case, person, victim/perpetrator details, route events, assistance, consent."""
    std = std or load_standard()
    entities: dict[str, dict[str, Any]] = {}
    for f in std.fields:
        if f.type in ("country", "country_list") and f.entity == "route":
            continue
        entities.setdefault(f.entity, {})[f.name] = _json_field(std, f)
    route_event = {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["recruitment", "transit", "exploitation"]},
            "country": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "subdivision": {"type": "string"},
            "place": {"type": "string"},
            "latitude": {"type": "number", "minimum": -90, "maximum": 90},
            "longitude": {"type": "number", "minimum": -180, "maximum": 180},
            "start_date": {"type": "string", "format": "date"},
            "end_date": {"type": "string", "format": "date"},
        },
        "required": ["type", "country"],
    }
    required = {e: [f.name for f in std.fields if f.required and f.entity == e] for e in entities}
    props: dict[str, Any] = {
        e: {"type": "object", "properties": p, **({"required": required[e]} if required[e] else {})}
        for e, p in entities.items()
        if e != "route"
    }
    props["route"] = {"type": "array", "items": route_event, "description": "Route events in time order."}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://tipnet.oas.org/standard/{std.version}/record.schema.json",
        "title": f"tipnet case record, standard {std.version}",
        "type": "object",
        "properties": props,
        "required": [e for e in ("case", "submission", "person") if e in props],
    }


def table_schema(std: Standard | None = None) -> dict[str, Any]:
    """Frictionless Table Schema of the flat CSV layout (one row per person in a role in a case)."""
    std = std or load_standard()
    fields = []
    for f in std.fields:
        spec: dict[str, Any] = {
            "name": f.name,
            "type": _TABLE_TYPES[f.type],
            "title": f.label("en"),
            "description": f.description,
        }
        cons: dict[str, Any] = {}
        if f.required:
            cons["required"] = True
        if f.minimum is not None:
            cons["minimum"] = int(f.minimum) if f.type == "integer" else f.minimum
        if f.maximum is not None:
            cons["maximum"] = int(f.maximum) if f.type == "integer" else f.maximum
        if f.type == "code":
            cons["enum"] = std.vocabulary_of(f).codes
        elif f.type == "code_list":
            codes = "|".join(c.replace("+", r"\+") for c in std.vocabulary_of(f).codes)
            cons["pattern"] = f"({codes})(;({codes}))*"
        elif f.type == "country":
            cons["pattern"] = "[A-Z]{3}"
        elif f.type == "country_list":
            cons["pattern"] = "[A-Z]{3}(;[A-Z]{3})*"
        if f.type == "boolean":
            spec["trueValues"] = ["true", "1", "yes"]
            spec["falseValues"] = ["false", "0", "no"]
        if cons:
            spec["constraints"] = cons
        fields.append(spec)
    return {
        "fields": fields,
        "primaryKey": ["record_id"],
        "missingValues": [""],
        "$comment": f"tipnet standard {std.version}; list values are '{LIST_SEPARATOR}'-separated",
    }


def dictionary_markdown(lang: str = "en", std: Standard | None = None) -> str:
    std = std or load_standard()
    out = [f"# tipnet data dictionary — standard {std.version}", ""]
    out += [
        "| field | label | type | required | vocabulary | HTCDS | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in std.fields:
        out.append(
            f"| `{f.name}` | {f.label(lang)} | {f.type} | {'yes' if f.required else ''} | "
            f"{f.vocabulary or ''} | {f.htcds or ''} | {f.describe(lang)} |"
        )
    out += ["", "## Vocabularies", ""]
    for v in std.vocabularies.values():
        out += [
            f"### `{v.id}` — {v.labels.get(lang, v.labels.get('en', v.id))}",
            "",
            "| code | label |",
            "|---|---|",
        ]
        out += [f"| `{val.code}` | {val.label(lang)} |" for val in v.values]
        out.append("")
    return "\n".join(out)


def dictionary_html(lang: str = "en", std: Standard | None = None) -> str:
    """A standalone HTML page of the dictionary (for printing or offline reading)."""
    std = std or load_standard()
    e = html.escape
    rows = "".join(
        f"<tr><td><code>{e(f.name)}</code></td><td>{e(f.label(lang))}</td><td>{e(f.type)}</td>"
        f"<td>{'✔' if f.required else ''}</td><td>{e(f.vocabulary or '')}</td><td>{e(f.describe(lang))}</td></tr>"
        for f in std.fields
    )
    vocabs = "".join(
        f"<h3 id='v-{e(v.id)}'>{e(v.labels.get(lang, v.id))} <code>{e(v.id)}</code></h3><ul>"
        + "".join(f"<li><code>{e(val.code)}</code> — {e(val.label(lang))}</li>" for val in v.values)
        + "</ul>"
        for v in std.vocabularies.values()
    )
    return (
        f"<!doctype html><html lang='{e(lang)}'><meta charset='utf-8'><title>tipnet {e(std.version)}</title>"
        f"<h1>tipnet — standard {e(std.version)}</h1><table><thead><tr><th>field</th><th>label</th><th>type</th>"
        f"<th>required</th><th>vocabulary</th><th>description</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<h2>Vocabularies</h2>{vocabs}</html>"
    )
