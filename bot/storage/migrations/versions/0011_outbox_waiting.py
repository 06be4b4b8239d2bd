"""An index of the messages still waiting to be sent, per chat

Every turn asks whether its chat has a message still waiting (its replies go out after it); the
outbox keeps every sent message too, so without this index that question read the whole table.
Partial: only waiting rows are in it, so it stays as small as the queue.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

WAITING = sa.text("sent_at IS NULL AND failed_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_outbox_waiting_chat", "outbox", ["chat_id", "id"], sqlite_where=WAITING,
                    postgresql_where=WAITING)


def downgrade() -> None:
    op.drop_index("ix_outbox_waiting_chat", table_name="outbox")
