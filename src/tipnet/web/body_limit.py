"""Pure ASGI middleware: request bodies counted while they stream, and refused with 413 once they pass their limit.

A declared Content-Length above the limit is refused before anything is read; a body without one (chunked) is
counted message by message as the application reads it, so the server never takes in much more than the limit.
The upload routes take `max_upload_bytes` (plus the multipart framing); every other route `max_body_bytes`.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_MULTIPART_SLACK = 1024 * 1024  # form fields and multipart framing around the largest upload
# Routes that take a file: staged uploads (`/uploads`, `/uploads.json`) and a bundle's chunks from a node.
_UPLOAD_PATHS = ("/uploads", "/uploads.json")
_UPLOAD_PREFIXES = ("/api/federation/uploads/",)


class BodyTooLarge(Exception):
    """Raised to the application's reader when the body passes its limit (whatever it makes of it, the answer
    is 413)."""


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes + _MULTIPART_SLACK

    def limit_for(self, path: str) -> int:
        if path in _UPLOAD_PATHS or path.startswith(_UPLOAD_PREFIXES):
            return max(self.max_upload_bytes, self.max_body_bytes)
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _too_large(send, limit)
            return
        seen = 0
        passed = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, passed
            if passed:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    passed = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if passed:  # the application answered after its body was cut (often a 400): the answer is 413
                if not started:
                    started = True
                    await _too_large(send, limit)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"error": {"status": 413, "code": "too-large",
                                 "message": f"the request is larger than {limit} bytes", "details": None}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
