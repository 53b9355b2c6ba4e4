"""The node's client for the hub's API (standard library HTTP; HTTPS when the URL says so).

`push` sends every bundle of the outbox not yet decided, in sequence order: announce (the hub answers with the
offset it has), PUT the rest in chunks at their offsets, commit, file the signed receipt. A cut connection is
retried from the hub's offset; a bundle the hub has decided already returns its receipt, so a push can be run
again at any time and nothing is sent or applied twice.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tipnet.federation import node as nodes
from tipnet.federation.node import Node, NodeError
from tipnet.store import Database

log = logging.getLogger(__name__)
CHUNK_ENV = "TIPNET_FED_CHUNK_BYTES"
DEFAULT_CHUNK = 4 * 1024 * 1024


class HubError(RuntimeError):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details


@dataclass(frozen=True)
class Client:
    base_url: str
    token: str | None
    timeout: float = 60.0

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json",
                accept_json: bool = True) -> Any:
        req = urllib.request.Request(self.base_url.rstrip("/") + path, data=body, method=method)
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        if body is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - the hub's URL, by design
                data = resp.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                err = json.loads(raw)["error"]
                raise HubError(exc.code, err.get("code", "error"), err.get("message", ""), err.get("details")) from exc
            except (ValueError, KeyError, TypeError):
                raise HubError(exc.code, "http-error", raw[:200].decode("utf-8", "replace")) from exc
        return json.loads(data) if accept_json else data

    def post_json(self, path: str, doc: Any) -> Any:
        return self.request("POST", path, json.dumps(doc).encode())


def client_for(node: Node) -> Client:
    if not node.hub_url:
        raise NodeError("no-hub-url", "this node has no hub URL (tipnet node init --hub-url ...)")
    return Client(node.hub_url, node.token)


def _with_retries(what: str, fn: Any, attempts: int) -> Any:
    for attempt in range(attempts):
        try:
            return fn()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            if isinstance(exc, HubError) or attempt == attempts - 1:
                raise
            wait = min(0.2 * 2 ** attempt, 5.0)
            log.warning("%s failed (%s); retrying in %.1f s", what, exc, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


def push_bundle(client: Client, raw: bytes, bundle_id: str, sha256: str, chunk: int, attempts: int = 6) -> dict:
    """Upload one bundle (resuming where the hub is) and commit it; returns the signed receipt."""
    base = f"/api/federation/uploads/{bundle_id}"
    state = _with_retries("announce", lambda: client.post_json("/api/federation/uploads", {
        "bundle_id": bundle_id, "size": len(raw), "sha256": sha256}), attempts)
    if "receipt" in state:
        return state["receipt"]
    offset = int(state["offset"])
    failures = 0
    while offset < len(raw):
        block = raw[offset:offset + chunk]
        try:
            offset = int(client.request("PUT", f"{base}?offset={offset}", block, "application/octet-stream")["offset"])
        except HubError as exc:
            if exc.code != "wrong-offset":
                raise
            offset = int((exc.details or {}).get("offset", 0))
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            failures += 1
            if failures >= attempts:
                raise
            log.warning("chunk at %d failed (%s); asking the hub where it is", offset, exc)
            time.sleep(min(0.2 * 2 ** failures, 5.0))
            offset = int(_with_retries("status", lambda: client.request("GET", base), attempts)["offset"])
    for _ in range(3):
        try:
            return _with_retries("commit", lambda: client.post_json(f"{base}/commit", {}), attempts)
        except HubError as exc:
            if exc.code not in ("incomplete", "hash-mismatch"):
                raise
            offset = int((exc.details or {}).get("offset", 0))
            while offset < len(raw):
                offset = int(client.request("PUT", f"{base}?offset={offset}", raw[offset:offset + chunk],
                                            "application/octet-stream")["offset"])
    raise HubError(409, "incomplete", f"the hub could not assemble bundle {bundle_id}")


def push(node: Node, db: Database, chunk: int | None = None) -> list[dict[str, Any]]:
    """Push every bundle of the outbox the hub has not decided; returns the receipts' bodies."""
    client = client_for(node)
    size = chunk or int(os.environ.get(CHUNK_ENV) or DEFAULT_CHUNK)
    out = []
    for entry in nodes.outbox(db, pending_only=True):
        raw = Path(entry["path"]).read_bytes()
        doc = push_bundle(client, raw, entry["bundle_id"], entry["sha256"], size)
        body = nodes.record_receipt(node, db, doc)
        out.append(body)
        log.info("bundle %s (#%s): %s %s", entry["bundle_id"], entry["sequence"], body["status"],
                 body.get("reason_code") or "")
        if body["status"] != "accepted" and body.get("reason_code") in ("gap", "unknown-key"):
            break  # later bundles would only pile up behind this one
    return out


def pull(node: Node, db: Database) -> list[dict[str, Any]]:
    """Fetch and import the results the hub has for this node."""
    client = client_for(node)
    done = [r["sequence"] for r in nodes.results(db)]
    after = max(done) if done else 0
    listing = client.request("GET", f"/api/federation/results?node_id={node.node_id}&after={after}")
    out = []
    for item in listing["results"]:
        raw = client.request("GET", f"/api/federation/results/{node.node_id}/{item['sequence']}",
                             accept_json=False)
        out.append(nodes.import_result(node, db, raw))
    return out


def send_rotation(node: Node, statement: dict[str, Any]) -> dict[str, Any]:
    return client_for(node).post_json(f"/api/federation/nodes/{node.node_id}/keys", statement)


def hub_identity(url: str) -> dict[str, Any]:
    return Client(url, None).request("GET", "/api/federation/hub")
