"""Migration 0008 on a database that was in use: the staff table is rebuilt with AUTOINCREMENT
without losing who did what, and messages logged with the old, narrower masking are masked again."""
from __future__ import annotations

from alembic import command
from sqlalchemy import text

from bot.storage.database import Database


def test_an_existing_database_keeps_its_staff_history_and_gets_its_messages_masked(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    config = database._alembic()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    now = "2026-11-30 10:00:00"
    with database.engine.begin() as connection:
        connection.execute(text("insert into staff (name, role, password_hash, failed_logins, created_at) values "
                                "('ani', 'admin', 'x', 0, :t), ('lama', 'agent', 'x', 0, :t)"), {"t": now})
        connection.execute(text("insert into audit_log (created_at, staff_id, staff_name, action) values "
                                "(:t, 2, 'lama', 'reply')"), {"t": now})
        connection.execute(text("insert into users (channel, external_id, chat_id, data, created_at, updated_at) "
                                "values ('test', '1', '1', '{}', :t, :t)"), {"t": now})
        for direction, message in (("in", "nik saya 3201/0145/0890/0001, hp +62 812 3456 7890"),
                                   ("out", "Iuran Rp16.800 per bulan")):
            connection.execute(text("insert into message_log (created_at, user_id, chat_id, direction, kind, text, "
                                    "normalized) values (:t, 1, '1', :d, 'text', :m, 'x')"),
                               {"t": now, "d": direction, "m": message})
    database.migrate()
    with database.engine.begin() as connection:
        assert connection.execute(text("select staff_id from audit_log")).scalar() == 2     # not nulled
        logged = dict(connection.execute(text("select direction, text from message_log")).fetchall())
        normalized = connection.execute(text("select normalized from message_log where direction = 'in'")).scalar()
        connection.execute(text("delete from staff where id = 2"))
        connection.execute(text("insert into staff (name, role, password_hash, failed_logins, created_at) "
                                "values ('baru', 'admin', 'x', 0, :t)"), {"t": now})
        new_id = connection.execute(text("select id from staff where name = 'baru'")).scalar()
        assert connection.execute(text("pragma foreign_keys")).scalar() == 1
    assert logged["in"] == "nik saya 3201/****/****/0001, hp +62 81* **** *890"
    assert logged["out"] == "Iuran Rp16.800 per bulan"
    assert "0145" not in normalized
    assert new_id == 3                                   # the removed id 2 is not handed out again
    database.dispose()
