"""The topic under the intent understood (`claim_jht` + `no_paklaring`), per logged message.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message_log") as batch:
        batch.add_column(sa.Column("topic", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("message_log") as batch:
        batch.drop_column("topic")
