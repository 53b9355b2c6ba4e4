"""Upload -> validation report -> commit. The upload is staged on disk; nothing is stored until commit."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from tipnet.ingest.pipeline import ImportOptions, import_file, validate_file
from tipnet.ingest.profiles import builtin_profiles
from tipnet.web.errors import ApiError

router = APIRouter()
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _staging(request: Request) -> Path:
    return request.app.state.settings.home.resolve() / "uploads"


def _safe_name(name: str) -> str:
    base = Path(name or "upload").name
    return re.sub(r"[^A-Za-z0-9._-]", "_", base)[:120] or "upload"


def _stage_dir(request: Request, token: str) -> Path:
    if not _TOKEN.match(token):
        raise ApiError(404, "not-found", "no such upload")
    d = _staging(request) / token
    if not (d / "meta.json").is_file():
        raise ApiError(404, "not-found", "no such upload (it may have been committed already)")
    return d


def _options(meta: dict[str, Any]) -> ImportOptions:
    return ImportOptions(
        profile=meta.get("profile") or None,
        country=meta.get("country") or None,
        display_name=meta["filename"],
    )


@router.get("/uploads")
@router.get("/uploads.json")
def upload_form(request: Request) -> Response:
    profiles = [{"name": p.name, "title": p.title} for p in builtin_profiles().values()]
    profiles.append({"name": "glotip", "title": "UNODC GLOTIP aggregate workbook"})
    return request.app.state.page(request, "upload.html", {"profiles": profiles})


@router.post("/uploads")
@router.post("/uploads.json")
async def upload(
    request: Request, file: UploadFile = File(...), country: str = Form(""), profile: str = Form("")
) -> Response:
    settings = request.app.state.settings
    token = secrets.token_urlsafe(18)
    d = _staging(request) / token
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
    country = country.strip().upper()
    if profile and profile not in builtin_profiles() and profile != "glotip":
        shutil.rmtree(d, ignore_errors=True)
        raise ApiError(422, "invalid-request", f"unknown profile {profile!r}")
    meta: dict[str, Any] = {
        "filename": file.filename or target.name,
        "stored": target.name,
        "country": country,
        "profile": profile,
    }
    report = validate_file(target, _options(meta), settings)
    meta["report"] = report.to_dict()
    (d / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    if request.url.path.endswith(".json"):
        return request.app.state.page(request, "report.html", {"token": token, **meta}, status=201)
    return RedirectResponse(f"/uploads/{token}", status_code=303)


@router.get("/uploads/{token}")
@router.get("/uploads/{token}.json")
def upload_report(request: Request, token: str) -> Response:
    token = token.removesuffix(".json")
    meta = json.loads((_stage_dir(request, token) / "meta.json").read_text(encoding="utf-8"))
    return request.app.state.page(request, "report.html", {"token": token, **meta})


@router.post("/uploads/{token}/commit")
@router.post("/uploads/{token}/commit.json")
def commit(request: Request, token: str) -> Response:
    d = _stage_dir(request, token)
    meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    report = import_file(d / meta["stored"], request.app.state.db, _options(meta), request.app.state.settings)
    if report.file_error is not None:
        raise ApiError(422, "invalid-file", report.file_error.message, report.to_dict())
    shutil.rmtree(d, ignore_errors=True)
    sid = report.submission_id if report.submission_id is not None else report.duplicate_of
    if request.url.path.endswith(".json"):
        from fastapi.responses import JSONResponse

        return JSONResponse(report.to_dict(), status_code=201 if report.submission_id else 200)
    return RedirectResponse(f"/submissions/{sid}", status_code=303)
