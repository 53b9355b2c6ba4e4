"""Who is asking: a signed-in user (session), a machine (API token) or nobody."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from tipnet.auth.roles import TOKEN_PERMISSIONS, Permission, Role, is_hub, permissions


class Via(StrEnum):
    ANONYMOUS = "anonymous"
    SESSION = "session"
    TOKEN = "token"
    SYSTEM = "system"  # the software itself (demo loading, seeding): the whole store is in scope
    CLI = "cli"  # the operator at the command line, who holds the database: the whole store is in scope


class Stage(StrEnum):
    """Where a session stands: a session that is not `FULL` may only finish signing in."""

    TOTP = "totp"  # password accepted, one-time code due
    ENROL = "enrol"  # password accepted, the role needs a second factor that is not set up yet
    PASSWORD = "password"  # signed in with a temporary password that must be changed
    FULL = "full"


@dataclass(frozen=True)
class Principal:
    via: Via = Via.ANONYMOUS
    user_id: int | None = None
    email: str | None = None
    role: Role | None = None
    country: str | None = None
    stage: Stage = Stage.FULL
    session_id: str | None = None
    csrf: str | None = None
    token_id: int | None = None
    ip: str | None = None
    os_user: str | None = None  # the operating-system account a command line runs as (Via.CLI)

    @property
    def authenticated(self) -> bool:
        """Fully signed in (a session past every step, or a valid API token)."""
        return self.via in (Via.SESSION, Via.TOKEN, Via.SYSTEM, Via.CLI) and self.stage == Stage.FULL

    @property
    def operator(self) -> bool:
        """The software or the person holding the database: not limited to a country or to shared records."""
        return self.via in (Via.SYSTEM, Via.CLI)

    @property
    def hub(self) -> bool:
        return is_hub(self.role)

    @property
    def permissions(self) -> frozenset[Permission]:
        if not self.authenticated:
            return frozenset()
        granted = permissions(self.role)
        return granted & TOKEN_PERMISSIONS if self.via == Via.TOKEN else granted

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def with_ip(self, ip: str | None) -> Principal:
        return replace(self, ip=ip)


ANONYMOUS = Principal()


def system(label: str = "system") -> Principal:
    """The software acting on its own (demo loading, seeding): the whole store is in scope."""
    return Principal(via=Via.SYSTEM, email=label, role=Role.HUB_ADMIN)


def operator(os_user: str) -> Principal:
    """The operator at the command line, running as this OS user: holds the database, so the whole store is in scope
    (with a hub administrator's permissions); every record-level read and change is audited as `cli:<os_user>`,
    marked as coming from the command line."""
    return Principal(via=Via.CLI, email=f"cli:{os_user}", role=Role.HUB_ADMIN, os_user=os_user)
