"""Receipts: the hub's signed answer to every bundle, accepted or rejected, saying why.

    {"receipt": {bundle_id, sha256, node_id, sequence, status, reason_code, reason, details, decided_at, hub,
                 hub_key_id, applied},
     "alg": "Ed25519", "key_id": ..., "signature": ...}

The node keeps the receipt with its outbox entry; anyone holding the hub's public key can check it.
"""

from __future__ import annotations

from typing import Any

from tipnet.federation.bundle import BundleError, now_iso
from tipnet.federation.keys import Identity, PublicIdentity, canonical

ACCEPTED, REJECTED = "accepted", "rejected"


def make(hub: Identity, *, bundle_id: str, sha256: str, node_id: str | None, sequence: int | None, status: str,
         reason_code: str | None = None, reason: str | None = None, details: Any = None,
         applied: dict[str, int] | None = None) -> dict[str, Any]:
    body = {"bundle_id": bundle_id, "sha256": sha256, "node_id": node_id, "sequence": sequence, "status": status,
            "reason_code": reason_code, "reason": reason, "details": details, "applied": applied or {},
            "decided_at": now_iso(), "hub": hub.node_id, "hub_key_id": hub.public.key_id}
    return {"receipt": body, "alg": "Ed25519", "key_id": hub.public.key_id, "signature": hub.sign(canonical(body))}


def check(doc: dict[str, Any], hub: PublicIdentity) -> dict[str, Any]:
    """The receipt's body, if the hub's key signed it."""
    body = doc.get("receipt")
    if not isinstance(body, dict) or not isinstance(doc.get("signature"), str):
        raise BundleError("bad-receipt", "not a receipt")
    if not hub.verify(canonical(body), doc["signature"]):
        raise BundleError("bad-receipt", "the receipt is not signed by the hub's key")
    return body
