"""The dialogue engine: one user's event in, replies out. No transport, no Telegram.

Typed text goes to understanding (intent, confidence, entities) and then to knowledge (the answer
for that intent and entities, or a calculation when an income was given); a pressed button names
what to show. Telegram, the terminal chat and the tests are thin adapters around `handle`.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Protocol

from bot.engine.events import ButtonEvent, Event
from bot.engine.quotes import bpu_quote_reply, is_employee_wage, pu_quote_reply, sector_of
from bot.engine.replies import Button, Reply
from bot.knowledge import Knowledge
from bot.understanding import Understood

log = logging.getLogger(__name__)

CALCULATING_INTENTS = ("contribution_bpu", "contribution_pu", "calculate_contribution")
# Intents never offered as a guess in "Maksud Anda…?".
NOT_SUGGESTED = ("nlu_fallback", "affirm", "deny", "greet", "goodbye", "thanks", "out_of_scope")
# Smaller sums are contribution figures people quote ("iuran 16.800 itu apa aja"), not incomes.
MIN_INCOME = 100_000
# Larger "amounts" are identity or phone numbers read as figures, never an income.
MAX_INCOME = 1_000_000_000
MAX_SUGGESTIONS = 3
MIN_SUGGESTION_CONFIDENCE = 0.05


class Parser(Protocol):
    def parse(self, text: str) -> Understood: ...


@dataclass(frozen=True)
class Outcome:
    """What the engine did with one event: the replies, and what it understood (for logs/CLI)."""

    replies: tuple[Reply, ...]
    understood: Understood | None = None
    queued: bool = False        # the replies wait in the outbox for the sender (else: send them now)
    claimed: tuple = ()         # outbox rows claimed in the turn's transaction, for the sender to send


class Engine:
    def __init__(self, understanding: Parser, knowledge: Knowledge,
                 today: Callable[[], dt.date] = dt.date.today):
        self.understanding = understanding
        self.knowledge = knowledge
        self.today = today

    def handle(self, event: Event) -> Outcome:
        if isinstance(event, ButtonEvent):
            return Outcome(self._on_button(event.data))
        return self._on_text(event.text)

    # Text ----------------------------------------------------------------------------------
    def _on_text(self, text: str) -> Outcome:
        text = (text or "").strip()
        if not text:
            return Outcome((Reply(self.knowledge.texts["empty_text"]),))
        understood = self.understanding.parse(text)
        return Outcome(self.replies_for(understood), understood)

    def replies_for(self, understood: Understood) -> tuple[Reply, ...]:
        if understood.unavailable:
            return (Reply(self.knowledge.texts["not_ready"]),)
        if understood.is_fallback or understood.intent not in self.knowledge.answers:
            return (self._clarify(understood),)
        amount = understood.entity("amount")
        if (understood.intent in CALCULATING_INTENTS and isinstance(amount, int)
                and MIN_INCOME <= amount <= MAX_INCOME):
            return (self._quote(understood, amount),)
        if understood.topic and self.knowledge.answers.has_topic(understood.intent, understood.topic):
            return (self.answer(understood.intent, topic=understood.topic),)
        return (self.answer(understood.intent, understood.entity_values()),)

    def answer(self, intent: str, entities: dict | None = None, section: str = "", topic: str = "") -> Reply:
        return self.knowledge.answers.reply(intent, entities, self.today(), section, topic)

    def _quote(self, understood: Understood, income: int) -> Reply:
        if understood.intent == "contribution_pu" or is_employee_wage(understood.text):
            return pu_quote_reply(self.knowledge, income, self.today())
        return bpu_quote_reply(self.knowledge, income, self.today(), sector_of(understood.text))

    def _clarify(self, understood: Understood) -> Reply:
        labels = self.knowledge.texts["intent_labels"]
        guesses = [
            name for name, confidence in understood.ranking
            if name not in NOT_SUGGESTED and name in labels and confidence >= MIN_SUGGESTION_CONFIDENCE
        ][:MAX_SUGGESTIONS]
        if not guesses:
            # Nothing close: say what Lindungi can help with, and offer a person.
            return self.answer("out_of_scope")
        buttons = [Button(labels[name], f"intent:{name}") for name in guesses]
        buttons.append(Button(self.knowledge.texts["clarify_none"], "intent:out_of_scope"))
        return Reply(self.knowledge.texts["clarify"], tuple(buttons))

    # Buttons -------------------------------------------------------------------------------
    def _on_button(self, data: str) -> tuple[Reply, ...]:
        kind, _, rest = (data or "").partition(":")
        answers = self.knowledge.answers
        if kind == "intent" and rest in answers:
            return (self.answer(rest),)
        if kind == "more":
            intent, _, section = rest.partition(":")
            if intent in answers and section in answers.answers[intent].more:
                return (self.answer(intent, section=section),)
        if kind == "topic":
            intent, _, topic = rest.partition("/")
            if answers.has_topic(intent, topic):
                return (self.answer(intent, topic=topic),)
        log.info("unknown button data %r", data)
        return (Reply(self.knowledge.texts["expired_button"]),)
