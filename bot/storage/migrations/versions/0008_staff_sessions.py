"""Server-side staff sessions; staff accounts disabled, never deleted (owned by the security work)

- `staff_sessions`: one row per logged-in browser (the cookie carries a random token, the row its
  hash), so logout, a password change or disabling an account really ends the session.
- `staff.disabled_at` / `staff.password_changed_at`; on SQLite the staff table is rebuilt with
  AUTOINCREMENT so an id is never handed out twice (PostgreSQL's sequence never reuses one).
- `login_throttle`: failed logins per account name and per client address (growing delays).
- `audit_log.address`: the client address of each audited request.
- Logged messages are masked again with the widened masking (NIKs and phone numbers typed with
  separators were stored in clear before).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # SQLite: a copy of the table with AUTOINCREMENT (Database.migrate turns foreign keys off, so
    # the rows pointing at staff keep their ids while the table is swapped).
    with op.batch_alter_table("staff", recreate="always" if sqlite else "auto",
                              table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True)))
    op.create_table(
        "staff_sessions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("staff_id", BigId, sa.ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(45)),
        sa.Column("user_agent", sa.String(200)),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_index("ix_staff_sessions_expires_at", "staff_sessions", ["expires_at"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("address", sa.String(45)))
    _mask_logged_messages()


def _mask_logged_messages() -> None:
    from bot.privacy import mask_text
    from bot.review import normalize

    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(sa.text("select id, text, direction from message_log where id > :last "
                                          "order by id limit 1000"), {"last": last}).fetchall()
        if not rows:
            return
        for row_id, text, direction in rows:
            masked = mask_text(text or "")
            if masked != (text or ""):
                values = {"t": masked, "i": row_id}
                if direction == "in":
                    connection.execute(sa.text("update message_log set text = :t, normalized = :n where id = :i"),
                                       {**values, "n": normalize(masked)})
                else:
                    connection.execute(sa.text("update message_log set text = :t where id = :i"), values)
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("address")
    op.drop_table("login_throttle")
    op.drop_index("ix_staff_sessions_expires_at", "staff_sessions")
    op.drop_index("ix_staff_sessions_staff_id", "staff_sessions")
    op.drop_table("staff_sessions")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("disabled_at")
