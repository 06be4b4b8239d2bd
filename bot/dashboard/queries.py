"""What the dashboard pages read and write, as plain functions over a session (2.0-style queries)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, distinct, func, select, update
from sqlalchemy.orm import Session

from bot.storage.models import (Application, Business, Handoff, LessonProgress, MessageLog, ReviewLabel,
                                User, now)

PAGE = 50
REVIEW_THRESHOLD = 0.7
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"


@dataclass
class Filters:
    q: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    intent: str = ""
    below: float | None = None
    fallback: bool = False
    handoff: bool = False
    role: str = ""
    flow: str = ""


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.timezone.utc)


def conversations(session: Session, f: Filters, page: int = 0) -> list:
    query = (select(MessageLog, User.role).join(User, User.id == MessageLog.user_id)
             .where(MessageLog.direction == "in"))
    if f.q:
        query = query.where(MessageLog.text.ilike(f"%{f.q}%"))
    if f.date_from:
        query = query.where(MessageLog.created_at >= _day_start(f.date_from))
    if f.date_to:
        query = query.where(MessageLog.created_at < _day_start(f.date_to + dt.timedelta(days=1)))
    if f.intent:
        query = query.where(MessageLog.intent == f.intent)
    if f.below is not None:
        query = query.where(MessageLog.confidence < f.below)
    if f.fallback:
        query = query.where(MessageLog.intent == FALLBACK)
    if f.handoff:
        query = query.where(MessageLog.user_id.in_(select(Handoff.user_id)))
    if f.role:
        query = query.where(User.role == f.role)
    if f.flow:
        query = query.where(MessageLog.flow == f.flow)
    query = query.order_by(MessageLog.id.desc()).limit(PAGE + 1).offset(page * PAGE)
    return list(session.execute(query))


def timeline(session: Session, user_id: int, limit: int = 300) -> list[MessageLog]:
    query = select(MessageLog).where(MessageLog.user_id == user_id).order_by(MessageLog.id.desc()).limit(limit)
    return list(reversed(session.execute(query).scalars().all()))


def intents_seen(session: Session) -> list[str]:
    query = select(distinct(MessageLog.intent)).where(MessageLog.intent.is_not(None)).order_by(MessageLog.intent)
    return [row[0] for row in session.execute(query)]


# Review queue ------------------------------------------------------------------------------------
def _unreviewed(threshold: float):
    """Messages worth a look: not understood, answered with "out of scope", or with low confidence."""
    return and_(MessageLog.direction == "in", MessageLog.kind == "text", ReviewLabel.message_id.is_(None),
                MessageLog.intent.in_((FALLBACK, OUT_OF_SCOPE)) | (MessageLog.confidence < threshold))


def review_groups(session: Session, page: int = 0, threshold: float = REVIEW_THRESHOLD) -> list:
    """Groups of similar unreviewed messages: (normalized, intent, topic, count, example text, lowest
    confidence), with `label` the bot's guess as `intent` or `intent/topic`."""
    query = (select(MessageLog.normalized, MessageLog.intent, MessageLog.topic, func.count().label("n"),
                    func.min(MessageLog.text).label("example"), func.min(MessageLog.confidence).label("low"))
             .outerjoin(ReviewLabel, ReviewLabel.message_id == MessageLog.id)
             .where(_unreviewed(threshold))
             .group_by(MessageLog.normalized, MessageLog.intent, MessageLog.topic)
             .order_by(func.count().desc(), MessageLog.normalized)
             .limit(PAGE + 1).offset(page * PAGE))
    return [ReviewGroup(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class ReviewGroup:
    normalized: str
    intent: str | None
    topic: str | None
    n: int
    example: str
    low: float | None

    @property
    def label(self) -> str:
        return f"{self.intent}/{self.topic}" if self.topic else (self.intent or "")


def group_messages(session: Session, normalized: str, label: str, threshold: float = REVIEW_THRESHOLD) -> list[MessageLog]:
    """The unreviewed messages of one group; `label` is the bot's guess, `intent` or `intent/topic`."""
    intent, _, topic = label.partition("/")
    same_topic = MessageLog.topic == topic if topic else MessageLog.topic.is_(None)
    query = (select(MessageLog).outerjoin(ReviewLabel, ReviewLabel.message_id == MessageLog.id)
             .where(_unreviewed(threshold), MessageLog.normalized == normalized, MessageLog.intent == intent,
                    same_topic)
             .order_by(MessageLog.id).limit(500))
    return list(session.execute(query).scalars())


def label(session: Session, message_ids: list[int], intent: str, staff_id: int | None) -> int:
    done = 0
    for message_id in message_ids:
        if session.get(ReviewLabel, message_id) is None:
            session.add(ReviewLabel(message_id=message_id, intent=intent, staff_id=staff_id))
            done += 1
    return done


def labelled_examples(session: Session) -> dict[str, list[str]]:
    query = (select(ReviewLabel.intent, MessageLog.text).join(MessageLog, MessageLog.id == ReviewLabel.message_id)
             .where(ReviewLabel.intent != "skip"))
    examples: dict[str, list[str]] = {}
    for intent, text in session.execute(query):
        examples.setdefault(intent, []).append(text)
    return examples


def mark_exported(session: Session) -> None:
    session.execute(update(ReviewLabel).where(ReviewLabel.exported_at.is_(None), ReviewLabel.intent != "skip")
                    .values(exported_at=now()))


# Handoffs ----------------------------------------------------------------------------------------
def handoffs(session: Session, status: str = "open") -> list:
    last = (select(MessageLog.text).where(MessageLog.user_id == Handoff.user_id, MessageLog.direction == "in")
            .order_by(MessageLog.id.desc()).limit(1).scalar_subquery())
    query = (select(Handoff, User, last.label("last_text")).join(User, User.id == Handoff.user_id)
             .where(Handoff.status == status).order_by(Handoff.opened_at))
    return list(session.execute(query))


# Applications ------------------------------------------------------------------------------------
@dataclass
class AppFilters:
    status: str = ""
    province: str = ""
    occupation: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    business: int | None = None


def applications(session: Session, f: AppFilters, page: int | None = 0) -> list:
    query = (select(Application, Business.name).outerjoin(Business, Business.id == Application.business_id)
             .where(Application.status != "draft"))
    if f.status:
        query = query.where(Application.status == f.status)
    if f.province:
        query = query.where(Application.province == f.province)
    if f.occupation:
        query = query.where(Application.occupation == f.occupation)
    if f.date_from:
        query = query.where(Application.submitted_at >= _day_start(f.date_from))
    if f.date_to:
        query = query.where(Application.submitted_at < _day_start(f.date_to + dt.timedelta(days=1)))
    if f.business:
        query = query.where(Application.business_id == f.business)
    query = query.order_by(Application.id.desc())
    if page is not None:
        query = query.limit(PAGE + 1).offset(page * PAGE)
    return list(session.execute(query))


def choices(session: Session, column) -> list[str]:
    query = select(distinct(column)).where(column.is_not(None), Application.status != "draft").order_by(column)
    return [row[0] for row in session.execute(query)]


def businesses(session: Session) -> list[Business]:
    return list(session.execute(select(Business).order_by(Business.name)).scalars())


# Insights ----------------------------------------------------------------------------------------
def per_day(session: Session, days: int = 30, today: dt.date | None = None) -> list[tuple[str, int, int, float]]:
    """(day, users, messages, fallback rate) for each of the last `days` days."""
    today = today or now().date()
    start = _day_start(today - dt.timedelta(days=days - 1))
    day = func.date(MessageLog.created_at)
    query = (select(day.label("day"), func.count(distinct(MessageLog.user_id)), func.count(),
                    func.sum(case((MessageLog.intent == FALLBACK, 1), else_=0)),
                    func.sum(case((MessageLog.kind == "text", 1), else_=0)))
             .where(MessageLog.direction == "in", MessageLog.created_at >= start).group_by(day).order_by(day))
    found = {str(row[0]): row for row in session.execute(query)}
    result = []
    for offset in range(days):
        key = (today - dt.timedelta(days=days - 1 - offset)).isoformat()
        row = found.get(key)
        users, messages, fallbacks, texts = (row[1], row[2], row[3] or 0, row[4] or 0) if row else (0, 0, 0, 0)
        result.append((key, users, messages, round(fallbacks / texts, 3) if texts else 0.0))
    return result


def top_intents(session: Session, limit: int = 12) -> list[tuple[str, int]]:
    query = (select(MessageLog.intent, func.count()).where(MessageLog.direction == "in", MessageLog.intent.is_not(None))
             .group_by(MessageLog.intent).order_by(func.count().desc()).limit(limit))
    return [(row[0], row[1]) for row in session.execute(query)]


def lesson_completion(session: Session) -> dict[str, tuple[int, int]]:
    query = (select(LessonProgress.lesson_id, func.count(),
                    func.sum(case((LessonProgress.completed_at.is_not(None), 1), else_=0)))
             .group_by(LessonProgress.lesson_id))
    return {row[0]: (row[1], row[2] or 0) for row in session.execute(query)}


def funnel(session: Session) -> list[tuple[str, int]]:
    started = session.execute(select(func.count(distinct(MessageLog.user_id)))
                              .where(MessageLog.direction == "out", MessageLog.flow == "enrol")).scalar() or 0
    consented = session.execute(select(func.count()).select_from(Application)
                                .where(Application.consented_at.is_not(None))).scalar() or 0
    submitted = session.execute(select(func.count()).select_from(Application)
                                .where(Application.status != "draft")).scalar() or 0
    active = session.execute(select(func.count()).select_from(Application)
                             .where(Application.status == "aktif")).scalar() or 0
    return [("mulai", max(started, consented)), ("setuju", consented), ("diajukan", submitted), ("aktif", active)]


def applications_by(session: Session, column) -> list[tuple[str, int]]:
    query = (select(column, func.count()).where(Application.status != "draft").group_by(column)
             .order_by(func.count().desc()))
    return [(row[0] or "(tidak ada)", row[1]) for row in session.execute(query)]
