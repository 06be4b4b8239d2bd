"""Answers per intent, rendered from templates whose every figure is a sourced fact."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from bot import clock
from bot.engine.replies import Button, Reply
from bot.knowledge.dated import Gate, Phrase
from bot.knowledge.facts import Fact

PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)(?::([a-z]+))?\}")
MAX_FIRST_MESSAGE = 700


# Flows an answer's button may start (the dialogue's `go:<action>` buttons).
ACTIONS = ("learn", "ask", "calculate", "enrol", "status", "handoff", "privacy")


@dataclass(frozen=True)
class ButtonSpec:
    label: str
    intent: str = ""
    more: str = ""
    action: str = ""
    topic: str = ""      # "intent/topic": that topic's answer


@dataclass(frozen=True)
class Section:
    text: str
    buttons: tuple[ButtonSpec, ...] = ()


@dataclass(frozen=True)
class Variant:
    when: dict
    text: str
    buttons: tuple[ButtonSpec, ...] | None = None


@dataclass(frozen=True)
class Extra:
    gate: Gate    # period facts that must be in force (`active`) or over (`ended`)
    text: str


@dataclass(frozen=True)
class Answer:
    intent: str
    text: str
    buttons: tuple[ButtonSpec, ...] = ()
    more: dict[str, Section] = field(default_factory=dict)
    variants: tuple[Variant, ...] = ()
    extra: tuple[Extra, ...] = ()
    # Concrete problems under this intent (`claim_jht/no_paklaring`): the NLU's topic picks one.
    topics: dict[str, Section] = field(default_factory=dict)

    def templates(self) -> list[str]:
        """Every text template in this answer (for checks)."""
        texts = [self.text] + [s.text for s in self.more.values()]
        texts += [v.text for v in self.variants] + [e.text for e in self.extra]
        texts += [t.text for t in self.topics.values()]
        return texts

    def all_buttons(self) -> list[ButtonSpec]:
        buttons = list(self.buttons)
        for section in [*self.more.values(), *self.topics.values()]:
            buttons += section.buttons
        for variant in self.variants:
            buttons += variant.buttons or ()
        return buttons


def _buttons(raw) -> tuple[ButtonSpec, ...]:
    return tuple(
        ButtonSpec(label=str(b["label"]), intent=str(b.get("intent") or ""), more=str(b.get("more") or ""),
                   action=str(b.get("action") or ""), topic=str(b.get("topic") or ""))
        for b in raw or ()
    )


def _sections(raw) -> dict[str, Section]:
    return {name: Section(text=str(s["text"]).strip(), buttons=_buttons(s.get("buttons")))
            for name, s in (raw or {}).items()}


def parse_answer(raw: dict) -> Answer:
    return Answer(
        intent=raw["intent"],
        text=str(raw["text"]).strip(),
        buttons=_buttons(raw.get("buttons")),
        more=_sections(raw.get("more")),
        variants=tuple(
            Variant(
                when=dict(v["when"]),
                text=str(v["text"]).strip(),
                buttons=_buttons(v["buttons"]) if "buttons" in v else None,
            )
            for v in raw.get("variants") or ()
        ),
        extra=tuple(Extra(gate=Gate.parse(e), text=str(e["text"]).strip()) for e in raw.get("extra") or ()),
        topics=_sections(raw.get("topics")),
    )


def placeholders(template: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(template)]


def fill(template: str, facts: dict[str, Fact], used: list[Fact], day: dt.date | None = None,
         phrases: dict[str, Phrase] | None = None) -> str:
    """Replace `{fact}` / `{fact:style}` with the fact as it stands on `day`, and `{phrase}` with the
    phrase's text for that day (itself filled); records the facts used."""
    day = day or clock.today()

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if phrases and name in phrases:
            return fill(phrases[name].text_on(day, facts), facts, used, day, phrases)
        fact = facts[name]
        if fact not in used:
            used.append(fact)
        return fact.render(match.group(2) or "", day)

    return PLACEHOLDER.sub(replace, template)


def sources_line(used: list[Fact]) -> str:
    """`Sumber: PP 44/2015 jo. PP 82/2019; PP 50/2025` from the facts a reply states."""
    bases: list[str] = []
    for fact in used:
        for basis in (b.strip() for b in fact.basis.split(";")):
            if basis and basis not in bases:
                bases.append(basis)
    return f"Sumber: {'; '.join(bases)}" if bases else ""


def with_sources(text: str, used: list[Fact]) -> str:
    line = sources_line(used)
    return f"{text}\n\n{line}" if line else text


class AnswerBook:
    """All answers, rendered on request for an intent, its entities and today's date."""

    def __init__(self, answers: dict[str, Answer], facts: dict[str, Fact],
                 phrases: dict[str, Phrase] | None = None):
        self.answers = answers
        self.facts = facts
        self.phrases = phrases or {}

    def __contains__(self, intent: str) -> bool:
        return intent in self.answers

    def has_topic(self, intent: str, topic: str) -> bool:
        return intent in self.answers and topic in self.answers[intent].topics

    def reply(self, intent: str, entities: dict | None = None, today: dt.date | None = None,
              section: str = "", topic: str = "") -> Reply:
        """The answer for an intent: one of its `more` sections, one of its topics (a concrete
        problem under the intent), or its general text (with the variant its entities select)."""
        answer = self.answers[intent]
        entities = entities or {}
        today = today or clock.today()
        if section or topic:
            chosen = answer.more[section] if section else answer.topics[topic]
            text, buttons, extras = chosen.text, chosen.buttons, ()
        else:
            variant = next((v for v in answer.variants if _matches(v.when, entities)), None)
            text = variant.text if variant else answer.text
            buttons = variant.buttons if variant and variant.buttons is not None else answer.buttons
            extras = tuple(e for e in answer.extra if e.gate.open_on(today, self.facts))
        used: list[Fact] = []
        parts = [fill(t, self.facts, used, today, self.phrases) for t in (text, *(e.text for e in extras))]
        body = with_sources("\n\n".join(parts), used)
        return Reply(text=body, buttons=tuple(self._button(intent, b) for b in buttons))

    @staticmethod
    def _button(intent: str, spec: ButtonSpec) -> Button:
        if spec.more:
            return Button(spec.label, f"more:{intent}:{spec.more}")
        if spec.action:
            return Button(spec.label, f"go:{spec.action}")
        if spec.topic:
            return Button(spec.label, f"topic:{spec.topic}")
        return Button(spec.label, f"intent:{spec.intent}")


def _matches(when: dict, entities: dict) -> bool:
    return all(str(entities.get(k, "")).lower() == str(v).lower() for k, v in when.items())
