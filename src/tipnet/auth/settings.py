"""Account and session settings, declared once as data with help text; each settable as TIPNET_<NAME>.

Kept apart from `tipnet.settings.Settings` (import limits) so the security knobs are read and reviewed together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from dataclasses import field as dc_field


def _setting(default: object, help: str) -> object:  # noqa: A002 - mirrors argparse's name
    return dc_field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class AuthSettings:
    secure_cookies: bool = _setting(False, "Mark cookies Secure (set to 1 whenever the app is served over HTTPS).")  # type: ignore[assignment]
    session_idle_seconds: int = _setting(30 * 60, "A session ends after this many seconds without a request.")  # type: ignore[assignment]
    session_max_seconds: int = _setting(12 * 3600, "A session ends this many seconds after sign-in, whatever happens.")  # type: ignore[assignment]
    session_warn_seconds: int = _setting(2 * 60, "Pages warn this long before an idle session ends.")  # type: ignore[assignment]
    signin_step_seconds: int = _setting(10 * 60, "Time allowed between the password and the one-time code.")  # type: ignore[assignment]
    login_free_failures: int = _setting(5, "Failed sign-ins per account before it is slowed down.")  # type: ignore[assignment]
    login_free_failures_ip: int = _setting(30, "Failed sign-ins per IP address before it is slowed down.")  # type: ignore[assignment]
    login_max_block_seconds: int = _setting(15 * 60, "Longest wait imposed after repeated failures.")  # type: ignore[assignment]
    login_forget_seconds: int = _setting(24 * 3600, "Failures older than this are forgotten.")  # type: ignore[assignment]
    password_min_length: int = _setting(12, "Shortest password accepted.")  # type: ignore[assignment]
    token_days: int = _setting(365, "Default lifetime of an API token, in days.")  # type: ignore[assignment]

    @classmethod
    def from_env(cls, **overrides: object) -> AuthSettings:
        values: dict[str, object] = {}
        for f in fields(cls):
            env = os.environ.get(f"TIPNET_{f.name.upper()}")
            if env is not None:
                values[f.name] = env.strip().lower() in ("1", "true", "yes") if f.type in ("bool", bool) else int(env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    @staticmethod
    def describe() -> list[tuple[str, object, str]]:
        return [(f.name, f.default, f.metadata["help"]) for f in fields(AuthSettings)]
