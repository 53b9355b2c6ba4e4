"""Federation: the hub's API for national nodes (resumable bundle uploads, results, key rotation) and the hub's
pages on its register of nodes.

A node pushes with an API token of its own country's account at the hub (a token acts for one country: it can
only push, follow and fetch that country's bundles and results). The hub's register is listed to the hub and, for
its own nodes, to each country; revoking a node is for the hub administrator or the node's own focal point.
Every change and every fetch of a results bundle is written to the audit log.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from tipnet.auth import audit
from tipnet.auth.policy import PUBLIC, needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import Scope
from tipnet.federation import hub as inbox
from tipnet.federation import registry, results
from tipnet.federation.bundle import BundleError
from tipnet.federation.hub import Hub, UploadError
from tipnet.federation.registry import RegistryError
from tipnet.federation.summary import hemispheric
from tipnet.settings import Settings
from tipnet.store import Database
from tipnet.web.deps import AppSettings, CallerScope, Db, Me
from tipnet.web.errors import ApiError
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.security import access

router = PageRouter()
PUSH = needs(Permission.UPLOAD)  # a bundle push is a submission: same permission as an upload (and for tokens)
REGISTER_READ = needs(Permission.SUBMISSIONS_READ)
REVOKE = needs(Permission.USERS_ADMIN)
STATS = needs(Permission.STATS_READ)


def _hub(request: Request, db: Database, settings: Settings) -> Hub:
    """This server's hub, loaded on first use and kept on the app; 404 where the server is not a hub."""
    state = request.app.state
    if not hasattr(state, "federation_hub") or state.federation_hub is None:
        state.federation_hub = inbox.load_hub(db, settings.home.resolve() / "federation")
    if state.federation_hub is None:
        raise ApiError(404, "not-a-hub", "this server is not a federation hub (tipnet hub init)")
    return state.federation_hub  # type: ignore[no-any-return]


def _sender(me: Principal) -> str:
    """The country whose node pushes (a bundle is pushed with that country's API token)."""
    if me.country is None:
        raise ApiError(403, "forbidden", "bundles are pushed by a country's node, with that country's API token")
    return me.country


def _upload_error(exc: UploadError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, exc.details)


@router.get("/api/federation/hub")
@access(PUBLIC)
def hub_identity(request: Request, db: Db, settings: AppSettings) -> dict[str, Any]:
    """The hub's public keys (check the key id with the hub's operator before trusting it)."""
    return _hub(request, db, settings).identity.public.to_dict()


@router.post("/api/federation/uploads")
@access(PUSH)
async def announce(request: Request, db: Db, me: Me, settings: AppSettings) -> JSONResponse:
    country = _sender(me)
    hub = _hub(request, db, settings)
    try:
        doc = await request.json()
    except ValueError as exc:
        raise ApiError(422, "invalid-request", "send {bundle_id, size, sha256} as JSON") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("size"), int):
        raise ApiError(422, "invalid-request", "send {bundle_id, size, sha256} as JSON")
    try:
        state = await run_in_threadpool(inbox.announce, hub, str(doc.get("bundle_id")), int(doc["size"]),
                                        str(doc.get("sha256")), "push", country)
    except UploadError as exc:
        raise _upload_error(exc) from exc
    return JSONResponse(state, status_code=200)


@router.get("/api/federation/uploads/{bundle_id}")
@access(PUSH)
def upload_status(request: Request, bundle_id: str, db: Db, me: Me, settings: AppSettings) -> dict[str, Any]:
    country = _sender(me)
    try:
        return inbox.status(_hub(request, db, settings), bundle_id, country)
    except UploadError as exc:
        raise _upload_error(exc) from exc


@router.put("/api/federation/uploads/{bundle_id}")
@access(PUSH)
async def upload_chunk(request: Request, bundle_id: str, db: Db, me: Me, settings: AppSettings,
                       offset: int = 0) -> dict[str, Any]:
    country = _sender(me)
    hub = _hub(request, db, settings)
    try:
        target = await run_in_threadpool(inbox.open_chunk, hub, bundle_id, offset, country)
        if target is None:
            return await run_in_threadpool(inbox.status, hub, bundle_id, country)
        path, have, size = target
        with path.open("ab") as fh:
            try:
                async for block in request.stream():
                    have = inbox.append(fh, block, have, size)
            except ClientDisconnect:  # what arrived is kept; the node resumes from the hub's offset
                return {"bundle_id": bundle_id, "offset": have, "size": size, "status": "uploading"}
    except UploadError as exc:
        raise _upload_error(exc) from exc
    return {"bundle_id": bundle_id, "offset": have, "size": size, "status": "uploading"}


@router.post("/api/federation/uploads/{bundle_id}/commit")
@access(PUSH)
def upload_commit(request: Request, bundle_id: str, db: Db, me: Me, settings: AppSettings) -> dict[str, Any]:
    country = _sender(me)
    hub = _hub(request, db, settings)
    try:
        doc = inbox.commit(hub, bundle_id, country)
    except UploadError as exc:
        raise _upload_error(exc) from exc
    body = doc["receipt"]
    audit.record(hub.db, me, "federation.bundle", outcome="ok" if body["status"] == "accepted" else "failed",
                 object_type="bundle", object_id=bundle_id, subject_country=country,
                 details={"node": body.get("node_id"), "sequence": body.get("sequence"), "status": body["status"],
                          "reason": body.get("reason_code"), "applied": body.get("applied")})
    return doc


def _own_node(db: Database, node_id: str, country: str) -> None:
    if registry.node_country(db, node_id) != country:
        raise ApiError(404, "not-found", f"no node {node_id} of {country}")


@router.get("/api/federation/results")
@access(PUSH)
def results_list(request: Request, db: Db, me: Me, settings: AppSettings, node_id: str = "",
                 after: int = 0) -> dict[str, Any]:
    country = _sender(me)
    hub = _hub(request, db, settings)
    _own_node(db, node_id, country)
    registry.touch(hub.db, node_id)
    return {"node_id": node_id, "results": results.pending(hub, node_id, after)}


@router.get("/api/federation/results/{node_id}/{sequence}")
@access(PUSH)
def results_fetch(request: Request, node_id: str, sequence: int, db: Db, me: Me,
                  settings: AppSettings) -> Response:
    country = _sender(me)
    hub = _hub(request, db, settings)
    _own_node(db, node_id, country)
    data = results.fetch(hub, node_id, sequence)
    if data is None:
        raise ApiError(404, "not-found", f"no result {sequence} for node {node_id}")
    audit.record(hub.db, me, "federation.result.fetch", object_type="node", object_id=node_id,
                 subject_country=country, details={"sequence": sequence})
    return Response(data, media_type="application/zip")


@router.post("/api/federation/nodes/{node_id}/keys")
@access(PUSH)
async def rotate_key(request: Request, node_id: str, db: Db, me: Me) -> dict[str, Any]:
    country = _sender(me)
    _own_node(db, node_id, country)
    try:
        doc = await request.json()
    except ValueError as exc:
        raise ApiError(422, "invalid-request", "send the rotation statement as JSON") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("statement"), dict) \
            or doc["statement"].get("node_id") != node_id:
        raise ApiError(422, "invalid-request", f"a rotation statement for node {node_id} is required")
    try:
        detail = await run_in_threadpool(registry.rotate, db, doc)
    except (RegistryError, BundleError) as exc:
        raise ApiError(422, exc.code, exc.message) from exc
    audit.record(db, me, "federation.key.rotate", object_type="node", object_id=node_id,
                 subject_country=country, details={"key_id": detail["keys"][-1]["key_id"]})
    return detail


# --- the hub's pages ------------------------------------------------------------------------------------------------


def _visible(scope: Scope, country: str) -> bool:
    return scope.kind in ("hub", "all") or scope.owns(country)


@router.page("/federation/nodes")
@access(REGISTER_READ)
def nodes_page(request: Request, db: Db, scope: CallerScope, settings: AppSettings) -> Page:
    hub = None
    try:
        hub = _hub(request, db, settings).identity.public.to_dict()
    except ApiError:
        pass
    nodes = [n for n in registry.nodes(db) if _visible(scope, n["country"])]
    return Page("federation_nodes.html", {"nodes": nodes, "hub": hub})


def _node(db: Database, scope: Scope, node_id: str) -> dict[str, Any]:
    try:
        detail = registry.node_detail(db, node_id)
    except RegistryError as exc:
        raise ApiError(404, "not-found", exc.message) from exc
    if not _visible(scope, detail["country"]):
        raise ApiError(404, "not-found", f"no node {node_id}")
    return detail


@router.page("/federation/nodes/{node_id}")
@access(REGISTER_READ)
def node_page(request: Request, node_id: str, db: Db, scope: CallerScope) -> Page:
    return Page("federation_node.html", _node(db, scope, node_id))


@router.page("/federation/nodes/{node_id}/revoke", methods=["POST"])
@access(REVOKE)
def node_revoke(request: Request, node_id: str, db: Db, me: Me, scope: CallerScope,
                reason: str = Form("")) -> Done:
    detail = _node(db, scope, node_id)
    if detail["revoked_at"] is None:
        registry.revoke(db, node_id, reason or "revoked")
        audit.record(db, me, "federation.node.revoke", object_type="node", object_id=node_id,
                     subject_country=detail["country"], details={"reason": reason})
    return Done(json.loads(json.dumps(_node(db, scope, node_id), default=str)),
                redirect=f"/federation/nodes/{node_id}")


@router.page("/federation/tables")
@access(STATS)
def tables_page(request: Request, db: Db, scope: CallerScope) -> Page:
    """Victims by country and year from the protected tables nodes shared (the hub: every country; a country: its
    own), with the number of suppressed cells beside each figure."""
    rows = [r for r in hemispheric(db, ("country", "year")) if _visible(scope, r["country"])]
    total = sum(r["victims"] for r in rows)
    return Page("federation_tables.html", {"rows": rows, "victims_total": total})
