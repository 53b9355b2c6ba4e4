"""The public portal's releases: only published (audited, immutable) releases are listed, shown or downloaded.

Drafts never appear here, and no route reads the store's case data: everything comes from the release records and
their package files, whose SHA-256 is checked before a file is served.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from tipnet.auth.policy import PUBLIC
from tipnet.disclosure import repo
from tipnet.disclosure.package import list_files
from tipnet.web.errors import ApiError
from tipnet.web.security import access

router = APIRouter()

_PUBLIC_SUMMARY = ("method", "threshold", "cells", "suppressed", "suppressed_share", "tables", "measure", "epsilon",
                   "rho", "queries", "alpha", "max_forms", "years", "extract")


def _public(rel: dict[str, Any]) -> dict[str, Any]:
    summary = {k: v for k, v in (rel.get("summary") or {}).items() if k in _PUBLIC_SUMMARY}
    return {"id": rel["id"], "title": rel["title"], "dataset": rel["dataset"], "version": rel["version"],
            "method": rel["method"], "published_at": rel["published_at"], "created_at": rel["created_at"],
            "content_sha256": rel["content_sha256"], "snapshot_sha256": rel["snapshot_sha256"], "summary": summary}


def _published(request: Request, release_id: str) -> dict[str, Any]:
    rid = release_id.removesuffix(".json")
    rel = repo.get_release(request.app.state.db, int(rid)) if rid.isdigit() else None
    if rel is None or rel["status"] != repo.PUBLISHED:
        raise ApiError(404, "not-found", f"no published release {rid}")
    return rel


@router.get("/releases")
@router.get("/releases.json")
@access(PUBLIC)
def releases(request: Request) -> Response:
    rows = [_public(r) for r in repo.list_releases(request.app.state.db, status=repo.PUBLISHED)]
    rows.sort(key=lambda r: r["published_at"] or "", reverse=True)
    return request.app.state.page(request, "releases.html", {"releases": rows})


@router.get("/releases/{release_id}")
@router.get("/releases/{release_id}.json")
@access(PUBLIC)
def release(request: Request, release_id: str) -> Response:
    rel = _published(request, release_id)
    data = _public(rel)
    data["files"] = [{**f, "url": f"/releases/{rel['id']}/files/{f['path']}"} for f in rel["files"]]
    note = Path(rel["package_path"]) / "methodology.md"
    data["methodology"] = note.read_text(encoding="utf-8") if note.is_file() else ""
    return request.app.state.page(request, "release.html", data)


@router.get("/releases/{release_id}/files/{path:path}")
@access(PUBLIC)
def release_file(request: Request, release_id: str, path: str) -> FileResponse:
    rel = _published(request, release_id)
    recorded = {f["path"]: f for f in rel["files"]}
    if path not in recorded:
        raise ApiError(404, "not-found", f"release {rel['id']} has no file {path}")
    folder = Path(rel["package_path"])
    on_disk = {f.path: f.sha256 for f in list_files(folder)} if folder.is_dir() else {}
    if on_disk.get(path) != recorded[path]["sha256"]:
        raise ApiError(500, "integrity-error", f"file {path} of release {rel['id']} does not match its hash")
    return FileResponse(folder / path, media_type=recorded[path]["media_type"], filename=Path(path).name)
