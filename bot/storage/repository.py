"""What the dialogue needs from storage, over one transaction's session."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.models import LessonProgress, MessageLog, User, now


class Repository:
    def __init__(self, session: Session):
        self.session = session
        self._lock = session.get_bind().dialect.name == "postgresql"

    # Users ---------------------------------------------------------------------------------
    def user(self, channel: str, external_id: str, chat_id: str) -> User:
        """The user (created on first contact), locked for this transaction where the database can."""
        query = select(User).where(User.channel == channel, User.external_id == external_id)
        if self._lock:
            query = query.with_for_update()
        user = self.session.execute(query).scalar_one_or_none()
        if user is None:
            try:
                with self.session.begin_nested():
                    user = User(channel=channel, external_id=external_id, chat_id=chat_id, data={})
                    self.session.add(user)
            except IntegrityError:        # another worker created it a moment ago
                user = self.session.execute(query).scalar_one()
        if user.chat_id != chat_id:
            user.chat_id = chat_id
        return user

    def find(self, channel: str, external_id: str) -> User | None:
        query = select(User).where(User.channel == channel, User.external_id == external_id)
        return self.session.execute(query).scalar_one_or_none()

    def set_state(self, user: User, flow: str | None, step: str | None = None, data: dict | None = None) -> None:
        user.flow, user.step = flow, step
        user.data = dict(data or {})     # a new dict, so the JSON column is written

    def forget(self, user: User) -> None:
        """Delete everything kept about the user: log, progress and the user row."""
        self.session.execute(delete(MessageLog).where(MessageLog.user_id == user.id))
        self.session.execute(delete(LessonProgress).where(LessonProgress.user_id == user.id))
        self.session.delete(user)

    # Lessons -------------------------------------------------------------------------------
    def progress(self, user: User, lesson_id: str) -> LessonProgress:
        row = self.session.get(LessonProgress, (user.id, lesson_id))
        if row is None:
            row = LessonProgress(user_id=user.id, lesson_id=lesson_id, card=0, answered=0, correct=0)
            self.session.add(row)
        return row

    def all_progress(self, user: User) -> dict[str, LessonProgress]:
        rows = self.session.execute(select(LessonProgress).where(LessonProgress.user_id == user.id)).scalars()
        return {row.lesson_id: row for row in rows}

    def complete(self, row: LessonProgress) -> None:
        if row.completed_at is None:
            row.completed_at = now()

    # Log -----------------------------------------------------------------------------------
    def log(self, user: User, direction: str, kind: str, text: str, **fields) -> None:
        self.session.add(MessageLog(user_id=user.id, chat_id=user.chat_id, direction=direction, kind=kind,
                                    text=text, **fields))

    def history(self, user: User) -> list[MessageLog]:
        query = select(MessageLog).where(MessageLog.user_id == user.id).order_by(MessageLog.id)
        return list(self.session.execute(query).scalars())
