"""The public portal's releases: only published (audited, immutable) releases are listed, shown or downloaded.

Drafts never appear here, and no route reads the store's case data: everything comes from the release records and
their package files, whose SHA-256 is checked before a file is served.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse

from tipnet.auth.policy import PUBLIC
from tipnet.disclosure import repo
from tipnet.disclosure.package import list_files
from tipnet.store import Database
from tipnet.web.deps import Db, Lang
from tipnet.web.errors import ApiError
from tipnet.web.pages import Page, PageRouter
from tipnet.web.security import access

router = PageRouter()

_PUBLIC_SUMMARY = ("method", "threshold", "cells", "suppressed", "suppressed_share", "tables", "measure", "epsilon",
                   "rho", "queries", "alpha", "max_forms", "years", "extract", "publisher", "built_from")


def _public(rel: dict[str, Any], lang: str) -> dict[str, Any]:
    summary = {k: v for k, v in (rel.get("summary") or {}).items() if k in _PUBLIC_SUMMARY}
    return {"id": rel["id"], "title": repo.title_in(rel, lang), "dataset": rel["dataset"], "version": rel["version"],
            "method": rel["method"], "published_at": rel["published_at"], "created_at": rel["created_at"],
            "content_sha256": rel["content_sha256"], "snapshot_sha256": rel["snapshot_sha256"], "summary": summary}


def _published(db: Database, release_id: str) -> dict[str, Any]:
    rel = repo.get_release(db, int(release_id)) if release_id.isdigit() else None
    if rel is None or rel["status"] != repo.PUBLISHED:
        raise ApiError(404, "not-found", f"no published release {release_id}")
    return rel


@router.page("/releases")
@access(PUBLIC)
def releases(request: Request, db: Db, lang: Lang) -> Page:
    rows = [_public(r, lang) for r in repo.list_releases(db, status=repo.PUBLISHED)]
    rows.sort(key=lambda r: r["published_at"] or "", reverse=True)
    return Page("releases.html", {"releases": rows})


@router.page("/releases/{release_id}")
@access(PUBLIC)
def release(request: Request, release_id: str, db: Db, lang: Lang) -> Page:
    rel = _published(db, release_id)
    data = _public(rel, lang)
    data["files"] = [{**f, "url": f"/releases/{rel['id']}/files/{f['path']}"} for f in rel["files"]]
    note = Path(rel["package_path"]) / "methodology.md"
    data["methodology"] = note.read_text(encoding="utf-8") if note.is_file() else ""
    return Page("release.html", data)


@router.get("/releases/{release_id}/files/{path:path}")
@access(PUBLIC)
def release_file(release_id: str, path: str, db: Db) -> FileResponse:
    rel = _published(db, release_id)
    recorded = {f["path"]: f for f in rel["files"]}
    if path not in recorded:
        raise ApiError(404, "not-found", f"release {rel['id']} has no file {path}")
    folder = Path(rel["package_path"])
    on_disk = {f.path: f.sha256 for f in list_files(folder)} if folder.is_dir() else {}
    if on_disk.get(path) != recorded[path]["sha256"]:
        raise ApiError(500, "integrity-error", f"file {path} of release {rel['id']} does not match its hash")
    return FileResponse(folder / path, media_type=recorded[path]["media_type"], filename=Path(path).name)
