"""What understanding a message gives: intent, topic, confidence, entities — from Rasa's parse result.

Light on purpose (no Rasa import): the engine, the dialogue and the remote client use it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

FALLBACK_INTENT = "nlu_fallback"
MAX_PARSE_CHARS = 1000   # longer messages are cut for the model (their start carries the question)


@dataclass(frozen=True)
class Understood:
    text: str
    intent: str
    confidence: float
    entities: tuple[dict, ...] = ()
    ranking: tuple[tuple[str, float], ...] = ()
    unavailable: bool = False        # no model answered (remote servers down or too slow)
    topic: str = ""                  # a concrete problem under the intent ("no_paklaring"), or ""
    topic_confidence: float = 0.0
    # How a long message was read: "" (as a whole) or "sentence" (its question sentence decided).
    read_as: str = ""
    # The model's readings of a long message's sentences, kept so that nothing parses them again.
    pieces: tuple["Understood", ...] = field(default=(), compare=False, repr=False)

    @property
    def is_fallback(self) -> bool:
        return self.intent == FALLBACK_INTENT

    @property
    def answered_topic(self) -> str:
        """The topic the answer is about: none when the bot asks back ("Maksud Anda…?")."""
        return "" if self.is_fallback else self.topic

    @property
    def label(self) -> str:
        """`intent/topic` when a topic was picked, else the intent (the staff tools' label)."""
        return f"{self.intent}/{self.answered_topic}" if self.answered_topic else self.intent

    def entity(self, name: str):
        """The value of the first entity of this type, or None."""
        return next((e["value"] for e in self.entities if e.get("entity") == name), None)

    def entity_values(self) -> dict:
        values: dict = {}
        for e in self.entities:
            values.setdefault(e["entity"], e["value"])
        return values

    def with_text(self, text: str) -> "Understood":
        return replace(self, text=text)


def _plain_entities(entities: list[dict]) -> tuple[dict, ...]:
    keep = ("entity", "value", "start", "end", "confidence_entity", "extractor")
    return tuple({k: e[k] for k in keep if k in e} for e in entities)


def for_model(text: str) -> str:
    """What the model reads: Rasa takes a leading "/" as an intent trigger ("/start" → intent
    "start"), so typed slashes are dropped; overly long texts are cut, and so are digit runs no
    amount has (a thousand 1s overflowed the amount reader)."""
    text = re.sub(r"\d{20,}", lambda match: match.group(0)[:19], text.lstrip("/").strip())
    return text[:MAX_PARSE_CHARS] or "?"


def _topic(result: dict, intent: str) -> tuple[str, float]:
    """The topic Rasa's response selector (or nlu.components.topics.TopicSelector) picked under
    `intent`: its best `intent/topic` key whose intent is the one understood."""
    selector = (result.get("response_selector") or {}).get("default") or {}
    ranking = selector.get("ranking") or []
    best = (selector.get("response") or {})
    candidates = [best, *ranking] if best else ranking
    for entry in candidates:
        key = str(entry.get("intent_response_key") or "")
        base, _, topic = key.partition("/")
        if base == intent:
            return topic, float(entry.get("confidence") or 0.0)
    return "", 0.0


def understood_from(text: str, result: dict) -> Understood:
    """An Understood from Rasa's parse result (in-process, or `POST /model/parse` of `rasa run`)."""
    intent = result.get("intent") or {}
    name = intent.get("name") or FALLBACK_INTENT
    ranking = tuple((r["name"], float(r["confidence"])) for r in result.get("intent_ranking") or ())
    # Under a fallback the topic belongs to the classifier's best guess (used for suggestions).
    guess = next((n for n, _ in ranking if n != FALLBACK_INTENT), name)
    topic, topic_confidence = _topic(result, guess)
    return Understood(
        text=text,
        intent=name,
        confidence=float(intent.get("confidence") or 0.0),
        entities=_plain_entities(result.get("entities") or []),
        ranking=ranking,
        topic=topic,
        topic_confidence=topic_confidence,
    )


def unavailable(text: str) -> Understood:
    return Understood(text=text, intent=FALLBACK_INTENT, confidence=0.0, unavailable=True)
