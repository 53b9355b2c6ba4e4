"""secure messaging: keys, envelopes, encrypted attachments, signed receipts, urgent alerts

Revision ID: 0004_messaging
Revises: 0003
Create Date: 2026-11-28 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_messaging"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("messaging",)
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    ref_table, ref_col = target.split(".")
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{ref_table}"))


def upgrade() -> None:
    op.create_table(
        "messaging_keys",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("bundle", sa.Text(), nullable=False),
        sa.Column("self_sig", sa.String(length=100), nullable=False),
        sa.Column("prev_key", sa.String(length=64), nullable=True),
        sa.Column("prev_sig", sa.String(length=100), nullable=True),
        sa.Column("wrapped", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("retired_at", nullable=True),
        _ts("revoked_at", nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        _fk("messaging_keys", "user_id", "users.id"),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_messaging_keys")),
    )
    op.create_index("ix_messaging_keys_user", "messaging_keys", ["user_id"])
    current = sa.text("retired_at IS NULL AND revoked_at IS NULL")
    op.create_index("uq_messaging_keys_one_current", "messaging_keys", ["user_id"], unique=True,
                    sqlite_where=current, postgresql_where=current)
    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.String(length=20), nullable=False),
        _ts("received_at"),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("header", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("envelope_hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        _fk("messages", "sender_id", "users.id"),
        _fk("messages", "sender_key", "messaging_keys.key_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("sender_id", "seq", name="uq_messages_sender_seq"),
    )
    op.create_index("ix_messages_sender", "messages", ["sender_id"])
    op.create_table(
        "message_recipients",
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("is_sender", sa.Boolean(), nullable=False),
        _fk("message_recipients", "message_id", "messages.id"),
        _fk("message_recipients", "user_id", "users.id"),
        sa.PrimaryKeyConstraint("message_id", "user_id", name=op.f("pk_message_recipients")),
    )
    op.create_index("ix_message_recipients_user", "message_recipients", ["user_id"])
    op.create_table(
        "message_attachments",
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        _fk("message_attachments", "message_id", "messages.id"),
        sa.PrimaryKeyConstraint("message_id", "idx", name=op.f("pk_message_attachments")),
    )
    op.create_table(
        "message_receipts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        _ts("received_at"),
        _fk("message_receipts", "message_id", "messages.id"),
        _fk("message_receipts", "user_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_receipts")),
        sa.UniqueConstraint("message_id", "user_id", "kind", name="uq_message_receipts_once"),
    )
    op.create_table(
        "message_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("acknowledged_at", nullable=True),
        _fk("message_alerts", "message_id", "messages.id"),
        _fk("message_alerts", "user_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_alerts")),
        sa.UniqueConstraint("message_id", "user_id", name="uq_message_alerts_once"),
    )
    op.create_index("ix_message_alerts_user", "message_alerts", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_message_alerts_user", table_name="message_alerts")
    op.drop_table("message_alerts")
    op.drop_table("message_receipts")
    op.drop_table("message_attachments")
    op.drop_index("ix_message_recipients_user", table_name="message_recipients")
    op.drop_table("message_recipients")
    op.drop_index("ix_messages_sender", table_name="messages")
    op.drop_table("messages")
    op.drop_index("uq_messaging_keys_one_current", table_name="messaging_keys")
    op.drop_index("ix_messaging_keys_user", table_name="messaging_keys")
    op.drop_table("messaging_keys")
