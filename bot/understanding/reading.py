"""Reading a long message by what it asks, not by the story around it.

Real messages are often a story of two to five sentences with the question at the end, wrapped in a
greeting and a thanks ("assalamualaikum min, saya resign bulan juni … gimana cara cairin jht nya?
makasih 🙏"). The model reads the whole text, and each sentence of it in the same batch; the
answer follows the whole text's ranking mixed with the rankings of its content sentences, the
question sentences weighing most. Sentences that are only a greeting, a thanks or a goodbye never
decide what a message with a question in it asks.

`pieces` says what to parse for a text; `combine` turns those parses into one Understood.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace

import yaml

from bot.understanding.files import ROOT
from bot.understanding.result import FALLBACK_INTENT, Understood, for_model

# A message of fewer words, or of one sentence, is read as a whole.
LONG_WORDS = 14
MAX_SENTENCES = 6
# Weights of the whole text and of a content sentence, a question sentence weighing more.
WHOLE_WEIGHT = 1.0
SENTENCE_WEIGHT = 0.35
QUESTION_WEIGHT = 1.0
# Intents that are only politeness around a question (never the answer to a message with a question).
PLEASANTRIES = ("greet", "thanks", "goodbye")
# A yes or a no answers the bot's own question; in a long message that asks something, a sentence
# read so ("kenapa lama banget ya min?" read as a yes for its "ya min") says nothing about what
# is asked.
YES_NO = ("affirm", "deny")
# A sentence read as a pleasantry at least this confidently is left out of the mix.
PLEASANTRY_CONFIDENCE = 0.5


def _fallback_threshold() -> float:
    """The pipeline's FallbackClassifier threshold (nlu/config.yml): a mixed reading below it asks back."""
    try:
        config = yaml.safe_load((ROOT / "nlu" / "config.yml").read_text(encoding="utf-8"))
        return float(next(c["threshold"] for c in config["pipeline"] if c["name"] == "FallbackClassifier"))
    except (OSError, StopIteration, KeyError, TypeError, ValueError):
        return 0.4


FALLBACK_THRESHOLD = _fallback_threshold()

# Sentence ends, line breaks, emoji, and commas: real messages run their sentences together with
# commas ("sugeng enjing min, aku bakul sayur, nek arep daftar carane piye?"). Measured on both
# held-out files: commas +0.5 pt on real-style messages, -0.2 pt on the first file (2 messages each).
_SENTENCE_END = re.compile(
    r"(?<=[.!?])\s+|\n+|(?<=[?!.])(?=[^\s.?!])|\s*[\U0001F300-\U0001FAFF\u2600-\u27BF]+\s*|,\s*")
QUESTION_WORDS = re.compile(
    r"\b(gimana|gmn|gmna|bagaimana|bgmn|gimna|apa|apakah|apkh|apa\s*aja|bisa|bisakah|bs|bsa|berapa|brp|"
    r"brapa|kapan|kpn|dimana|dmn|di\s*mana|kemana|kenapa|knp|napa|mengapa|caranya|cara|gmana|"
    r"boleh|bolehkah|harus|perlu|kok|ya\s*gak|ga\s*sih|piye|pripun|kumaha|naon|opo|nopo|mana|siapa|"
    r"tolong|mohon|gak\s*sih|nggak\s*sih|ndak)\b",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """The sentences of a message (split at . ! ? line breaks and emoji), without empty ones."""
    parts = [p.strip(" ,;:-").rstrip(".!,").strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p and re.search(r"\w", p)]


def is_question(sentence: str) -> bool:
    return "?" in sentence or bool(QUESTION_WORDS.search(sentence))


def pieces(text: str) -> list[str]:
    """What the model reads for `text`: the whole text first, then its sentences if it is long."""
    whole = for_model(text)
    if len(whole.split()) < LONG_WORDS:
        return [whole]
    found = sentences(whole)
    if len(found) < 2:
        return [whole]
    # Keep the last sentences: the question is usually at the end of a story.
    return [whole, *dict.fromkeys(found[-MAX_SENTENCES:])]


def combine(text: str, parsed: list[Understood]) -> Understood:
    """One reading of `text` from the parses of `pieces(text)` (the whole text first); the
    sentences' readings go with it (`Understood.pieces`)."""
    understood = _combine(text, parsed)
    return replace(understood, pieces=tuple(parsed[1:])) if len(parsed) > 1 else understood


def _combine(text: str, parsed: list[Understood]) -> Understood:
    whole = parsed[0].with_text(text)
    if len(parsed) == 1 or whole.unavailable:
        return whole
    content = []
    for part in parsed[1:]:
        best, confidence = _best(part)
        if best in PLEASANTRIES and confidence >= PLEASANTRY_CONFIDENCE:
            continue
        content.append(part)
    if not content:
        return whole
    scores: dict[str, float] = defaultdict(float)
    total = 0.0
    whole_weight = 0.0 if _best(whole)[0] in PLEASANTRIES else WHOLE_WEIGHT
    weighted = [(whole, whole_weight)] + [
        (part, QUESTION_WEIGHT if is_question(part.text) else SENTENCE_WEIGHT) for part in content
    ]
    for part, weight in weighted:
        if weight <= 0:
            continue
        total += weight
        for name, confidence in part.ranking:
            if name != FALLBACK_INTENT:
                scores[name] += weight * confidence
    if total <= 0 or not scores:
        return whole
    if any(is_question(part.text) for part in content):
        # A message with a question in it is never answered with only a greeting or a thanks, nor
        # with a yes or a no.
        removed = sum(scores.pop(name, 0.0) for name in PLEASANTRIES + YES_NO)
        total = max(total - removed, sum(scores.values())) or 1.0
    ranking = tuple(sorted(((n, s / total) for n, s in scores.items()), key=lambda kv: -kv[1]))
    intent, confidence = ranking[0]
    if intent == _best(whole)[0] and whole.intent != FALLBACK_INTENT and whole_weight:
        return whole   # the story and its question agree: the whole text's reading stands
    # The topic comes from the piece that reads the chosen intent most confidently.
    source = max((p for p, w in weighted if w > 0), key=lambda p: dict(p.ranking).get(intent, 0.0))
    topic, topic_confidence = (source.topic, source.topic_confidence) if _best(source)[0] == intent else ("", 0.0)
    entities = whole.entities or source.entities
    return Understood(
        text=text,
        intent=intent if confidence >= FALLBACK_THRESHOLD else FALLBACK_INTENT,
        confidence=confidence,
        entities=entities,
        ranking=ranking if confidence >= FALLBACK_THRESHOLD else ((FALLBACK_INTENT, 1 - confidence), *ranking),
        topic=topic,
        topic_confidence=topic_confidence,
        read_as="sentence",
    )


def _best(understood: Understood) -> tuple[str, float]:
    """The classifier's best intent and confidence, looking past the fallback label."""
    for name, confidence in understood.ranking:
        if name != FALLBACK_INTENT:
            return name, confidence
    return understood.intent, understood.confidence
