"""One error type for the federation: a stable `code` (written in receipts and JSON errors), a message that names
what is wrong, and optional details."""

from __future__ import annotations

from typing import Any

from tipnet.errors import TipnetError


class FederationError(TipnetError, ValueError):
    status, code = 422, "invalid-request"

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details
