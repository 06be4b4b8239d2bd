"""Businesses with invite codes, BPU applications (personal fields encrypted), outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "businesses",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("owner_id", BigId, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("sector", sa.String(32), nullable=False),
        sa.Column("workers", sa.Integer, nullable=False),
        sa.Column("size", sa.String(16), nullable=False),
        sa.Column("invite_code", sa.String(32), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_businesses_owner_id", "businesses", ["owner_id"])
    op.create_table(
        "applications",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(24), unique=True),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("business_id", BigId, sa.ForeignKey("businesses.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text),
        sa.Column("nik_token", sa.Text),
        sa.Column("nik_hash", sa.String(64)),
        sa.Column("name_token", sa.Text),
        sa.Column("birth_date_token", sa.Text),
        sa.Column("gender", sa.String(1)),
        sa.Column("phone_token", sa.Text),
        sa.Column("province", sa.String(64)),
        sa.Column("regency", sa.String(64)),
        sa.Column("occupation", sa.String(64)),
        sa.Column("income", sa.BigInteger),
        sa.Column("income_base", sa.BigInteger),
        sa.Column("with_jht", sa.Integer),
        sa.Column("payment_months", sa.Integer),
        sa.Column("monthly_amount", sa.BigInteger),
        sa.Column("reminder_opt_in", sa.Integer, nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True)),
        sa.Column("payment_reminder_opt_in", sa.Integer, nullable=False),
        sa.Column("payment_reminded_month", sa.String(7)),
        sa.Column("consented_at", sa.DateTime(timezone=True)),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    for column in ("user_id", "business_id", "nik_hash", "province", "occupation", "created_at"):
        op.create_index(f"ix_applications_{column}", "applications", [column])
    op.create_index("ix_applications_status_created", "applications", ["status", "created_at"])
    op.create_table(
        "outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("buttons", sa.JSON),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("applications")
    op.drop_table("businesses")
