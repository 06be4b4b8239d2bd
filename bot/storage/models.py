"""Database tables. SQLite by default, PostgreSQL in production; the schema is managed by Alembic."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (JSON, BigInteger, Column, DateTime, Float, ForeignKey, Index, Integer,
                        String, Text, UniqueConstraint, text)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()
# SQLite only auto-increments INTEGER PRIMARY KEY columns.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class User(Base):
    """One person on one channel, with where they are in the conversation.

    No names or profile data are kept: only the channel's ids, the chosen role and the state.
    """

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_users_channel_external"),)

    id = Column(BigId, primary_key=True, autoincrement=True)
    channel = Column(String(16), nullable=False)          # telegram | shell | test
    external_id = Column(String(64), nullable=False)      # the channel's user id
    chat_id = Column(String(64), nullable=False)          # where replies go
    role = Column(String(16))                             # worker | owner | None (not chosen yet)
    start_payload = Column(String(64))                    # deep-link code from /start <code>
    flow = Column(String(32))                             # the active flow, None at the menu
    step = Column(String(32))
    data = Column(JSON, nullable=False, default=dict)     # the active flow's answers so far
    # What the conversation is about and what the user told about themselves (no identity data):
    # {"topic": {...}, "profile": {...}}; `context_at` is when the topic was last set.
    context = Column(JSON)
    context_at = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=now, onupdate=now)

    progress = relationship("LessonProgress", cascade="all, delete-orphan", passive_deletes=True)


class LessonProgress(Base):
    """Where a user is in one learning module, and how the quiz went."""

    __tablename__ = "lesson_progress"

    user_id = Column(BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    lesson_id = Column(String(32), primary_key=True)
    card = Column(Integer, nullable=False, default=0)
    answered = Column(Integer, nullable=False, default=0)     # quiz questions answered
    correct = Column(Integer, nullable=False, default=0)
    completed_at = Column(DateTime(timezone=True))
    updated_at = Column(DateTime(timezone=True), nullable=False, default=now, onupdate=now)


class MessageLog(Base):
    """Every message in and every reply out, for the staff dashboard. Identity data is masked."""

    __tablename__ = "message_log"
    __table_args__ = (
        Index("ix_message_log_user_time", "user_id", "created_at"),
        Index("ix_message_log_intent_confidence", "intent", "confidence"),
    )

    id = Column(BigId, primary_key=True, autoincrement=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now, index=True)
    user_id = Column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    chat_id = Column(String(64), nullable=False)
    direction = Column(String(3), nullable=False)        # in | out
    kind = Column(String(16), nullable=False)            # text | button | command | sticker | reply …
    text = Column(Text, nullable=False, default="")
    intent = Column(String(64))
    topic = Column(String(64))                           # the concrete problem under the intent, if any
    confidence = Column(Float)
    entities = Column(JSON)
    flow = Column(String(32))
    step = Column(String(32))
    normalized = Column(String(200))                     # lowercased text for grouping in review
    context = Column(JSON)                               # {"followup": bool, "used": {...}} per turn


class Business(Base):
    """A business an owner registered, with the invite code its workers enrol through."""

    __tablename__ = "businesses"

    id = Column(BigId, primary_key=True, autoincrement=True)
    owner_id = Column(BigId, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    name = Column(String(120), nullable=False)
    sector = Column(String(32), nullable=False)
    workers = Column(Integer, nullable=False)
    size = Column(String(16), nullable=False)               # mikro | kecil | menengah | besar
    invite_code = Column(String(32), nullable=False, unique=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)


class Application(Base):
    """A BPU membership application, from consent (draft) to a decision.

    NIK, name, birth date and phone are Fernet tokens (bot/privacy.py); `nik_hash` is an HMAC used
    to find duplicates without decrypting anything. After a deletion request only the anonymous
    columns remain (status, dates, province), for the counts.
    """

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_status_created", "status", "created_at"),)

    id = Column(BigId, primary_key=True, autoincrement=True)
    reference = Column(String(24), unique=True)              # LDG-2026-000123, set on submit
    user_id = Column(BigId, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    business_id = Column(BigId, ForeignKey("businesses.id", ondelete="SET NULL"), index=True)
    status = Column(String(16), nullable=False, default="draft")
    status_reason = Column(Text)
    nik_token = Column(Text)
    nik_hash = Column(String(64), index=True)
    name_token = Column(Text)
    birth_date_token = Column(Text)
    gender = Column(String(1))
    phone_token = Column(Text)
    province = Column(String(64), index=True)
    regency = Column(String(64))
    occupation = Column(String(64), index=True)
    income = Column(BigInteger)
    income_base = Column(BigInteger)                         # the BPU income level's base
    with_jht = Column(Integer)                               # 1 / 0 / NULL (not asked yet)
    payment_months = Column(Integer)
    monthly_amount = Column(BigInteger)                      # as quoted on submit, for the first month
    normal_amount = Column(BigInteger)                       # per month once a discount has ended
    discount_until = Column(String(7))                       # YYYY-MM: last discounted month, NULL if none
    reminder_opt_in = Column(Integer, nullable=False, default=0)
    reminded_at = Column(DateTime(timezone=True))
    payment_reminder_opt_in = Column(Integer, nullable=False, default=0)
    payment_reminded_month = Column(String(7))               # YYYY-MM of the last payment reminder
    consented_at = Column(DateTime(timezone=True))
    submitted_at = Column(DateTime(timezone=True))
    decided_at = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=now, index=True)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=now, onupdate=now)


WAITING = "sent_at IS NULL AND failed_at IS NULL"


class Outbox(Base):
    """Every message waiting to be sent: replies (queued in the same transaction as the state they
    answer), status changes, reminders, agents' answers. One sender delivers them, once each: the
    idempotency key (update id + reply number) makes a reprocessed update queue nothing new."""

    __tablename__ = "outbox"
    # The messages still waiting, per chat (a turn asks whether its chat has one): a partial index.
    __table_args__ = (Index("ix_outbox_waiting_chat", "chat_id", "id", sqlite_where=text(WAITING),
                            postgresql_where=text(WAITING)),)

    id = Column(BigId, primary_key=True, autoincrement=True)
    user_id = Column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    chat_id = Column(String(64), nullable=False)
    channel = Column(String(16), nullable=False)
    kind = Column(String(24), nullable=False)                # status | reminder | payment_reminder
    text = Column(Text, nullable=False)
    buttons = Column(JSON)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)
    sent_at = Column(DateTime(timezone=True), index=True)
    attempts = Column(Integer, nullable=False, default=0)
    idempotency_key = Column(String(64), unique=True)
    reply = Column(JSON)                                     # the full Reply (layout, edit, keyboard)
    edit_message_id = Column(BigInteger)                     # the message to edit instead of sending
    next_attempt_at = Column(DateTime(timezone=True))
    last_error = Column(String(200))
    failed_at = Column(DateTime(timezone=True))
    claimed_by = Column(String(32))                          # the worker holding the lease


class IncomingUpdate(Base):
    """Each Telegram update stored once (webhook mode): redeliveries are recognised by update_id."""

    __tablename__ = "updates"

    update_id = Column(BigInteger, primary_key=True, autoincrement=False)
    chat_id = Column(String(64), index=True)
    payload = Column(JSON, nullable=False)
    status = Column(String(12), nullable=False, default="pending", index=True)   # pending | processing | done | skipped
    received_at = Column(DateTime(timezone=True), nullable=False, default=now)
    claimed_at = Column(DateTime(timezone=True))
    claimed_by = Column(String(32))
    attempts = Column(Integer, nullable=False, default=0)
    error = Column(String(200))


class Worker(Base):
    """A running process's heartbeat: work claimed by a process that stopped beating is free again."""

    __tablename__ = "workers"

    id = Column(String(32), primary_key=True)
    started_at = Column(DateTime(timezone=True), nullable=False, default=now)
    heartbeat_at = Column(DateTime(timezone=True), nullable=False, default=now, index=True)


class Staff(Base):
    """A staff account of the dashboard (argon2 password hash).

    Accounts are disabled, never deleted, and ids are never reused (AUTOINCREMENT on SQLite, a
    sequence on PostgreSQL): nothing that names a staff id can come to mean another person.
    `failed_logins`/`locked_until` are no longer used: login throttling lives in `login_throttle`.
    """

    __tablename__ = "staff"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(BigId, primary_key=True, autoincrement=True)
    name = Column(String(64), nullable=False, unique=True)
    role = Column(String(16), nullable=False)                # admin | reviewer | agent
    password_hash = Column(Text, nullable=False)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)
    disabled_at = Column(DateTime(timezone=True))             # set: the account cannot log in
    password_changed_at = Column(DateTime(timezone=True))


class StaffSession(Base):
    """A logged-in browser: the cookie holds a random token, this row its SHA-256 hash.

    Deleted on logout, and every row of an account on a password change or when it is disabled;
    valid for 8 hours from login and 30 minutes after the last request.
    """

    __tablename__ = "staff_sessions"

    id = Column(BigId, primary_key=True, autoincrement=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    staff_id = Column(BigId, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=now)
    expires_at = Column(DateTime(timezone=True), nullable=False, index=True)
    address = Column(String(45))
    user_agent = Column(String(200))


class LoginThrottle(Base):
    """Failed logins per account name (known or not) and per client address: each failure past a
    few makes the next attempt wait longer, instead of a lock anyone could trigger."""

    __tablename__ = "login_throttle"

    key = Column(String(120), primary_key=True)               # "name:<name>" | "address:<ip>"
    failures = Column(Integer, nullable=False, default=0)
    not_before = Column(DateTime(timezone=True))
    updated_at = Column(DateTime(timezone=True), nullable=False, default=now)


class AuditLog(Base):
    """Every staff action: login, reveal, status change, reply, export, label."""

    __tablename__ = "audit_log"

    id = Column(BigId, primary_key=True, autoincrement=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now, index=True)
    staff_id = Column(BigId, ForeignKey("staff.id", ondelete="SET NULL"))
    staff_name = Column(String(64))
    action = Column(String(32), nullable=False)
    target = Column(String(64))
    detail = Column(Text)
    address = Column(String(45))                             # the client address of the request


class ReviewLabel(Base):
    """A reviewer's verdict on one logged message: the right intent, out of scope, or skipped."""

    __tablename__ = "review_labels"

    message_id = Column(BigId, ForeignKey("message_log.id", ondelete="CASCADE"), primary_key=True)
    intent = Column(String(64), nullable=False)              # an intent, "intent/topic", or "skip"
    staff_id = Column(BigId, ForeignKey("staff.id", ondelete="SET NULL"))
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)
    exported_at = Column(DateTime(timezone=True))
    batch = Column(String(32), index=True)                   # one labelling action, for "undo"


class Handoff(Base):
    """A person asked for a human: while open, the bot stays quiet in that chat."""

    __tablename__ = "handoffs"

    id = Column(BigId, primary_key=True, autoincrement=True)
    user_id = Column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    reason = Column(String(24), nullable=False)              # intent | menu | fallback
    # open (waiting for staff) | pending (staff answered, waiting for the person) | resolved (bot again);
    # "closed" on rows from before the inbox means resolved.
    status = Column(String(16), nullable=False, default="open", index=True)
    agent_id = Column(BigId, ForeignKey("staff.id", ondelete="SET NULL"))     # assigned to
    opened_at = Column(DateTime(timezone=True), nullable=False, default=now)
    closed_at = Column(DateTime(timezone=True))
    first_response_at = Column(DateTime(timezone=True))    # the first staff reply
    waiting_since = Column(DateTime(timezone=True))        # the person's oldest unanswered message


class HandoffNote(Base):
    """A private note staff leave on a handoff; never sent to the person."""

    __tablename__ = "handoff_notes"

    id = Column(BigId, primary_key=True, autoincrement=True)
    handoff_id = Column(BigId, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    staff_id = Column(BigId, ForeignKey("staff.id", ondelete="SET NULL"))
    staff_name = Column(String(64))
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)


class ConversationReview(Base):
    """A reviewer read a person's conversation ("reviewed" marker in the conversation list)."""

    __tablename__ = "conversation_reviews"

    user_id = Column(BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    staff_id = Column(BigId, ForeignKey("staff.id", ondelete="SET NULL"))
    staff_name = Column(String(64))
    reviewed_at = Column(DateTime(timezone=True), nullable=False, default=now)


class StatusChange(Base):
    """An application's status history: who set which status when, and why."""

    __tablename__ = "application_status_changes"

    id = Column(BigId, primary_key=True, autoincrement=True)
    application_id = Column(BigId, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, index=True)
    status = Column(String(16), nullable=False)
    reason = Column(Text)
    staff_id = Column(BigId, ForeignKey("staff.id", ondelete="SET NULL"))
    staff_name = Column(String(64))                          # None: the applicant (submitted in the chat)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)
