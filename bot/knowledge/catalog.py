"""The fact catalogue staff see: every fact with its value today, source, confidence, dates, the day
it next changes or must be re-checked, and which answers and lessons state it. Read-only; used by
`python -m bot facts [--due N]` and the dashboard's "Fakta" page."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.knowledge.answers import placeholders

# Facts the code states outside any template (calculator tables, enrolment and status messages).
CODE_USES = {
    "jp_wage_cap": ["kalkulator (iuran karyawan)"],
    "bpu_discount_transport": ["kalkulator", "pendaftaran"],
    "bpu_discount_non_transport": ["kalkulator", "pendaftaran"],
    "call_centre": ["pendaftaran", "status pendaftaran"],
    "payment_channels": ["pendaftaran"],
    "bpu_due_day": ["kalkulator", "status pendaftaran"],
    "pu_due_day": ["kalkulator"],
}


@dataclass(frozen=True)
class FactRow:
    id: str
    value: str
    kind: str
    basis: str
    source: str
    confidence: str
    effective: str       # the rule's date, or "per <date> (tanggal sumber)" when only that is known
    next_date: dt.date | None
    next_what: str
    used_by: tuple[str, ...]

    def due_within(self, today: dt.date, days: int) -> bool:
        return self.next_date is not None and self.next_date <= today + dt.timedelta(days=days)


def usage(knowledge) -> dict[str, list[str]]:
    """fact id → the answers, lessons and flows that state it (phrases count for their users)."""
    phrase_facts: dict[str, set[str]] = {}

    def facts_in(template: str, seen: frozenset = frozenset()) -> set[str]:
        found = set()
        for name in placeholders(template):
            if name in knowledge.phrases and name not in seen:
                if name not in phrase_facts:
                    phrase_facts[name] = set()
                    for alternative in knowledge.phrases[name].alternatives:
                        phrase_facts[name] |= facts_in(alternative.text, seen | {name})
                found |= phrase_facts[name]
            elif name in knowledge.facts:
                found.add(name)
        return found

    used: dict[str, list[str]] = {fact_id: [] for fact_id in knowledge.facts}
    for intent, answer in sorted(knowledge.answers.answers.items()):
        for fact_id in sorted(set().union(*(facts_in(t) for t in answer.templates()))):
            used[fact_id].append(f"jawaban {intent}")
    for lesson in knowledge.lessons.lessons.values():
        for fact_id in sorted(set().union(*(facts_in(t) for t in lesson.templates()))):
            used[fact_id].append(f"materi {lesson.id}")
    for fact_id, where in CODE_USES.items():
        if fact_id in used:
            used[fact_id] += where
    return used


def rows(knowledge, today: dt.date) -> list[FactRow]:
    used = usage(knowledge)
    out = []
    for fact in knowledge.facts.values():
        change = fact.next_change(today)
        effective = fact.effective or f"per {fact.as_of} (tanggal sumber)"
        out.append(FactRow(fact.id, fact.render("", today), fact.kind, fact.basis, fact.source,
                           fact.confidence_on(today), effective, change[0] if change else None,
                           change[1] if change else "", tuple(used[fact.id])))
    return out


def due(knowledge, today: dt.date, days: int) -> list[FactRow]:
    """The facts that change or must be re-checked within `days` days, soonest first."""
    return sorted((row for row in rows(knowledge, today) if row.due_within(today, days)),
                  key=lambda row: (row.next_date, row.id))
