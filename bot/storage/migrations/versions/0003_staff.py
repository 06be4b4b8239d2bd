"""Staff accounts, audit log, review labels, handoffs; normalised message text for review groups.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("message_log") as batch:
        batch.add_column(sa.Column("normalized", sa.String(200)))
    op.create_index("ix_message_log_review", "message_log", ["direction", "confidence"])
    op.create_index("ix_message_log_normalized", "message_log", ["normalized"])
    connection = op.get_bind()
    rows = connection.execute(sa.text("select id, text from message_log where direction = 'in'")).fetchall()
    for row_id, text in rows:
        normalized = re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", (text or "").lower())).strip()[:200]
        connection.execute(sa.text("update message_log set normalized = :n where id = :i"),
                           {"n": normalized, "i": row_id})
    op.create_table(
        "staff",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", BigId, sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("staff_name", sa.String(64)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64)),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])
    op.create_table(
        "review_labels",
        sa.Column("message_id", BigId, sa.ForeignKey("message_log.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("staff_id", BigId, sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "handoffs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agent_id", BigId, sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_handoffs_user_id", "handoffs", ["user_id"])
    op.create_index("ix_handoffs_status", "handoffs", ["status"])


def downgrade() -> None:
    op.drop_table("handoffs")
    op.drop_table("review_labels")
    op.drop_table("audit_log")
    op.drop_table("staff")
    op.drop_index("ix_message_log_normalized", "message_log")
    op.drop_index("ix_message_log_review", "message_log")
    with op.batch_alter_table("message_log") as batch:
        batch.drop_column("normalized")
