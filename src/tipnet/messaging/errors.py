"""Why a key, an envelope or a receipt is refused. Each error has its own code so the pages, the CLI and the tests can
tell a replay from a forgery; the web layer answers them in the one JSON error shape (they are TipnetErrors)."""

from __future__ import annotations

from tipnet.errors import TipnetError


class MessagingError(TipnetError):
    status, code = 422, "messaging-error"


class Malformed(MessagingError):
    code = "malformed"


class BadSignature(MessagingError):
    code = "bad-signature"


class Tampered(MessagingError):
    code = "tampered"


class Replayed(MessagingError):
    status, code = 409, "replayed"


class RevokedKey(MessagingError):
    status, code = 409, "revoked-key"


class UnknownKey(MessagingError):
    code = "unknown-key"


class TooLarge(MessagingError):
    status, code = 413, "too-large"


class WrongPassphrase(MessagingError):
    code = "wrong-passphrase"


class NotAllowed(MessagingError):
    status, code = 403, "forbidden"


class NotFound(MessagingError):
    status, code = 404, "not-found"
