"""TOTP second factor (RFC 6238 via pyotp): 6 digits, 30-second steps, one step of clock drift, no replay."""

from __future__ import annotations

import hmac

import pyotp

from tipnet.auth import clock

ISSUER = "tipnet"
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def current_code(secret: str) -> str:
    return pyotp.TOTP(secret).at(clock.now())


def matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step the code belongs to (within the allowed drift), or None. A step at or before `last_step` was
    already used and is refused, so a code seen over a shoulder cannot be replayed."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = clock.now()
    step = totp.timecode(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if last_step is not None and candidate <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def already_used(secret: str, code: str, last_step: int | None) -> bool:
    """Whether a refused code is a right one whose time step was already used (so the person should wait for the
    next code rather than check the device): it matches a step within the drift at or before `last_step`."""
    code = "".join(code.split())
    if last_step is None or not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secret)
    step = totp.timecode(clock.now())
    return any(hmac.compare_digest(totp.generate_otp(candidate), code)
               for candidate in range(step - DRIFT_STEPS, min(step + DRIFT_STEPS, last_step) + 1))
