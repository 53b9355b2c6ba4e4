"""One JSON error shape for every error: {"error": {"status", "code", "message", "details"}}.

Browsers asking for a page get the same content as an HTML page (same status); an anonymous browser asking for a page
that needs a sign-in is sent to /login instead of a 401.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tipnet.auth import audit
from tipnet.errors import Forbidden, NotVisible, Throttled, TipnetError, Unauthenticated
from tipnet.web.accept import asks_for_html


class ApiError(TipnetError):
    """An error a page module raises with its status and code given on the spot (a malformed id: 404)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message, details)
        self.status, self.code = status, code


def error_body(status: int, code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "details": details}}


_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    422: "invalid-request",
    429: "too-many-requests",
    500: "internal-error",
}


def error_response(request: Request, status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> Response:
    from tipnet.web.security import wants_html

    body = error_body(status, code, message, details)
    page = getattr(request.app.state, "page", None)
    if page is not None and wants_html(request) and asks_for_html(request):
        response = page(request, "error.html", body["error"], status=status)
    else:
        response = JSONResponse(body, status_code=status)
    response.headers.update(headers or {})
    return response


def install(app: FastAPI) -> None:
    from tipnet.web.security import login_redirect, principal, wants_html

    @app.exception_handler(TipnetError)
    async def _domain(request: Request, exc: TipnetError) -> Response:
        """Every domain error (tipnet.errors), mapped once to the JSON error shape (or its HTML page)."""
        who = principal(request)
        if isinstance(exc, NotVisible) and who.authenticated:  # asking for another country's objects is logged
            await run_in_threadpool(audit.record, request.app.state.db, who, "access.not_visible", outcome="denied",
                                    object_type="path", object_id=request.url.path[:64],
                                    details={"method": request.method})
        recover = getattr(request.app.state, "refused_form", None)  # a form whose typed values must come back
        if recover is not None and isinstance(exc, (Unauthenticated, Forbidden)):
            kept: Response | None = await recover(request, exc)
            if kept is not None:
                return kept
        if isinstance(exc, Unauthenticated) and wants_html(request):
            return login_redirect(request, who)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
        if isinstance(exc, Unauthenticated):
            headers = {"WWW-Authenticate": 'Bearer realm="tipnet"'}
        return error_response(request, exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _CODES.get(exc.status_code, "error")
        return error_response(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()]
        return error_response(request, 422, "invalid-request", "the request is not valid", details)
