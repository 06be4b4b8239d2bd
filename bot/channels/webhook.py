"""Webhook workers for production: updates are stored once, answered fast, processed after.

`POST /<path>` checks Telegram's secret-token header, stores the update (unique on update_id, so a
redelivery is a no-op) and answers 200 at once; a processing loop claims stored updates — the
oldest of each chat, never two of one chat at a time, `FOR UPDATE SKIP LOCKED` on PostgreSQL — and
runs them through python-telegram-bot's handlers and the dialogue, whose transaction marks the
update done and queues the replies for the one sender. Several worker processes behind a load
balancer share nothing but the database. Also `GET /healthz` and `GET /metrics` (bot/channels/ops.py).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import time

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot import metrics, trace
from bot.channels.ops import ops_routes
from bot.channels.telegram import TelegramChannel
from bot.storage import liveness
from bot.storage.models import IncomingUpdate, now

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
LEASE = dt.timedelta(seconds=60)
# How often an idle worker looks for updates a dead worker left (it is dead 4 s after its last beat).
SWEEP = 3.0
CONCURRENCY = 16


def chat_of(payload: dict) -> str | None:
    for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
        if isinstance(payload.get(key), dict):
            return str((payload[key].get("chat") or {}).get("id", "")) or None
    query = payload.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message") or {}
        return str((message.get("chat") or {}).get("id") or (query.get("from") or {}).get("id") or "") or None
    return None


# Is any stored update waiting or in progress? (One indexed look, before building the claim query.)
WAITING = select(IncomingUpdate.update_id).where(IncomingUpdate.status.in_(("pending", "processing"))).limit(1)


class WebhookWorker:
    def __init__(self, channel: TelegramChannel, app: Application, secret: str, path: str):
        self.channel, self.app, self.secret = channel, app, secret
        self.path = "/" + path.strip("/")
        self.database = channel.dialogue.database
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._running: set[asyncio.Task] = set()
        self._warned: dict[str, float] = {}

    # HTTP ----------------------------------------------------------------------------------------
    def asgi(self) -> Starlette:
        return Starlette(routes=[Route(self.path, self.receive, methods=["POST"]),
                                 *ops_routes(self.channel.dialogue)],
                         on_startup=[self.start], on_shutdown=[self.stop])

    async def receive(self, request: Request) -> Response:
        sent = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not (self.secret and hmac.compare_digest(sent, self.secret)):
            metrics.UPDATES_SKIPPED.labels("bad_secret").inc()
            return PlainTextResponse("forbidden", status_code=403)
        try:
            body = await request.body()
        except ClientDisconnect:              # Telegram hung up mid-update; it delivers it again
            log.info("update request cut off before its body arrived")
            return Response(status_code=499)
        if len(body) > MAX_BODY:
            log.warning("oversized update (%d bytes) skipped", len(body))
            metrics.UPDATES_SKIPPED.labels("oversized").inc()
            return PlainTextResponse("skipped")
        try:
            payload = json.loads(body)
            update_id = int(payload["update_id"])
        except (ValueError, TypeError, KeyError):
            log.warning("malformed update skipped")
            metrics.UPDATES_SKIPPED.labels("malformed").inc()
            return PlainTextResponse("skipped")
        try:
            await asyncio.to_thread(self._store, update_id, payload)
        except SQLAlchemyError as error:
            # Telegram delivers the update again later; tell the person once that we are slow.
            log.error("database unavailable, update %s refused for redelivery: %s", update_id,
                      error.__class__.__name__)
            await self._sorry(chat_of(payload))
            return PlainTextResponse("try again", status_code=503)
        metrics.UPDATES_RECEIVED.inc()
        self._wake.set()
        return PlainTextResponse("ok")

    def _store(self, update_id: int, payload: dict) -> None:
        try:
            with self.database.transaction() as session:
                if session.get(IncomingUpdate, update_id) is None:
                    session.add(IncomingUpdate(update_id=update_id, chat_id=chat_of(payload), payload=payload,
                                               status="pending", attempts=0))
        except IntegrityError:
            pass                                  # another worker stored it a moment ago

    async def _sorry(self, chat_id: str | None) -> None:
        if not chat_id or time.monotonic() - self._warned.get(f"db:{chat_id}", 0) < 60:
            return
        self._warned[f"db:{chat_id}"] = time.monotonic()
        try:
            await self.channel.deliver(self.app.bot, int(chat_id), [_text(self.channel.texts["error"])])
        except Exception:                          # best effort only
            log.info("could not send the apology")

    # Processing ----------------------------------------------------------------------------------
    async def start(self) -> None:
        await asyncio.to_thread(self._beat)        # alive before claiming anything
        await self.app.initialize()
        await self.channel.post_init(self.app)
        self._tasks.append(asyncio.create_task(self._loop()))
        trace.mark("listening", liveness.INSTANCE)

    async def stop(self) -> None:
        for task in self._tasks + list(self._running):
            task.cancel()
        await self.channel.post_stop(self.app)
        await self.app.shutdown()

    async def _loop(self) -> None:
        """Claim and process stored updates. No polling of the table: the loop runs again when an
        update is stored here, when one of its own updates is done (the chat's next one may wait),
        and every `SWEEP` seconds for what only another worker's death leaves behind."""
        while True:
            try:
                claimed = None
                self._wake.clear()                # set again meanwhile: the wait below returns at once
                if len(self._running) < CONCURRENCY:
                    claimed = await asyncio.to_thread(self._claim)
                if claimed is None:
                    try:
                        await asyncio.wait_for(self._wake.wait(), SWEEP)
                    except asyncio.TimeoutError:
                        pass
                    continue
                task = asyncio.create_task(self._process(*claimed))
                self._running.add(task)
                task.add_done_callback(self._done)
            except SQLAlchemyError as error:
                log.warning("database unavailable while claiming updates: %s", error.__class__.__name__)
                await asyncio.sleep(1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("update loop failed; going on")
                await asyncio.sleep(0.5)

    def _done(self, task: asyncio.Task) -> None:
        self._running.discard(task)
        if self.channel.sender is not None:
            self.channel.sender.release()
        self._wake.set()

    def _beat(self) -> None:
        with self.database.transaction() as session:
            liveness.beat(session)

    def _claim(self) -> tuple[int, dict, float] | None:
        """The oldest pending update of a chat with nothing in progress (or an expired lease). From
        the claim on, this worker beats (in the claim's transaction first: the others must see it
        alive, or they take the update over) until the update is done."""
        held = []
        try:
            return self._claim_one(held)
        except BaseException:
            if held and self.channel.sender is not None:
                self.channel.sender.release()     # the claim did not commit: nothing is held
            raise

    def _claim_one(self, held: list) -> tuple[int, dict, float] | None:
        with self.database.transaction() as session:
            if session.execute(WAITING).first() is None:
                return None                       # nothing stored waits: the usual idle look, cheap
            moment = now()
            holder_alive = IncomingUpdate.claimed_by.in_(liveness.alive())
            busy = (select(IncomingUpdate.chat_id)
                    .where(IncomingUpdate.status == "processing", IncomingUpdate.claimed_at > moment - LEASE,
                           holder_alive, IncomingUpdate.chat_id.is_not(None)))
            older = (select(func.min(IncomingUpdate.update_id))
                     .where(IncomingUpdate.status.in_(("pending", "processing")))
                     .group_by(IncomingUpdate.chat_id))
            stale = and_(IncomingUpdate.status == "processing",
                         (IncomingUpdate.claimed_at <= moment - LEASE) | ~holder_alive)
            query = (select(IncomingUpdate)
                     .where((IncomingUpdate.status == "pending") | stale,
                            IncomingUpdate.update_id.in_(older),
                            (IncomingUpdate.chat_id.is_(None)) | IncomingUpdate.chat_id.not_in(busy))
                     .order_by(IncomingUpdate.update_id).limit(1))
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.execute(query).scalar_one_or_none()
            if row is None:
                return None
            row.status, row.claimed_at, row.attempts = "processing", moment, row.attempts + 1
            row.claimed_by = liveness.INSTANCE
            if self.channel.sender is not None:
                self.channel.sender.hold(session)
                held.append(True)
            else:
                liveness.beat(session)
            received = row.received_at if row.received_at.tzinfo else row.received_at.replace(tzinfo=dt.timezone.utc)
            return row.update_id, row.payload, (moment - received).total_seconds()

    async def _process(self, update_id: int, payload: dict, waited: float) -> None:
        began = time.monotonic()
        try:
            update = Update.de_json(payload, self.app.bot)
        except Exception:
            log.warning("update %s could not be read; skipped", update_id)
            await asyncio.to_thread(self._finish, update_id, "skipped", "unreadable")
            metrics.UPDATES_SKIPPED.labels("malformed").inc()
            return
        trace.mark("handler", update_id)
        await self.app.process_update(update)
        try:
            handled = await asyncio.to_thread(self._finish, update_id, "skipped", "no handler")
        except SQLAlchemyError:
            return                                # the lease expires and the update is tried again
        trace.mark("processed", update_id)
        if not handled:
            log.info("update %s of an unhandled type skipped", update_id)
            metrics.UPDATES_SKIPPED.labels("unhandled").inc()
        metrics.UPDATE_SECONDS.observe(waited + time.monotonic() - began)

    def _finish(self, update_id: int, status: str, reason: str) -> bool:
        """Mark an update the dialogue did not handle; True when the dialogue had handled it."""
        with self.database.transaction() as session:
            row = session.get(IncomingUpdate, update_id)
            if row is None or row.status == "done":
                return True
            row.status, row.error = status, reason
            return False


def _text(text: str):
    from bot.engine.replies import Reply

    return Reply(text)
