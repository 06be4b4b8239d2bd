"""The one sender: every outgoing Telegram message — replies, agents' answers, status changes,
reminders — leaves the outbox through here.

- Telegram's limits: about 30 messages a second overall (a token bucket whose rate the live
  processes share: each takes 30/N) and about one a second per chat (a small burst of 3, then one
  a second).
- 429 `retry_after` is honoured (the row waits, the whole bucket pauses); 5xx, network errors and
  timeouts are retried with exponential backoff; a 400 that cannot succeed fails the row at once.
- Each row is claimed with a lease before sending and marked sent after, so a reply is sent once.
  (A timeout after Telegram accepted the message cannot be told apart from a lost request; such a
  retry may repeat it. The stand-in's faults reject before accepting, as 429/5xx do.)
- No busy polling: a turn's replies are sent by the turn itself (`flush(chat)`); the sender's own
  round runs when something in this process woke it (`wake()`: reminders queued), when a retry it
  knows of falls due, and otherwise every `interval` seconds (messages other processes queued:
  staff answers, status changes, a dead worker's leftovers). The heartbeat is one UPDATE a second
  while this process holds or sends anything (outbox rows, or a webhook worker's updates: `hold`);
  idle, it beats once a minute, and a claim made after that beats in its own transaction first.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from collections import defaultdict

from sqlalchemy import func, select
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import metrics, trace
from bot.engine.replies import Reply
from bot.storage.database import Database
from bot.storage import liveness
from bot.storage.driver import Driver
from bot.storage.models import Outbox, now

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=30)
IDLE_POLL = 5.0          # seconds between reads of the outbox when nothing woke the sender
OTHERS_SENDING = dt.timedelta(seconds=0.5)   # how soon to look again at a chat another process is sending to
IDLE_BEAT = 60.0         # the heartbeat while this process holds nothing
RECOUNT_EVERY = 5        # beats between counts of the live senders (their share of the rate)
MAX_ATTEMPTS = 8
MAX_BACKOFF = 60.0


class TokenBucket:
    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()
        self.paused_until = 0.0

    def wait_time(self) -> float:
        moment = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (moment - self.stamp) * self.rate)
        self.stamp = moment
        if moment < self.paused_until:
            return self.paused_until - moment
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    async def take(self) -> None:
        while (delay := self.wait_time()) > 0:
            await asyncio.sleep(delay)
        self.tokens -= 1

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


class Sender:
    def __init__(self, database: Database, deliver, channel: str = "telegram", rate: float = 30.0,
                 per_chat_rate: float = 1.0, per_chat_burst: float = 3.0, idle_beat: float | None = None):
        """`deliver(chat_id, reply, edit_message_id)` does the actual Bot API call. `idle_beat`: the
        heartbeat while nothing is held or sent; claims beat first (`_beat_in`, `hold`), then every
        second while they last."""
        self.database = database
        self.deliver = deliver
        self.channel = channel
        self.rate = rate                       # for the whole bot, shared by the live processes
        self.bucket = TokenBucket(rate, rate)
        self.chats: dict[str, TokenBucket] = defaultdict(lambda: TokenBucket(per_chat_rate, per_chat_burst))
        self.chat_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.stats = {"sent": 0, "retried": 0, "failed": 0, "rate_limited": 0}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._requested = False     # wake() was called: a round now
        self._due = 0.0             # when (monotonic) the next row seen waiting falls due; 0: none
        self._beats = 0
        self.idle_beat = max(liveness.BEAT, idle_beat or liveness.BEAT)
        self._beat_at = float("-inf")         # monotonic time of the last beat
        self._busy_until = 0.0                # claims just made: beat every second a little while
        self._sending = 0
        self._holding = 0                     # updates this process is processing (webhook workers)
        self._holding_lock = threading.Lock()   # held from claim threads, released on the event loop
        self._again: set[str] = set()

    # Claiming ------------------------------------------------------------------------------------
    def lease(self, session, chat_id: str) -> dict | None:
        """The claim on a turn's replies, made in the turn's own transaction (no second one to claim
        them): the columns their INSERT carries (no UPDATE after it) — unless older messages of the
        chat still wait; then None, and they go out after those, by `flush`."""
        session.flush()         # what the turn queued before its replies (a note, a reminder) is older
        if Driver.of(session.connection()).first(_WAITING_IN_CHAT, (chat_id, self.channel)):
            return None
        self._beat_in(session)
        return {"next_attempt_at": now() + LEASE, "claimed_by": liveness.INSTANCE}

    def _claim(self, chat_id: str | None, limit: int) -> tuple[list[tuple[int, str, dict, int | None]], set]:
        """Rows due, claimed; and the chats whose rows wait behind this process's own sending."""
        with self.database.transaction() as session:
            moment = now()
            query = (select(Outbox).where(Outbox.sent_at.is_(None), Outbox.failed_at.is_(None),
                                          Outbox.channel == self.channel)
                     .order_by(Outbox.id).limit(limit * 5))
            if chat_id is not None:
                query = query.where(Outbox.chat_id == chat_id)
            if session.get_bind().dialect.name == "postgresql":
                # Wait for rows another sender is claiming right now, never skip them: skipping a
                # locked row lets a chat's next message go out before it (measured: replies out of
                # order when two survivors took over a killed worker's rows at once).
                query = query.with_for_update()
            rows = list(session.execute(query).scalars())
            # Live holders and when they would count as dead (their lease is free from then on);
            # asked only when another process holds a row here.
            held = any(row.claimed_by not in (None, liveness.INSTANCE) for row in rows)
            beats = dict(session.execute(liveness.alive_since()).all()) if held else {}
            living = set(beats) | {liveness.INSTANCE}
            claimed, blocked, behind_own = [], set(), set()
            beat = False
            for row in rows:
                due = (row.next_attempt_at is None or _aware(row.next_attempt_at) <= moment
                       or (row.claimed_by is not None and row.claimed_by not in living))   # its holder died
                if row.chat_id in blocked or not due:
                    blocked.add(row.chat_id)              # a chat's messages go in order: wait behind it
                    if not due and row.claimed_by == liveness.INSTANCE:
                        behind_own.add(row.chat_id)           # sent by this process now: then these
                    elif not due:
                        free_at = _aware(row.next_attempt_at)
                        if row.claimed_by in beats:           # another live process is sending it
                            free_at = min(free_at, _aware(beats[row.claimed_by]) + liveness.DEAD_AFTER,
                                          moment + OTHERS_SENDING)
                        self._expect(time.monotonic() + (free_at - moment).total_seconds())
                    continue
                if len(claimed) >= limit:
                    break
                if not beat:
                    beat = self._beat_in(session) or True
                row.next_attempt_at = moment + LEASE          # the lease: nobody else takes it meanwhile
                row.claimed_by = liveness.INSTANCE
                reply = row.reply or {"text": row.text, "buttons": row.buttons or []}
                claimed.append((row.id, row.chat_id, reply, row.edit_message_id))
            return claimed, behind_own

    def _finish(self, row_id: int, *, sent: bool = False, retry_in: float | None = None, error: str = "",
                count_attempt: bool = True) -> None:
        if sent:            # the common case: one statement, on the driver (no ORM session)
            with self.database.driver() as driver:
                driver.execute(_MARK_SENT, (driver.when(now()), row_id))
            return
        with self.database.transaction() as session:
            row = session.get(Outbox, row_id)
            if row is None:
                return
            if count_attempt:
                row.attempts += 1
            row.last_error = error[:200] or None
            row.claimed_by = None
            if sent:
                row.sent_at, row.next_attempt_at = now(), None
            elif retry_in is not None and row.attempts < MAX_ATTEMPTS:
                row.next_attempt_at = now() + dt.timedelta(seconds=retry_in)
            else:
                row.failed_at = now()

    # Sending ---------------------------------------------------------------------------------------
    async def flush(self, chat_id: str | None = None, limit: int = 100) -> int:
        """Send what is due (for one chat, or all); returns how many were sent."""
        claimed, behind_own = await asyncio.to_thread(self._claim, chat_id, limit)
        for chat in behind_own:
            if self.chat_locks[chat].locked():
                self._again.add(chat)             # a round once that chat's sending is done
            else:                                 # its sending just ended, or failed half-way
                self._expect(time.monotonic() + OTHERS_SENDING.total_seconds())
        return await self.send_claimed(claimed)

    def _beat_in(self, session) -> None:
        """Before claiming: alive for the others (in the claim's own transaction), and beating every
        second while the claims last."""
        if self.idle_beat > liveness.BEAT:
            if time.monotonic() - self._beat_at > liveness.BEAT:
                if not liveness.touch(session):
                    liveness.beat(session)
                self._beat_at = time.monotonic()
            self._busy_until = time.monotonic() + liveness.DEAD_AFTER.total_seconds()
            self._poke()

    def hold(self, session) -> None:
        """A webhook worker claims an update in `session`: it beats there first (others must see it
        alive, or they take the update over) and every second until `release`."""
        with self._holding_lock:
            self._holding += 1
        self._beat_in(session)

    def release(self) -> None:
        with self._holding_lock:
            self._holding = max(0, self._holding - 1)
        self._busy_until = time.monotonic() + liveness.DEAD_AFTER.total_seconds()

    async def send_claimed(self, claimed) -> int:
        """Send claimed rows, each chat's in order; returns how many were sent."""
        if not claimed:
            return 0
        by_chat: dict[str, list] = defaultdict(list)
        for item in claimed:
            by_chat[item[1]].append(item)
        self._sending += 1
        try:
            results = await asyncio.gather(*(self._send_chat(rows) for rows in by_chat.values()))
        finally:
            self._sending -= 1
        return sum(results)

    async def _send_chat(self, rows: list) -> int:
        sent = 0
        chat = rows[0][1]
        async with self.chat_locks[chat]:
            for index, (row_id, chat_id, data, edit_id) in enumerate(rows):
                outcome = await self._send_one(row_id, chat_id, data, edit_id)
                if outcome == "sent":
                    sent += 1
                elif outcome == "later":
                    # Keep the chat's order: what follows goes back and waits behind the retry.
                    for later_id, *_ in rows[index + 1:]:
                        await asyncio.to_thread(self._release, later_id)
                    break
        if chat in self._again:                   # more of this chat's messages waited behind these
            self._again.discard(chat)
            self.wake()
        return sent

    async def _send_one(self, row_id: int, chat_id: str, data: dict, edit_id: int | None) -> str:
        await self.bucket.take()
        await self.chats[chat_id].take()
        reply = Reply.from_dict(data)
        trace.mark("send", row_id)
        try:
            await self.deliver(chat_id, reply, edit_id)
        except RetryAfter as error:
            seconds = _seconds(error.retry_after)
            self.bucket.pause(seconds)
            self.stats["rate_limited"] += 1
            metrics.SEND_ERRORS.labels("429").inc()
            await asyncio.to_thread(self._finish, row_id, retry_in=seconds, error="429", count_attempt=False)
            self._expect(time.monotonic() + seconds)
            return "later"
        except (BadRequest, Forbidden) as error:        # BadRequest is a NetworkError: first
            log.warning("message %s refused for good: %s", row_id, error.__class__.__name__)
            self.stats["failed"] += 1
            metrics.SEND_ERRORS.labels("refused").inc()
            await asyncio.to_thread(self._finish, row_id, error=str(error))
            return "failed"
        except (TimedOut, NetworkError) as error:
            attempts = await asyncio.to_thread(self._attempts, row_id)
            self.stats["retried"] += 1
            metrics.SEND_ERRORS.labels("network").inc()
            backoff = min(MAX_BACKOFF, 0.5 * 2 ** attempts)
            await asyncio.to_thread(self._finish, row_id, retry_in=backoff, error=error.__class__.__name__)
            self._expect(time.monotonic() + backoff)
            return "later"
        self.stats["sent"] += 1
        metrics.SENT.inc()
        await asyncio.to_thread(self._finish, row_id, sent=True)
        trace.mark("sent", row_id)
        return "sent"

    def _release(self, row_id: int) -> None:
        with self.database.transaction() as session:
            row = session.get(Outbox, row_id)
            if row is not None and row.sent_at is None:
                row.next_attempt_at, row.claimed_by = None, None

    def _attempts(self, row_id: int) -> int:
        with self.database.transaction() as session:
            row = session.get(Outbox, row_id)
            return row.attempts if row else 0

    def wake(self) -> None:
        """Something was queued in this process: run a round now (from any thread)."""
        self._requested = True
        self._poke()

    def _expect(self, moment: float) -> None:
        """A row waits until `moment` (a retry, a lease): run a round then (from any thread)."""
        if moment > 0 and (not self._due or moment < self._due):
            self._due = moment
            self._poke()

    def _poke(self) -> None:
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, interval: float = IDLE_POLL) -> None:
        """Deliver whatever is due, forever (retries, reminders, agents' answers, other workers' leftovers);
        beat this process's heartbeat on the way. Between rounds it sleeps until woken, until a row it
        saw waiting falls due, or `interval` seconds."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        last_round = float("-inf")
        while True:
            self._wake.clear()              # set again meanwhile: the wait below returns at once
            moment = time.monotonic()
            try:
                if moment - self._beat_at >= self._beat_every():
                    self._beat_at = moment
                    await asyncio.to_thread(self._beat)
                if self._requested or moment - last_round >= interval or (self._due and moment >= self._due):
                    self._requested, self._due, last_round = False, 0.0, moment
                    await self.flush()
            except Exception:
                log.exception("sender round failed; trying again")
            until = min(self._beat_at + self._beat_every(), last_round + interval, self._due or float("inf"))
            try:
                await asyncio.wait_for(self._wake.wait(), max(0.01, until - time.monotonic()))
            except asyncio.TimeoutError:
                pass

    def _beat_every(self) -> float:
        busy = self._sending or self._holding or time.monotonic() < self._busy_until
        return liveness.BEAT if busy else self.idle_beat

    def _beat(self) -> None:
        """One UPDATE; every few beats (and the first) also the row's clean-up and the count of the
        live senders."""
        with self.database.transaction() as session:
            recount = self._beats % RECOUNT_EVERY == 0
            self._beats += 1
            if not recount and liveness.touch(session):
                return
            liveness.beat(session)
            senders = session.execute(select(func.count()).select_from(liveness.alive().subquery())).scalar_one()
        # Telegram's limit is per bot, not per process: the live processes share it.
        self.bucket.rate = self.bucket.burst = self.rate / max(1, senders)


# Is any message of this chat still waiting (a turn's replies go out after it)? (The partial index
# ix_outbox_waiting_chat answers it.)
_WAITING_IN_CHAT = ("SELECT id FROM outbox WHERE chat_id = ? AND channel = ? AND sent_at IS NULL "
                    "AND failed_at IS NULL LIMIT 1")

# A reply Telegram accepted: marked sent at once (with its moment and row).
_MARK_SENT = ("UPDATE outbox SET attempts = attempts + 1, last_error = NULL, claimed_by = NULL, sent_at = ?, "
              "next_attempt_at = NULL WHERE id = ?")


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes (stored as UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _seconds(value) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
