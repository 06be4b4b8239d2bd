"""The one sender against the stand-in Bot API: limits, 429 retry_after, 5xx and timeouts, once each."""
from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Bot

from bot.channels.http import AiohttpRequest
from bot.channels.sender import Sender
from bot.channels.telegram import TelegramChannel
from bot.storage.models import Outbox
from bot.storage.repository import Repository
from tests.telegram_standin import StandIn

pytestmark = pytest.mark.asyncio


@pytest.fixture()
def standin():
    server = StandIn().start()
    yield server
    server.stop()


def queue(database, chat: str, count: int, prefix: str = "m") -> None:
    with database.transaction() as session:
        repo = Repository(session)
        user = repo.user("telegram", chat, chat)
        for n in range(count):
            repo.queue_reply(user, f"{prefix}-{chat}-{n}", {"text": f"pesan {n} untuk {chat}", "buttons": []})


async def sender_for(standin, database, **pace):
    # The bot's own transport: 429s, 5xx, refusals and resets reach the sender as PTB's errors.
    bot = Bot(standin.token, base_url=standin.base_url, request=AiohttpRequest(read_timeout=1.0, write_timeout=1.0,
                                                                                connect_timeout=1.0))
    await bot.initialize()
    channel = TelegramChannel(None)
    return bot, Sender(database, lambda chat, reply, edit: channel.send(bot, chat, reply, edit), **pace)


async def drain(sender, database, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await sender.flush()
        with database.transaction() as session:
            left = session.query(Outbox).filter(Outbox.sent_at.is_(None), Outbox.failed_at.is_(None)).count()
        if not left:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("messages left undelivered")


async def test_faults_still_deliver_every_message_exactly_once(standin, database):
    queue(database, "101", 4)
    queue(database, "102", 4)
    standin.fail("sendMessage", 429, times=2, retry_after=1)
    standin.fail("sendMessage", 502, times=2)
    standin.fail("sendMessage", 500, times=1, delay=2.0)           # answered after the client gave up
    bot, sender = await sender_for(standin, database, per_chat_rate=50, per_chat_burst=50)
    try:
        await drain(sender, database)
    finally:
        await bot.shutdown()
    for chat in (101, 102):
        texts = [m["text"] for m in standin.bot_messages(chat)]
        assert texts == [f"pesan {n} untuk {chat}" for n in range(4)], texts      # once each, in order
    assert sender.stats["rate_limited"] >= 1 and sender.stats["retried"] >= 3
    assert not standin.errors


async def test_one_chat_is_paced_to_about_one_message_a_second(standin, database):
    queue(database, "201", 5)
    bot, sender = await sender_for(standin, database, per_chat_rate=1.0, per_chat_burst=2.0)
    try:
        await drain(sender, database)
    finally:
        await bot.shutdown()
    times = [standin.event_time(201, n) for n in range(5)]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps[0] < 0.5                       # the burst goes at once
    assert all(gap > 0.8 for gap in gaps[1:]), gaps


async def test_live_processes_share_the_bots_overall_limit(standin, database):
    """Telegram counts ~30 messages a second per bot: two live workers send at most ~15/s each."""
    from bot.storage import liveness

    for chat in range(301, 341):
        queue(database, str(chat), 1)
    bot, sender = await sender_for(standin, database, rate=30.0)
    try:
        with database.transaction() as session:
            liveness.beat(session, "another-worker")           # a second process is alive
        await asyncio.to_thread(sender._beat)
        began = time.monotonic()
        await drain(sender, database)
        elapsed = time.monotonic() - began
    finally:
        await bot.shutdown()
    sent = sum(len(standin.bot_messages(chat)) for chat in range(301, 341))
    assert sent == 40
    assert elapsed > (40 - 15) / 15 * 0.9, elapsed        # 15 at once, then 15 a second


async def test_a_refused_message_is_not_retried_forever(standin, database):
    with database.transaction() as session:
        repo = Repository(session)
        user = repo.user("telegram", "301", "301")
        repo.queue_reply(user, "bad-1", {"text": "x", "buttons": [{"label": "terlalu panjang", "data": "d" * 80}]})
        repo.queue_reply(user, "ok-1", {"text": "yang ini sampai", "buttons": []})
    bot, sender = await sender_for(standin, database)
    try:
        await drain(sender, database)
    finally:
        await bot.shutdown()
    with database.transaction() as session:
        bad = session.query(Outbox).filter_by(idempotency_key="bad-1").one()
        assert bad.failed_at is not None and bad.sent_at is None
    assert [m["text"] for m in standin.bot_messages(301)] == ["yang ini sampai"]
    standin.errors.clear()                    # the refusal was the point of this test


async def test_queuing_the_same_reply_twice_sends_it_once(standin, database):
    queue(database, "401", 2, prefix="same")
    queue(database, "401", 2, prefix="same")
    bot, sender = await sender_for(standin, database)
    try:
        await drain(sender, database)
    finally:
        await bot.shutdown()
    assert len(standin.bot_messages(401)) == 2


async def _wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not delivered"
        await asyncio.sleep(0.05)


async def test_an_idle_sender_does_not_poll_the_outbox_yet_delivers_when_woken_or_due(standin, database):
    """No busy polling: with the fallback poll an hour away, an idle sender reads the outbox once (at
    start) and then only beats; a reply queued in this process goes out when the sender is woken,
    and a 429's retry goes out when it falls due, without waiting for the poll."""
    from sqlalchemy import event

    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: statements.append(sql.lower()))
    bot, sender = await sender_for(standin, database, per_chat_rate=50, per_chat_burst=50)
    task = asyncio.create_task(sender.run(interval=3600))
    try:
        await _wait_for(lambda: any("from outbox" in s for s in statements))        # the first round
        await asyncio.sleep(2.5)                                                    # idle
        idle = [s for s in statements if "outbox" in s]
        assert len(idle) == 1, idle
        assert any("update workers" in s for s in statements)                        # still beating

        queue(database, "501", 1)
        sender.wake()
        await _wait_for(lambda: len(standin.bot_messages(501)) == 1)

        standin.fail("sendMessage", 429, times=1, retry_after=1)
        queue(database, "502", 1)
        sender.wake()
        await _wait_for(lambda: sender.stats["rate_limited"] == 1)
        await _wait_for(lambda: len(standin.bot_messages(502)) == 1)                # retried when due
    finally:
        task.cancel()
        await bot.shutdown()
    assert [m["text"] for m in standin.bot_messages(502)] == ["pesan 0 untuk 502"]


async def test_a_turn_typed_while_the_last_turns_replies_go_out_follows_them_in_order(standin, database):
    """A turn's replies are claimed in its own transaction, unless older ones of the chat still wait:
    then they follow those, in order, once the sending of those is done (no poll needed)."""
    bot, sender = await sender_for(standin, database, per_chat_rate=2.0, per_chat_burst=1.0)
    task = asyncio.create_task(sender.run(interval=3600))
    try:
        queue(database, "601", 3, prefix="first")
        sender.wake()
        await _wait_for(lambda: len(standin.bot_messages(601)) == 1)        # the rest is being paced
        with database.transaction() as session:
            repo = Repository(session)
            user = repo.user("telegram", "601", "601")
            assert sender.lease(session, "601") is None             # not ahead of the waiting ones
            repo.queue_replies(user, [(f"second-{n}", {"text": f"balasan {n}", "buttons": []}, None) for n in range(2)])
        await sender.flush("601")
        await _wait_for(lambda: len(standin.bot_messages(601)) == 5)
        with database.transaction() as session:
            repo = Repository(session)
            user = repo.user("telegram", "602", "602")
            lease = sender.lease(session, "602")                   # nothing older: claimed at once
            reply = {"text": "langsung", "buttons": []}
            ids = repo.queue_replies(user, [("third-0", reply, None)], lease)
            claimed = [(ids[0], "602", reply, None)]
        assert lease is not None and lease["claimed_by"]
        await sender.send_claimed(claimed)
    finally:
        task.cancel()
        await bot.shutdown()
    assert [m["text"] for m in standin.bot_messages(601)] == [
        "pesan 0 untuk 601", "pesan 1 untuk 601", "pesan 2 untuk 601", "balasan 0", "balasan 1"]
    assert [m["text"] for m in standin.bot_messages(602)] == ["langsung"]
    await asyncio.sleep(0)
    with database.transaction() as session:
        assert session.query(Outbox).filter(Outbox.sent_at.is_(None)).count() == 0


async def test_a_polling_bots_idle_sender_stays_quiet_and_beats_before_it_claims(standin, database):
    """Polling (no update claims): idle, not even the heartbeat is written every second; a claim
    beats in its own transaction first, so no other process takes the row for a dead one's."""
    from sqlalchemy import event

    from bot.storage import liveness
    from bot.storage.models import Worker

    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: statements.append(sql.lower()))
    bot, sender = await sender_for(standin, database, per_chat_rate=50, per_chat_burst=50, idle_beat=60)
    task = asyncio.create_task(sender.run(interval=3600))
    try:
        await _wait_for(lambda: any("from outbox" in s for s in statements))
        await asyncio.sleep(0.5)
        before = len(statements)
        await asyncio.sleep(3)
        assert statements[before:] == []                  # idle: no query at all
        with database.transaction() as session:
            session.query(Worker).delete()                # as if it had died long ago
        queue(database, "701", 1)
        sender.wake()
        await _wait_for(lambda: len(standin.bot_messages(701)) == 1)
        with database.transaction() as session:
            assert session.get(Worker, liveness.INSTANCE) is not None    # alive again when it claimed
    finally:
        task.cancel()
        await bot.shutdown()
