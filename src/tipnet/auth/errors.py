"""What the policy says no with. The web layer maps these to the one JSON error shape (401, 403, 404, 422, 429)."""

from __future__ import annotations

from typing import Any


class AuthError(Exception):
    status = 400
    code = "bad-request"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message, self.details = message, details


class Unauthenticated(AuthError):
    """Nobody (or a session still signing in) asked for something that needs a signed-in user."""

    status, code = 401, "unauthorized"


class Forbidden(AuthError):
    status, code = 403, "forbidden"


class NotVisible(AuthError):
    """The object is outside the principal's scope; answered as not found so its existence does not leak."""

    status, code = 404, "not-found"


class Invalid(AuthError):
    status, code = 422, "invalid-request"


class UnknownValue(Invalid, ValueError):
    """A value outside a closed list (a role, say): 422 on the web, and still a ValueError for callers that
    check for one."""


class Throttled(AuthError):
    status, code = 429, "too-many-requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after
