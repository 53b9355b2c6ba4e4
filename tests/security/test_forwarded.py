"""Finding 6 of the outside probe: `X-Forwarded-For` was believed from any local peer (uvicorn's default trusts
127.0.0.1), so audit rows recorded made-up addresses and the per-address sign-in throttle counted each made-up address
apart. Now a real `tipnet serve` believes forwarded headers only from the proxies in TIPNET_TRUSTED_PROXIES."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from served import serve
from sqlalchemy import select

from tipnet.auth.settings import AuthSettings
from tipnet.errors import Invalid
from tipnet.store.tables_auth import audit_log, login_throttle
from tipnet.web.asgi import proxy_options


@contextmanager
def _serve(db, settings, trusted: str | None) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """`tipnet serve` in a process of its own, as an operator starts it."""
    env = {k: v for k, v in os.environ.items() if k not in ("TIPNET_TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS")}
    env.update({"TIPNET_HOME": str(settings.home), "TIPNET_LOG_LEVEL": "WARNING"})
    if trusted is not None:
        env["TIPNET_TRUSTED_PROXIES"] = trusted
    with serve(db.url, env) as served:
        yield served.base


def _fail_sign_in(base: str, email: str, forwarded_for: str) -> int:
    with httpx.Client(base_url=base, timeout=30) as c:
        csrf = c.get("/login.json").json()["csrf_token"]
        return c.post("/login.json", data={"email": email, "password": "a wrong password"},
                      headers={"x-csrf-token": csrf, "x-forwarded-for": forwarded_for}).status_code


def _seen(db, email: str) -> tuple[list[str | None], dict[str, int]]:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        ips = [r.ip for r in conn.execute(select(audit_log.c.ip).where(audit_log.c.actor == email,
                                                                         audit_log.c.action == "auth.login"))]
        counts = {r.key: r.failures for r in conn.execute(select(login_throttle).where(
            login_throttle.c.key.startswith("ip:")))}
    return ips, counts


def test_a_local_peer_cannot_make_up_its_address(sqlite_db, settings):
    with _serve(sqlite_db, settings, trusted=None) as base:
        codes = [_fail_sign_in(base, "probe@example.org", f"6.6.6.{n}") for n in range(1, 4)]
    assert codes == [401, 401, 401]
    ips, counts = _seen(sqlite_db, "probe@example.org")
    assert ips == ["127.0.0.1"] * 3  # audited as the address that connected
    assert counts == {"ip:127.0.0.1": 3}  # and throttled as one source, not three made-up ones


def test_a_listed_proxy_is_believed(sqlite_db, settings):
    with _serve(sqlite_db, settings, trusted="127.0.0.1") as base:
        assert _fail_sign_in(base, "proxied@example.org", "6.6.6.6") == 401
        # a client's own X-Forwarded-For, passed along by the proxy, does not hide the address the proxy saw
        assert _fail_sign_in(base, "proxied@example.org", "1.2.3.4, 6.6.6.6") == 401
    ips, counts = _seen(sqlite_db, "proxied@example.org")
    assert ips == ["6.6.6.6", "6.6.6.6"] and counts == {"ip:6.6.6.6": 2}


def test_the_setting_is_checked():
    assert proxy_options(AuthSettings()) == {"proxy_headers": False, "forwarded_allow_ips": None}
    assert proxy_options(AuthSettings(trusted_proxies="10.0.0.5, 10.1.0.0/16")) == {
        "proxy_headers": True, "forwarded_allow_ips": ["10.0.0.5", "10.1.0.0/16"]}
    with pytest.raises(Invalid, match="not an IP address"):
        proxy_options(AuthSettings(trusted_proxies="proxy.example.org"))
