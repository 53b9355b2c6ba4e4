"""The hub's inbox: resumable uploads, then verify -> decrypt -> check -> apply, with a signed receipt every time.

An upload is announced with its bundle id, size and SHA-256, sent in chunks at given offsets (a chunk cut short is
kept up to where it stopped, so the sender resumes from the hub's offset), then committed. Every step is idempotent:
announcing a bundle the hub has decided returns its receipt, committing it again returns the same receipt, and a
bundle is applied at most once (its node's sequence number is claimed in the apply transaction).

Rejections that may pass later (a gap in the sequence, a key not registered yet) are not final: the same bundle can
be committed again. All others are final and the receipt says why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from tipnet.federation import apply as content
from tipnet.federation import bundle as fmt
from tipnet.federation import receipts
from tipnet.federation.bundle import BundleError
from tipnet.federation.errors import FederationError
from tipnet.federation.keys import Identity
from tipnet.federation.registry import sender_key
from tipnet.store import Database
from tipnet.store.tables_federation import fed_bundles

log = logging.getLogger(__name__)
_ID = re.compile(r"^[0-9a-f]{32}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")
RETRYABLE = frozenset({"gap", "unknown-key"})
MAX_BUNDLE_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Hub:
    db: Database
    home: Path  # the hub's federation folder
    identity: Identity
    max_bytes: int = MAX_BUNDLE_BYTES

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    def path(self, bundle_id: str) -> Path:
        return self.inbox / f"{bundle_id}.bundle"


class UploadError(FederationError):
    """An upload step that cannot be done now; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(code, message, details)
        self.status = status


def _now() -> datetime:
    return datetime.now(UTC)


def _row(hub: Hub, bundle_id: str) -> Any:
    with hub.db.engine.connect() as conn:
        return conn.execute(select(fed_bundles).where(fed_bundles.c.bundle_id == bundle_id)).first()


def _decided(row: Any) -> bool:
    return row is not None and row.status in ("accepted", "rejected") and row.reason_code not in RETRYABLE


def _visible(hub: Hub, bundle_id: str, country: str | None) -> Any:
    """The upload's row, if this uploader (a country's token; None: the operator) may see it."""
    row = _row(hub, bundle_id)
    if row is None or (country is not None and row.uploader_country != country):
        raise UploadError(404, "not-found", f"no upload {bundle_id}")
    return row


def status(hub: Hub, bundle_id: str, country: str | None = None) -> dict[str, Any]:
    return _status(hub, _visible(hub, bundle_id, country))


def _status(hub: Hub, row: Any) -> dict[str, Any]:
    part = hub.path(row.bundle_id)
    offset = part.stat().st_size if part.is_file() else (row.size if row.status != "uploading" else 0)
    out: dict[str, Any] = {"bundle_id": row.bundle_id, "size": row.size, "sha256": row.sha256, "offset": offset,
                           "status": row.status}
    if row.receipt:
        out["receipt"] = json.loads(row.receipt)
    return out


def announce(hub: Hub, bundle_id: str, size: int, sha256: str, transport: str = "push",
             country: str | None = None) -> dict[str, Any]:
    """Start (or find) an upload; returns where to continue from."""
    if not _ID.match(bundle_id or "") or not _SHA.match(sha256 or ""):
        raise UploadError(422, "invalid-request", "bundle_id must be 32 and sha256 64 lower-case hex digits")
    if not isinstance(size, int) or size < 1 or size > hub.max_bytes:
        raise UploadError(422, "invalid-request", f"size must be between 1 and {hub.max_bytes} bytes")
    row = _row(hub, bundle_id)
    if row is None:
        with hub.db.engine.begin() as conn:
            conn.execute(fed_bundles.insert().values(bundle_id=bundle_id, sha256=sha256, size=size,
                                                     transport=transport, uploader_country=country,
                                                     status="uploading", created_at=_now()))
        hub.inbox.mkdir(parents=True, exist_ok=True)
        hub.path(bundle_id).touch()
        row = _row(hub, bundle_id)
    elif country is not None and row.uploader_country != country:
        raise UploadError(409, "conflict", f"bundle {bundle_id} is being uploaded by another country")
    elif row.sha256 != sha256 or row.size != size:
        if row.status == "accepted":
            raise UploadError(409, "conflict", f"bundle {bundle_id} was accepted with another size or SHA-256")
        # other bytes under the same manifest: a damaged or forged copy may have come first; start afresh
        with hub.db.engine.begin() as conn:
            conn.execute(update(fed_bundles).where(fed_bundles.c.bundle_id == bundle_id).values(
                sha256=sha256, size=size, transport=transport, uploader_country=country, status="uploading",
                reason_code=None, receipt=None, decided_at=None))
        hub.inbox.mkdir(parents=True, exist_ok=True)
        hub.path(bundle_id).write_bytes(b"")
        row = _row(hub, bundle_id)
    return _status(hub, row)


def open_chunk(hub: Hub, bundle_id: str, offset: int, country: str | None = None) -> tuple[Path, int, int] | None:
    """Where a chunk at `offset` goes: (file, bytes there, announced size); None when the upload is complete."""
    row = _visible(hub, bundle_id, country)
    if row.status != "uploading":
        return None
    path = hub.path(bundle_id)
    have = path.stat().st_size if path.is_file() else 0
    if offset != have:
        raise UploadError(409, "wrong-offset", f"the upload of {bundle_id} is at byte {have}, not {offset}",
                          {"offset": have})
    return path, have, int(row.size)


def append(fh: Any, block: bytes, have: int, size: int) -> int:
    if have + len(block) > size:
        fh.truncate(have)
        raise UploadError(413, "too-large", f"more bytes than the {size} announced")
    fh.write(block)
    fh.flush()
    return have + len(block)


def commit(hub: Hub, bundle_id: str, sender_country: str | None = None) -> dict[str, Any]:
    """Check the complete upload and process it; returns the signed receipt. `sender_country`: the country of
    the API token that pushed it (None for a file import by the operator)."""
    row = _visible(hub, bundle_id, sender_country)
    if _decided(row):
        return json.loads(row.receipt)
    path = hub.path(bundle_id)
    have = path.stat().st_size if path.is_file() else 0
    if have != row.size:
        raise UploadError(409, "incomplete", f"{have} of {row.size} bytes received; send the rest first",
                          {"offset": have})
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != row.sha256:
        path.write_bytes(b"")  # start again: the bytes are not the announced ones
        raise UploadError(409, "hash-mismatch", "the bytes received do not match the announced SHA-256",
                          {"offset": 0})
    with hub.db.engine.begin() as conn:
        conn.execute(update(fed_bundles).where(fed_bundles.c.bundle_id == bundle_id,
                                               fed_bundles.c.status == "uploading").values(status="received"))
    return process(hub, raw, bundle_id, sender_country)


def receive_file(hub: Hub, raw: bytes) -> dict[str, Any]:
    """Offline transfer: a bundle file handed to the hub's operator."""
    sha = hashlib.sha256(raw).hexdigest()
    try:
        bid = fmt.read(raw, hub.max_bytes).bundle_id
    except BundleError:
        bid = sha[:32]
    announce(hub, bid, len(raw), sha, transport="file")
    hub.inbox.mkdir(parents=True, exist_ok=True)
    hub.path(bid).write_bytes(raw)
    return commit(hub, bid)


def process(hub: Hub, raw: bytes, bundle_id: str, sender_country: str | None) -> dict[str, Any]:
    sha = hashlib.sha256(raw).hexdigest()
    node_id: str | None = None
    seq: int | None = None
    spend = False  # the sender is authenticated and the sequence number is next: a rejection uses it up
    try:
        b = fmt.read(raw, hub.max_bytes)
        node_id, seq = str(b.manifest.get("sender")), b.sequence
        if b.bundle_id != bundle_id:
            raise BundleError("tampered", f"the manifest's id is {b.bundle_id}, not the announced {bundle_id}")
        key = sender_key(hub.db, str(b.manifest.get("sender_key_id")))
        if key is None or key.node_id != node_id:
            raise BundleError("unknown-key", f"key {b.manifest.get('sender_key_id')} is not registered for node "
                                             f"{node_id}")
        if key.node_revoked or key.key_revoked:
            raise BundleError("revoked-key", f"node {node_id}'s key {key.public.key_id} is revoked")
        if key.key_retired:
            raise BundleError("retired-key", f"key {key.public.key_id} was replaced by a newer key of {node_id}")
        fmt.verify(b, key.public)
        if b.manifest.get("recipient") != hub.identity.node_id:
            raise BundleError("wrong-recipient", f"the bundle is addressed to {b.manifest.get('recipient')!r}")
        if b.manifest.get("bundle_type") != "share":
            raise BundleError("malformed", "the hub accepts bundles of type share")
        if b.manifest.get("country") != key.country:
            raise BundleError("wrong-country", f"node {node_id} reports for {key.country}, not "
                                               f"{b.manifest.get('country')}")
        if sender_country is not None and sender_country != key.country:
            raise BundleError("wrong-country", f"a token of {sender_country} cannot push {key.country}'s bundles")
        if seq <= key.last_seq:
            raise BundleError("replay", f"sequence number {seq} of node {node_id} was used already (last "
                                        f"{key.last_seq})")
        if seq > key.last_seq + 1:
            raise BundleError("gap", f"sequence number {seq} of node {node_id}: expected {key.last_seq + 1}; "
                                     "send the missing bundles first")
        spend = True
        checked = content.check(fmt.open_parts(b, hub.identity), key.country)
        with hub.db.engine.begin() as conn:
            applied = content.apply(conn, checked, bundle_id=bundle_id, node_id=node_id, sequence=seq,
                                    marker_dir=hub.home)
            doc = receipts.make(hub.identity, bundle_id=bundle_id, sha256=sha, node_id=node_id, sequence=seq,
                                status=receipts.ACCEPTED, applied=applied)
            conn.execute(update(fed_bundles).where(fed_bundles.c.bundle_id == bundle_id).values(
                node_id=node_id, sequence=seq, status="accepted", decided_at=_now(), reason_code=None,
                receipt=json.dumps(doc, sort_keys=True), summary=json.dumps(applied, sort_keys=True)))
        log.info("bundle %s of %s (#%s) accepted: %s", bundle_id, node_id, seq, applied)
        return doc
    except BundleError as err:
        return _reject(hub, bundle_id, sha, node_id, seq, err, spend)


def _reject(hub: Hub, bundle_id: str, sha: str, node_id: str | None, seq: int | None, err: BundleError,
            spend: bool) -> dict[str, Any]:
    from tipnet.store.tables_federation import fed_nodes

    details = err.details
    doc = receipts.make(hub.identity, bundle_id=bundle_id, sha256=sha, node_id=node_id, sequence=seq,
                        status=receipts.REJECTED, reason_code=err.code, reason=err.message, details=details)
    with hub.db.engine.begin() as conn:
        done = conn.execute(select(fed_bundles.c.status, fed_bundles.c.receipt, fed_bundles.c.sha256)
                            .where(fed_bundles.c.bundle_id == bundle_id)).first()
        if done is not None and done.status == "accepted" and done.sha256 == sha:
            return json.loads(done.receipt)  # applied by a concurrent commit of the same bundle: its receipt stands
        if spend and node_id is not None and seq is not None:
            conn.execute(update(fed_nodes).where(fed_nodes.c.node_id == node_id, fed_nodes.c.last_seq == seq - 1)
                         .values(last_seq=seq, last_contact_at=_now()))
        conn.execute(update(fed_bundles).where(fed_bundles.c.bundle_id == bundle_id).values(
            node_id=node_id, sequence=seq, status="rejected", decided_at=_now(), reason_code=err.code,
            receipt=json.dumps(doc, sort_keys=True)))
    log.warning("bundle %s from %s rejected: %s: %s", bundle_id, node_id, err.code, err.message)
    return doc


HUB_IDENTITY = "hub-identity.json"


def init_hub(folder: Path, node_id: str = "hub") -> Identity:
    """The hub's identity (created once)."""
    path = folder / HUB_IDENTITY
    if path.is_file():
        return Identity.load(path)
    ident = Identity.generate(node_id, None)
    ident.save(path)
    return ident


def load_hub(db: Database, folder: Path) -> Hub | None:
    path = folder / HUB_IDENTITY
    return Hub(db, folder, Identity.load(path)) if path.is_file() else None
