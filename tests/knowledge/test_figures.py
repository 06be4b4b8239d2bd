"""No hand-typed figure: every rupiah amount, percentage and age (or number of years) the bot can
say in an answer, a topic answer, a lesson card, a quiz or a flow text comes from a fact.

The texts are scanned as rendered (facts filled in, dated alternatives chosen) on each day a dated
rule changes, so a figure typed into a template, a phrase, a gate's text or texts.yml fails here.
"""
from __future__ import annotations

import datetime as dt
import re
import string

import pytest

from bot.knowledge.dated import boundaries

RUPIAH = re.compile(r"Rp\s?\d[\d.,]*(?:\s(?:juta|miliar))?")
PERCENT = re.compile(r"\d+(?:,\d+)?\s?%")
YEARS = re.compile(r"\b(\d+(?:,\d+)?)\s+tahun\b")     # ages and numbers of years ("usia 56 tahun")


def days(knowledge) -> list[dt.date]:
    """Every boundary of a dated fact from 2026 on, and the boundaries the issue names."""
    named = [dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2027, 3, 1), dt.date(2027, 4, 1),
             dt.date(2028, 1, 1)]
    return sorted({d for d in boundaries(knowledge.facts) if dt.date(2026, 1, 1) <= d <= dt.date(2032, 1, 1)}
                  | set(named))


def allowed(knowledge, on: dt.date) -> set[str]:
    """Every way a fact is written on `on`: its value, in juta, and the plain number of a number fact."""
    out = set()
    for fact in knowledge.facts.values():
        for style in ("", "juta", "plain"):
            try:
                out.add(fact.render(style, on))
            except (TypeError, ValueError):
                pass
        for step in fact.schedule:
            out.add(fact._render_value(step.value, ""))
    return out


def rendered_texts(knowledge, on: dt.date):
    """(where, text) for every answer, section, variant, topic, lesson card and quiz text on `on`."""
    book = knowledge.answers
    for intent, answer in book.answers.items():
        yield intent, book.reply(intent, {}, on).text
        for variant in answer.variants:
            yield f"{intent} {variant.when}", book.reply(intent, variant.when, on).text
        for section in answer.more:
            yield f"{intent}/{section}", book.reply(intent, {}, on, section=section).text
        for topic in answer.topics:
            yield f"{intent}/{topic}", book.reply(intent, {}, on, topic=topic).text
    lessons = knowledge.lessons
    for lesson in lessons.lessons.values():
        for n, card in enumerate(lessons.cards(lesson.id, on)):
            yield f"lesson {lesson.id} card {n + 1}", lessons.render(card, day=on)
        for n, question in enumerate(lessons.quiz(lesson.id, on)):
            for text in [question.text] + [o.text for o in question.options] + [o.feedback for o in question.options]:
                yield f"lesson {lesson.id} question {n + 1}", lessons.render(text, day=on)


def flow_texts(node, where="texts"):
    """Every string of texts.yml (the flows' messages), with its {fields} filled by a marker."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from flow_texts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from flow_texts(value, f"{where}[{n}]")
    elif isinstance(node, str):
        fields = {name for _, name, _, _ in string.Formatter().parse(node) if name}
        yield where, node.format(**{name: "‹…›" for name in fields}) if fields else node


def unsourced(text: str, known: set[str]) -> list[str]:
    found = [m.group(0).rstrip(".,") for m in RUPIAH.finditer(text)]
    found = [f for f in found if f not in known and f.replace(" ", "") not in known]
    found += [m.group(0).replace(" ", "") for m in PERCENT.finditer(text)
              if m.group(0).replace(" ", "") not in known]
    found += [m.group(0) for m in YEARS.finditer(text) if m.group(1) not in known]
    return found


def test_every_figure_in_answers_lessons_and_quizzes_comes_from_a_fact(knowledge):
    offenders = []
    for on in days(knowledge):
        known = allowed(knowledge, on)
        for where, text in rendered_texts(knowledge, on):
            bad = unsourced(text, known)
            if bad:
                offenders.append((on.isoformat(), where, bad))
    assert not offenders, offenders[:20]


def test_flow_texts_state_no_figure_of_their_own(knowledge):
    """texts.yml composes the calculator, enrolment and status messages: amounts come from the
    rate tables and facts at run time, never from the text itself."""
    # "contoh: 2,5 juta atau Rp 2.500.000" shows how to type an income: an input example, not a figure.
    examples = re.compile(r"[Cc]ontoh[^.\n]*")
    offenders = [(where, unsourced(examples.sub("", text), set())) for where, text in flow_texts(knowledge.texts)]
    assert not [o for o in offenders if o[1]], [o for o in offenders if o[1]]


def test_the_scan_catches_a_hand_typed_figure(knowledge):
    on = dt.date(2026, 12, 1)
    known = allowed(knowledge, on)
    assert unsourced("Iuran mulai Rp16.800 per bulan, JKK 1%, pensiun usia 59 tahun.", known) == []
    assert unsourced("Iuran mulai Rp17.000 per bulan.", known) == ["Rp17.000"]
    assert unsourced("Denda 3% per bulan.", known) == ["3%"]
    assert unsourced("Usia pensiun 57 tahun.", known) == ["57 tahun"]
    assert unsourced("Santunan Rp24 juta.", known) == ["Rp24 juta"]
    assert [w for w, _ in flow_texts({"a": {"b": "Iuran {x} atau Rp16.800"}}) if unsourced(_, set())] == ["texts.a.b"]


@pytest.mark.parametrize("on", [dt.date(2027, 3, 1)])
def test_a_stale_figure_is_still_a_fact_but_worded_as_last_announced(knowledge, on):
    texts = dict(rendered_texts(knowledge, on))
    assert "Rp11.086.300 (terakhir diumumkan" in texts["contribution_pu"]
