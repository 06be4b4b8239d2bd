"""Date gates: text shown only while a dated rule is in force, or only after it ended.

A gate names period facts (`bpu_discount_transport`): `active` ones must be in force on the day,
`ended` ones must be over. Answers' `extra` paragraphs, lesson cards, quiz questions and phrases
(`data/phrases.yml`: a short text with alternatives by date, used as `{bpu_minimum}`) all use the
same gates, so a figure is never taught in the present tense after its rule ended.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.knowledge.facts import Fact


def _names(raw) -> tuple[str, ...]:
    if not raw:
        return ()
    return (str(raw),) if isinstance(raw, str) else tuple(str(name) for name in raw)


@dataclass(frozen=True)
class Gate:
    active: tuple[str, ...] = ()
    ended: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: dict) -> "Gate":
        return cls(active=_names(raw.get("active")), ended=_names(raw.get("ended")))

    @property
    def always(self) -> bool:
        return not (self.active or self.ended)

    def open_on(self, day: dt.date, facts: dict[str, Fact]) -> bool:
        return (all(facts[name].active_on(day) for name in self.active)
                and all(facts[name].ended_on(day) for name in self.ended))

    def problems(self, where: str, facts: dict[str, Fact]) -> list[str]:
        return [f"{where}: gate must name a period fact, not {name!r}"
                for name in self.active + self.ended if name not in facts or facts[name].kind != "period"]


@dataclass(frozen=True)
class Alternative:
    gate: Gate
    text: str


@dataclass(frozen=True)
class Phrase:
    """A short text with alternatives by date; the first whose gate is open is used."""

    id: str
    alternatives: tuple[Alternative, ...]

    def text_on(self, day: dt.date, facts: dict[str, Fact]) -> str:
        return next(a.text for a in self.alternatives if a.gate.open_on(day, facts))


def parse_phrases(raw: dict) -> dict[str, Phrase]:
    phrases = {}
    for name, alternatives in (raw or {}).get("phrases", {}).items():
        phrases[name] = Phrase(name, tuple(Alternative(Gate.parse(a), str(a["text"]).strip())
                                           for a in alternatives))
    return phrases


def check_phrases(phrases: dict[str, Phrase], facts: dict[str, Fact]) -> list[str]:
    problems = []
    for phrase in phrases.values():
        if phrase.id in facts:
            problems.append(f"phrase {phrase.id}: a fact has the same name")
        if not phrase.alternatives or not phrase.alternatives[-1].gate.always:
            problems.append(f"phrase {phrase.id}: the last alternative must have no gate (it is the default)")
        for alternative in phrase.alternatives:
            problems += alternative.gate.problems(f"phrase {phrase.id}", facts)
    return problems


def boundaries(facts: dict[str, Fact]) -> list[dt.date]:
    """Every day a dated fact changes (for checks that must hold on every such day)."""
    days = {when for fact in facts.values() for when, _ in fact.changes()}
    days |= {when - dt.timedelta(days=1) for when in days}
    return sorted(days)
