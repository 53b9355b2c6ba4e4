"""The application as uvicorn's worker processes build it: each worker calls `app_from_env()` and opens its own
engine on the store named by TIPNET_DB (set by `tipnet serve`).

Nothing the workers must agree on lives in a process: sessions, CSRF (a session field, or a double-submit cookie
before sign-in), login throttling and the audit chain are in the store; the key that encrypts TOTP seeds is
TIPNET_SECRET_KEY or one key file under TIPNET_HOME. Each worker keeps its own statistics source per scope and
reloads it when the store's version changes, so an import committed through one worker shows in all of them.
"""

from __future__ import annotations

from fastapi import FastAPI

from tipnet.settings import Settings
from tipnet.store import Database


def app_from_env() -> FastAPI:
    from tipnet.web.app import create_app

    return create_app(Database(), Settings.from_env())
