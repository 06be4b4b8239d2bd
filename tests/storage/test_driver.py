"""The statements every message runs go to the DBAPI driver (bot/storage/driver.py): what they write
reads back through SQLAlchemy exactly as the ORM would have written it, on SQLite and PostgreSQL,
and the database's refusals arrive as SQLAlchemy's errors."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from bot.channels.sender import Sender
from bot.storage.models import IncomingUpdate, MessageLog, Outbox, User, Worker
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
        # A field a row does not give is SQL NULL (as the ORM leaves it), not the JSON text null.
        unset = session.execute(select(MessageLog.id).where(MessageLog.user_id == user_id,
                                                            MessageLog.entities.is_(None))).scalars().all()
        assert unset == [logged[1].id]
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


def test_the_user_read_on_the_driver_is_changed_like_an_orm_object_and_written_back(database):
    with database.transaction() as session:
        created = Repository(session).user("telegram", "904", "904")     # first contact: the ORM creates it
        created.role = "worker"
    with database.transaction() as session:
        user_id, stamped = created.id, session.get(User, created.id).updated_at
    moment = dt.datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=dt.timezone.utc)
    with database.transaction() as session:
        repo = Repository(session)
        user = repo.user("telegram", "904", "905")                       # the chat moved
        assert (user.id, user.role, user.data, user.flow) == (user_id, "worker", {}, None)
        assert repo.open_handoff(user) is None
        repo.set_state(user, "calculator", "income", {"program": "bpu"})
        user.context, user.context_at = {"topic": {"intent": "contribution_bpu"}}, moment
        statements = []
        listen = lambda *args: statements.append(args[2])
        event.listen(database.engine, "before_cursor_execute", listen)
        try:
            repo.save_user(user)
            written = list(statements)
            session.flush()                                              # nothing left for the ORM
        finally:
            event.remove(database.engine, "before_cursor_execute", listen)
        assert len(written) == 1 and written[0].startswith("UPDATE users") and statements == written
        assert user.flow == "calculator"                                 # still readable
    with database.transaction() as session:
        again = session.get(User, user_id)
        assert (again.chat_id, again.flow, again.step, again.data) == ("905", "calculator", "income",
                                                                        {"program": "bpu"})
        assert again.context == {"topic": {"intent": "contribution_bpu"}} and _aware(again.context_at) == moment
        assert _aware(again.updated_at) > _aware(stamped) and again.role == "worker"


def test_a_user_read_on_the_driver_brings_its_open_handoff(database):
    with database.transaction() as session:
        repo = Repository(session)
        handoff = repo.start_handoff(repo.user("telegram", "906", "906"), "minta admin")
        handoff_id = handoff.id
    with database.transaction() as session:
        repo = Repository(session)
        user = repo.user("telegram", "906", "906")
        assert repo.open_handoff(user).id == handoff_id
        handoff = repo.open_handoff(user)                 # asked again: read afresh, still there
        handoff.status = "closed"
        session.flush()
        assert repo.open_handoff(user) is None
