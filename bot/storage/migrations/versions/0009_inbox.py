"""Handoff inbox, review markers and application status history (owned by the workspace work)

Handoffs get states open -> pending -> resolved (old "closed" rows become "resolved"), the first
staff reply and the oldest unanswered message; private notes on handoffs; a "reviewed" marker per
conversation; review labels remember their labelling action (undo); applications keep a status
history (who set which status when).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("first_response_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True)))
    op.execute("update handoffs set status = 'resolved' where status = 'closed'")
    op.execute("update handoffs set waiting_since = opened_at where status = 'open'")
    with op.batch_alter_table("review_labels") as batch:
        batch.add_column(sa.Column("batch", sa.String(32)))
        batch.create_index("ix_review_labels_batch", ["batch"])
    op.create_table(
        "handoff_notes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("handoff_id", BigId, sa.ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("staff_id", BigId, sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("staff_name", sa.String(64)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_handoff_notes_handoff_id", "handoff_notes", ["handoff_id"])
    op.create_table(
        "conversation_reviews",
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("staff_id", BigId, sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("staff_name", sa.String(64)),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "application_status_changes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("application_id", BigId, sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("staff_id", BigId, sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("staff_name", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_application_status_changes_application_id", "application_status_changes",
                    ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_application_status_changes_application_id", "application_status_changes")
    op.drop_table("application_status_changes")
    op.drop_table("conversation_reviews")
    op.drop_index("ix_handoff_notes_handoff_id", "handoff_notes")
    op.drop_table("handoff_notes")
    with op.batch_alter_table("review_labels") as batch:
        batch.drop_index("ix_review_labels_batch")
        batch.drop_column("batch")
    op.execute("update handoffs set status = 'closed' where status = 'resolved'")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("waiting_since")
        batch.drop_column("first_response_at")
