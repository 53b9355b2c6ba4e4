"""Secure messaging pages and their JSON API. The page runs the client in the browser (static/tipnet-messaging.js
with the vendored libsodium): keys are made, unlocked and used there; these routes only store and relay public keys,
wrapped private keys, ciphertext and signed receipts (tipnet.messaging.service checks them all)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from tipnet.auth.policy import needs
from tipnet.auth.roles import Permission
from tipnet.messaging import service, wire
from tipnet.web.errors import ApiError
from tipnet.web.params import StoreId
from tipnet.web.security import access, principal

router = APIRouter()
MESSAGING = needs(Permission.MESSAGING)


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(422, "invalid-request", f"the request body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(422, "invalid-request", "the request body must be a JSON object")
    return data


@router.get("/messages")
@router.get("/messages.json")
@access(MESSAGING)
def overview(request: Request) -> Response:
    """The messaging page (the browser client) and, as JSON, one's current key and open urgent alerts."""
    db, me = request.app.state.db, principal(request)
    mine = service.own_keys(db, me)
    data = {"user": mine["user"], "current_key": mine["current"], "keys": len(mine["keys"]),
            "alerts": service.alerts(db, me)}
    return request.app.state.page(request, "messages_index.html", data)


@router.get("/messages/mailbox.json")
@access(MESSAGING)
def mailbox(request: Request) -> dict[str, Any]:
    return service.mailbox(request.app.state.db, principal(request))


@router.get("/messages/keys.json")
@access(MESSAGING)
def own_keys(request: Request) -> dict[str, Any]:
    return service.own_keys(request.app.state.db, principal(request))


@router.post("/messages/keys.json")
@access(MESSAGING)
async def register_key(request: Request) -> JSONResponse:
    body = await _body(request)
    out = await run_in_threadpool(service.register_key, request.app.state.db, principal(request),
                                  body.get("signed"), body.get("wrapped"))
    return JSONResponse(out, status_code=201)


@router.post("/messages/keys/{key_id}/revoke.json")
@access(MESSAGING)
def revoke_key(request: Request, key_id: str) -> dict[str, Any]:
    return service.revoke_key(request.app.state.db, principal(request), key_id)


@router.get("/messages/directory.json")
@access(MESSAGING)
def directory(request: Request) -> dict[str, Any]:
    return {"people": service.directory(request.app.state.db, principal(request))}


@router.get("/messages/users/{user_id}/keys.json")
@access(MESSAGING)
def key_history(request: Request, user_id: StoreId) -> dict[str, Any]:
    return {"user": user_id, "keys": service.key_history(request.app.state.db, principal(request), user_id)}


@router.post("/messages/send.json")
@access(MESSAGING)
async def send(request: Request) -> JSONResponse:
    body = await _body(request)
    out = await run_in_threadpool(service.accept, request.app.state.db, principal(request), body)
    return JSONResponse(out, status_code=201)


@router.get("/messages/alerts.json")
@access(MESSAGING)
def alerts(request: Request) -> dict[str, Any]:
    return {"alerts": service.alerts(request.app.state.db, principal(request))}


@router.post("/messages/alerts/{alert_id}/ack.json")
@access(MESSAGING)
def acknowledge(request: Request, alert_id: StoreId) -> dict[str, Any]:
    return service.acknowledge(request.app.state.db, principal(request), alert_id)


@router.get("/messages/{message_id}.json")
@access(MESSAGING)
def fetch(request: Request, message_id: str) -> dict[str, Any]:
    return service.fetch(request.app.state.db, principal(request), message_id)


@router.get("/messages/{message_id}/attachments/{index}.json")
@access(MESSAGING)
def attachment(request: Request, message_id: str, index: int) -> dict[str, Any]:
    content = service.attachment(request.app.state.db, principal(request), message_id, index)
    return {"message": message_id, "index": index, "content": wire.b64(content)}


@router.post("/messages/{message_id}/receipts.json")
@access(MESSAGING)
async def receipt(request: Request, message_id: str) -> JSONResponse:
    body = await _body(request)
    out = await run_in_threadpool(service.add_receipt, request.app.state.db, principal(request), message_id, body)
    return JSONResponse(out, status_code=201)
