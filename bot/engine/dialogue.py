"""The dialogue: one user's event plus their stored state in, replies out, state and log saved.

Each event is one database transaction: load (or create) the user, let the active flow or the
router handle the event, save the new state, and log the message and every reply (identity data
masked). Telegram, the terminal chat and the tests are thin adapters around `handle`.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable

from bot.engine.engine import MIN_INCOME, Engine, Outcome
from bot.engine.events import ButtonEvent, CommandEvent, Event, OtherEvent, TextEvent, UserRef
from bot.engine.flows import calculator, home, lessons
from bot.engine.replies import Reply
from bot.engine.turn import Turn
from bot.privacy import mask_text
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
}
LONG_TEXT = 1000
# Answers that are really actions when typed at the menu.
ACTION_INTENTS = ("start_learning", "delete_my_data", "calculate_contribution")


class Dialogue:
    def __init__(self, engine: Engine, database: Database, wait_for_model: bool = False,
                 today: Callable[[], dt.date] | None = None):
        self.engine = engine
        self.database = database
        self.wait_for_model = wait_for_model
        self.today = today or engine.today

    @property
    def knowledge(self):
        return self.engine.knowledge

    def known(self, who: UserRef) -> bool:
        """True when this user has been here before and chose a role."""
        with self.database.transaction() as session:
            user = Repository(session).find(who.channel, who.user_id)
            return user is not None and user.role is not None

    def handle(self, who: UserRef, event: Event) -> Outcome:
        with self.database.transaction() as session:
            repo = Repository(session)
            user = repo.user(who.channel, who.user_id, who.chat)
            flow, step = user.flow, user.step
            turn = Turn(user=user, repo=repo, knowledge=self.knowledge, answers=self.engine, today=self.today())
            replies = tuple(self._dispatch(turn, event))
            if not turn.forgotten:
                self._log(turn, event, flow, step, replies)
        return Outcome(replies, turn.understood)

    # Routing -------------------------------------------------------------------------------
    def _dispatch(self, turn: Turn, event: Event) -> list[Reply]:
        if isinstance(event, CommandEvent):
            return self._command(turn, event.name.lower(), event.payload)
        if isinstance(event, ButtonEvent):
            return self._button(turn, event.data or "")
        if isinstance(event, OtherEvent):
            return self._with_resume(turn, [Reply(turn.texts["not_text"])])
        return self._text(turn, (event.text or "").strip())

    def _command(self, turn: Turn, name: str, payload: str) -> list[Reply]:
        if name == "start":
            return home.welcome(turn, payload.strip())
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
        if kind == "cancel":
            return home.cancelled(turn) if rest == "yes" else [self._resume(turn)]
        if data == "privacy:delete":
            return [home.confirm_delete(turn)]
        if data == "privacy:delete:yes":
            return [home.delete(turn)]
        if data == "privacy:keep":
            return [Reply(turn.texts["delete_kept"]), home.menu(turn)]
        if kind in ("intent", "more"):
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
        intents = {"enrol": "start_enrolment", "status": "enrolment_status", "handoff": "human_handoff"}
        if target in intents:
            return self._with_resume(turn, [self.engine.answer(intents[target])])
        return [home.menu(turn)]

    def _resume(self, turn: Turn) -> Reply:
        if turn.user.flow == lessons.FLOW:
            return lessons.resume(turn)
        if turn.user.flow == calculator.FLOW:
            return calculator.ask(turn)
        return Reply(turn.texts["nothing_to_resume"], (turn.menu_button(),))

    # Text ----------------------------------------------------------------------------------
    def _text(self, turn: Turn, text: str) -> list[Reply]:
        if not text:
            return [Reply(self.knowledge.texts["empty_text"])]
        if turn.user.flow == calculator.FLOW:
            replies = calculator.on_text(turn, text)
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
        intent = understood.intent
        if turn.user.flow is None and not understood.is_fallback and intent in ACTION_INTENTS:
            amount = understood.entity("amount")
            if intent == "start_learning":
                return [lessons.menu(turn)]
            if intent == "delete_my_data":
                return [home.confirm_delete(turn)]
            if not (isinstance(amount, int) and amount >= MIN_INCOME):
                return [calculator.start(turn)]
        return list(self.engine.replies_for(understood))

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
        else:
            kind, text = event.kind[:16], ""
        fields = {}
        if understood is not None and kind == "text":
            fields = {"intent": understood.intent, "confidence": round(understood.confidence, 4),
                      "entities": [{"entity": e["entity"], "value": e["value"]} for e in understood.entities]}
        turn.repo.log(turn.user, "in", kind, mask_text(text), flow=flow, step=step, **fields)
        for reply in replies:
            turn.repo.log(turn.user, "out", "edit" if reply.edit else "reply", mask_text(reply.text),
                          flow=turn.user.flow, step=turn.user.step)
