"""Scoring a reader of messages on a held-out file: the figures `make eval` and `make train` use.

A held-out file is Rasa NLU YAML. A label is an intent, or `intent/topic` (a Rasa retrieval intent)
for a concrete problem under it. Block metadata gives `style` (formal | informal | typo), `speaker`
(worker | owner) and `source` (what kind of public material inspired it); `long` (25+ words) and
`short` (5 words or fewer) are counted from the text.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.understanding.files import TEST_FILE
from bot.understanding.result import FALLBACK_INTENT
LONG_WORDS = 25
SHORT_WORDS = 5
TAGS = ("long", "short", "typo", "informal", "formal", "owner")
BANDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    style: str
    programs: tuple[str, ...]
    topic: str = ""
    speaker: str = "worker"
    source: str = ""

    @property
    def label(self) -> str:
        return f"{self.intent}/{self.topic}" if self.topic else self.intent

    @property
    def tags(self) -> tuple[str, ...]:
        words = len(self.text.split())
        tags = [self.style]
        if words >= LONG_WORDS:
            tags.append("long")
        if words <= SHORT_WORDS:
            tags.append("short")
        if self.speaker == "owner":
            tags.append("owner")
        return tuple(tags)


def load_examples(path: Path = TEST_FILE) -> list[Example]:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    data = RasaYAMLReader().read(str(path))
    examples = []
    for message in data.intent_examples:
        meta = (message.get("metadata") or {}).get("intent") or {}
        # An annotation without an explicit value keeps the text as typed ("JHT"): compare lowercased.
        programs = tuple(str(e["value"]).lower() for e in message.get("entities") or [] if e["entity"] == "program")
        key = message.get("intent_response_key") or ""
        examples.append(Example(
            text=message.get("text"), intent=message.get("intent"), style=meta.get("style", "formal"),
            programs=programs, topic=key.partition("/")[2], speaker=meta.get("speaker", "worker"),
            source=meta.get("source", ""),
        ))
    return examples


def top(understood) -> tuple[str, float]:
    """The classifier's best intent and its confidence, looking past the fallback label."""
    for name, confidence in understood.ranking:
        if name != FALLBACK_INTENT:
            return name, confidence
    return understood.intent, understood.confidence


@dataclass
class Scores:
    name: str
    accuracy: float
    answered_accuracy: float
    fallback_rate: float
    macro_f1: float
    informal_accuracy: float
    program_accuracy: float
    per_intent_f1: dict
    confusions: list
    histogram: list
    parse_seconds: float
    topic_accuracy: float = 0.0          # where a topic is labelled: intent/topic both right
    topic_examples: int = 0
    answered_label_accuracy: float = 0.0  # answered (no "Maksud Anda…?") with the right intent AND topic
    wrong_answer_rate: float = 0.0        # answered (not asked back) with the wrong intent
    per_tag: dict = field(default_factory=dict)     # tag -> (accuracy, count)
    wrong: list = field(default_factory=list)       # (example, predicted label, confidence)


def score(name: str, reader, examples: list[Example]) -> Scores:
    """`reader.parse_many(texts)` gives one Understood per text."""
    from sklearn.metrics import f1_score

    start = time.perf_counter()
    results = reader.parse_many([e.text for e in examples])
    seconds = time.perf_counter() - start
    gold = [e.intent for e in examples]
    predicted = [top(r)[0] for r in results]
    labels = sorted(set(gold))
    f1s = f1_score(gold, predicted, labels=labels, average=None, zero_division=0)
    informal = [(g, p) for e, g, p in zip(examples, gold, predicted) if e.style != "formal"]
    with_program = [(e, r) for e, r in zip(examples, results) if e.programs]
    program_hits = sum(
        1 for e, r in with_program
        if sorted(str(x["value"]).lower() for x in r.entities if x["entity"] == "program") == sorted(e.programs)
    )
    topic_of = [r.topic if top(r)[0] == e.intent else "" for e, r in zip(examples, results)]
    right_label = [p == e.intent and t == e.topic for e, p, t in zip(examples, predicted, topic_of)]
    with_topic = [hit for e, hit in zip(examples, right_label) if e.topic]
    confusions = Counter((g, p) for g, p in zip(gold, predicted) if g != p).most_common(10)
    histogram = []
    for low, high in zip(BANDS, BANDS[1:]):
        inside = [g == p for g, p, r in zip(gold, predicted, results) if low <= top(r)[1] < high]
        histogram.append((low, high, sum(inside), len(inside) - sum(inside)))
    per_tag = {}
    for tag in TAGS:
        hits = [g == p for e, g, p in zip(examples, gold, predicted) if tag in e.tags]
        if hits:
            per_tag[tag] = (sum(hits) / len(hits), len(hits))
    answered = [not r.is_fallback for r in results]
    wrong = [(e, f"{p}/{t}" if t else p, top(r)[1])
             for e, p, t, r, hit in zip(examples, predicted, topic_of, results, right_label) if not hit]
    return Scores(
        name=name,
        accuracy=sum(g == p for g, p in zip(gold, predicted)) / len(gold),
        answered_accuracy=sum(g == r.intent for g, r in zip(gold, results)) / len(gold),
        fallback_rate=sum(r.is_fallback for r in results) / len(results),
        macro_f1=float(f1s.mean()),
        informal_accuracy=sum(g == p for g, p in informal) / max(1, len(informal)),
        program_accuracy=program_hits / max(1, len(with_program)),
        per_intent_f1=dict(zip(labels, (float(x) for x in f1s))),
        confusions=confusions,
        histogram=histogram,
        parse_seconds=seconds,
        topic_accuracy=sum(with_topic) / max(1, len(with_topic)),
        topic_examples=len(with_topic),
        answered_label_accuracy=sum(a and h for a, h in zip(answered, right_label)) / len(examples),
        wrong_answer_rate=sum(a and g != r.intent for a, g, r in zip(answered, gold, results)) / len(examples),
        per_tag=per_tag,
        wrong=wrong,
    )
