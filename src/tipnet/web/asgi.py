"""The application as uvicorn's worker processes build it: each worker calls `app_from_env()` and opens its own
engine on the store named by TIPNET_DB (set by `tipnet serve`).

Nothing the workers must agree on lives in a process: sessions, CSRF (a session field, or a double-submit cookie
before sign-in), login throttling and the audit chain are in the store; the key that encrypts TOTP seeds is
TIPNET_SECRET_KEY or one key file under TIPNET_HOME. Each worker keeps its own statistics source per scope and
reloads it when the store's version changes, so an import committed through one worker shows in all of them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tipnet.auth.settings import AuthSettings
from tipnet.settings import Settings
from tipnet.store import Database


def app_from_env() -> FastAPI:
    from tipnet.maps.warm import warm_in_background
    from tipnet.web.app import create_app

    warm_in_background()  # the first map of this worker does not wait for geometry and fonts
    return create_app(Database(), Settings.from_env())


def proxy_options(settings: AuthSettings) -> dict[str, Any]:
    """uvicorn's options for forwarded headers: believed only from the proxies in TIPNET_TRUSTED_PROXIES. (uvicorn's
    own default believes any peer on 127.0.0.1, so anything else on the machine could make up its address.)"""
    proxies = settings.proxies()
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None}
