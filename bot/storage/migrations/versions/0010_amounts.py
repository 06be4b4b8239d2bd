"""Applications keep the amount per month with its conditions: the normal amount once a discount has
ended, and the last discounted contribution month (the first month's amount stays in monthly_amount).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("normal_amount", sa.BigInteger()))
        batch.add_column(sa.Column("discount_until", sa.String(7)))
    # Rows submitted before: without a discount month recorded the quoted amount was the normal one
    # only when no discount applied; leave NULL (unknown) rather than guess.


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("discount_until")
        batch.drop_column("normal_amount")
