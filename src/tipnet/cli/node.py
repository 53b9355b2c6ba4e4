"""`tipnet node` (a national node) and `tipnet hub` (the hemispheric hub): federated, signed exchange.

Builds tipnet.federation objects and renders them; no logic lives here. Node files live under
`$TIPNET_HOME/federation/` (see `tipnet.federation.node`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import typer

from tipnet.cli.common import DbOption, JsonOption, exits, fail, operator
from tipnet.cli.common import open_db as _db
from tipnet.cli.render import emit
from tipnet.settings import Settings
from tipnet.store import Database

node_app = typer.Typer(help="This country's node: keys, sharing policy, bundles to and results from the hub.",
                       no_args_is_help=True)
hub_app = typer.Typer(help="The hemispheric hub: its keys, the register of nodes, bundles received, results.",
                      no_args_is_help=True)


def _folder() -> Path:
    return Settings.from_env().home.resolve() / "federation"


def _node():  # type: ignore[no-untyped-def]
    from tipnet.federation.node import Node

    return Node.load(_folder())


# --- node -------------------------------------------------------------------------------------------------------


@node_app.command("init")
@exits
def node_init(
    country: str = typer.Option(..., "--country", help="ISO alpha-3 code of the country this node reports for."),
    node_id: str = typer.Option(None, "--node-id", help="Name of this node (default: <country>-node)."),
    hub_url: str = typer.Option(None, "--hub-url", help="The hub's address, e.g. https://hub.example.org"),
    hub_keys: Path = typer.Option(None, "--hub-keys", exists=True, dir_okay=False,
                                  help="The hub's public identity file (from `tipnet hub keys --export`)."),
    expect_key: str = typer.Option(None, "--expect-hub-key", help="Fetch the hub's keys from --hub-url and "
                                   "accept them only with this key id (read it to the hub's operator)."),
    token: str = typer.Option(None, "--token", help="API token of this country's account at the hub (or "
                              "TIPNET_HUB_TOKEN at push time)."),
    as_json: bool = JsonOption,
) -> None:
    """Create this node's keys (once), its default sharing policy and pseudonym key; record the hub."""
    from tipnet.federation import node, transport
    from tipnet.federation.keys import PublicIdentity

    hub = None
    if hub_keys is not None:
        hub = PublicIdentity.from_dict(json.loads(hub_keys.read_text(encoding="utf-8")))
    elif expect_key:
        if not hub_url:
            fail("--expect-hub-key needs --hub-url", as_json=as_json, code="no-hub-url")
        hub = PublicIdentity.from_dict(transport.hub_identity(hub_url))
        if hub.key_id != expect_key:
            fail(f"the hub at {hub_url} has key {hub.key_id}, not {expect_key}", as_json=as_json,
                 code="hub-key-mismatch")
    n = node.init(_folder(), country, node_id, hub, hub_url, token)
    pub = n.identity.public.to_dict()
    emit({"folder": str(n.folder), **pub, "hub": n.config.get("hub", {}).get("key_id")}, as_json,
         f"node {pub['node_id']} ({pub['country']}) key {pub['key_id']} in {n.folder}")


@node_app.command("keys")
@exits
def node_keys(
    export: Path = typer.Option(None, "--export", help="Write this node's public identity here (for the hub)."),
    rotate: bool = typer.Option(False, "--rotate", help="New keys, endorsed by the old key; sent to the hub "
                                "when it is reachable, else written to rotation.json for the hub's operator."),
    as_json: bool = JsonOption,
) -> None:
    """Show, export or rotate this node's keys."""
    from tipnet.federation import node, transport

    n = _node()
    result: dict[str, Any] = {}
    if rotate:
        statement = node.rotate(n)
        result["rotation"] = str(n.folder / "rotation.json")
        if n.hub_url:
            try:
                transport.send_rotation(n, statement)
                result["sent"] = True
            except (transport.HubError, OSError) as exc:
                result["sent"] = False
                result["send_error"] = str(exc)
    pub = n.identity.public.to_dict()
    if export is not None:
        export.write_text(json.dumps(pub, indent=2), encoding="utf-8")
        result["exported"] = str(export)
    result.update(pub)
    emit(result, as_json, f"node {pub['node_id']} ({pub['country']}) key {pub['key_id']}"
         + (f"; rotated ({'sent to the hub' if result.get('sent') else 'hand rotation.json to the hub'})"
            if rotate else ""))


@node_app.command("share")
@exits
def node_share(
    year_from: int = typer.Option(None, "--from", help="First year to share."),
    year_to: int = typer.Option(None, "--to", help="Last year to share."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Make the next bundle under the sharing policy (signed, sealed to the hub) and keep it in the outbox."""
    from tipnet.auth import audit
    from tipnet.federation.node import NodeError, make_bundle
    from tipnet.federation.policy import PolicyError
    from tipnet.federation.share import Period

    n = _node()
    database = _db(db)
    try:
        b, path, counts = make_bundle(n, database, Period(year_from, year_to))
    except (NodeError, PolicyError, ValueError) as exc:
        fail(str(exc), as_json=as_json, code=getattr(exc, "code", "policy"))
    audit.record(database, operator(), "federation.share", object_type="bundle", object_id=b.bundle_id,
                 subject_country=n.country, details={"sequence": b.sequence, "parts": counts})
    emit({"bundle_id": b.bundle_id, "sequence": b.sequence, "path": str(path), "size": len(b.raw),
          "parts": counts}, as_json,
         f"bundle #{b.sequence} {b.bundle_id}: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f" -> {path}")


@node_app.command("push")
@exits
def node_push(
    chunk_bytes: int = typer.Option(None, "--chunk-bytes", help="Upload chunk size (default 4 MiB)."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Send every bundle the hub has not decided yet (resumable); file the hub's signed receipts."""
    from tipnet.federation import transport
    from tipnet.federation.bundle import BundleError
    from tipnet.federation.node import NodeError

    n = _node()
    try:
        receipts = transport.push(n, _db(db), chunk_bytes)
    except (transport.HubError, NodeError, BundleError) as exc:
        fail(str(exc), as_json=as_json, code=getattr(exc, "code", "hub"))
    except OSError as exc:
        fail(f"the hub cannot be reached: {exc}", as_json=as_json, code="unreachable")
    emit(receipts, as_json, "\n".join(f"#{r['sequence']} {r['bundle_id']}: {r['status']} "
                                      f"{r.get('reason_code') or ''} {r.get('reason') or ''}" for r in receipts)
         or "nothing to push")
    if any(r["status"] != "accepted" for r in receipts):
        raise typer.Exit(1)


@node_app.command("pull")
@exits
def node_pull(db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Fetch the hub's results for this node (linkage cluster ids for its own records, release list)."""
    from tipnet.federation import transport
    from tipnet.federation.bundle import BundleError

    n = _node()
    try:
        got = transport.pull(n, _db(db))
    except (transport.HubError, BundleError) as exc:
        fail(str(exc), as_json=as_json, code=getattr(exc, "code", "hub"))
    emit(got, as_json, f"{len(got)} results bundle(s) imported")


@node_app.command("export")
@exits
def node_export(
    out: Path = typer.Option(..., "--out", "-o", help="File to write the bundle to."),
    sequence: int = typer.Option(None, "--sequence", help="Which bundle (default: the oldest not yet decided)."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Write a bundle of the outbox to a file, for a closed line (hand it to the hub's operator)."""
    from tipnet.federation.node import outbox

    entries = outbox(_db(db), pending_only=sequence is None)
    chosen = [e for e in entries if sequence is None or e["sequence"] == sequence][:1]
    if not chosen:
        fail("no such bundle in the outbox (make one with tipnet node share)", as_json=as_json, code="not-found")
    shutil.copyfile(chosen[0]["path"], out)
    emit({"bundle_id": chosen[0]["bundle_id"], "sequence": chosen[0]["sequence"], "path": str(out)}, as_json,
         f"bundle #{chosen[0]['sequence']} {chosen[0]['bundle_id']} -> {out}")


@node_app.command("import")
@exits
def node_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A results bundle or a receipt from the hub."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Import what the hub sent by file: a results bundle, or the signed receipt of a bundle sent by file."""
    from tipnet.federation import node

    n = _node()
    database = _db(db)
    raw = file.read_bytes()
    if raw[:1] == b"{":
        result = node.record_receipt(n, database, json.loads(raw))
        text = f"receipt for #{result['sequence']}: {result['status']} {result.get('reason') or ''}"
    else:
        result = node.import_result(n, database, raw)
        text = f"results #{result['sequence']}: {result['status']}"
    emit(result, as_json, text)


@node_app.command("status")
@exits
def node_status(db: str = DbOption, as_json: bool = JsonOption) -> None:
    """This node's outbox (bundles and the hub's receipts) and the results it received."""
    from tipnet.federation import node

    database = _db(db)
    result = {"outbox": node.outbox(database), "results": node.results(database)}
    emit(result, as_json, "\n".join(f"#{e['sequence']} {e['bundle_id']} {e['status']} {e['kinds']}"
                                    for e in result["outbox"]) or "outbox empty")


# --- hub --------------------------------------------------------------------------------------------------------


def _hub(db: Database):  # type: ignore[no-untyped-def]
    from tipnet.federation.hub import load_hub

    hub = load_hub(db, _folder())
    if hub is None:
        fail("this store is not a hub yet: run tipnet hub init")
    return hub


@hub_app.command("init")
@exits
def hub_init(
    node_id: str = typer.Option("hub", "--node-id", help="The hub's name in bundles."),
    export: Path = typer.Option(None, "--export", help="Write the hub's public identity here (for nodes)."),
    as_json: bool = JsonOption,
) -> None:
    """Create the hub's keys (once)."""
    from tipnet.federation.hub import init_hub

    pub = init_hub(_folder(), node_id).public.to_dict()
    if export is not None:
        export.write_text(json.dumps(pub, indent=2), encoding="utf-8")
    emit(pub, as_json, f"hub {pub['node_id']} key {pub['key_id']}")


@hub_app.command("keys")
@exits
def hub_keys(export: Path = typer.Option(None, "--export"), db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Show or export the hub's public identity."""
    pub = _hub(_db(db)).identity.public.to_dict()
    if export is not None:
        export.write_text(json.dumps(pub, indent=2), encoding="utf-8")
    emit(pub, as_json, f"hub {pub['node_id']} key {pub['key_id']}")


@hub_app.command("register")
@exits
def hub_register(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The node's public identity file."),
    name: str = typer.Option(None, "--name", help="A display name."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Register a node with its first key."""
    from tipnet.auth import audit
    from tipnet.federation import registry
    from tipnet.federation.keys import PublicIdentity

    database = _db(db)
    try:
        detail = registry.register(database, PublicIdentity.from_dict(json.loads(file.read_text("utf-8"))), name)
    except (registry.RegistryError, ValueError) as exc:
        fail(str(exc), as_json=as_json, code=getattr(exc, "code", "invalid"))
    audit.record(database, operator(), "federation.node.register", object_type="node", object_id=detail["node_id"],
                 subject_country=detail["country"], details={"key_id": detail["keys"][-1]["key_id"]})
    emit(detail, as_json, f"node {detail['node_id']} ({detail['country']}) registered")


@hub_app.command("revoke")
@exits
def hub_revoke(node_id: str, reason: str = typer.Option(..., "--reason"), db: str = DbOption,
               as_json: bool = JsonOption) -> None:
    """Revoke a node and its keys: nothing it signs is accepted any more."""
    from tipnet.auth import audit
    from tipnet.federation import registry

    database = _db(db)
    registry.revoke(database, node_id, reason)
    audit.record(database, operator(), "federation.node.revoke", object_type="node", object_id=node_id,
                 details={"reason": reason})
    emit({"node_id": node_id, "revoked": True}, as_json, f"node {node_id} revoked")


@hub_app.command("rotate")
@exits
def hub_rotate(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="rotation.json from the node."),
               db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Apply a node's key rotation handed over by file (the new key must be signed by the current one)."""
    from tipnet.federation import registry

    detail = registry.rotate(_db(db), json.loads(file.read_text("utf-8")))
    emit(detail, as_json, f"node {detail['node_id']}: key {detail['keys'][-1]['key_id']} is now current")


@hub_app.command("nodes")
@exits
def hub_nodes(db: str = DbOption, as_json: bool = JsonOption) -> None:
    """The register: nodes, last contact, bundles accepted."""
    from tipnet.federation import registry

    rows = registry.nodes(_db(db))
    emit(rows, as_json, "\n".join(f"{r['node_id']} {r['country']} last #{r['last_seq']} "
                                  f"{'revoked' if r['revoked_at'] else 'active'}" for r in rows) or "no nodes")


@hub_app.command("import")
@exits
def hub_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A bundle file from a node."),
    receipt: Path = typer.Option(None, "--receipt", help="Write the signed receipt here (to hand back)."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Apply a bundle handed over by file, exactly as if it had been pushed."""
    from tipnet.auth import audit
    from tipnet.federation import hub as inbox

    database = _db(db)
    hub = _hub(database)
    doc = inbox.receive_file(hub, file.read_bytes())
    r = doc["receipt"]
    audit.record(database, operator(), "federation.bundle", outcome="ok" if r["status"] == "accepted" else "failed",
                 object_type="bundle", object_id=r["bundle_id"], details={"node": r.get("node_id"), "transport":
                 "file", "sequence": r.get("sequence"), "status": r["status"], "reason": r.get("reason_code")})
    if receipt is not None:
        receipt.write_text(json.dumps(doc, indent=2, sort_keys=True), encoding="utf-8")
    body = doc["receipt"]
    emit(doc, as_json, f"bundle {body['bundle_id']} of {body['node_id']} #{body['sequence']}: {body['status']} "
         f"{body.get('reason_code') or ''} {body.get('reason') or ''}")
    if body["status"] != "accepted":
        raise typer.Exit(1)


@hub_app.command("link")
@exits
def hub_link(threshold: float | None = typer.Option(
                 None, "--threshold", help="match probability to accept a pair (default: as `tipnet link match`)"),
             db: str = DbOption,
             as_json: bool = JsonOption) -> None:
    """Match the newest encodings of every country; queue each node's cluster ids as a results bundle."""
    from tipnet.federation import results

    try:
        out = results.link(_hub(_db(db)), threshold)
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code="linkage")
    emit(out, as_json, f"{out['clusters']} clusters over {out['linked_records']} records; "
         f"{len(out['sent'])} results bundles queued")


@hub_app.command("export")
@exits
def hub_export(
    node_id: str,
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the node's results bundles."),
    after: int = typer.Option(0, "--after", help="Only results after this sequence number."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Write a node's results bundles to files, for a closed line (the node runs tipnet node import)."""
    from tipnet.federation import results

    hub = _hub(_db(db))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for item in results.pending(hub, node_id, after):
        data = results.fetch(hub, node_id, item["sequence"])
        if data is not None:
            path = out / f"{node_id}-result-{item['sequence']:06d}.tipnet-bundle"
            path.write_bytes(data)
            written.append(str(path))
    emit(written, as_json, f"{len(written)} results bundle(s) written to {out}")


@hub_app.command("tables")
@exits
def hub_tables(by: str = typer.Option("country", "--by", help="country and/or the tables' dimensions."),
               db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Hemispheric victims from the protected tables nodes shared (newest per country)."""
    from tipnet.federation.summary import hemispheric

    dims = tuple(d.strip() for d in by.split(",") if d.strip())
    try:
        rows = hemispheric(_db(db), dims)
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code="dimension")
    emit(rows, as_json, "\n".join(json.dumps(r) for r in rows) or "no tables")
