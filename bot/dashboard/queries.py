"""What the dashboard pages read and write, as plain functions over a session (2.0-style queries)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, delete, distinct, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.dashboard.times import OFFSET_HOURS, day_start
from bot.storage.models import (Application, Business, ConversationReview, Handoff, HandoffNote, LessonProgress,
                                MessageLog, ReviewLabel, Staff, StatusChange, User, now)
from bot.storage.repository import HANDOFF_ACTIVE

PAGE = 50
REVIEW_THRESHOLD = 0.7
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
NOT_HELPED = (FALLBACK, OUT_OF_SCOPE)      # the bot could not answer: counted as "tidak paham"
# Flows that ask for a value step by step: what is typed there answers the form, it teaches the NLU nothing.
FORM_FLOWS = ("enrol", "calculator", "business")


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
    reviewed: str = ""          # "" | "yes" | "no"


def _day_start(day: dt.date) -> dt.datetime:
    return day_start(day)


def _message_conditions(f: Filters) -> list:
    m, conditions = MessageLog, []
    if f.q:
        conditions.append(m.text.ilike(f"%{f.q}%"))
    if f.date_from:
        conditions.append(m.created_at >= _day_start(f.date_from))
    if f.date_to:
        conditions.append(m.created_at < _day_start(f.date_to + dt.timedelta(days=1)))
    if f.intent:
        conditions.append(m.intent == f.intent)
    if f.below is not None:
        conditions.append(m.confidence < f.below)
    if f.fallback:
        conditions.append(m.intent.in_(NOT_HELPED))
    if f.flow:
        conditions.append(m.flow == f.flow)
    if conditions:
        conditions.append(m.direction == "in")
    return conditions


@dataclass(frozen=True)
class Person:
    """One row of the conversation list: a person and the last thing they said (newest activity first)."""
    user: User
    last: MessageLog
    messages: int
    not_understood: int
    handoff_id: int | None
    handoff_status: str | None
    reviewed_at: dt.datetime | None


def conversations(session: Session, f: Filters, page: int = 0, handed_off_only: bool = False) -> list[Person]:
    """One row per person, newest activity first. Message filters (text, dates, intent, confidence,
    not understood, flow) keep the people with at least one such message; `handed_off_only` keeps
    the people who ever asked for staff (what agents may see)."""
    m = MessageLog
    stats = (select(m.user_id.label("user_id"), func.max(m.id).label("last_id"),
                    func.coalesce(func.max(case((m.direction == "in", m.id))), func.max(m.id)).label("said_id"),
                    func.count().label("messages"),
                    func.sum(case((and_(m.direction == "in", m.intent.in_(NOT_HELPED), _not_a_form_answer()), 1),
                                  else_=0)).label("missed"))
             .group_by(m.user_id))
    conditions = _message_conditions(f)
    if conditions:           # one pass: keep the people with at least one such message
        stats = stats.having(func.sum(case((and_(*conditions), 1), else_=0)) > 0)
    if f.handoff or handed_off_only:
        stats = stats.where(m.user_id.in_(select(Handoff.user_id)))
    stats = stats.subquery()
    last = aliased(MessageLog)
    handoff = (select(Handoff.id).where(Handoff.user_id == stats.c.user_id, Handoff.status.in_(HANDOFF_ACTIVE))
               .order_by(Handoff.id.desc()).limit(1).scalar_subquery())
    handoff_status = (select(Handoff.status).where(Handoff.user_id == stats.c.user_id,
                                                   Handoff.status.in_(HANDOFF_ACTIVE))
                      .order_by(Handoff.id.desc()).limit(1).scalar_subquery())
    query = (select(User, last, stats.c.messages, stats.c.missed, handoff.label("handoff_id"),
                    handoff_status.label("handoff_status"), ConversationReview.reviewed_at)
             .join(User, User.id == stats.c.user_id).join(last, last.id == stats.c.said_id)
             .outerjoin(ConversationReview, ConversationReview.user_id == stats.c.user_id))
    if f.role:
        query = query.where(User.role == f.role)
    if f.reviewed == "yes":
        query = query.where(ConversationReview.user_id.is_not(None))
    elif f.reviewed == "no":
        query = query.where(ConversationReview.user_id.is_(None))
    query = query.order_by(stats.c.last_id.desc()).limit(PAGE + 1).offset(page * PAGE)
    return [Person(user, message, n, missed or 0, handoff_id, status, reviewed)
            for user, message, n, missed, handoff_id, status, reviewed in session.execute(query)]


def ever_handed_off(session: Session, user_id: int) -> bool:
    return session.execute(select(Handoff.id).where(Handoff.user_id == user_id).limit(1)).first() is not None


def mark_reviewed(session: Session, user_id: int, staff: Staff, reviewed: bool = True) -> None:
    row = session.get(ConversationReview, user_id)
    if reviewed and row is None:
        session.add(ConversationReview(user_id=user_id, staff_id=staff.id, staff_name=staff.name))
    elif not reviewed and row is not None:
        session.delete(row)


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
                MessageLog.intent.in_((FALLBACK, OUT_OF_SCOPE)) | (MessageLog.confidence < threshold),
                _not_a_form_answer())


def _not_a_form_answer():
    """Typed while a form asked for a value (an income, a count, a name): kept out of the queue."""
    return or_(MessageLog.step.is_(None), MessageLog.flow.is_(None), MessageLog.flow.not_in(FORM_FLOWS))


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


def label(session: Session, message_ids: list[int], intent: str, staff_id: int | None, batch: str | None = None) -> int:
    """Label the messages not labelled yet; `batch` names this action for undo."""
    done = 0
    for message_id in message_ids:
        if session.get(ReviewLabel, message_id) is None:
            session.add(ReviewLabel(message_id=message_id, intent=intent, staff_id=staff_id, batch=batch))
            done += 1
    return done


def last_batch(session: Session, staff_id: int) -> tuple[str, str, int] | None:
    """The staff member's last labelling action still undoable (not exported): (batch, label, count)."""
    query = (select(ReviewLabel.batch, func.min(ReviewLabel.intent), func.count(), func.max(ReviewLabel.created_at))
             .where(ReviewLabel.staff_id == staff_id, ReviewLabel.batch.is_not(None), ReviewLabel.exported_at.is_(None))
             .group_by(ReviewLabel.batch).order_by(func.max(ReviewLabel.created_at).desc()).limit(1))
    row = session.execute(query).first()
    return (row[0], row[1], row[2]) if row else None


def undo(session: Session, staff_id: int, batch: str) -> int:
    """Remove one labelling action of this staff member (labels already exported stay)."""
    result = session.execute(delete(ReviewLabel).where(ReviewLabel.staff_id == staff_id, ReviewLabel.batch == batch,
                                                       ReviewLabel.exported_at.is_(None)))
    return result.rowcount or 0


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
HANDOFF_STATES = ("open", "pending", "resolved")
RESOLVED = ("resolved", "closed")        # "closed": rows from before the inbox had states


def handoffs(session: Session, status: str = "open", assignee: int | None = None) -> list:
    """(handoff, user, last incoming text, its kind, assignee name) in one state; waiting longest
    first while open or pending, latest resolved first otherwise."""
    last = (select(MessageLog.text).where(MessageLog.user_id == Handoff.user_id, MessageLog.direction == "in")
            .order_by(MessageLog.id.desc()).limit(1).scalar_subquery())
    last_kind = (select(MessageLog.kind).where(MessageLog.user_id == Handoff.user_id, MessageLog.direction == "in")
                 .order_by(MessageLog.id.desc()).limit(1).scalar_subquery())
    agent = aliased(Staff)
    states = RESOLVED if status == "resolved" else (status,)
    query = (select(Handoff, User, last.label("last_text"), last_kind.label("last_kind"), agent.name)
             .join(User, User.id == Handoff.user_id).outerjoin(agent, agent.id == Handoff.agent_id)
             .where(Handoff.status.in_(states)))
    if assignee is not None:
        query = query.where(Handoff.agent_id == assignee)
    if status == "resolved":
        query = query.order_by(Handoff.id.desc()).limit(200)
    else:
        query = query.order_by(func.coalesce(Handoff.waiting_since, Handoff.opened_at), Handoff.id)
    return list(session.execute(query))


def handoff_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Handoff.status, func.count()).group_by(Handoff.status))
    counts = {state: 0 for state in HANDOFF_STATES}
    for state, n in rows:
        counts["resolved" if state in RESOLVED else state] = counts.get(state, 0) + n
    return counts


def notes(session: Session, handoff_id: int) -> list[HandoffNote]:
    query = select(HandoffNote).where(HandoffNote.handoff_id == handoff_id).order_by(HandoffNote.id)
    return list(session.execute(query).scalars())


def assignable(session: Session) -> list[Staff]:
    """Who a handoff can be given to: agents and admins (not disabled, where accounts can be)."""
    query = select(Staff).where(Staff.role.in_(("agent", "admin"))).order_by(Staff.name)
    if hasattr(Staff, "disabled_at"):
        query = query.where(Staff.disabled_at.is_(None))
    return list(session.execute(query).scalars())


# Applications ------------------------------------------------------------------------------------
@dataclass
class AppFilters:
    status: str = ""
    province: str = ""
    occupation: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    business: int | None = None
    q: str = ""                 # a reference number (part of it) or the applicant's name


def applications(session: Session, f: AppFilters, page: int | None = 0, names=None) -> list:
    """(application, business name) rows. A query that is not a reference is matched against the
    applicant's name: names are encrypted, so `names(app) -> str` decrypts each candidate."""
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
    wanted = " ".join(f.q.split()).casefold()
    if wanted:
        by_reference = list(session.execute(query.where(Application.reference.ilike(f"%{wanted}%"))))
        if by_reference or names is None:
            rows = by_reference
        else:
            rows = [row for row in session.execute(query.where(Application.name_token.is_not(None)))
                    if wanted in " ".join(names(row[0]).split()).casefold()]
        return rows if page is None else rows[page * PAGE:(page + 1) * PAGE + 1]
    if page is not None:
        query = query.limit(PAGE + 1).offset(page * PAGE)
    return list(session.execute(query))


def status_history(session: Session, app: Application) -> list[tuple[str, str | None, str | None, dt.datetime]]:
    """(status, reason, who, when), oldest first: the submission in the chat, then each change."""
    history = [("diajukan", None, None, app.submitted_at)] if app.submitted_at else []
    query = select(StatusChange).where(StatusChange.application_id == app.id).order_by(StatusChange.id)
    history += [(c.status, c.reason, c.staff_name or "-", c.created_at) for c in session.execute(query).scalars()]
    return history


def record_status(session: Session, app: Application, staff: Staff | None, reason: str = "") -> None:
    session.add(StatusChange(application_id=app.id, status=app.status, reason=reason.strip() or None,
                             staff_id=staff.id if staff else None, staff_name=staff.name if staff else None))


def choices(session: Session, column) -> list[str]:
    query = select(distinct(column)).where(column.is_not(None), Application.status != "draft").order_by(column)
    return [row[0] for row in session.execute(query)]


def businesses(session: Session) -> list[Business]:
    return list(session.execute(select(Business).order_by(Business.name)).scalars())


# Insights ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """WIB days from `start` to `end`, both included."""
    start: dt.date
    end: dt.date

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def where(self, column):
        return and_(column >= _day_start(self.start), column < _day_start(self.end + dt.timedelta(days=1)))


def last_days(days: int = 30, today: dt.date | None = None) -> Period:
    from bot.dashboard.times import today as wib_today

    end = today or wib_today()
    return Period(end - dt.timedelta(days=days - 1), end)


def _wib_date(session: Session, column):
    """The WIB calendar day of a stored UTC time, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Jakarta", column))
    return func.date(column, f"+{OFFSET_HOURS} hours")


def per_day(session: Session, period: Period | None = None) -> list[tuple[str, int, int, float]]:
    """(WIB day, users, messages, not-helped rate) for each day of the period. The rate counts the
    typed messages the bot did not understand or answered as out of scope."""
    period = period or last_days()
    day = _wib_date(session, MessageLog.created_at)
    query = (select(day.label("day"), func.count(distinct(MessageLog.user_id)), func.count(),
                    func.sum(case((and_(MessageLog.intent.in_(NOT_HELPED), _not_a_form_answer()), 1), else_=0)),
                    func.sum(case((MessageLog.kind == "text", 1), else_=0)))
             .where(MessageLog.direction == "in", period.where(MessageLog.created_at)).group_by(day).order_by(day))
    found = {str(row[0]): row for row in session.execute(query)}
    result = []
    for date in period.days:
        key = date.isoformat()
        row = found.get(key)
        users, messages, missed, texts = (row[1], row[2], row[3] or 0, row[4] or 0) if row else (0, 0, 0, 0)
        result.append((key, users, messages, round(missed / texts, 3) if texts else 0.0))
    return result


def top_intents(session: Session, period: Period | None = None, limit: int = 12) -> list[tuple[str, int]]:
    query = (select(MessageLog.intent, func.count()).where(MessageLog.direction == "in", MessageLog.intent.is_not(None))
             .group_by(MessageLog.intent).order_by(func.count().desc()).limit(limit))
    if period is not None:
        query = query.where(period.where(MessageLog.created_at))
    return [(row[0], row[1]) for row in session.execute(query)]


def lesson_completion(session: Session, period: Period | None = None) -> dict[str, tuple[int, int]]:
    completed = LessonProgress.completed_at.is_not(None)
    if period is not None:
        completed = and_(completed, period.where(LessonProgress.completed_at))
    query = (select(LessonProgress.lesson_id, func.count(), func.sum(case((completed, 1), else_=0)))
             .group_by(LessonProgress.lesson_id))
    return {row[0]: (row[1], row[2] or 0) for row in session.execute(query)}


def funnel(session: Session, period: Period | None = None) -> list[tuple[str, int]]:
    def within(query, column):
        return query.where(period.where(column)) if period is not None else query

    started = session.execute(within(select(func.count(distinct(MessageLog.user_id)))
                                     .where(MessageLog.direction == "out", MessageLog.flow == "enrol"),
                                     MessageLog.created_at)).scalar() or 0
    consented = session.execute(within(select(func.count()).select_from(Application)
                                       .where(Application.consented_at.is_not(None)), Application.consented_at)).scalar() or 0
    submitted = session.execute(within(select(func.count()).select_from(Application)
                                       .where(Application.status != "draft"), Application.submitted_at)).scalar() or 0
    active = session.execute(within(select(func.count()).select_from(Application)
                                    .where(Application.status == "aktif"), Application.submitted_at)).scalar() or 0
    return [("mulai", max(started, consented)), ("setuju", consented), ("diajukan", submitted), ("aktif", active)]


def applications_by(session: Session, column, period: Period | None = None) -> list[tuple[str, int]]:
    query = (select(column, func.count()).where(Application.status != "draft").group_by(column)
             .order_by(func.count().desc()))
    if period is not None:
        query = query.where(period.where(Application.submitted_at))
    return [(row[0] or "(tidak ada)", row[1]) for row in session.execute(query)]
