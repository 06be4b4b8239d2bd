"""The knowledge base: sourced facts, answers per intent, rate tables and reply texts."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.calculator import Rates
from bot.knowledge.answers import ACTIONS, AnswerBook, parse_answer, placeholders
from bot.knowledge.dated import Phrase, check_phrases, parse_phrases
from bot.knowledge.facts import Fact, parse_facts
from bot.knowledge.lessons import LessonBook, check_lesson, parse_lesson

DATA_DIR = Path(__file__).with_name("data")


@dataclass(frozen=True)
class Knowledge:
    facts: dict[str, Fact]
    answers: AnswerBook
    rates: Rates
    texts: dict
    lessons: LessonBook
    phrases: dict[str, Phrase]


def _read(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_knowledge(data_dir: Path = DATA_DIR) -> Knowledge:
    """Load and cross-check every knowledge file; raises ValueError naming what is wrong."""
    # facts.yml holds the core figures; facts_<area>.yml files add those of one area (e.g. the FAQ's).
    facts: dict[str, Fact] = {}
    for path in sorted(data_dir.glob("facts*.yml")):
        more = parse_facts(_read(path))
        twice = sorted(set(more) & set(facts))
        if twice:
            raise ValueError(f"{path.name}: facts defined twice: {', '.join(twice)}")
        facts.update(more)
    answers = {}
    for path in sorted((data_dir / "answers").glob("*.yml")):
        answer = parse_answer(_read(path))
        if answer.intent != path.stem:
            raise ValueError(f"{path.name}: intent {answer.intent!r} does not match the file name")
        answers[answer.intent] = answer
    phrases = parse_phrases(_read(data_dir / "phrases.yml"))
    problems = check_phrases(phrases, facts)
    for phrase in phrases.values():
        for alternative in phrase.alternatives:
            problems += [f"phrase {phrase.id}: unknown fact {{{name}}}" for name in placeholders(alternative.text)
                         if name not in facts and name not in phrases]
    for answer in answers.values():
        for template in answer.templates():
            for name in placeholders(template):
                if name not in facts and name not in phrases:
                    problems.append(f"{answer.intent}: unknown fact {{{name}}}")
        for extra in answer.extra:
            if extra.gate.always:
                problems.append(f"{answer.intent}: an extra paragraph needs a gate (active: or ended:)")
            problems += extra.gate.problems(f"{answer.intent}: extra", facts)
        for button in answer.all_buttons():
            if button.more and button.more not in answer.more:
                problems.append(f"{answer.intent}: button to unknown section {button.more!r}")
            if button.intent and button.intent not in answers:
                problems.append(f"{answer.intent}: button to intent without answer {button.intent!r}")
            if button.topic:
                target, _, topic = button.topic.partition("/")
                if target not in answers or topic not in answers[target].topics:
                    problems.append(f"{answer.intent}: button to unknown topic {button.topic!r}")
            if button.action and button.action not in ACTIONS:
                problems.append(f"{answer.intent}: unknown action {button.action!r} (one of {ACTIONS})")
            if not (button.more or button.intent or button.action or button.topic):
                problems.append(f"{answer.intent}: button {button.label!r} leads nowhere")
    lessons = [parse_lesson(_read(path)) for path in sorted((data_dir / "lessons").glob("*.yml"))]
    for lesson in lessons:
        problems += check_lesson(lesson, facts, phrases)
    if len({lesson.id for lesson in lessons}) != len(lessons):
        problems.append("lessons: two modules share an id")
    if problems:
        raise ValueError("knowledge: " + "; ".join(problems))
    rates = Rates.from_dict(_read(data_dir / "rates.yml"), facts)
    texts = _read(data_dir / "texts.yml")
    return Knowledge(facts=facts, answers=AnswerBook(answers, facts, phrases), rates=rates, texts=texts,
                     lessons=LessonBook(lessons, facts, phrases), phrases=phrases)


@lru_cache(maxsize=1)
def default_knowledge() -> Knowledge:
    return load_knowledge()
