"""Database tables. SQLite by default, PostgreSQL in production; the schema is managed by Alembic."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (JSON, BigInteger, Column, DateTime, Float, ForeignKey, Index, Integer,
                        String, Text, UniqueConstraint)
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
    confidence = Column(Float)
    entities = Column(JSON)
    flow = Column(String(32))
    step = Column(String(32))
