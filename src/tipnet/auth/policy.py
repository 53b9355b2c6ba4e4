"""Access rules for entry points, and who may administer whom. The web layer tags every route with a `Rule` and
asks `decide`; a route without a rule is refused (see `tipnet.web.security`)."""

from __future__ import annotations

from dataclasses import dataclass

from tipnet.auth.principal import Principal, Stage, Via
from tipnet.auth.roles import ASSIGNABLE, Permission, Role, is_hub
from tipnet.errors import Forbidden, NotVisible, Unauthenticated


@dataclass(frozen=True)
class Rule:
    """`public`: anyone. `stages`: a session at one of these sign-in stages (no API tokens). `signed_in`: any
    fully signed-in session. `permission`: a fully signed-in principal holding it."""

    name: str
    public: bool = False
    stages: frozenset[Stage] = frozenset()
    signed_in: bool = False
    permission: Permission | None = None

    def __str__(self) -> str:
        return self.name


PUBLIC = Rule("public", public=True)
SIGNED_IN = Rule("signed-in", signed_in=True)
ANY_SESSION = Rule("any-session", stages=frozenset(Stage))
TOTP_STEP = Rule("totp-step", stages=frozenset({Stage.TOTP}))
ENROL_STEP = Rule("enrol-step", stages=frozenset({Stage.ENROL, Stage.FULL}))
PASSWORD_STEP = Rule("password-step", stages=frozenset({Stage.PASSWORD, Stage.FULL}))


def needs(permission: Permission) -> Rule:
    return Rule(f"needs:{permission.value}", permission=permission)


def decide(principal: Principal, rule: Rule) -> None:
    """Return when the principal may use an entry point with this rule; raise Unauthenticated or Forbidden."""
    if rule.public:
        return
    if rule.stages:
        if principal.via == Via.SESSION and principal.stage in rule.stages:
            return
        if principal.via == Via.TOKEN:
            raise Forbidden("API tokens cannot use this page")
        if principal.authenticated:
            raise Forbidden("you are signed in already")
        raise Unauthenticated("sign in first", {"stage": principal.stage.value if principal.via != Via.ANONYMOUS
                                                 else None})
    if not principal.authenticated:
        detail = {"stage": principal.stage.value} if principal.via == Via.SESSION else None
        raise Unauthenticated("sign in to continue" if detail is None else "finish signing in first", detail)
    if rule.signed_in:
        if principal.via != Via.SESSION:
            raise Forbidden("this page is for people, not API tokens")
        return
    if rule.permission is not None and principal.can(rule.permission):
        return
    raise Forbidden("your role does not allow this")


def check_manage(actor: Principal, role: Role, country: str | None) -> None:
    """Raise unless `actor` may create, or give this role and country to, an account."""
    if not actor.can(Permission.USERS_ADMIN) or actor.role is None:
        raise Forbidden("you cannot administer users")
    if role not in ASSIGNABLE.get(actor.role, frozenset()):
        raise Forbidden(f"a {actor.role.value} cannot give the role {role.value}")
    if not is_hub(actor.role) and country != actor.country:
        raise Forbidden("you can only administer your own country's users")


def check_target(actor: Principal, target_role: Role, target_country: str | None) -> None:
    """Raise unless `actor` may change an existing account with this role and country (outside scope: not found)."""
    if not actor.can(Permission.USERS_ADMIN) or actor.role is None:
        raise Forbidden("you cannot administer users")
    if not is_hub(actor.role) and target_country != actor.country:
        raise NotVisible("no such user")
    if target_role not in ASSIGNABLE.get(actor.role, frozenset()):
        raise Forbidden(f"a {actor.role.value} cannot change a {target_role.value}")
