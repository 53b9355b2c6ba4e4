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

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
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
from tipnet.web.errors import ApiError
from tipnet.web.security import access, principal

router = APIRouter()
PUSH = needs(Permission.UPLOAD)  # a bundle push is a submission: same permission as an upload (and for tokens)
REGISTER_READ = needs(Permission.SUBMISSIONS_READ)
REVOKE = needs(Permission.USERS_ADMIN)
STATS = needs(Permission.STATS_READ)


def _hub(request: Request) -> Hub:
    state = request.app.state
    if not hasattr(state, "federation_hub") or state.federation_hub is None:
        state.federation_hub = inbox.load_hub(state.db, state.settings.home.resolve() / "federation")
    if state.federation_hub is None:
        raise ApiError(404, "not-a-hub", "this server is not a federation hub (tipnet hub init)")
    return state.federation_hub  # type: ignore[no-any-return]


def _sender(request: Request) -> tuple[Principal, str]:
    me = principal(request)
    if me.country is None:
        raise ApiError(403, "forbidden", "bundles are pushed by a country's node, with that country's API token")
    return me, me.country


def _upload_error(exc: UploadError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, exc.details)


@router.get("/api/federation/hub")
@access(PUBLIC)
def hub_identity(request: Request) -> dict[str, Any]:
    """The hub's public keys (check the key id with the hub's operator before trusting it)."""
    return _hub(request).identity.public.to_dict()


@router.post("/api/federation/uploads")
@access(PUSH)
async def announce(request: Request) -> JSONResponse:
    me, country = _sender(request)
    hub = _hub(request)
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
def upload_status(request: Request, bundle_id: str) -> dict[str, Any]:
    _, country = _sender(request)
    try:
        return inbox.status(_hub(request), bundle_id, country)
    except UploadError as exc:
        raise _upload_error(exc) from exc


@router.put("/api/federation/uploads/{bundle_id}")
@access(PUSH)
async def upload_chunk(request: Request, bundle_id: str, offset: int = 0) -> dict[str, Any]:
    _, country = _sender(request)
    hub = _hub(request)
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
def upload_commit(request: Request, bundle_id: str) -> dict[str, Any]:
    me, country = _sender(request)
    hub = _hub(request)
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


def _own_node(request: Request, node_id: str, country: str) -> None:
    if registry.node_country(request.app.state.db, node_id) != country:
        raise ApiError(404, "not-found", f"no node {node_id} of {country}")


@router.get("/api/federation/results")
@access(PUSH)
def results_list(request: Request, node_id: str = "", after: int = 0) -> dict[str, Any]:
    _, country = _sender(request)
    hub = _hub(request)
    _own_node(request, node_id, country)
    registry.touch(hub.db, node_id)
    return {"node_id": node_id, "results": results.pending(hub, node_id, after)}


@router.get("/api/federation/results/{node_id}/{sequence}")
@access(PUSH)
def results_fetch(request: Request, node_id: str, sequence: int) -> Response:
    me, country = _sender(request)
    hub = _hub(request)
    _own_node(request, node_id, country)
    data = results.fetch(hub, node_id, sequence)
    if data is None:
        raise ApiError(404, "not-found", f"no result {sequence} for node {node_id}")
    audit.record(hub.db, me, "federation.result.fetch", object_type="node", object_id=node_id,
                 subject_country=country, details={"sequence": sequence})
    return Response(data, media_type="application/zip")


@router.post("/api/federation/nodes/{node_id}/keys")
@access(PUSH)
async def rotate_key(request: Request, node_id: str) -> dict[str, Any]:
    me, country = _sender(request)
    _own_node(request, node_id, country)
    try:
        doc = await request.json()
    except ValueError as exc:
        raise ApiError(422, "invalid-request", "send the rotation statement as JSON") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("statement"), dict) \
            or doc["statement"].get("node_id") != node_id:
        raise ApiError(422, "invalid-request", f"a rotation statement for node {node_id} is required")
    try:
        detail = await run_in_threadpool(registry.rotate, request.app.state.db, doc)
    except (RegistryError, BundleError) as exc:
        raise ApiError(422, exc.code, exc.message) from exc
    audit.record(request.app.state.db, me, "federation.key.rotate", object_type="node", object_id=node_id,
                 subject_country=country, details={"key_id": detail["keys"][-1]["key_id"]})
    return detail


# --- the hub's pages ------------------------------------------------------------------------------------------------


def _visible_nodes(request: Request) -> list[dict[str, Any]]:
    scope = Scope.of(principal(request))
    return [n for n in registry.nodes(request.app.state.db) if scope.kind in ("hub", "all") or scope.owns(n["country"])]


@router.get("/federation/nodes")
@router.get("/federation/nodes.json")
@access(REGISTER_READ)
def nodes_page(request: Request) -> Response:
    hub = None
    try:
        hub = _hub(request).identity.public.to_dict()
    except ApiError:
        pass
    return request.app.state.page(request, "federation_nodes.html", {"nodes": _visible_nodes(request), "hub": hub})


def _node(request: Request, node_id: str) -> dict[str, Any]:
    scope = Scope.of(principal(request))
    try:
        detail = registry.node_detail(request.app.state.db, node_id)
    except RegistryError as exc:
        raise ApiError(404, "not-found", exc.message) from exc
    if not (scope.kind in ("hub", "all") or scope.owns(detail["country"])):
        raise ApiError(404, "not-found", f"no node {node_id}")
    return detail


@router.get("/federation/nodes/{node_id}")
@router.get("/federation/nodes/{node_id}.json")
@access(REGISTER_READ)
def node_page(request: Request, node_id: str) -> Response:
    return request.app.state.page(request, "federation_node.html", _node(request, node_id.removesuffix(".json")))


@router.post("/federation/nodes/{node_id}/revoke")
@router.post("/federation/nodes/{node_id}/revoke.json")
@access(REVOKE)
def node_revoke(request: Request, node_id: str, reason: str = Form("")) -> Response:
    me = principal(request)
    detail = _node(request, node_id)
    if detail["revoked_at"] is None:
        registry.revoke(request.app.state.db, node_id, reason or "revoked")
        audit.record(request.app.state.db, me, "federation.node.revoke", object_type="node", object_id=node_id,
                     subject_country=detail["country"], details={"reason": reason})
    if request.url.path.endswith(".json"):
        return JSONResponse(json.loads(json.dumps(_node(request, node_id), default=str)))
    return RedirectResponse(f"/federation/nodes/{node_id}", status_code=303)


@router.get("/federation/tables")
@router.get("/federation/tables.json")
@access(STATS)
def tables_page(request: Request) -> Response:
    """Victims by country and year from the protected tables nodes shared (the hub: every country; a country: its
    own), with the number of suppressed cells beside each figure."""
    scope = Scope.of(principal(request))
    rows = [r for r in hemispheric(request.app.state.db, ("country", "year"))
            if scope.kind in ("hub", "all") or scope.owns(r["country"])]
    total = sum(r["victims"] for r in rows)
    return request.app.state.page(request, "federation_tables.html", {"rows": rows, "victims_total": total})
