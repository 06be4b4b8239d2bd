"""Conversation context: what the user talks about and told about themselves, and per logged
message how the context was used (read as a follow-up, which profile facts shaped the answer).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("context", sa.JSON()))
        batch.add_column(sa.Column("context_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("message_log") as batch:
        batch.add_column(sa.Column("context", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("message_log") as batch:
        batch.drop_column("context")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("context_at")
        batch.drop_column("context")
