"""Account and session settings, declared once as data with help text; each settable as TIPNET_<NAME>.

Kept apart from `tipnet.settings.Settings` (import limits) so the security knobs are read and reviewed together.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, fields
from dataclasses import field as dc_field

from tipnet.errors import Invalid


def _setting(default: object, help: str) -> object:  # noqa: A002 - mirrors argparse's name
    return dc_field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class AuthSettings:
    secure_cookies: bool = _setting(False, "Mark cookies Secure (set to 1 whenever the app is served over HTTPS).")  # type: ignore[assignment]
    session_idle_seconds: int = _setting(30 * 60, "A session ends after this many seconds without a request.")  # type: ignore[assignment]
    session_max_seconds: int = _setting(12 * 3600, "A session ends this many seconds after sign-in, whatever happens.")  # type: ignore[assignment]
    session_warn_seconds: int = _setting(2 * 60, "Pages warn this long before an idle session ends.")  # type: ignore[assignment]
    signin_step_seconds: int = _setting(10 * 60, "Time allowed between the password and the one-time code.")  # type: ignore[assignment]
    login_free_failures: int = _setting(  # type: ignore[assignment]
        5, "Failed sign-ins at one account from one source (address) before that source is slowed down for it.")
    login_free_failures_ip: int = _setting(  # type: ignore[assignment]
        30, "Failed sign-ins from one source, at any accounts, before it is slowed down.")
    login_max_block_seconds: int = _setting(15 * 60, "Longest wait imposed after repeated failures.")  # type: ignore[assignment]
    login_alert_failures: int = _setting(  # type: ignore[assignment]
        20, "Failed sign-ins at one account, from all sources, that alert the hub administrator (again at 2x, 4x ...).")
    login_forget_seconds: int = _setting(24 * 3600, "Failures older than this are forgotten.")  # type: ignore[assignment]
    password_min_length: int = _setting(12, "Shortest password accepted.")  # type: ignore[assignment]
    token_days: int = _setting(365, "Default lifetime of an API token, in days.")  # type: ignore[assignment]
    trusted_proxies: str = _setting(  # type: ignore[assignment]
        "", "Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For and X-Forwarded-Proto "
            "are believed; empty: none, every request is from the address that connected.")
    api_docs: bool = _setting(  # type: ignore[assignment]
        True, "Serve the API reference (/api/docs, /api/openapi.json) to signed-in users; 0 switches it off.")

    @classmethod
    def from_env(cls, **overrides: object) -> AuthSettings:
        values: dict[str, object] = {}
        for f in fields(cls):
            env = os.environ.get(f"TIPNET_{f.name.upper()}")
            if env is not None:
                if f.type in ("bool", bool):
                    values[f.name] = env.strip().lower() in ("1", "true", "yes")
                else:
                    values[f.name] = env.strip() if f.type in ("str", str) else int(env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def proxies(self) -> list[str]:
        """The trusted proxies, each checked to be an address or a network (a typo must not widen the trust)."""
        out = []
        for item in (p.strip() for p in self.trusted_proxies.split(",")):
            if not item:
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise Invalid(f"TIPNET_TRUSTED_PROXIES: {item!r} is not an IP address or network") from None
            out.append(item)
        return out

    @staticmethod
    def describe() -> list[tuple[str, object, str]]:
        return [(f.name, f.default, f.metadata["help"]) for f in fields(AuthSettings)]
