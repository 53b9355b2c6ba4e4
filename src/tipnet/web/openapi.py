"""The OpenAPI description: every operation documents its access rule (`x-tipnet-access`), the ways to
authenticate, and the one error shape for 401, 403, 404, 422 and 429."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from tipnet.auth.policy import Rule
from tipnet.auth.roles import TOKEN_PERMISSIONS
from tipnet.web.security import CSRF_HEADER, SESSION_COOKIE, endpoints

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message", "details"],
            "additionalProperties": False,
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}
_DESCRIPTIONS = {"401": "Not signed in (or the API token is not valid)", "403": "Not allowed for this role",
                 "404": "Not found, or outside the caller's country scope", "422": "The request is not valid",
                 "429": "Too many failed sign-ins; see Retry-After"}

DESCRIPTION = (
    "tipnet's JSON API. Pages have JSON twins (same path + `.json`). Sign in through `/login` (session cookie; "
    f"state-changing requests then need the `{CSRF_HEADER}` header or a `csrf_token` form field) or send an API "
    "token as `Authorization: Bearer tipnet_...` (uploads and submissions only). Errors always have the shape "
    '`{"error": {"status", "code", "message", "details"}}`.'
)


def _statuses(rule: Rule | None, method: str) -> list[str]:
    out = ["404", "422"]
    if rule is None or not rule.public:
        out += ["401", "403"]
    if method == "post" and rule is not None and rule.public:
        out += ["403", "429"]  # sign-in: CSRF, throttling
    return out


def _security(rule: Rule | None) -> list[dict[str, list[str]]]:
    if rule is not None and rule.permission in TOKEN_PERMISSIONS:
        return [{"session": []}, {"bearer": []}]
    return [{"session": []}]


def install_openapi(app: FastAPI) -> None:
    def schema() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=DESCRIPTION, routes=app.routes)
        components = doc.setdefault("components", {})
        components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        components["securitySchemes"] = {
            "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
            "bearer": {"type": "http", "scheme": "bearer"},
        }
        rules = {(m.lower(), e.path): e.rule for e in endpoints(app) if e.api for m in e.methods}
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for path, operations in doc.get("paths", {}).items():
            for method, op in operations.items():
                rule = rules.get((method, path))
                op["x-tipnet-access"] = str(rule) if rule is not None else "unclassified (refused)"
                responses = op.setdefault("responses", {})
                for status in _statuses(rule, method):
                    responses[status] = {"description": _DESCRIPTIONS[status], "content": error}
                if rule is None or not rule.public:
                    op["security"] = _security(rule)
        app.openapi_schema = doc
        return doc

    app.openapi = schema  # type: ignore[method-assign]


_METHODS = ("get", "post", "put", "patch", "delete")


def reference(doc: dict[str, Any]) -> dict[str, Any]:
    """The API reference page's data, from the OpenAPI description: each operation with its access rule, the ways
    to authenticate, its parameters and its answers (rendered by the app itself: no script from anywhere)."""
    operations = []
    for path, ops in sorted(doc.get("paths", {}).items()):
        for method in _METHODS:
            op = ops.get(method)
            if op is None:
                continue
            params = [p.get("name", "") for p in op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {})
            for schema in body.values():
                ref = schema.get("schema", {}).get("$ref", "")
                fields = doc.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
                params += [f"{name} (form)" for name in fields.get("properties", {})]
                params += [f"{name} (form)" for name in schema.get("schema", {}).get("properties", {})]
            operations.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "access": op.get("x-tipnet-access", ""),
                "auth": sorted({name for alt in op.get("security", []) for name in alt}),
                "parameters": sorted(set(params)), "responses": sorted(op.get("responses", {})),
            })
    return {"title": doc.get("info", {}).get("title", ""), "version": doc.get("info", {}).get("version", ""),
            "description": doc.get("info", {}).get("description", ""), "operations": operations}
