"""Pure ASGI middleware: security headers on every response, and oversized request bodies refused before they are
read."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Content-Security-Policy: scripts and styles only from our own files (no inline script, handler or style attribute;
# the pages' behaviour is in /static/*.js), images also as data: URIs (charts), nothing may frame a page.
# 'wasm-unsafe-eval' lets the messaging page compile libsodium's WebAssembly; it allows no eval() of JavaScript.
CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self' 'wasm-unsafe-eval'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(style_hashes: Iterable[str] = ()) -> str:
    """The policy; `style_hashes` ('sha256-...') admit given inline <style> elements (a self-contained page)."""
    directives = dict(CSP_DIRECTIVES)
    extra = " ".join(f"'{h}'" for h in style_hashes)
    if extra:
        directives["style-src"] = f"{directives['style-src']} {extra}"
    return "; ".join(f"{k} {v}" for k, v in directives.items())


def inline_style_hashes(html: str) -> list[str]:
    """CSP hashes of the <style> elements of a page that must stay self-contained (it is also saved as a file)."""
    return ["sha256-" + base64.b64encode(hashlib.sha256(m.encode("utf-8")).digest()).decode("ascii")
            for m in re.findall(r"<style>(.*?)</style>", html, flags=re.S)]


_HEADERS = {
    "content-security-policy": content_security_policy(),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Adds the headers above; pages and data (everything but /static) are never cached by browsers or proxies."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await _too_large(send, self.max_body_bytes)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in _HEADERS.items():
                    headers.setdefault(key, value)
                if not static:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"error": {"status": 413, "code": "too-large",
                                 "message": f"the request is larger than {limit} bytes", "details": None}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *((k.encode(), v.encode()) for k, v in _HEADERS.items())]})
    await send({"type": "http.response.body", "body": body})


class StrictTransport:
    """HSTS on every response: added when cookies are marked Secure, i.e. the app is served over HTTPS only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("strict-transport-security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_hsts)
