"""Upload -> validation report (-> mapping of the file's own columns) -> commit. The upload is staged on disk;
nothing is stored until commit.

The reporting country is the uploader's (see `tipnet.auth.uploads`); a staged upload records who staged it, and only
that country (or hub uploader) can read its report or commit it. Each step is written to the audit log.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

import anyio
from fastapi import File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from tipnet.auth import audit
from tipnet.auth import profiles as saved
from tipnet.auth import uploads as policy
from tipnet.auth.policy import needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.errors import TipnetError
from tipnet.ingest.errors import error_title
from tipnet.ingest.isolated import validate_isolated
from tipnet.ingest.period import PeriodError, parse_period
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.ingest.profiles import builtin_profiles
from tipnet.ingest.report import Report
from tipnet.ingest.suggest import IGNORE, build_profile, field_choices, read_samples, suggest
from tipnet.ingest.suggest_aggregate import looks_like_counts
from tipnet.ingest.suggest_values import read_sample, value_columns
from tipnet.settings import Settings
from tipnet.web.deps import AppSettings, Db, Lang, Me
from tipnet.web.errors import ApiError
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.security import access

router = PageRouter()
UPLOAD = needs(Permission.UPLOAD)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _staging(settings: Settings) -> Path:
    return settings.home.resolve() / "uploads"


def _safe_name(name: str) -> str:
    base = Path(name or "upload").name
    return re.sub(r"[^A-Za-z0-9._-]", "_", base)[:120] or "upload"


def _staged(settings: Settings, me: Principal, token: str) -> tuple[Path, dict[str, Any]]:
    """The staged upload's folder and metadata, if the caller may see it."""
    if not _TOKEN.match(token):
        raise ApiError(404, "not-found", "no such upload")
    d = _staging(settings) / token
    if not (d / "meta.json").is_file():
        raise ApiError(404, "not-found", "no such upload (it may have been committed already)")
    meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    policy.check_staged(me, meta.get("owner"))
    return d, meta


def _options(meta: dict[str, Any], me: Principal, settings: Settings) -> ImportOptions:
    profile = meta.get("profile") or None
    if profile and meta.get("saved_profile"):
        profile = str(saved.profile_path(me, settings.home, meta.get("country") or None, profile))
    return ImportOptions(
        profile=profile,
        country=meta.get("country") or None,
        display_name=meta["filename"],
        period=meta.get("period") or None,
    )


_limiter: anyio.CapacityLimiter | None = None


async def validate_staged(path: Path, options: ImportOptions, settings: Settings) -> Report:
    """Validate an upload off the event loop, in a worker process with a time limit and a memory ceiling
    (`tipnet.ingest.isolated`); uploads beyond `validate_workers` wait their turn without holding a thread."""
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(max(1, settings.validate_workers))
    return await anyio.to_thread.run_sync(validate_isolated, path, options, settings, limiter=_limiter)


def _public(token: str, meta: dict[str, Any]) -> dict[str, Any]:
    return {"token": token, **{k: v for k, v in meta.items() if k != "owner"}}


@router.page("/uploads")
@access(UPLOAD)
def upload_form(request: Request, me: Me, settings: AppSettings) -> Page:
    profiles = [{"name": p.name, "title": p.title} for p in builtin_profiles().values()]
    profiles.append({"name": "glotip", "title": "UNODC GLOTIP aggregate workbook"})
    mine = saved.saved_profiles(me, settings.home, me.country)
    return Page("upload.html", {"profiles": profiles, "saved_profiles": mine, "country": me.country})


@router.page("/uploads", methods=["POST"])
@access(UPLOAD)
async def upload(
    request: Request, db: Db, me: Me, settings: AppSettings, file: UploadFile = File(...), country: str = Form(""),
    profile: str = Form(""), period: str = Form(""),
) -> Page | Done:
    if period.strip():
        try:
            parse_period(period)
        except PeriodError as exc:
            raise ApiError(422, "invalid-request", str(exc), {"field": "period", "value": period}) from exc
    country_code = policy.upload_country(me, country)
    own = profile not in builtin_profiles() and profile != "glotip"
    if profile and own and profile not in {p["name"] for p in saved.saved_profiles(me, settings.home, country_code)}:
        raise ApiError(422, "invalid-request", f"unknown profile {profile!r}")
    token = secrets.token_urlsafe(18)
    d = _staging(settings) / token
    d.mkdir(parents=True, exist_ok=True)
    target = d / _safe_name(file.filename or "upload")
    size = 0
    with target.open("wb") as fh:
        while block := await file.read(1024 * 1024):
            size += len(block)
            if size > settings.max_upload_bytes:
                fh.close()
                shutil.rmtree(d, ignore_errors=True)
                raise ApiError(
                    413, "too-large", f"the upload is larger than {settings.max_upload_bytes} bytes"
                )
            fh.write(block)
    meta: dict[str, Any] = {
        "filename": file.filename or target.name,
        "stored": target.name,
        "country": country_code or "",
        "profile": profile,
        "saved_profile": bool(profile and own),
        "period": period.strip(),
        "owner": policy.owner(me),
    }
    report = await validate_staged(target, _options(meta, me, settings), settings)
    try:
        policy.check_kind(me, report.kind)
    except TipnetError:
        shutil.rmtree(d, ignore_errors=True)
        raise
    meta["report"] = report.to_dict()
    (d / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    audit.record(db, me, "upload.validate", object_type="upload", object_id=token,
                 subject_country=country_code, details={"filename": meta["filename"], "bytes": size,
                                                        "rows": report.rows_total})
    return Done(_public(token, meta), redirect=f"/uploads/{token}", status=201)


@router.page("/uploads/{token}")
@access(UPLOAD)
def upload_report(request: Request, token: str, db: Db, me: Me, settings: AppSettings, lang: Lang) -> Page:
    _, meta = _staged(settings, me, token)
    audit.record(db, me, "upload.report.read", object_type="upload", object_id=token,
                 subject_country=meta.get("country") or None)
    codes = {p["code"] for p in meta["report"]["problems"]}
    needs_mapping = "missing-column" in codes
    data = {**_public(token, meta), "needs_mapping": needs_mapping,
            "mapping": f"/uploads/{token}/mapping" if needs_mapping else None}
    return Page("report.html", data, context={"titles": {c: error_title(lang, c) for c in codes}})


@router.page("/uploads/{token}/commit", methods=["POST"])
@access(UPLOAD)
def commit(request: Request, token: str, db: Db, me: Me, settings: AppSettings) -> Done:
    d, meta = _staged(settings, me, token)
    refused = next((p for p in meta["report"]["problems"] if p["code"] == "source-too-large"), None)
    if refused is not None:  # the file passed a reading limit: it is not opened again in this process
        raise ApiError(422, "invalid-file", refused["message"], meta["report"])
    report = import_file(d / meta["stored"], db, _options(meta, me, settings), settings)
    if report.file_error is not None:
        raise ApiError(422, "invalid-file", report.file_error.message, report.to_dict())
    shutil.rmtree(d, ignore_errors=True)
    sid = report.submission_id if report.submission_id is not None else report.duplicate_of
    audit.record(db, me, "upload.commit", object_type="submission", object_id=sid,
                 subject_country=meta.get("country") or None,
                 details={"upload": token, "rows_accepted": report.rows_accepted,
                          "rows_quarantined": report.rows_quarantined, "duplicate": report.duplicate_of is not None})
    body = report.to_dict()
    body.pop("quarantine_path", None)  # server paths are nobody's business; the file is served by id
    note = "committed" if report.submission_id is not None else "already"  # confirmed on the page after the redirect
    return Done(body, redirect=f"/submissions/{sid}?done={note}", status=201 if report.submission_id else 200)


def _mapping_data(token: str, meta: dict[str, Any], d: Path, lang: str) -> dict[str, Any]:
    columns, samples = read_samples(d / meta["stored"])
    base = Path(meta["filename"]).stem.lower()
    return {
        "token": token, "filename": meta["filename"], "country": meta.get("country") or None,
        "columns": [s.to_dict() for s in suggest(columns, samples)],
        "fields": field_choices(lang),
        "name": re.sub(r"[^a-z0-9]+", "-", base).strip("-")[:40] or "mapping",
        "counts": looks_like_counts(columns), "counts_mapping": f"/uploads/{token}/mapping/counts",
    }


@router.page("/uploads/{token}/mapping")
@access(UPLOAD)
def mapping_form(request: Request, token: str, me: Me, settings: AppSettings, lang: Lang) -> Page:
    d, meta = _staged(settings, me, token)
    return Page("upload_mapping.html", _mapping_data(token, meta, d, lang))


@router.page("/uploads/{token}/mapping", methods=["POST"])
@access(UPLOAD)
async def save_mapping(request: Request, token: str, db: Db, me: Me, settings: AppSettings, lang: Lang) -> Done:
    """The confirmed mapping (form fields `name`, `title`, `column-<i>` = field or '' for the i-th source column)
    becomes the country's saved profile, and the staged file is validated again with it."""
    d, meta = _staged(settings, me, token)
    form = await request.form()
    columns = (await run_in_threadpool(_mapping_data, token, meta, d, lang))["columns"]
    mapping = {c["column"]: str(form.get(f"column-{i}") or IGNORE) for i, c in enumerate(columns)}
    name = str(form.get("name") or "").strip()
    try:
        doc = build_profile(saved.check_name(name), str(form.get("title") or "").strip()[:200], mapping)
    except ValueError as exc:
        raise ApiError(422, "invalid-request", str(exc), {"field": "mapping"}) from exc
    country = meta.get("country") or None
    saved.save_profile(db, me, settings.home, country, doc)
    meta.update(profile=name, saved_profile=True)
    report = await validate_staged(d / meta["stored"], _options(meta, me, settings), settings)
    meta["report"] = report.to_dict()
    (d / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    audit.record(db, me, "upload.validate", object_type="upload", object_id=token, subject_country=country,
                 details={"filename": meta["filename"], "profile": name, "rows": report.rows_total})
    # the values the standard cannot read (a sample of the file, read off the event loop)
    values = await run_in_threadpool(lambda: value_columns(read_sample(d / meta["stored"]), mapping, country))
    nxt = f"/uploads/{token}/mapping/values" if values else f"/uploads/{token}"
    return Done({**_public(token, meta), "values": nxt if values else None}, redirect=nxt)
