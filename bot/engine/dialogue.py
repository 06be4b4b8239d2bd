"""The dialogue: one user's event plus their stored state in, replies out, state and log saved.

Each event is one database transaction: load (or create) the user, let the active flow or the
router handle the event, save the new state, and log the message and every reply (identity data
masked). Telegram, the terminal chat and the tests are thin adapters around `handle`.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import replace
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError

from bot import trace
from bot.engine.context import Context, Profile, Subject
from bot.engine.engine import MAX_INCOME, MIN_INCOME, Engine, Outcome
from bot.engine.events import (ButtonEvent, CommandEvent, ContactEvent, Event, OtherEvent, TextEvent,
                               UserRef)
from bot.engine.flows import account, business, calculator, enrolment, home, lessons, profile
from bot.engine.replies import Button, Reply, split_reply
from bot.engine.turn import Turn
from bot.office_hours import OfficeHours, when_text
from bot.privacy import Vault, mask_digits, mask_text
from bot.review import normalize
from bot.storage.database import Database
from bot.storage.repository import Repository

log = logging.getLogger(__name__)

COMMANDS = {
    "start": "Mulai dan pilih peran",
    "menu": "Menu utama",
    "belajar": "Belajar singkat tentang BPJS TK",
    "hitung": "Hitung iuran",
    "daftar": "Daftar jadi peserta",
    "status": "Status pendaftaran",
    "bantuan": "Yang bisa Lindungi bantu",
    "batal": "Hentikan langkah yang berjalan",
    "pekerjaku": "Pekerja yang mendaftar lewat usaha Anda",
    "datasaya": "Data Anda yang kami simpan",
    "hapusdata": "Hapus data Anda",
}
LONG_TEXT = 1000
# Flows whose steps take typed answers.
TYPED_STEP_FLOWS = (calculator.FLOW, enrolment.FLOW, business.FLOW)
# Enrolment steps whose typed answers are identity data: the log keeps a masked placeholder.
PERSONAL_STEPS = ("nik", "name", "birth_date", "phone")
# Answers that are really actions when typed at the menu.
ACTION_INTENTS = ("start_learning", "delete_my_data", "calculate_contribution", "start_enrolment",
                  "enrolment_status")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    """Control characters (NUL and the like) carry no meaning for us, and PostgreSQL refuses NUL."""
    return _CONTROL.sub("", text or "")


def _clean_event(event: Event) -> Event:
    if isinstance(event, TextEvent):
        return TextEvent(_clean(event.text))
    if isinstance(event, ButtonEvent):
        return ButtonEvent(_clean(event.data))
    if isinstance(event, CommandEvent):
        return CommandEvent(_clean(event.name), _clean(event.payload))
    if isinstance(event, ContactEvent):
        return ContactEvent(_clean(event.phone), event.own)
    return event


def _loggable(value):
    """Entity values for the log: a long number (a NIK or phone read as an amount) is masked."""
    if isinstance(value, (int, float)) and abs(value) >= 100_000_000:
        return mask_digits(str(int(value)), 4, 3)
    return mask_text(value) if isinstance(value, str) else value


class Dialogue:
    def __init__(self, engine: Engine, database: Database, vault: Vault, wait_for_model: bool = False,
                 today: Callable[[], dt.date] | None = None, bot_username: str = "",
                 office_hours: OfficeHours | None = None, clock: Callable[[], dt.datetime] | None = None):
        self.engine = engine
        self.database = database
        self.vault = vault
        self.wait_for_model = wait_for_model
        self.today = today or engine.today
        self.bot_username = bot_username      # set by the Telegram adapter once it knows it
        self.office_hours = office_hours or OfficeHours.parse("mon-fri 08:00-16:00")
        # The moment now (aware): office hours and the conversation's subject expiry go by it.
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))

    @property
    def knowledge(self):
        return self.engine.knowledge

    def answering_a_step(self, who: UserRef) -> bool:
        """True when this user is in a flow whose steps take typed answers (a NIK, an income): such
        text is handled without the model, so it never waits for the model to load."""
        try:
            with self.database.transaction() as session:
                user = Repository(session).find(who.channel, who.user_id)
                return user is not None and user.flow in TYPED_STEP_FLOWS
        except SQLAlchemyError:           # the turn itself will meet the outage and say so
            return False

    def known(self, who: UserRef) -> bool:
        """True when this user has been here before and chose a role."""
        with self.database.transaction() as session:
            user = Repository(session).find(who.channel, who.user_id)
            return user is not None and user.role is not None

    def handle(self, who: UserRef, event: Event, update_id: int | None = None,
               pressed_message_id: int | None = None, queue: bool = False,
               claim: Callable | None = None) -> Outcome:
        """Handle one event in one transaction.

        With `update_id`, an update already handled is recognised and yields nothing (Telegram
        redelivers). With `queue`, the replies are written to the outbox in the same transaction
        (idempotency key = update id + reply number) for the sender, so a crash after the commit
        loses no reply and a reprocessed update queues none twice. With `claim(session, chat_id)` as
        well (the sender's `lease`), the sender claims them in that transaction too (`Outcome.claimed`).
        """
        event = _clean_event(event)
        understood = self._parse_early(event)
        with self.database.transaction() as session:
            trace.mark("transaction", update_id)
            repo = Repository(session)
            if update_id is not None and repo.update_done(update_id):
                return Outcome((), None)
            user = repo.user(who.channel, who.user_id, who.chat)
            flow, step = user.flow, user.step
            turn = Turn(user=user, repo=repo, knowledge=self.knowledge, answers=self.engine, today=self.today(),
                        vault=self.vault, bot_username=self.bot_username, understood=understood)
            handoff = repo.open_handoff(user)
            if handoff is not None:
                replies = tuple(self._during_handoff(turn, event, handoff))
            else:
                replies = tuple(self._dispatch(turn, event))
            if not turn.forgotten:
                self._log(turn, event, flow, step, replies)
                repo.save_user(user)
            if update_id is not None:
                repo.finish_update(update_id, who.chat)
            queued, claimed = queue and not turn.forgotten, ()
            if queued:
                key = f"{who.channel}:{update_id if update_id is not None else secrets.token_hex(8)}"
                pieces = [(f"{key}:{number}", piece.to_dict(), pressed_message_id if piece.edit else None)
                          for number, piece in enumerate(piece for reply in replies for piece in split_reply(reply))]
                lease = claim(session, user.chat_id) if claim is not None and pieces else None
                ids = repo.queue_replies(user, pieces, lease)
                if lease is not None:
                    claimed = tuple((row_id, user.chat_id, reply, edit)
                                    for row_id, (_, reply, edit) in zip(ids, pieces))
        trace.mark("committed", update_id)
        return Outcome(replies, turn.understood, queued, claimed)

    def _parse_early(self, event: Event):
        """Understand typed text before the transaction, so no database lock waits on the model.

        Texts with long digit runs (a NIK, a phone number) are left to the flow that asked for them.
        """
        if not isinstance(event, TextEvent) or not (event.text or "").strip():
            return None
        if re.search(r"\d{8,}", re.sub(r"[\s.-]", "", event.text)):
            return None
        understanding = self.engine.understanding
        if not self.wait_for_model and not getattr(understanding, "ready", True):
            return None
        return understanding.parse(event.text.strip())

    # Routing -------------------------------------------------------------------------------
    def _dispatch(self, turn: Turn, event: Event) -> list[Reply]:
        if isinstance(event, CommandEvent):
            return self._command(turn, event.name.lower(), event.payload)
        if isinstance(event, ButtonEvent):
            return self._button(turn, event.data or "")
        if isinstance(event, ContactEvent):
            return enrolment.on_contact(turn, event.phone, event.own)
        if isinstance(event, OtherEvent):
            return self._with_resume(turn, [Reply(turn.texts["not_text"])])
        return self._text(turn, (event.text or "").strip())

    def _command(self, turn: Turn, name: str, payload: str) -> list[Reply]:
        if name == "start":
            replies = home.welcome(turn, payload.strip())
            invited = turn.repo.business_by_code(payload.strip()) if payload.strip() else None
            if invited is not None:
                replies.insert(0, Reply(turn.knowledge.texts["enrolment"]["invited"].format(business=invited.name)))
            return replies
        if name == "menu":
            return [home.menu(turn)]
        if name == "belajar":
            return [lessons.menu(turn)]
        if name == "hitung":
            return [calculator.start(turn)]
        if name == "daftar":
            return self._go(turn, "enrol")
        if name == "status":
            return self._go(turn, "status")
        if name == "pekerjaku":
            return business.my_workers(turn)
        if name == "datasaya":
            return [account.my_data(turn)]
        if name == "hapusdata":
            return [home.confirm_delete(turn)]
        if name == "bantuan":
            return [home.help_text(turn)]
        if name == "batal":
            return [home.cancel(turn)]
        if name in ("privasi", "hapus"):
            return [home.privacy(turn) if name == "privasi" else home.confirm_delete(turn)]
        return [Reply(turn.texts["unknown_command"])]

    def _button(self, turn: Turn, data: str) -> list[Reply]:
        kind, _, rest = data.partition(":")
        if data == "menu":
            return [home.menu(turn)]
        if data == "resume":
            return [self._resume(turn)]
        if kind == "role":
            return home.choose_role(turn, rest)
        if kind == "go":
            return self._go(turn, rest)
        if kind in ("l", "q"):
            replies = lessons.on_button(turn, data)
            if replies is not None:
                return replies
        if kind == "calc":
            return calculator.on_button(turn, data)
        if kind == "enrol":
            if data == "enrol:owner:business":
                return business.start(turn)
            if data == "enrol:owner:workers":
                return business.my_workers(turn)
            return enrolment.on_button(turn, data)
        if kind == "biz":
            return business.on_button(turn, data)
        if data == "pay:remind":
            return [account.payment_reminders_on(turn)]
        if kind == "ctx":
            return profile.on_button(turn, data, self.clock())
        if kind == "cancel":
            if rest == "ask":
                return [home.cancel(turn)]
            if rest == "yes":
                if turn.user.flow == enrolment.FLOW:
                    enrolment.discard(turn)
                return home.cancelled(turn)
            return [self._resume(turn)]
        if data == "privacy:delete":
            return [home.confirm_delete(turn)]
        if data == "privacy:delete:yes":
            return [home.delete(turn)]
        if data == "privacy:keep":
            return [Reply(turn.texts["delete_kept"]), home.menu(turn)]
        if kind in ("intent", "more", "topic"):
            return self._with_resume(turn, list(self.engine.handle(ButtonEvent(data)).replies))
        log.info("unknown button data %r", data)
        return [Reply(self.knowledge.texts["expired_button"]), home.menu(turn)]

    def _go(self, turn: Turn, target: str) -> list[Reply]:
        if target == "learn":
            return [lessons.menu(turn)]
        if target == "ask":
            return [home.ask_prompt(turn)]
        if target == "calculate":
            return [calculator.start(turn)]
        if target == "privacy":
            return [home.privacy(turn)]
        if target == "enrol":
            return enrolment.start(turn)
        if target == "status":
            return [account.status(turn)]
        if target.startswith("handoff"):
            return self._handoff(turn, "fallback" if target == "handoff:fallback" else "menu")
        return [home.menu(turn)]

    # A person instead of the bot --------------------------------------------------------------
    def _handoff(self, turn: Turn, reason: str) -> list[Reply]:
        """Open a handoff: staff see it in their inbox, the bot stays quiet in this chat meanwhile."""
        texts = self.knowledge.texts["handoff"]
        turn.repo.start_handoff(turn.user, reason)
        moment = self.clock()
        if self.office_hours.is_open(moment):
            text = texts["opened"]
        else:
            text = texts["opened_closed"].format(hours=self.office_hours.describe(),
                                                 when=when_text(self.office_hours.next_opening(moment)))
        return [Reply(text + "\n\n" + texts["urgent"].format(call_centre=turn.fact("call_centre")))]

    def _during_handoff(self, turn: Turn, event: Event, handoff) -> list[Reply]:
        """Messages go to the agent (they are logged); only commands get a short note. A message
        while staff wait for the person (pending) puts the handoff back in the agents' queue."""
        if isinstance(event, TextEvent):
            turn.extra["handoff"] = True
        if not isinstance(event, CommandEvent):
            if handoff.status == "pending":
                handoff.status = "open"
            if handoff.waiting_since is None:
                handoff.waiting_since = dt.datetime.now(dt.timezone.utc)
        if isinstance(event, CommandEvent):
            return [Reply(self.knowledge.texts["handoff"]["waiting"])]
        return []

    def _resume(self, turn: Turn) -> Reply:
        if turn.user.flow == lessons.FLOW:
            return lessons.resume(turn)
        if turn.user.flow == calculator.FLOW:
            return calculator.ask(turn)
        if turn.user.flow == enrolment.FLOW:
            return enrolment.ask(turn)
        if turn.user.flow == business.FLOW:
            return business.ask(turn)
        return Reply(turn.texts["nothing_to_resume"], (turn.menu_button(),))

    # Text ----------------------------------------------------------------------------------
    def _text(self, turn: Turn, text: str) -> list[Reply]:
        if not text:
            return [Reply(self.knowledge.texts["empty_text"])]
        flows = {calculator.FLOW: calculator.on_text, enrolment.FLOW: enrolment.on_text,
                 business.FLOW: business.on_text}
        if turn.user.flow in flows:
            replies = flows[turn.user.flow](turn, text)
            if replies is not None:
                return replies
        if not self.wait_for_model and not getattr(self.engine.understanding, "ready", True):
            return [Reply(self.knowledge.texts["not_ready"])]
        understood = turn.parse(text)
        replies = self._free_question(turn, understood)
        if len(text) > LONG_TEXT:
            replies.insert(0, Reply(turn.texts["too_long"]))
        return self._with_resume(turn, replies)

    def _free_question(self, turn: Turn, understood) -> list[Reply]:
        """A typed question, read in its conversation (follow-ups, the user's profile, several questions)."""
        moment = self.clock()
        context = profile.load(turn, moment)
        amount = understood.entity("amount")
        income = amount if isinstance(amount, int) and MIN_INCOME <= amount <= MAX_INCOME else None
        learned = self.engine.rules.learn(understood.text, context.profile, income)
        reading = self.engine.read(understood, Context(context.subject, learned))
        understood = reading.understood
        turn.understood = understood
        replies = self._answer(turn, understood, reading, learned)
        if reading.profile_topic:
            turn.understood = replace(understood, topic=reading.profile_topic)
        subject = self.engine.rules.subject_of(understood)
        if subject is not None and reading.profile_topic and not subject.topic:
            subject = Subject(subject.intent, reading.profile_topic, subject.program)
        subject = self.engine.rules.subject_after(subject, reading.section)
        if reading.more and subject is not None:
            subject = replace(subject, also=tuple(m.intent for m in reading.more))
        profile.save(turn, Context(subject or context.subject, learned), moment, subject is not None)
        turn.extra["context"] = reading.log(self._profile_used(turn, understood, reading, learned))
        new = {k: v for k, v in learned.known().items() if k != "income" and getattr(context.profile, k) != v
               and not (k == "role" and turn.role == v)}        # an owner by /start needs no note
        if new and replies:
            replies.append(profile.noted(turn, learned))
        return replies

    def _profile_used(self, turn: Turn, understood, reading, learned: Profile) -> dict | None:
        """The notes that shaped this answer (a quote's sector or employer side, a chosen topic)."""
        if reading.profile_kind:
            return {"role": "owner"} if reading.profile_kind == "owner" else {"employment": reading.profile_kind}
        if self.engine.quotable(understood):
            used = {k: v for k, v in learned.known().items() if k in ("sector", "role", "workers", "size")}
            if turn.role == "owner":
                used["role"] = "owner"
            return used or None
        return None

    def _answer(self, turn: Turn, understood, reading, learned: Profile) -> list[Reply]:
        intent = understood.intent
        if intent == "human_handoff" and not understood.is_fallback:
            return self._handoff(turn, "intent")
        if (understood.is_fallback and not understood.unavailable
                and turn.repo.last_incoming_intent(turn.user) == "nlu_fallback"):
            # Twice in a row not understood: offer a person.
            texts = self.knowledge.texts["handoff"]
            return list(self.engine.replies_for(understood)) + [
                Reply(texts["fallback_offer"], (Button(texts["fallback_yes"], "go:handoff:fallback"),))]
        if turn.user.flow is None and not understood.is_fallback and intent in ACTION_INTENTS:
            amount = understood.entity("amount")
            if intent == "start_learning":
                return [lessons.menu(turn)]
            if intent == "delete_my_data":
                return [home.confirm_delete(turn)]
            if intent == "start_enrolment":
                return enrolment.start(turn)
            if intent == "enrolment_status":
                return [account.status(turn)]
            if not (isinstance(amount, int) and amount >= MIN_INCOME) and not reading.income:
                return [calculator.start(turn)]
        if turn.role == "owner" and learned.role != "owner":
            learned = Profile(**{**learned.known(), "role": "owner"})
        return list(self.engine.replies_for_reading(reading, learned))

    @staticmethod
    def _with_resume(turn: Turn, replies: list[Reply]) -> list[Reply]:
        """After an answer in the middle of a flow, offer to continue where the user was."""
        button = home.resume_button(turn)
        if button is None or not replies:
            return replies
        return replies[:-1] + [replies[-1].with_buttons(button)]

    # Log -----------------------------------------------------------------------------------
    def _log(self, turn: Turn, event: Event, flow, step, replies) -> None:
        understood = turn.understood
        if isinstance(event, TextEvent):
            kind, text = "text", event.text
        elif isinstance(event, ButtonEvent):
            kind, text = "button", event.data
        elif isinstance(event, CommandEvent):
            kind, text = "command", f"/{event.name} {event.payload}".strip()
        elif isinstance(event, ContactEvent):
            kind, text = "contact", event.phone
        else:
            kind, text = event.kind[:16], ""
        fields = {}
        if understood is not None and kind == "text":
            fields = {"intent": understood.intent, "topic": understood.answered_topic or None,
                      "confidence": round(understood.confidence, 4),
                      "entities": [{"entity": e["entity"], "value": _loggable(e["value"])}
                                   for e in understood.entities]}
        if flow == enrolment.FLOW and step in PERSONAL_STEPS and kind in ("text", "contact"):
            text = f"[{step}: {mask_digits(text, 4, 3)}]" if step in ("nik", "phone") else f"[{step} disembunyikan]"
        masked = mask_text(text)
        if kind == "text":
            fields["normalized"] = normalize(masked)
            if turn.extra.get("context"):
                fields["context"] = turn.extra["context"]
        entries = [dict(direction="in", kind=kind, text=masked, flow=flow, step=step, **fields)]
        for reply in replies:
            shown = "[berisi data pribadi, disembunyikan]" if reply.private else mask_text(reply.text)
            entries.append(dict(direction="out", kind="edit" if reply.edit else "reply", text=shown,
                                flow=turn.user.flow, step=turn.user.step))
        turn.repo.log_many(turn.user, entries)          # one statement for the replies, not one each
