"""Lessons: short cards and a quiz per module, every figure a sourced fact (see README.md)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot import clock
from bot.knowledge.answers import PLACEHOLDER, fill, placeholders, with_sources
from bot.knowledge.dated import Gate, Phrase, boundaries
from bot.knowledge.facts import Fact

TRACKS = ("worker", "owner")
# Where a module's last card can send the user next; the engine knows how to start each.
NEXT_STEPS = ("calculate", "enrol", "handoff", "ask")
MAX_CARD = 700
MAX_OPTION = 40


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[Option, ...]
    gate: Gate = Gate()


@dataclass(frozen=True)
class Card:
    text: str
    gate: Gate = Gate()


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    track: str
    order: int
    all_cards: tuple[Card, ...]
    all_quiz: tuple[Question, ...]
    next_steps: tuple[str, ...] = ()

    def cards_on(self, day: dt.date, facts: dict[str, Fact]) -> tuple[str, ...]:
        """The cards shown on `day`: a card gated on a dated rule only while its gate is open."""
        return tuple(card.text for card in self.all_cards if card.gate.open_on(day, facts))

    def quiz_on(self, day: dt.date, facts: dict[str, Fact]) -> tuple[Question, ...]:
        return tuple(question for question in self.all_quiz if question.gate.open_on(day, facts))

    def templates(self) -> list[str]:
        texts = [card.text for card in self.all_cards]
        for question in self.all_quiz:
            texts += [question.text] + [o.text for o in question.options] + [o.feedback for o in question.options]
        return texts


def _card(raw) -> Card:
    if isinstance(raw, dict):
        return Card(str(raw["text"]).strip(), Gate.parse(raw))
    return Card(str(raw).strip())


def parse_lesson(raw: dict) -> Lesson:
    return Lesson(
        id=str(raw["id"]),
        title=str(raw["title"]).strip(),
        track=str(raw.get("track") or "worker"),
        order=int(raw.get("order") or 0),
        all_cards=tuple(_card(card) for card in raw.get("cards") or ()),
        all_quiz=tuple(
            Question(
                text=str(q["question"]).strip(),
                options=tuple(
                    Option(text=str(o["text"]).strip(), correct=bool(o.get("correct")),
                           feedback=str(o.get("feedback") or "").strip())
                    for o in q.get("options") or ()
                ),
                gate=Gate.parse(q),
            )
            for q in raw.get("quiz") or ()
        ),
        next_steps=tuple(str(s) for s in raw.get("next_steps") or ()),
    )


def check_lesson(lesson: Lesson, facts: dict[str, Fact], phrases: dict[str, Phrase] | None = None) -> list[str]:
    """Everything wrong with one lesson, as readable problems (empty when fine)."""
    problems = []
    where = f"lesson {lesson.id}"
    if lesson.track not in TRACKS:
        problems.append(f"{where}: track must be one of {TRACKS}")
    for gated in [*lesson.all_cards, *lesson.all_quiz]:
        problems += gated.gate.problems(where, facts)
    if problems:
        return problems
    # Gated cards and questions come and go with dated rules: the counts must hold on every such day.
    for day in sorted(set(boundaries(facts)) | {clock.today()}):
        cards, quiz = lesson.cards_on(day, facts), lesson.quiz_on(day, facts)
        if not 3 <= len(cards) <= 6:
            problems.append(f"{where}: needs 3-6 cards, has {len(cards)} on {day}")
        if not 2 <= len(quiz) <= 3:
            problems.append(f"{where}: needs 2-3 quiz questions, has {len(quiz)} on {day}")
        if problems:
            break
    for number, question in enumerate(lesson.all_quiz, 1):
        if not 2 <= len(question.options) <= 4:
            problems.append(f"{where}: question {number} needs 2-4 options")
        if sum(o.correct for o in question.options) != 1:
            problems.append(f"{where}: question {number} needs exactly one correct option")
        for option in question.options:
            if not option.feedback:
                problems.append(f"{where}: question {number} option {option.text!r} has no feedback")
            if len(option.text) > MAX_OPTION or PLACEHOLDER.search(option.text):
                problems.append(f"{where}: option {option.text!r} must be plain and <= {MAX_OPTION} characters")
    for step in lesson.next_steps:
        if step not in NEXT_STEPS:
            problems.append(f"{where}: unknown next step {step!r} (one of {NEXT_STEPS})")
    for template in lesson.templates():
        for name in placeholders(template):
            if name not in facts and name not in (phrases or {}):
                problems.append(f"{where}: unknown fact {{{name}}}")
    return problems


class LessonBook:
    """All modules in their order, rendered with today's facts."""

    def __init__(self, lessons: list[Lesson], facts: dict[str, Fact], phrases: dict[str, Phrase] | None = None):
        self.lessons = {lesson.id: lesson for lesson in sorted(lessons, key=lambda l: (l.order, l.id))}
        self.facts = facts
        self.phrases = phrases or {}

    def __contains__(self, lesson_id: str) -> bool:
        return lesson_id in self.lessons

    def __getitem__(self, lesson_id: str) -> Lesson:
        return self.lessons[lesson_id]

    def track(self, track: str) -> list[Lesson]:
        return [lesson for lesson in self.lessons.values() if lesson.track == track]

    def render(self, template: str, sources: bool = True, day: dt.date | None = None) -> str:
        """A card or quiz text with its figures as they stand on `day`, closed by a "Sumber:" line
        if it states any."""
        used: list[Fact] = []
        text = fill(template, self.facts, used, day or clock.today(), self.phrases)
        return with_sources(text, used) if sources else text

    def cards(self, lesson_id: str, day: dt.date) -> tuple[str, ...]:
        return self.lessons[lesson_id].cards_on(day, self.facts)

    def quiz(self, lesson_id: str, day: dt.date) -> tuple[Question, ...]:
        return self.lessons[lesson_id].quiz_on(day, self.facts)

    def card(self, lesson_id: str, index: int, day: dt.date | None = None) -> str:
        day = day or clock.today()
        return self.render(self.cards(lesson_id, day)[index], day=day)
