"""The project's domain errors: one base class, mapped once to the JSON error shape (`tipnet.web.errors`) and to the
command line's exit (`tipnet.cli.common`).

Each error carries an HTTP-like `status`, a stable `code`, a message that names what is wrong and optional
`details`. Features raise these (or subclasses of their own); the faces decide how to show them.
"""

from __future__ import annotations

from typing import Any


class TipnetError(Exception):
    status = 400
    code = "bad-request"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message, self.details = message, details


class Unauthenticated(TipnetError):
    """Nobody (or a session still signing in) asked for something that needs a signed-in user."""

    status, code = 401, "unauthorized"


class CodeReused(Unauthenticated):
    """A right one-time code whose time step was already used: refused (no replay); the next code will do."""

    code = "code-reused"


class Forbidden(TipnetError):
    status, code = 403, "forbidden"


class NotVisible(TipnetError):
    """The object is outside the principal's scope; answered as not found so its existence does not leak."""

    status, code = 404, "not-found"


class Invalid(TipnetError):
    status, code = 422, "invalid-request"


class UnknownValue(Invalid, ValueError):
    """A value outside a closed list (a role, say): 422 on the web, and still a ValueError for callers that
    check for one."""


class Throttled(TipnetError):
    status, code = 429, "too-many-requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after


class Unavailable(TipnetError):
    """Something the answer needs could not be reached just now (the store could not be read); asking again later
    may work. The message says what, never the internal error (that is logged)."""

    status, code = 503, "unavailable"
