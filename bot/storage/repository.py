"""What the dialogue needs from storage, over one transaction's session."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from bot.storage.driver import Driver
from bot.storage.models import (Application, Business, ConversationReview, Handoff, HandoffNote, IncomingUpdate,
                                LessonProgress, MessageLog, Outbox, StatusChange, User, now)

ACTIVE_STATUSES = ("diajukan", "diverifikasi", "aktif")
HANDOFF_ACTIVE = ("open", "pending")
PERSONAL_COLUMNS = ("nik_token", "nik_hash", "name_token", "birth_date_token", "gender", "phone_token",
                    "regency", "occupation", "income", "income_base", "status_reason")

# The statements of every turn go to the driver (bot/storage/driver.py: SQLAlchemy's execution path
# cost more CPU than the rest of the turn's database work). The user is read there too (with the
# open-handoff check in the same statement) and handed to the session as a loaded object, so the
# flows change it as any ORM object; `save_user` writes what they changed in one UPDATE.
_HANDOFF_OF = (f"SELECT handoffs.id FROM handoffs WHERE handoffs.user_id = {{user}} AND handoffs.status IN "
               f"({', '.join(repr(status) for status in HANDOFF_ACTIVE)}) LIMIT 1")
_USER_COLUMNS = tuple(column.name for column in User.__table__.columns)
_USER_ROW = (f"SELECT {', '.join('users.' + name for name in _USER_COLUMNS)}, "
             f"({_HANDOFF_OF.format(user='users.id')}) FROM users WHERE users.channel = ? AND users.external_id = ?")
_USER_ROW_LOCKED = _USER_ROW + " FOR UPDATE OF users"
_USER_FIXED = ("id", "channel", "external_id", "created_at", "updated_at")
_USER = select(User).where(User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))
_USER_LOCKED = _USER.with_for_update()
_UPDATE_STATUS = "SELECT status FROM updates WHERE update_id = ?"
_UPDATE_DONE = "UPDATE updates SET status = 'done' WHERE update_id = ?"
_OPEN_HANDOFF = _HANDOFF_OF.format(user="?")
_UNKNOWN = object()


class Repository:
    def __init__(self, session: Session):
        self.session = session
        self._lock = session.get_bind().dialect.name == "postgresql"
        self._updates: dict[int, str | None] = {}     # update statuses looked up in this transaction
        self._driver: Driver | None = None
        self._loaded: dict[int, dict] = {}             # users read in this transaction: their row
        self._handoffs: dict[int, int | None] = {}     # and their open handoff then

    @property
    def driver(self) -> Driver:
        """The driver on this transaction's connection (bot/storage/driver.py)."""
        if self._driver is None:
            self._driver = Driver.of(self.session.connection())
        return self._driver

    # Users ---------------------------------------------------------------------------------
    def user(self, channel: str, external_id: str, chat_id: str) -> User:
        """The user (created on first contact), locked for this transaction where the database can."""
        query, values = _USER_LOCKED if self._lock else _USER, {"channel": channel, "external_id": external_id}
        found = self.driver.first(_USER_ROW_LOCKED if self._lock else _USER_ROW, (channel, external_id))
        user = None if found is None else self._adopt(found)
        if user is None and found is not None:        # the session holds it already
            user = self.session.execute(query, values).scalar_one()
        if user is None:
            try:
                with self.session.begin_nested():
                    user = User(channel=channel, external_id=external_id, chat_id=chat_id, data={})
                    self.session.add(user)
            except IntegrityError:        # another worker created it a moment ago
                user = self.session.execute(query, values).scalar_one()
        if user.chat_id != chat_id:
            user.chat_id = chat_id
        return user

    def _adopt(self, found: tuple) -> User | None:
        """The user of a row read on the driver, as the session's loaded object; None when the
        session holds this user already (then the ORM's own object is used)."""
        values = self.driver.values(User.__table__, found[:-1])
        if identity_key(User, values["id"]) in self.session.identity_map:
            return None
        user = User(**values)
        make_transient_to_detached(user)       # as if loaded: no changes, its primary key known
        self.session.add(user)
        self._loaded[user.id] = values
        self._handoffs[user.id] = found[-1]
        return user

    def save_user(self, user: User) -> None:
        """Write what this transaction changed on a user read by `user` (one UPDATE on the driver,
        `updated_at` with it); the session is done with the user then. Columns compare as the ORM
        compares them (by value). Call it once the turn is done changing the user."""
        loaded = self._loaded.pop(user.id, None)
        if loaded is None or user not in self.session:      # created now, or deleted: the ORM's work
            return
        changed = {name: getattr(user, name) for name in _USER_COLUMNS
                   if name not in _USER_FIXED and getattr(user, name) != loaded[name]}
        if changed:
            changed["updated_at"] = now()
            if self.driver.update(User.__table__, changed, id=user.id) != 1:
                raise StaleDataError(f"user {user.id} was not there to update")
            for name, value in changed.items():
                set_committed_value(user, name, value)
        # Written: out of the session, so its flush does not go over it again (the object stays
        # readable; a later `user` in this transaction reads the row afresh).
        self.session.expunge(user)

    def find(self, channel: str, external_id: str) -> User | None:
        query = select(User).where(User.channel == channel, User.external_id == external_id)
        return self.session.execute(query).scalar_one_or_none()

    def set_state(self, user: User, flow: str | None, step: str | None = None, data: dict | None = None) -> None:
        user.flow, user.step = flow, step
        user.data = dict(data or {})     # a new dict, so the JSON column is written

    def forget(self, user: User) -> None:
        """Delete the user's personal data: log, progress, outbox, drafts, businesses and the user row.

        Submitted applications stay only as anonymous rows (status, dates, province) for the counts.
        """
        self.session.execute(delete(MessageLog).where(MessageLog.user_id == user.id))
        self.session.execute(delete(LessonProgress).where(LessonProgress.user_id == user.id))
        self.session.execute(delete(Outbox).where(Outbox.user_id == user.id))
        handoffs = select(Handoff.id).where(Handoff.user_id == user.id)
        self.session.execute(delete(HandoffNote).where(HandoffNote.handoff_id.in_(handoffs))   # staff notes about them
                             .execution_options(synchronize_session=False))
        self.session.execute(delete(ConversationReview).where(ConversationReview.user_id == user.id))
        self.session.execute(delete(Handoff).where(Handoff.user_id == user.id))
        self.session.execute(delete(Application).where(Application.user_id == user.id,
                                                       Application.status == "draft"))
        mine = select(Application.id).where(Application.user_id == user.id)
        self.session.execute(update(StatusChange).where(StatusChange.application_id.in_(mine))
                             .values(reason=None).execution_options(synchronize_session=False))
        self.session.execute(update(Application).where(Application.user_id == user.id)
                             .values(user_id=None, business_id=None, **{c: None for c in PERSONAL_COLUMNS}))
        owned = [b.id for b in self.businesses_of(user)]
        if owned:
            self.session.execute(update(Application).where(Application.business_id.in_(owned))
                                 .values(business_id=None))
        self.session.execute(delete(Business).where(Business.owner_id == user.id))
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

    def log_many(self, user: User, entries: list[dict]) -> None:
        """A turn's message and replies (`log`'s fields each, with direction, kind and text), written
        now in one executemany, bypassing the unit of work (a field a row does not give is left
        as if not given: NULL, not JSON null)."""
        rows = [{"created_at": now(), "user_id": user.id, "chat_id": user.chat_id, **entry} for entry in entries]
        columns = list(dict.fromkeys(name for row in rows for name in row))
        self.driver.insert(MessageLog.__table__, rows, columns=columns)

    def last_incoming_intent(self, user: User) -> str | None:
        query = (select(MessageLog.intent).where(MessageLog.user_id == user.id, MessageLog.direction == "in",
                                                 MessageLog.kind == "text")
                 .order_by(MessageLog.id.desc()).limit(1))
        return self.session.execute(query).scalar_one_or_none()

    # Handoffs ------------------------------------------------------------------------------
    def open_handoff(self, user: User) -> Handoff | None:
        """The handoff staff are handling (open: waiting for staff; pending: waiting for the person)."""
        # Its id first (a turn almost never has one): the ORM loads the row only when there is one.
        # Read with the user by `user` (once: a handoff may start later in the transaction).
        handoff_id = self._handoffs.pop(user.id, _UNKNOWN)
        if handoff_id is _UNKNOWN:
            found = self.driver.first(_OPEN_HANDOFF, (user.id,))
            handoff_id = None if found is None else found[0]
        return None if handoff_id is None else self.session.get(Handoff, handoff_id)

    def start_handoff(self, user: User, reason: str) -> Handoff:
        handoff = Handoff(user_id=user.id, reason=reason, status="open", waiting_since=now())
        self.session.add(handoff)
        self.session.flush()
        return handoff

    def history(self, user: User) -> list[MessageLog]:
        query = select(MessageLog).where(MessageLog.user_id == user.id).order_by(MessageLog.id)
        return list(self.session.execute(query).scalars())

    # Applications --------------------------------------------------------------------------
    def draft(self, user: User) -> Application | None:
        query = select(Application).where(Application.user_id == user.id, Application.status == "draft")
        return self.session.execute(query.order_by(Application.id.desc())).scalars().first()

    def new_draft(self, user: User, business_id: int | None) -> Application:
        application = Application(user_id=user.id, business_id=business_id, status="draft", consented_at=now(),
                                  reminder_opt_in=0, payment_reminder_opt_in=0)
        self.session.add(application)
        self.session.flush()
        return application

    def application(self, application_id: int) -> Application | None:
        return self.session.get(Application, application_id)

    def by_reference(self, reference: str) -> Application | None:
        query = select(Application).where(Application.reference == reference.strip().upper())
        return self.session.execute(query).scalar_one_or_none()

    def nik_in_use(self, nik_hash: str, except_id: int | None = None) -> bool:
        query = select(func.count()).select_from(Application).where(
            Application.nik_hash == nik_hash, Application.status.in_(ACTIVE_STATUSES))
        if except_id is not None:
            query = query.where(Application.id != except_id)
        return bool(self.session.execute(query).scalar())

    def applications_of(self, user: User) -> list[Application]:
        query = select(Application).where(Application.user_id == user.id).order_by(Application.id)
        return list(self.session.execute(query).scalars())

    def delete_application(self, application: Application) -> None:
        self.session.delete(application)

    def submit(self, application: Application, today: dt.date) -> str:
        application.reference = f"LDG-{today.year}-{application.id:06d}"
        application.status = "diajukan"
        application.submitted_at = now()
        return application.reference

    def drafts_to_remind(self, older_than: dt.datetime) -> list[Application]:
        query = select(Application).where(Application.status == "draft", Application.reminder_opt_in == 1,
                                          Application.reminded_at.is_(None), Application.updated_at < older_than)
        return list(self.session.execute(query).scalars())

    def payment_reminders_due(self, month: str) -> list[Application]:
        query = select(Application).where(
            Application.status == "aktif", Application.payment_reminder_opt_in == 1,
            (Application.payment_reminded_month.is_(None)) | (Application.payment_reminded_month != month))
        return list(self.session.execute(query).scalars())

    def expire_personal_data(self, decided_before: dt.datetime) -> int:
        """Anonymise applications decided longer ago than the retention period (and the reasons in
        their status history)."""
        expired = select(Application.id).where(Application.decided_at < decided_before,
                                               Application.nik_token.is_not(None))
        self.session.execute(update(StatusChange).where(StatusChange.application_id.in_(expired))
                             .values(reason=None).execution_options(synchronize_session=False))
        # "fetch": the ORM must not compare the rows it holds in Python (SQLite hands back naive
        # datetimes, `decided_before` is aware: a TypeError whenever an application was loaded).
        result = self.session.execute(
            update(Application).where(Application.decided_at < decided_before, Application.nik_token.is_not(None))
            .values(**{c: None for c in PERSONAL_COLUMNS}).execution_options(synchronize_session="fetch"))
        return result.rowcount or 0

    # Businesses ----------------------------------------------------------------------------
    def add_business(self, owner: User, **fields) -> Business:
        business = Business(owner_id=owner.id, **fields)
        self.session.add(business)
        self.session.flush()
        return business

    def business_by_code(self, code: str) -> Business | None:
        query = select(Business).where(Business.invite_code == (code or "").strip())
        return self.session.execute(query).scalar_one_or_none()

    def businesses_of(self, owner: User) -> list[Business]:
        query = select(Business).where(Business.owner_id == owner.id).order_by(Business.id)
        return list(self.session.execute(query).scalars())

    def applications_for_businesses(self, business_ids: list[int]) -> list[Application]:
        if not business_ids:
            return []
        query = select(Application).where(Application.business_id.in_(business_ids),
                                          Application.status != "draft").order_by(Application.id)
        return list(self.session.execute(query).scalars())

    # Outbox --------------------------------------------------------------------------------
    def enqueue(self, user: User, kind: str, text: str, buttons: list[dict] | None = None) -> Outbox:
        message = Outbox(user_id=user.id, chat_id=user.chat_id, channel=user.channel, kind=kind, text=text,
                         buttons=buttons or [], attempts=0)
        self.session.add(message)
        return message

    def queue_reply(self, user: User, key: str, reply: dict, edit_message_id: int | None = None) -> Outbox | None:
        """A reply to send (the new row); the key makes queuing the same reply twice a no-op (None)."""
        # Without flushing what the turn added so far (a turn's keys differ by reply number, so none
        # of it can match): the rows stay unwritten until the sender's claim has given them their
        # lease, and go to the database in one INSERT each.
        with self.session.no_autoflush:
            exists = self.session.execute(select(Outbox.id).where(Outbox.idempotency_key == key)).first()
        if exists is not None:
            return None
        row = Outbox(user_id=user.id, chat_id=user.chat_id, channel=user.channel, kind="reply",
                     text=reply["text"], buttons=reply.get("buttons") or [], attempts=0,
                     idempotency_key=key, reply=reply, edit_message_id=edit_message_id)
        self.session.add(row)
        return row

    def queue_replies(self, user: User, replies: list[tuple[str, dict, int | None]],
                      lease: dict | None = None) -> list[int]:
        """A turn's replies to send, `(key, reply, edit_message_id)` each, written now (one INSERT
        each, no unit of work); `lease` (the sender's claim: `next_attempt_at`, `claimed_by`) is
        part of the INSERT. Returns their ids, in order.

        The key (update id + reply number) is unique, and an update's replies are written in the
        transaction that marks it done, after `update_done` said it was not: a redelivered update
        queues nothing (and should two workers ever race on one, the second one's INSERT fails and
        its whole turn is rolled back)."""
        common = {"user_id": user.id, "chat_id": user.chat_id, "channel": user.channel, "kind": "reply",
                  "attempts": 0, "created_at": now(), "next_attempt_at": None, "claimed_by": None, **(lease or {})}
        rows = ({**common, "text": reply["text"], "buttons": reply.get("buttons") or [], "idempotency_key": key,
                 "reply": reply, "edit_message_id": edit} for key, reply, edit in replies)
        return self.driver.insert(Outbox.__table__, rows, returning=True)

    # Updates -------------------------------------------------------------------------------
    def _update_status(self, update_id: int) -> str | None:
        status = self._updates.get(update_id, _UNKNOWN)
        if status is _UNKNOWN:
            found = self.driver.first(_UPDATE_STATUS, (update_id,))
            status = self._updates[update_id] = found[0] if found else None
        return status

    def update_done(self, update_id: int) -> bool:
        return self._update_status(update_id) == "done"

    def finish_update(self, update_id: int, chat_id: str) -> None:
        if self._update_status(update_id) is None:        # polling: the update is stored here first
            self.driver.insert(IncomingUpdate.__table__, [{"update_id": update_id, "chat_id": chat_id, "payload": {},
                                                           "status": "done", "attempts": 1, "received_at": now()}])
        else:
            self.driver.execute(_UPDATE_DONE, (update_id,))
        self._updates[update_id] = "done"

    def pending(self, channel: str, limit: int = 50, chat_id: str | None = None) -> list[Outbox]:
        query = select(Outbox).where(Outbox.sent_at.is_(None), Outbox.failed_at.is_(None), Outbox.channel == channel)
        query = query.where((Outbox.next_attempt_at.is_(None)) | (Outbox.next_attempt_at <= now()))
        if chat_id is not None:
            query = query.where(Outbox.chat_id == chat_id)
        query = query.order_by(Outbox.id).limit(limit)
        if self._lock:
            query = query.with_for_update(skip_locked=True)
        return list(self.session.execute(query).scalars())

    def count_messages(self, user: User) -> int:
        query = select(func.count()).select_from(MessageLog).where(MessageLog.user_id == user.id)
        return int(self.session.execute(query).scalar() or 0)
