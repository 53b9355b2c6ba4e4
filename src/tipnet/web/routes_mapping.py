"""The mapping steps after the columns of a staged upload: the values of a list of victims that the standard does not
read (value maps), and the mapping of a table of counts (roles of the columns, then filter values and value maps).

Each step reads a bounded sample of the staged file (`tipnet.ingest.suggest_values.SAMPLE_ROWS`); the rules live in
`tipnet.ingest.suggest_values`, `suggest_aggregate` and `suggest_aggregate_values`. The confirmed mapping is saved
as the country's profile (`tipnet.auth.profiles`) and the staged file is validated again with it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from tipnet.auth import audit
from tipnet.auth import profiles as saved
from tipnet.auth.principal import Principal
from tipnet.errors import TipnetError
from tipnet.i18n import locale_of
from tipnet.ingest.aggregate_profile import INDICATORS
from tipnet.ingest.suggest_aggregate import Draft, build_doc, role_choices, suggest_roles
from tipnet.ingest.suggest_aggregate_values import check_code, code_choices, value_steps
from tipnet.ingest.suggest_values import (
    SAMPLE_ROWS,
    check_value,
    choices,
    country_choices,
    profile_mapping,
    read_sample,
    value_columns,
    with_value_maps,
)
from tipnet.settings import Settings
from tipnet.standard import load_standard
from tipnet.web.deps import AppSettings, Db, Lang, Me
from tipnet.web.errors import ApiError
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.routes_uploads import UPLOAD, _options, _public, _staged, validate_staged
from tipnet.web.security import access

router = PageRouter()


def _head(token: str, meta: dict[str, Any]) -> dict[str, Any]:
    return {"token": token, "filename": meta["filename"], "country": meta.get("country") or None,
            "profile": meta.get("profile") or None}


def _invalid(exc: Exception, field: str) -> ApiError:
    return ApiError(422, "invalid-request", str(exc), {"field": field})


def _write_meta(d: Path, meta: dict[str, Any]) -> None:
    (d / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


async def _save_and_validate(db: Db, me: Principal, settings: Settings, token: str, d: Path,
                             meta: dict[str, Any], doc: dict[str, Any]) -> Done:
    """Save the profile document as the country's, validate the staged file again with it, show the report."""
    country = meta.get("country") or None
    try:
        saved.save_profile(db, me, settings.home, country, doc)
    except TipnetError as exc:
        raise _invalid(exc, "name") from exc
    meta.update(profile=doc["name"], saved_profile=True)
    meta.pop("draft", None)
    report = await validate_staged(d / meta["stored"], _options(meta, me, settings), settings)
    meta["report"] = report.to_dict()
    _write_meta(d, meta)
    audit.record(db, me, "upload.validate", object_type="upload", object_id=token, subject_country=country,
                 details={"filename": meta["filename"], "profile": doc["name"], "rows": report.rows_total})
    return Done(_public(token, meta), redirect=f"/uploads/{token}")


def _saved_doc(me: Principal, settings: Settings, meta: dict[str, Any]) -> dict[str, Any]:
    if not meta.get("saved_profile") or not meta.get("profile"):
        raise ApiError(409, "conflict", "map the file's columns first", {"step": "columns"})
    try:
        return saved.load_doc(me, settings.home, meta.get("country") or None, meta["profile"])
    except TipnetError as exc:
        raise ApiError(409, "conflict", "map the file's columns first", {"step": "columns"}) from exc


# ---------------------------------------------------------------- a list of victims: value maps


def _record_values(d: Path, meta: dict[str, Any], doc: dict[str, Any], lang: str) -> dict[str, Any]:
    sample = read_sample(d / meta["stored"])
    columns = value_columns(sample, profile_mapping(doc), meta.get("country") or None)
    current = {str(src): (t.get("values") or {}) for src, t in (doc.get("columns") or {}).items()
               if isinstance(t, dict)}
    std = load_standard()
    for c in columns:
        c["choices"] = choices(c["field"], lang)
        c["label"] = std.field(c["field"]).label(lang)
        for v in c["values"]:
            v["chosen"] = str(current.get(c["column"], {}).get(v["raw"], v["suggested"]))
    return {"columns": columns, "sample_rows": min(sample.height, SAMPLE_ROWS), "profile": doc["name"]}


@router.page("/uploads/{token}/mapping/values")
@access(UPLOAD)
def values_form(request: Request, token: str, me: Me, settings: AppSettings, lang: Lang) -> Page:
    d, meta = _staged(settings, me, token)
    data = {**_head(token, meta), **_record_values(d, meta, _saved_doc(me, settings, meta), lang)}
    needs_countries = any(c["kind"] == "country" for c in data["columns"])
    return Page("upload_mapping_values.html", data,
                context={"countries": country_choices(lang) if needs_countries else []})


@router.page("/uploads/{token}/mapping/values", methods=["POST"])
@access(UPLOAD)
async def save_values(request: Request, token: str, db: Db, me: Me, settings: AppSettings, lang: Lang) -> Done:
    """Form fields `map-<c>-<j>`: the code for the j-th listed value of the c-th listed column ('' keeps it as it
    is: the cell is stored raw, with a warning)."""
    d, meta = _staged(settings, me, token)
    doc = _saved_doc(me, settings, meta)
    form = await request.form()
    maps: dict[str, dict[str, str]] = {}
    found = await run_in_threadpool(_record_values, d, meta, doc, lang)  # reads the file: off the event loop
    for c, col in enumerate(found["columns"]):
        for j, v in enumerate(col["values"]):
            code = str(form.get(f"map-{c}-{j}") or "").strip()
            if code:
                try:
                    maps.setdefault(col["column"], {})[v["raw"]] = check_value(col["field"], code)
                except ValueError as exc:
                    raise _invalid(exc, f"map-{c}-{j}") from exc
    try:
        doc = with_value_maps(doc, maps)
    except ValueError as exc:
        raise _invalid(exc, "values") from exc
    return await _save_and_validate(db, me, settings, token, d, meta, doc)


# ---------------------------------------------------------------- a table of counts: roles, then values


def _default_name(meta: dict[str, Any]) -> str:
    base = Path(meta["filename"]).stem.lower()
    return re.sub(r"[^a-z0-9]+", "-", base).strip("-")[:40] or "mapping"


@router.page("/uploads/{token}/mapping/counts")
@access(UPLOAD)
def counts_form(request: Request, token: str, me: Me, settings: AppSettings, lang: Lang) -> Page:
    d, meta = _staged(settings, me, token)
    sample = read_sample(d / meta["stored"])
    draft = Draft.from_dict(meta.get("draft") or {})
    columns = []
    for s in suggest_roles(sample, meta.get("country") or None):
        row = s.to_dict()
        row["role"] = draft.roles.get(s.column, s.role) if draft.roles else s.role
        columns.append(row)
    data = {**_head(token, meta), "columns": columns, "roles": role_choices(list(sample.columns)),
            "indicators": list(INDICATORS), "source": draft.source, "indicator": draft.indicator,
            "unit": draft.unit, "name": draft.name or _default_name(meta), "title": draft.title}
    months = locale_of(lang).months["stand-alone"]["wide"]
    return Page("upload_mapping_counts.html", data, context={"months": {n: months[n] for n in range(1, 13)}})


@router.page("/uploads/{token}/mapping/counts", methods=["POST"])
@access(UPLOAD)
async def save_counts(request: Request, token: str, me: Me, settings: AppSettings) -> Done:
    """Form fields `role-<i>` (the i-th column's role, '' to leave it out), `source`, `indicator`, `unit`, `name`,
    `title`. The roles are checked as a profile (without filter values and value maps) and kept with the staged
    upload until the values step."""
    d, meta = _staged(settings, me, token)
    form = await request.form()
    sample = await run_in_threadpool(read_sample, d / meta["stored"])
    allowed = {r["role"] for r in role_choices(list(sample.columns))} | {""}
    roles = {}
    for i, column in enumerate(sample.columns):
        role = str(form.get(f"role-{i}") or "")
        if role not in allowed:
            raise _invalid(ValueError(f"{role!r} is not a role"), f"role-{i}")
        if role:
            roles[column] = role
    draft = Draft(roles, str(form.get("source") or "").strip(), str(form.get("indicator") or "detected_victims"),
                  str(form.get("unit") or "count").strip()[:32], str(form.get("name") or "").strip(),
                  str(form.get("title") or "").strip()[:200])
    try:
        saved.check_name(draft.name)
        build_doc(draft, meta.get("country") or None)
    except (ValueError, TipnetError) as exc:
        raise _invalid(exc, "mapping") from exc
    meta["draft"] = draft.to_dict()
    _write_meta(d, meta)
    return Done({"token": token, "draft": meta["draft"]}, redirect=f"/uploads/{token}/mapping/counts/values")


def _draft(meta: dict[str, Any]) -> Draft:
    if not meta.get("draft"):
        raise ApiError(409, "conflict", "say first what each column of the table holds", {"step": "counts"})
    return Draft.from_dict(meta["draft"])


def _count_values(d: Path, meta: dict[str, Any], draft: Draft, lang: str) -> dict[str, Any]:
    country = meta.get("country") or None
    sample = read_sample(d / meta["stored"])
    steps = value_steps(sample, draft, country)
    for m in steps["maps"]:
        m["choices"] = code_choices(m["role"], lang, country)
    return {**steps, "sample_rows": sample.height, "country": country}


@router.page("/uploads/{token}/mapping/counts/values")
@access(UPLOAD)
def count_values_form(request: Request, token: str, me: Me, settings: AppSettings, lang: Lang) -> Page:
    d, meta = _staged(settings, me, token)
    draft = _draft(meta)
    data = {**_head(token, meta), **_count_values(d, meta, draft, lang), "draft": draft.to_dict()}
    typed = any(m["role"] == "citizenship" for m in data["maps"])
    return Page("upload_mapping_count_values.html", data,
                context={"countries": country_choices(lang) if typed else []})


@router.page("/uploads/{token}/mapping/counts/values", methods=["POST"])
@access(UPLOAD)
async def save_count_values(request: Request, token: str, db: Db, me: Me, settings: AppSettings,
                            lang: Lang) -> Done:
    """Form fields `keep-<f>-<j>` (the j-th value of the f-th filter column is kept when present) and
    `map-<m>-<j>` (the code for the j-th listed value of the m-th key column; '' leaves it unmapped). The profile
    is built, checked like a profile file, saved as the country's, and the staged file validated with it."""
    d, meta = _staged(settings, me, token)
    draft = _draft(meta)
    country = meta.get("country") or None
    form = await request.form()
    steps = await run_in_threadpool(_count_values, d, meta, draft, lang)
    filters = {f["column"]: [v["raw"] for j, v in enumerate(f["values"]) if form.get(f"keep-{i}-{j}")]
               for i, f in enumerate(steps["filters"])}
    maps: dict[str, dict[str, str]] = {}
    for i, m in enumerate(steps["maps"]):
        for j, v in enumerate(m["values"]):
            code = str(form.get(f"map-{i}-{j}") or "").strip()
            if code:
                try:
                    maps.setdefault(m["role"], {})[v["raw"]] = check_code(m["role"], code, country)
                except ValueError as exc:
                    raise _invalid(exc, f"map-{i}-{j}") from exc
    try:
        doc = build_doc(draft, country, filters, maps)
    except ValueError as exc:
        raise _invalid(exc, "mapping") from exc
    return await _save_and_validate(db, me, settings, token, d, meta, doc)
