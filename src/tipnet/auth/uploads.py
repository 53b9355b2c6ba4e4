"""Who may upload what, and who may see a staged upload. A country's users upload for their own country only (the
country is fixed to theirs); the hub uploads hemisphere aggregate workbooks (UNODC GLOTIP), never national records.
A staged upload's report quotes source values, so only the uploading country (or, for the hub, the uploader) sees it.
"""

from __future__ import annotations

from typing import Any

from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import ALL, COUNTRY, HUB, Scope
from tipnet.errors import Forbidden, NotVisible


def upload_country(principal: Principal, requested: str | None) -> str | None:
    """The reporting country an upload is imported for."""
    if not principal.can(Permission.UPLOAD):
        raise Forbidden("your role cannot upload files")
    scope = Scope.of(principal)
    requested = (requested or "").strip().upper() or None
    if scope.kind == COUNTRY:
        if requested not in (None, scope.country):
            raise Forbidden(f"you can only upload files for {scope.country}")
        return scope.country
    if scope.kind == HUB:
        if requested is not None:
            raise Forbidden("the hub uploads hemisphere aggregate workbooks only; national files come from countries")
        return None
    if scope.kind == ALL:
        return requested
    raise Forbidden("your role cannot upload files")


def check_kind(principal: Principal, kind: str) -> None:
    """After validation: the hub may only load aggregate figures."""
    if Scope.of(principal).kind == HUB and kind != "aggregates":
        raise Forbidden("the hub uploads aggregate workbooks only (such as UNODC GLOTIP); "
                        "national case records are submitted by each country")


def owner(principal: Principal) -> dict[str, Any]:
    return {"user_id": principal.user_id, "country": principal.country}


def check_staged(principal: Principal, staged_owner: dict[str, Any] | None) -> None:
    """Raise NotVisible unless the principal may see or commit this staged upload."""
    staged_owner = staged_owner or {}
    scope = Scope.of(principal)
    country = staged_owner.get("country")
    allowed = scope.owns(country) if country else (
        scope.kind == ALL or (principal.user_id is not None and staged_owner.get("user_id") == principal.user_id))
    if not allowed or not principal.can(Permission.UPLOAD):
        raise NotVisible("no such upload")
