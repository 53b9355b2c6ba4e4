"""Releases in the store: drafts, their files and cells, publication. SQL only; the rules live in `release.py`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from tipnet.disclosure.cells import Key, key_from_json, key_json
from tipnet.store import Database
from tipnet.store.tables_release import release_cells, release_files, releases

DRAFT = "draft"
PUBLISHED = "published"


def _now() -> datetime:
    return datetime.now(UTC)


def _row(r: Any) -> dict[str, Any]:
    d = dict(r)
    for k in ("spec_json", "snapshot_json", "summary_json", "audit_json"):
        if k in d:
            d[k.removesuffix("_json")] = json.loads(d.pop(k)) if d[k] else None
    for k in ("created_at", "published_at"):
        if isinstance(d.get(k), datetime):
            d[k] = d[k].isoformat()
    return d


def insert_draft(db: Database, dataset: str, title: str, method: str, spec: dict[str, Any],
                 snapshot: list[int], snapshot_sha256: str) -> tuple[int, int]:
    """Reserve the next version of `dataset`; returns (release id, version)."""
    with db.engine.begin() as conn:
        version = int(conn.execute(select(func.coalesce(func.max(releases.c.version), 0))
                                   .where(releases.c.dataset == dataset)).scalar_one()) + 1
        res = conn.execute(insert(releases).values(
            dataset=dataset, version=version, title=title, method=method, status=DRAFT,
            spec_json=json.dumps(spec, sort_keys=True), snapshot_json=json.dumps(snapshot),
            snapshot_sha256=snapshot_sha256, content_sha256="", package_path="", summary_json="{}",
            created_at=_now()))
        rid = res.inserted_primary_key[0] if res.inserted_primary_key else None
    if rid is None:
        raise RuntimeError("the store returned no id for the new release")
    return int(rid), version


def finish_draft(db: Database, release_id: int, content_sha256: str, package_path: str, summary: dict[str, Any],
                 audit: dict[str, Any] | None, files: list[dict[str, Any]],
                 cells: list[tuple[str, Key, str, int | None, int | None, int | None]]) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(releases).where(releases.c.id == release_id, releases.c.status == DRAFT).values(
            content_sha256=content_sha256, package_path=package_path, summary_json=json.dumps(summary, sort_keys=True),
            audit_json=json.dumps(audit, sort_keys=True) if audit is not None else None))
        if files:
            conn.execute(insert(release_files), [{"release_id": release_id, **f} for f in files])
        if cells:
            conn.execute(insert(release_cells), [
                {"release_id": release_id, "table_name": t, "cell_key": key_json(k), "status": s, "value": v,
                 "lower": lo, "upper": hi} for t, k, s, v, lo, hi in cells])


def delete_draft(db: Database, release_id: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(release_cells).where(release_cells.c.release_id == release_id))
        conn.execute(delete(release_files).where(release_files.c.release_id == release_id))
        conn.execute(delete(releases).where(releases.c.id == release_id, releases.c.status == DRAFT))


def set_audit(db: Database, release_id: int, audit: dict[str, Any]) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(releases).where(releases.c.id == release_id, releases.c.status == DRAFT)
                     .values(audit_json=json.dumps(audit, sort_keys=True)))


def mark_published(db: Database, release_id: int, audit: dict[str, Any]) -> None:
    with db.engine.begin() as conn:
        done = conn.execute(update(releases).where(releases.c.id == release_id, releases.c.status == DRAFT).values(
            status=PUBLISHED, published_at=_now(), audit_json=json.dumps(audit, sort_keys=True)))
        if done.rowcount != 1:
            raise ValueError(f"release {release_id} is not a draft")


def get_release(db: Database, release_id: int) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        r = conn.execute(select(releases).where(releases.c.id == release_id)).mappings().first()
        if r is None:
            return None
        files = conn.execute(select(release_files.c.path, release_files.c.sha256, release_files.c.bytes,
                                    release_files.c.media_type).where(release_files.c.release_id == release_id)
                             .order_by(release_files.c.path)).mappings().all()
    out = _row(r)
    out["files"] = [dict(f) for f in files]
    return out


def list_releases(db: Database, status: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
    q = select(releases).order_by(releases.c.id)
    if status:
        q = q.where(releases.c.status == status)
    if method:
        q = q.where(releases.c.method == method)
    with db.engine.connect() as conn:
        return [_row(r) for r in conn.execute(q).mappings().all()]


def cells(db: Database, release_id: int) -> list[tuple[str, Key, str, int | None, int | None, int | None]]:
    c = release_cells.c
    with db.engine.connect() as conn:
        rows = conn.execute(select(c.table_name, c.cell_key, c.status, c.value, c.lower, c.upper)
                            .where(c.release_id == release_id).order_by(c.id)).all()
    return [(r[0], key_from_json(r[1]), r[2], r[3], r[4], r[5]) for r in rows]


def title_in(rel: dict[str, Any], lang: str) -> str:
    """A stored release's title in the reader's language, when its spec gives one; else the title it was made with."""
    titles = (rel.get("spec") or {}).get("titles") or {}
    return str(titles.get(lang) or rel["title"])
