"""Durable updates (unique update_id) and an outbox that carries every reply with an idempotency key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(64)))
        batch.add_column(sa.Column("reply", sa.JSON))
        batch.add_column(sa.Column("edit_message_id", sa.BigInteger))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("last_error", sa.String(200)))
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True)))
        batch.create_unique_constraint("uq_outbox_idempotency_key", ["idempotency_key"])
    op.create_table(
        "updates",
        sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chat_id", sa.String(64)),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.String(200)),
    )
    op.create_index("ix_updates_chat_id", "updates", ["chat_id"])
    op.create_index("ix_updates_status", "updates", ["status"])


def downgrade() -> None:
    op.drop_table("updates")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("uq_outbox_idempotency_key", type_="unique")
        for column in ("failed_at", "last_error", "next_attempt_at", "edit_message_id", "reply", "idempotency_key"):
            batch.drop_column(column)
