"""The hub's register of nodes: who they are, their keys (rotation, revocation), last contact, what they shared."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update

from tipnet.federation.bundle import BundleError
from tipnet.federation.errors import FederationError
from tipnet.federation.keys import PublicIdentity, canonical
from tipnet.standard.countries import resolve_country
from tipnet.store import Database
from tipnet.store.tables_federation import fed_bundles, fed_keys, fed_nodes, fed_provenance


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(v: Any) -> str | None:
    return v.isoformat() if isinstance(v, datetime) else (str(v) if v is not None else None)


class RegistryError(FederationError):
    """A change to the register that cannot be made (unknown node, conflicting keys, ...)."""


@dataclass(frozen=True)
class SenderKey:
    node_id: str
    country: str
    public: PublicIdentity
    node_revoked: bool
    key_revoked: bool
    key_retired: bool
    last_seq: int


def register(db: Database, pub: PublicIdentity, display_name: str | None = None) -> dict[str, Any]:
    """Add a node with its first key (or the same key again: idempotent)."""
    country = (pub.country or "").upper()
    if len(country) != 3 or resolve_country(country).kind != "country":
        raise RegistryError("invalid-country", f"node {pub.node_id}: {pub.country!r} is not an ISO 3166 alpha-3 code")
    now = _now()
    with db.engine.begin() as conn:
        node = conn.execute(select(fed_nodes).where(fed_nodes.c.node_id == pub.node_id)).first()
        if node is not None and node.country != country:
            raise RegistryError("conflict", f"node {pub.node_id} is registered for {node.country}, not {country}")
        if node is None:
            conn.execute(fed_nodes.insert().values(node_id=pub.node_id, country=country, display_name=display_name,
                                                   registered_at=now, last_seq=0))
        key = conn.execute(select(fed_keys).where(fed_keys.c.key_id == pub.key_id)).first()
        if key is None:
            if node is not None:
                raise RegistryError("conflict", f"node {pub.node_id} has keys already: rotate (new key signed by "
                                                "the old) instead of registering another")
            conn.execute(fed_keys.insert().values(node_id=pub.node_id, key_id=pub.key_id, sign_key=pub.sign_key,
                                                  box_key=pub.box_key, created_at=now))
        elif key.node_id != pub.node_id:
            raise RegistryError("conflict", f"key {pub.key_id} belongs to node {key.node_id}")
    return node_detail(db, pub.node_id)


def sender_key(db: Database, key_id: str) -> SenderKey | None:
    q = (select(fed_keys, fed_nodes.c.country, fed_nodes.c.revoked_at.label("node_revoked_at"), fed_nodes.c.last_seq)
         .join_from(fed_keys, fed_nodes, fed_keys.c.node_id == fed_nodes.c.node_id).where(fed_keys.c.key_id == key_id))
    with db.engine.connect() as conn:
        r = conn.execute(q).first()
    if r is None:
        return None
    pub = PublicIdentity(r.node_id, r.country, r.sign_key, r.box_key)
    return SenderKey(r.node_id, r.country, pub, r.node_revoked_at is not None, r.revoked_at is not None,
                     r.retired_at is not None, int(r.last_seq))


def current_key(db: Database, node_id: str) -> PublicIdentity | None:
    q = (select(fed_keys, fed_nodes.c.country).join_from(fed_keys, fed_nodes, fed_keys.c.node_id == fed_nodes.c.node_id)
         .where(fed_keys.c.node_id == node_id, fed_keys.c.retired_at.is_(None), fed_keys.c.revoked_at.is_(None),
                fed_nodes.c.revoked_at.is_(None)).order_by(fed_keys.c.id.desc()))
    with db.engine.connect() as conn:
        r = conn.execute(q).first()
    return None if r is None else PublicIdentity(r.node_id, r.country, r.sign_key, r.box_key)


def node_country(db: Database, node_id: str) -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(select(fed_nodes.c.country).where(fed_nodes.c.node_id == node_id)).scalar()


def touch(db: Database, node_id: str) -> None:
    """Note that the node was in contact (it pulled results or rotated its key)."""
    with db.engine.begin() as conn:
        conn.execute(update(fed_nodes).where(fed_nodes.c.node_id == node_id).values(last_contact_at=_now()))


def revoke(db: Database, node_id: str, reason: str) -> None:
    """Revoke a node and all its keys: nothing it signs is accepted any more."""
    now = _now()
    with db.engine.begin() as conn:
        done = conn.execute(update(fed_nodes).where(fed_nodes.c.node_id == node_id, fed_nodes.c.revoked_at.is_(None))
                            .values(revoked_at=now, revoked_reason=(reason or "revoked")[:500]))
        if done.rowcount != 1:
            raise RegistryError("not-found", f"no active node {node_id}")
        conn.execute(update(fed_keys).where(fed_keys.c.node_id == node_id, fed_keys.c.revoked_at.is_(None))
                     .values(revoked_at=now))


def rotate(db: Database, endorsement: dict[str, Any]) -> dict[str, Any]:
    """Replace a node's key by a new one, on a statement signed by the current key."""
    st = endorsement.get("statement")
    sig = endorsement.get("signature")
    if not isinstance(st, dict) or not isinstance(sig, str):
        raise RegistryError("invalid-request", "a rotation is {statement, signature}")
    old = sender_key(db, str(st.get("old_key_id")))
    if old is None or old.node_id != st.get("node_id"):
        raise RegistryError("unknown-key", f"key {st.get('old_key_id')} is not registered for node {st.get('node_id')}")
    if old.node_revoked or old.key_revoked or old.key_retired:
        raise RegistryError("revoked-key", f"key {old.public.key_id} can no longer endorse a new key")
    if not old.public.verify(canonical(st), sig):
        raise BundleError("bad-signature", "the rotation statement is not signed by the current key")
    new = PublicIdentity.from_dict({"node_id": old.node_id, "country": old.country, "sign_key": st.get("new_sign_key"),
                                    "box_key": st.get("new_box_key")})
    now = _now()
    with db.engine.begin() as conn:
        if conn.execute(select(fed_keys.c.id).where(fed_keys.c.key_id == new.key_id)).first() is None:
            conn.execute(update(fed_keys).where(fed_keys.c.key_id == old.public.key_id).values(retired_at=now))
            conn.execute(fed_keys.insert().values(node_id=old.node_id, key_id=new.key_id, sign_key=new.sign_key,
                                                  box_key=new.box_key, created_at=now,
                                                  endorsement=json.dumps(endorsement, sort_keys=True)))
    return node_detail(db, old.node_id)


def nodes(db: Database) -> list[dict[str, Any]]:
    shared = (select(fed_bundles.c.node_id, func.count().label("bundles"))
              .where(fed_bundles.c.status == "accepted").group_by(fed_bundles.c.node_id).subquery())
    q = (select(fed_nodes, func.coalesce(shared.c.bundles, 0).label("bundles_accepted"))
         .join_from(fed_nodes, shared, shared.c.node_id == fed_nodes.c.node_id, isouter=True)
         .order_by(fed_nodes.c.country, fed_nodes.c.node_id))
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    return [{k: _iso(v) if isinstance(v, datetime) else v for k, v in r.items()} for r in rows]


def node_detail(db: Database, node_id: str) -> dict[str, Any]:
    with db.engine.connect() as conn:
        node = conn.execute(select(fed_nodes).where(fed_nodes.c.node_id == node_id)).first()
        if node is None:
            raise RegistryError("not-found", f"no node {node_id}")
        keys = [dict(r._mapping) for r in conn.execute(
            select(fed_keys.c.key_id, fed_keys.c.created_at, fed_keys.c.retired_at, fed_keys.c.revoked_at)
            .where(fed_keys.c.node_id == node_id).order_by(fed_keys.c.id))]
        bundles = [dict(r._mapping) for r in conn.execute(
            select(fed_bundles.c.bundle_id, fed_bundles.c.sequence, fed_bundles.c.status, fed_bundles.c.reason_code,
                   fed_bundles.c.transport, fed_bundles.c.size, fed_bundles.c.created_at, fed_bundles.c.decided_at,
                   fed_bundles.c.summary)
            .where(fed_bundles.c.node_id == node_id).order_by(fed_bundles.c.created_at.desc()).limit(200))]
        shared = {r.kind: int(r.rows) for r in conn.execute(
            select(fed_provenance.c.kind, func.sum(fed_provenance.c.rows).label("rows"))
            .join_from(fed_provenance, fed_bundles, fed_provenance.c.bundle_id == fed_bundles.c.bundle_id)
            .where(fed_bundles.c.node_id == node_id).group_by(fed_provenance.c.kind))}
    out = {k: _iso(v) if isinstance(v, datetime) else v for k, v in dict(node._mapping).items()}
    out["keys"] = [{k: _iso(v) if isinstance(v, datetime) else v for k, v in r.items()} for r in keys]
    for b in bundles:
        b["summary"] = json.loads(b["summary"]) if b["summary"] else {}
        for k in ("created_at", "decided_at"):
            b[k] = _iso(b[k])
    out["bundles"] = bundles
    out["shared_rows"] = shared
    return out
