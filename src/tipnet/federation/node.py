"""A national node: its identity, the hub it talks to, its policy, its outbox of bundles and the results it pulled.

Files under `<home>/federation/`:

    identity.json     this node's private keys (mode 0600; never leaves the machine)
    node.json         node id, country, the hub's URL and public identity, the API token for the hub (0600)
    policy.yaml       what is shared (see `tipnet.federation.policy`); written with the defaults at `init`
    pseudonym.key     this country's own key for record pseudonyms (0600); the hub never holds it
    outbox/           the bundles made, by sequence number
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from tipnet.federation import bundle as fmt
from tipnet.federation import receipts
from tipnet.federation.bundle import Bundle, BundleError
from tipnet.federation.errors import FederationError
from tipnet.federation.keys import Identity, PublicIdentity, endorse
from tipnet.federation.policy import DEFAULT_TEXT
from tipnet.federation.policy import load as load_policy
from tipnet.federation.share import Period, make_parts
from tipnet.link.keys import PseudonymKey, read_secret
from tipnet.store import Database
from tipnet.store.tables import persons
from tipnet.store.tables_federation import fed_inbox, fed_outbox


class NodeError(FederationError):
    """This node cannot do what was asked (not initialised, no hub known, ...)."""


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


@dataclass
class Node:
    folder: Path
    identity: Identity
    config: dict[str, Any]

    @property
    def node_id(self) -> str:
        return self.identity.node_id

    @property
    def country(self) -> str:
        return str(self.identity.country)

    @property
    def hub(self) -> PublicIdentity:
        if not self.config.get("hub"):
            raise NodeError("no-hub", "this node does not know the hub's public keys yet (tipnet node init --hub-keys)")
        return PublicIdentity.from_dict(self.config["hub"])

    @property
    def hub_url(self) -> str | None:
        return self.config.get("hub_url")

    @property
    def token(self) -> str | None:
        return os.environ.get("TIPNET_HUB_TOKEN") or self.config.get("token")

    def pseudonym_key(self) -> PseudonymKey:
        return PseudonymKey.from_secret(read_secret(self.folder / "pseudonym.key"), self.country)

    def save_config(self) -> None:
        _write_private(self.folder / "node.json", json.dumps(self.config, indent=2, sort_keys=True))

    @classmethod
    def load(cls, folder: Path) -> Node:
        if not (folder / "identity.json").is_file():
            raise NodeError("not-initialised", f"{folder} holds no node identity: run tipnet node init first")
        config = json.loads((folder / "node.json").read_text(encoding="utf-8")) if (folder / "node.json").is_file() \
            else {}
        return cls(folder, Identity.load(folder / "identity.json"), config)


def init(folder: Path, country: str, node_id: str | None = None, hub: PublicIdentity | None = None,
         hub_url: str | None = None, token: str | None = None) -> Node:
    """Create this node's identity (once), policy and pseudonym key; record the hub. Re-running updates the hub
    settings and keeps the keys."""
    country = country.upper()
    if (folder / "identity.json").is_file():
        node = Node.load(folder)
        if node.country != country:
            raise NodeError("conflict", f"this node reports for {node.country}, not {country}")
    else:
        ident = Identity.generate(node_id or f"{country.lower()}-node", country)
        ident.save(folder / "identity.json")
        node = Node(folder, ident, {})
    if not (folder / "pseudonym.key").is_file():
        _write_private(folder / "pseudonym.key", secrets.token_urlsafe(32) + "\n")
    if not (folder / "policy.yaml").is_file():
        (folder / "policy.yaml").write_text(DEFAULT_TEXT, encoding="utf-8")
    if hub is not None:
        node.config["hub"] = hub.to_dict()
    if hub_url:
        node.config["hub_url"] = hub_url.rstrip("/")
    if token:
        node.config["token"] = token
    node.save_config()
    return node


def _now() -> datetime:
    return datetime.now(UTC)


def next_sequence(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(fed_outbox.c.sequence), 0))).scalar_one()) + 1


def make_bundle(node: Node, db: Database, period: Period = Period()) -> tuple[Bundle, Path, dict[str, int]]:
    """Build the next bundle under the node's policy, keep it in the outbox."""
    policy = load_policy(node.folder / "policy.yaml").for_country(node.country)
    secret = None
    if policy.allows("clk") and policy.clk_secret_file:
        p = Path(policy.clk_secret_file)
        secret = read_secret(p if p.is_absolute() else node.folder / p)
    parts, counts = make_parts(db, policy, node.pseudonym_key(), period, secret)
    seq = next_sequence(db)
    b = fmt.build(node.identity, node.hub, parts, sequence=seq, bundle_type="share", country=node.country,
                  period=period.to_dict())
    path = node.folder / "outbox" / f"{seq:06d}-{b.bundle_id}.tipnet-bundle"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b.raw)
    with db.engine.begin() as conn:
        conn.execute(fed_outbox.insert().values(bundle_id=b.bundle_id, sequence=seq, path=str(path), size=len(b.raw),
                                                sha256=b.sha256, kinds=json.dumps(counts, sort_keys=True),
                                                created_at=_now(), status="made"))
    return b, path, counts


def outbox(db: Database, pending_only: bool = False) -> list[dict[str, Any]]:
    q = select(fed_outbox).order_by(fed_outbox.c.sequence)
    if pending_only:
        q = q.where(fed_outbox.c.status == "made")
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for r in rows:
        r["kinds"] = json.loads(r["kinds"])
        r["receipt"] = json.loads(r["receipt"]) if r["receipt"] else None
        r["created_at"] = str(r["created_at"])
    return rows


def record_receipt(node: Node, db: Database, doc: dict[str, Any]) -> dict[str, Any]:
    """Check the hub's signature on a receipt and file it with the outbox entry."""
    body = receipts.check(doc, node.hub)
    with db.engine.begin() as conn:
        conn.execute(update(fed_outbox).where(fed_outbox.c.bundle_id == body["bundle_id"])
                     .values(status=body["status"] if body.get("reason_code") not in ("gap", "unknown-key") else "made",
                             receipt=json.dumps(doc, sort_keys=True)))
    return body


def rotate(node: Node) -> dict[str, Any]:
    """New keys for this node, endorsed by the old signing key. The old identity is kept as identity.old.json
    until the hub has the new one."""
    new = Identity.generate(node.node_id, node.country)
    statement = endorse(node.identity, new.public, fmt.now_iso())
    node.identity.save(node.folder / "identity.old.json")
    new.save(node.folder / "identity.json")
    _write_private(node.folder / "rotation.json", json.dumps(statement, indent=2, sort_keys=True))
    node.identity = new
    return statement


def import_result(node: Node, db: Database, raw: bytes) -> dict[str, Any]:
    """A results bundle from the hub (pulled, or handed over as a file): check, open, resolve, keep."""
    b = fmt.read(raw)
    hub = node.hub
    if b.manifest.get("sender") != hub.node_id or b.manifest.get("sender_key_id") != hub.key_id:
        raise BundleError("unknown-key", "the bundle is not from the hub this node knows")
    fmt.verify(b, hub)
    if b.manifest.get("recipient") != node.node_id or b.manifest.get("bundle_type") != "result":
        raise BundleError("wrong-recipient", f"the bundle is for {b.manifest.get('recipient')}, not {node.node_id}")
    with db.engine.connect() as conn:
        seen = conn.execute(select(fed_inbox.c.sequence).where(fed_inbox.c.bundle_id == b.bundle_id)).first()
        last = int(conn.execute(select(func.coalesce(func.max(fed_inbox.c.sequence), 0))).scalar_one())
    if seen is not None:
        return {"bundle_id": b.bundle_id, "sequence": b.sequence, "status": "already-imported"}
    if b.sequence <= last:
        raise BundleError("replay", f"result sequence number {b.sequence} is not after the last one ({last})")
    content: dict[str, Any] = {}
    for part in fmt.open_parts(b, node.identity):
        doc = json.loads(part.data.decode("utf-8"))
        if part.kind == "linkage":
            content["linkage"] = resolve_links(node, db, doc.get("rows") or [])
        else:
            content[part.kind] = doc
    with db.engine.begin() as conn:
        conn.execute(fed_inbox.insert().values(bundle_id=b.bundle_id, sequence=b.sequence,
                                               kinds=json.dumps(sorted(content)), received_at=_now(),
                                               content=json.dumps(content, sort_keys=True, default=str)))
    return {"bundle_id": b.bundle_id, "sequence": b.sequence, "status": "imported",
            "linked_records": len(content.get("linkage", [])), "kinds": sorted(content)}


def resolve_links(node: Node, db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The hub's cluster ids, for this country's own records (by recomputing their pseudonyms)."""
    from tipnet.link.resolve import resolve

    with db.engine.connect() as conn:
        ids = [str(r[0]) for r in conn.execute(select(persons.c.record_id)
                                               .where(persons.c.reporting_country == node.country))]
    return resolve(rows, ids, node.pseudonym_key(), node.country)


def results(db: Database) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(fed_inbox).order_by(fed_inbox.c.sequence))]
    for r in rows:
        r["content"] = json.loads(r["content"])
        r["kinds"] = json.loads(r["kinds"])
        r["received_at"] = str(r["received_at"])
    return rows


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
