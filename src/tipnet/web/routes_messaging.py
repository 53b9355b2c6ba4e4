"""Secure messaging pages and their JSON API. The page runs the client in the browser (static/tipnet-messaging.js
with the vendored libsodium): keys are made, unlocked and used there; these routes only store and relay public keys,
wrapped private keys, ciphertext and signed receipts (tipnet.messaging.service checks them all)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from tipnet.auth.policy import needs
from tipnet.auth.roles import Permission
from tipnet.messaging import service, wire
from tipnet.web.deps import Db, Me
from tipnet.web.errors import ApiError
from tipnet.web.pages import Page, PageRouter
from tipnet.web.params import StoreId
from tipnet.web.security import access

router = PageRouter()
MESSAGING = needs(Permission.MESSAGING)


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(422, "invalid-request", f"the request body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(422, "invalid-request", "the request body must be a JSON object")
    return data


@router.page("/messages")
@access(MESSAGING)
def overview(request: Request, db: Db, me: Me) -> Page:
    """The messaging page (the browser client) and, as JSON, one's current key and open urgent alerts."""
    mine = service.own_keys(db, me)
    data = {"user": mine["user"], "current_key": mine["current"], "keys": len(mine["keys"]),
            "alerts": service.alerts(db, me)}
    return Page("messages_index.html", data)


@router.get("/messages/mailbox.json")
@access(MESSAGING)
def mailbox(db: Db, me: Me) -> dict[str, Any]:
    return service.mailbox(db, me)


@router.get("/messages/keys.json")
@access(MESSAGING)
def own_keys(db: Db, me: Me) -> dict[str, Any]:
    return service.own_keys(db, me)


@router.post("/messages/keys.json")
@access(MESSAGING)
async def register_key(request: Request, db: Db, me: Me) -> JSONResponse:
    body = await _body(request)
    out = await run_in_threadpool(service.register_key, db, me, body.get("signed"), body.get("wrapped"))
    return JSONResponse(out, status_code=201)


@router.post("/messages/keys/{key_id}/revoke.json")
@access(MESSAGING)
def revoke_key(key_id: str, db: Db, me: Me) -> dict[str, Any]:
    return service.revoke_key(db, me, key_id)


@router.get("/messages/directory.json")
@access(MESSAGING)
def directory(db: Db, me: Me) -> dict[str, Any]:
    return {"people": service.directory(db, me)}


@router.get("/messages/users/{user_id}/keys.json")
@access(MESSAGING)
def key_history(user_id: StoreId, db: Db, me: Me) -> dict[str, Any]:
    return {"user": user_id, "keys": service.key_history(db, me, user_id)}


@router.post("/messages/send.json")
@access(MESSAGING)
async def send(request: Request, db: Db, me: Me) -> JSONResponse:
    body = await _body(request)
    out = await run_in_threadpool(service.accept, db, me, body)
    return JSONResponse(out, status_code=201)


@router.get("/messages/alerts.json")
@access(MESSAGING)
def alerts(db: Db, me: Me) -> dict[str, Any]:
    return {"alerts": service.alerts(db, me)}


@router.post("/messages/alerts/{alert_id}/ack.json")
@access(MESSAGING)
def acknowledge(alert_id: StoreId, db: Db, me: Me) -> dict[str, Any]:
    return service.acknowledge(db, me, alert_id)


@router.get("/messages/{message_id}.json")
@access(MESSAGING)
def fetch(message_id: str, db: Db, me: Me) -> dict[str, Any]:
    return service.fetch(db, me, message_id)


@router.get("/messages/{message_id}/attachments/{index}.json")
@access(MESSAGING)
def attachment(message_id: str, index: int, db: Db, me: Me) -> dict[str, Any]:
    content = service.attachment(db, me, message_id, index)
    return {"message": message_id, "index": index, "content": wire.b64(content)}


@router.post("/messages/{message_id}/receipts.json")
@access(MESSAGING)
async def receipt(request: Request, message_id: str, db: Db, me: Me) -> JSONResponse:
    body = await _body(request)
    out = await run_in_threadpool(service.add_receipt, db, me, message_id, body)
    return JSONResponse(out, status_code=201)
