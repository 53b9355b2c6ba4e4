"""Typed FastAPI dependencies of the page handlers: the store, the signed-in principal, its scope, the language.

`enforce` (tipnet.web.security), an app-wide dependency, runs before these and has resolved the principal. The
functions are `async` and touch no store, so they add no thread hop to a request.

`Sources` is the statistics sources' cache (one source per scope), not the caller's source: the handler asks for
that (`sources.for_principal(me)`, which refuses a role without statistics) where it decides to.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tipnet.auth.principal import Principal
from tipnet.auth.settings import AuthSettings
from tipnet.auth.sources import SourceCache
from tipnet.auth.tenancy import Scope
from tipnet.settings import Settings
from tipnet.store import Database
from tipnet.web.i18n import negotiate
from tipnet.web.security import principal


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_principal(request: Request) -> Principal:
    return principal(request)


async def get_scope(request: Request) -> Scope:
    return Scope.of(principal(request))


async def get_lang(request: Request) -> str:
    return negotiate(request)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_auth_settings(request: Request) -> AuthSettings:
    settings: AuthSettings = request.app.state.auth_settings
    return settings


async def get_sources(request: Request) -> SourceCache:
    sources: SourceCache = request.app.state.sources
    return sources


Db = Annotated[Database, Depends(get_db)]
Me = Annotated[Principal, Depends(get_principal)]
CallerScope = Annotated[Scope, Depends(get_scope)]
Lang = Annotated[str, Depends(get_lang)]
AppSettings = Annotated[Settings, Depends(get_settings)]
AuthConfig = Annotated[AuthSettings, Depends(get_auth_settings)]
Sources = Annotated[SourceCache, Depends(get_sources)]
