"""Accounts, sessions, API tokens, login throttling, the audit log and hub sharing (on the shared metadata).

The audit log is append-only: migration 0003 installs triggers that refuse UPDATE and DELETE on it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from tipnet.store.tables import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),  # stored lower-cased
    Column("display_name", Text),
    Column("role", String(32), nullable=False),
    Column("country", String(3)),  # NULL for hub roles
    Column("password_hash", Text, nullable=False),  # argon2id, PHC string
    Column("must_change_password", Boolean, nullable=False),
    Column("totp_secret", String(255)),  # encrypted (tipnet.auth.secretbox); NULL until enrolment is confirmed
    Column("totp_pending", String(255)),  # encrypted; secret shown during enrolment, not yet confirmed
    Column("totp_last_step", BigInteger),  # last accepted TOTP time step (no replay)
    Column("disabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Integer),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_users_country", "country"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the cookie value: the cookie itself is never stored
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("stage", String(16), nullable=False),  # totp | enrol | password | full
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("ip", String(64)),
    Column("user_agent", Text),
    Index("ix_sessions_user", "user_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("public_id", String(16), nullable=False, unique=True),
    Column("secret_sha256", String(64), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("country", String(3), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_api_tokens_user", "user_id"),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(320), primary_key=True),  # "account:<email>" or "ip:<address>"
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=False),
    Column("blocked_until", DateTime(timezone=True)),
)

submission_sharing = Table(
    "submission_sharing",
    metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), primary_key=True),
    Column("shared_with_hub", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),  # grows by one on every change
    Column("changed_by", Integer),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),  # ISO 8601 UTC with microseconds: hashed as written
    Column("actor_id", Integer),
    Column("actor", String(254)),
    Column("role", String(32)),
    Column("country", String(3)),
    Column("ip", String(64)),
    Column("action", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),  # ok | denied | failed
    Column("object_type", String(32)),
    Column("object_id", String(64)),
    Column("subject_country", String(3)),  # whose data the action touched
    Column("details", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_action", "action"),
    Index("ix_audit_log_actor", "actor_id"),
    Index("ix_audit_log_subject_country", "subject_country"),
)
