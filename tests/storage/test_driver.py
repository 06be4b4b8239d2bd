"""The statements every message runs go to the DBAPI driver (bot/storage/driver.py): what they write
reads back through SQLAlchemy exactly as the ORM would have written it, on SQLite and PostgreSQL,
and the database's refusals arrive as SQLAlchemy's errors."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.channels.sender import Sender
from bot.storage.models import IncomingUpdate, MessageLog, Outbox, Worker
from bot.storage.repository import Repository


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def test_a_turns_rows_read_back_as_written(database):
    reply = {"text": "Iuran JKK <b>0,24%</b> dari upah", "buttons": [{"label": "Menu", "data": "menu"}],
             "edit": False}
    before = dt.datetime.now(dt.timezone.utc)
    with database.transaction() as session:
        repo = Repository(session)
        assert not repo.update_done(7001)
        user = repo.user("telegram", "901", "901")
        repo.log_many(user, [dict(direction="in", kind="text", text="brp iuran jkk", intent="contribution_rate",
                                  confidence=0.93, entities=[{"entity": "program", "value": "JKK"}]),
                             dict(direction="out", kind="reply", text="Iuran JKK …")])
        repo.finish_update(7001, "901")
        ids = repo.queue_replies(user, [("telegram:7001:0", reply, None), ("telegram:7001:1", {"text": "lagi"}, 55)])
        user_id = user.id
    with database.transaction() as session:
        logged = session.execute(select(MessageLog).where(MessageLog.user_id == user_id)
                                 .order_by(MessageLog.id)).scalars().all()
        assert [(m.direction, m.text, m.intent) for m in logged] == [
            ("in", "brp iuran jkk", "contribution_rate"), ("out", "Iuran JKK …", None)]
        assert logged[0].entities == [{"entity": "program", "value": "JKK"}] and logged[1].entities is None
        assert before <= _aware(logged[0].created_at) <= dt.datetime.now(dt.timezone.utc)
        rows = [session.get(Outbox, row_id) for row_id in ids]
        assert [r.idempotency_key for r in rows] == ["telegram:7001:0", "telegram:7001:1"]   # ids in order
        assert rows[0].reply == reply and rows[0].buttons == reply["buttons"] and rows[1].buttons == []
        assert rows[1].edit_message_id == 55 and rows[0].attempts == 0 and rows[0].sent_at is None
        update = session.get(IncomingUpdate, 7001)
        assert (update.status, update.chat_id, update.payload, update.attempts) == ("done", "901", {}, 1)
        assert Repository(session).update_done(7001)


def test_marking_sent_and_beating_through_the_driver(database):
    sender = Sender(database, deliver=None, idle_beat=60)      # as the polling bot: claims beat first
    with database.transaction() as session:
        repo = Repository(session)
        user = repo.user("telegram", "902", "902")
        lease = sender.lease(session, "902")                   # the first beat adds this worker's row
        [row_id] = repo.queue_replies(user, [("telegram:7002:0", {"text": "halo"}, None)], lease)
    sender._finish(row_id, sent=True)
    with database.transaction() as session:
        row = session.get(Outbox, row_id)
        assert row.sent_at is not None and row.attempts == 1 and row.claimed_by is None
        assert row.next_attempt_at is None and row.idempotency_key == "telegram:7002:0"
        first = _aware(session.execute(select(Worker.heartbeat_at)).scalar_one())
    sender._beat_at = float("-inf")                            # a second later: the next claim beats again
    with database.transaction() as session:
        assert sender.lease(session, "902") is not None        # nothing waits in the chat any more
    with database.transaction() as session:
        assert _aware(session.execute(select(Worker.heartbeat_at)).scalar_one()) > first


def test_the_same_reply_queued_twice_is_refused_as_sqlalchemys_integrity_error(database):
    with database.transaction() as session:
        repo = Repository(session)
        user = repo.user("telegram", "903", "903")
        repo.queue_replies(user, [("telegram:7003:0", {"text": "sekali"}, None)])
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            repo = Repository(session)
            repo.queue_replies(repo.user("telegram", "903", "903"), [("telegram:7003:0", {"text": "dua kali"}, None)])
    with database.transaction() as session:
        texts = session.execute(select(Outbox.text).where(Outbox.chat_id == "903")).scalars().all()
    assert texts == ["sekali"]
