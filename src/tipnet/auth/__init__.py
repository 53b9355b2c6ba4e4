"""Accounts and access: roles and permissions, the tenancy scope, passwords (argon2id), TOTP, sessions, API tokens,
login throttling and the hash-chained audit log.

Policy lives here, not in the web layer: the web app resolves a `Principal`, asks `policy.decide` whether a route may
run, and reads record-level data only through the scoped functions of `tipnet.auth.records`.
"""

from tipnet.auth.principal import ANONYMOUS, Principal
from tipnet.auth.roles import Permission, Role

__all__ = ["ANONYMOUS", "Permission", "Principal", "Role"]
