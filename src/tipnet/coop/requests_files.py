"""Files attached to a request (the judicial order, the warrant, the translation ...): uploaded by the requesting
state while the request is a draft, into one of the attachment slots its requirements name; read by either party.
Every upload is kept (a new file for a slot does not replace the old one), each with its size and SHA-256, and every
upload and read is audited."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy import and_, insert, select

from tipnet.auth import audit, clock
from tipnet.auth.principal import Principal
from tipnet.coop.requests import Request, visible
from tipnet.coop.requests_model import DRAFT, REQUESTING
from tipnet.errors import Forbidden, Invalid, NotVisible
from tipnet.store import Database
from tipnet.store.tables_directory import coop_request_files

MAX_FILE_BYTES = 20 * 1024 * 1024
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".txt": "text/plain",
}
_META = ("id", "request_id", "slot", "filename", "media_type", "size", "sha256", "uploaded_at", "uploaded_by")


def _clean_name(filename: str) -> str:
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    name = re.sub(r"[\x00-\x1f\"<>|:*?]", "_", name)[:200]
    if not name or name.startswith("."):
        raise Invalid(f"file name {filename!r} is not usable", {"field": "filename", "value": filename})
    return name


def attach(db: Database, who: Principal, request_id: int, slot: str, filename: str, data: bytes) -> dict[str, Any]:
    req = visible(db, who, request_id)
    if req.side(who) != REQUESTING:
        raise Forbidden("only the requesting state attaches files to its request")
    if req["status"] != DRAFT:
        raise Invalid(f"request {req['reference']} is {req['status']}: files are attached to drafts only")
    if slot not in req.requirements(db).attachments:
        raise Invalid(f"attachment {slot!r} is not part of this request", {"field": slot})
    return store(db, who, req, slot, filename, data)


def check_file(slot: str, filename: str, data: bytes) -> str:
    """The cleaned file name, or a clear error (type, emptiness, size) naming the slot and file."""
    name = _clean_name(filename)
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix not in MEDIA_TYPES:
        raise Invalid(f"{name}: accepted file types are {', '.join(sorted(MEDIA_TYPES))}",
                      {"field": slot, "value": name})
    if not data:
        raise Invalid(f"{name} is empty", {"field": slot, "value": name})
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", {"field": slot, "value": name})
    return name


def store(db: Database, who: Principal, req: Request, slot: str, filename: str, data: bytes) -> dict[str, Any]:
    """Keep one file of a request (checked by `check_file`), with its size and SHA-256; audited."""
    name = check_file(slot, filename, data)
    suffix = "." + name.rsplit(".", 1)[-1].lower()
    request_id = req.id
    row: dict[str, Any] = {"request_id": request_id, "slot": slot, "filename": name, "media_type": MEDIA_TYPES[suffix],
           "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "uploaded_at": clock.now(),
           "uploaded_by": who.email}
    with db.engine.begin() as conn:
        new_id = int(conn.execute(insert(coop_request_files).values(**row, data=data)
                                  .returning(coop_request_files.c.id)).scalar_one())
    audit.record(db, who, "request.file_attach", object_type="coop_request", object_id=request_id,
                 subject_country=req["requesting_country"],
                 details={"file_id": new_id, "slot": slot, "sha256": row["sha256"], "size": row["size"]})
    return {**row, "id": new_id, "uploaded_at": row["uploaded_at"].isoformat()}


def listing(db: Database, request_id: int) -> list[dict[str, Any]]:
    """The files of a request (without their bytes), oldest first."""
    cols = [getattr(coop_request_files.c, k) for k in _META]
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(*cols).where(
            coop_request_files.c.request_id == request_id).order_by(coop_request_files.c.id))]
    for r in rows:
        when = clock.aware(r["uploaded_at"])
        r["uploaded_at"] = when.isoformat() if when else None
    return rows


def read(db: Database, who: Principal, request_id: int, file_id: int) -> tuple[dict[str, Any], bytes]:
    """One file of a request in the principal's scope (either party); the read is audited."""
    req = visible(db, who, request_id)
    with db.engine.connect() as conn:
        row = conn.execute(select(coop_request_files).where(and_(
            coop_request_files.c.id == file_id, coop_request_files.c.request_id == request_id))).first()
    if row is None:
        raise NotVisible(f"request {request_id} has no file {file_id}")
    data = bytes(row.data)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise Invalid(f"file {file_id} does not match its recorded SHA-256")
    audit.record(db, who, "request.file_read", object_type="coop_request", object_id=request_id,
                 subject_country=req["requesting_country"], details={"file_id": file_id})
    return {k: getattr(row, k) for k in _META}, data
