"""Messages Lindungi sends on its own: status changes, reminders. Queued in the database's outbox
(by the dialogue's housekeeping, the CLI or the staff dashboard) and delivered by the running bot.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Awaitable, Callable

from bot.engine.replies import Button, Reply
from bot.storage.database import Database
from bot.storage.models import Outbox, now
from bot.storage.repository import Repository

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
DRAFT_REMINDER_AFTER = dt.timedelta(hours=24)
RETENTION = dt.timedelta(days=365)       # personal data of decided applications (stated in the consent)
PAYMENT_REMINDER_DAYS_BEFORE = 5


def as_reply(row: Outbox) -> Reply:
    if row.reply:
        return Reply.from_dict(row.reply)
    return Reply(row.text, tuple(Button(b["label"], b["data"]) for b in row.buttons or ()))


def _take(database: Database, channel: str, chat_id: str | None) -> list[tuple[int, str, Reply]]:
    with database.transaction() as session:
        rows = Repository(session).pending(channel, chat_id=chat_id)
        return [(row.id, row.chat_id, as_reply(row)) for row in rows if row.attempts < MAX_ATTEMPTS]


def _mark(database: Database, message_id: int, sent: bool) -> None:
    with database.transaction() as session:
        row = session.get(Outbox, message_id)
        if row is None:
            return
        row.attempts += 1
        if sent:
            row.sent_at = now()


async def deliver_pending(database: Database, channel: str, send: Callable[[str, Reply], Awaitable[None]],
                          chat_id: str | None = None) -> int:
    """Send every queued message of this channel; returns how many went out."""
    sent = 0
    for message_id, target, reply in await asyncio.to_thread(_take, database, channel, chat_id):
        try:
            await send(target, reply)
        except Exception as error:                       # retried on the next round
            log.warning("outbox message %s not delivered: %s", message_id, error.__class__.__name__)
            await asyncio.to_thread(_mark, database, message_id, False)
            continue
        await asyncio.to_thread(_mark, database, message_id, True)
        sent += 1
    return sent


def run_housekeeping(dialogue, moment: dt.datetime | None = None) -> dict[str, int]:
    """Queue the reminders that are due and expire old personal data; returns what it did."""
    moment = moment or now()
    knowledge = dialogue.knowledge
    texts = knowledge.texts["enrolment"]
    due_day = int(knowledge.facts["bpu_due_day"].value)
    today = dialogue.today()
    done = {"draft_reminders": 0, "payment_reminders": 0, "expired": 0}
    with dialogue.database.transaction() as session:
        repo = Repository(session)
        for app in repo.drafts_to_remind(moment - DRAFT_REMINDER_AFTER):
            app.reminded_at = moment
            user = _user(session, app.user_id) if app.user_id else None
            if user is not None:
                repo.enqueue(user, "reminder", texts["draft_reminder"],
                             [{"label": texts["continue"], "data": "go:enrol"}])
                done["draft_reminders"] += 1
        if due_day - PAYMENT_REMINDER_DAYS_BEFORE <= today.day <= due_day:
            month = today.strftime("%Y-%m")
            for app in repo.payment_reminders_due(month):
                app.payment_reminded_month = month
                user = _user(session, app.user_id) if app.user_id else None
                if user is not None:
                    repo.enqueue(user, "payment_reminder", texts["payment_reminder"].format(day=due_day))
                    done["payment_reminders"] += 1
        done["expired"] = repo.expire_personal_data(moment - RETENTION)
    return done


def _user(session, user_id: int):
    from bot.storage.models import User

    return session.get(User, user_id)
