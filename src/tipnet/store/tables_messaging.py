"""Secure messaging (on the shared metadata): public keys and passphrase-wrapped private keys, envelopes, encrypted
attachments, signed receipts, urgent alerts. Nothing here holds plaintext: bodies, subjects, attachment names and
contents are ciphertext made on the users' side (see tipnet.messaging)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from tipnet.store.tables import metadata

_CURRENT = text("retired_at IS NULL AND revoked_at IS NULL")

messaging_keys = Table(
    "messaging_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),  # BLAKE2b-256 of the public keys
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("bundle", Text, nullable=False),  # canonical JSON of the signed public bundle
    Column("self_sig", String(100), nullable=False),
    Column("prev_key", String(64)),  # the key this one replaced (rotation)
    Column("prev_sig", String(100)),  # the previous key's signature over the bundle
    Column("wrapped", Text, nullable=False),  # JSON: argon2id + SecretBox-wrapped private keys
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True)),  # replaced by a newer key: still opens old messages
    Column("revoked_at", DateTime(timezone=True)),  # compromised or lost: sends and receives nothing more
    Column("revoked_by", Integer),
    Index("ix_messaging_keys_user", "user_id"),
    # at most one current key per account, even when two registrations race
    Index("uq_messaging_keys_one_current", "user_id", unique=True, sqlite_where=_CURRENT, postgresql_where=_CURRENT),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(32), primary_key=True),  # chosen by the sender's client, signed
    Column("sender_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("sender_key", String(64), ForeignKey("messaging_keys.key_id"), nullable=False),
    Column("seq", Integer, nullable=False),  # per-sender counter, strictly increasing
    Column("sent_at", String(20), nullable=False),  # as signed
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("header", Text, nullable=False),  # canonical JSON, signed
    Column("signature", String(100), nullable=False),
    Column("envelope_hash", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),  # ciphertext
    UniqueConstraint("sender_id", "seq", name="uq_messages_sender_seq"),
    Index("ix_messages_sender", "sender_id"),
)

message_recipients = Table(
    "message_recipients",
    metadata,
    Column("message_id", String(32), ForeignKey("messages.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("is_sender", Boolean, nullable=False),
    Index("ix_message_recipients_user", "user_id"),
)

message_attachments = Table(
    "message_attachments",
    metadata,
    Column("message_id", String(32), ForeignKey("messages.id"), primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("content", LargeBinary, nullable=False),  # ciphertext
    Column("size", Integer, nullable=False),
)

message_receipts = Table(
    "message_receipts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(32), ForeignKey("messages.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # delivered | read
    Column("key_id", String(64), nullable=False),
    Column("receipt", Text, nullable=False),  # canonical JSON, signed by the recipient
    Column("signature", String(100), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("message_id", "user_id", "kind", name="uq_message_receipts_once"),
)

message_alerts = Table(
    "message_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(32), ForeignKey("messages.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True)),
    UniqueConstraint("message_id", "user_id", name="uq_message_alerts_once"),
    Index("ix_message_alerts_user", "user_id"),
)
