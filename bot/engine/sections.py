"""Which part of an answer a follow-up asks for.

After "jkm itu apa", the follow-up "beasiswa anaknya gmn?" wants the JKM answer's scholarship
section, not the general answer again. An answer's parts — its `more:` sections (with the labels of
the buttons that open them) and its topics — are indexed by their words, read the way the model
reads them (chat spelling to standard words, `-nya` dropped, small words left out). A follow-up
picks the part whose words cover most of its own, weighted by how rare each word is.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from nlu.components.lexicon import load_lexicon, normalize_word

# Words that say nothing about which part is meant.
STOPWORDS = frozenset("""
    yang dan di ke dari itu ini apa apakah bagaimana berapa kalau saya kakak kamu bisa tidak ada
    sudah belum juga saja sama untuk dengan atau terus tapi mau harus boleh kapan mana dong
    sih deh nih ya iya kok kah lah pun jadi gitu gini tuh si aja the bpjs tk ketenagakerjaan
    program jaminan sekarang nanti lagi lebih cara gimana banget tolong makasih kita kami mereka
    dia dapat dapet ga gak caranya buat bila akan oleh pada karena per para pas lg sampe
    sampai kena kan tu gt emang memang bener benar dulu udah nah lho loh kah lah min bang kak mas
    mbak pak bu gan sis bro emg nya trs tau tahu beliau ia lalu tadi serta
""".split())
SUFFIX = "nya"      # "beasiswanya", "dokumennya" (-kah/-lah would cut "sekolah", "menikah")
MIN_COVERAGE = 0.5
UNKNOWN_WEIGHT = 1.0
PLACEHOLDER = re.compile(r"\{[^}]*\}")
PERCENT = re.compile(r"(?<=\d)\s*%")


def words(text: str, lexicon: dict[str, str]) -> list[str]:
    """Content words of a text in standard spelling."""
    found = []
    text = PERCENT.sub(" persen ", PLACEHOLDER.sub(" ", text.lower()))    # "30%": a share, said so
    for word in re.findall(r"[a-z0-9]+", text):
        word = normalize_word(word, lexicon)
        if word.endswith(SUFFIX) and len(word) - len(SUFFIX) >= 3:
            word = normalize_word(word[: -len(SUFFIX)], lexicon)
        if word not in STOPWORDS and len(word) > 1 and not word.isdigit():
            found.append(word)
    return found


# Indonesian affixes, for matching "dilaporkan" and "laporkan" with "lapor", "kelahiran" with
# "lahir": a word is taken as its root only when the root itself is a word of the answers.
PREFIXES = ("meng", "mem", "men", "me", "di", "ber", "ter", "per", "pen", "peng", "pe", "ke", "nge", "ng")
SUFFIXES = ("kan", "an", "i")
MIN_ROOT = 4


def root(word: str, roots: frozenset[str] | set[str]) -> str:
    """The word's shortest root among `roots` (a suffix, a prefix or both taken off), or the word."""
    best = word
    for suffix in ("",) + SUFFIXES:
        if suffix and not word.endswith(suffix):
            continue
        stem = word[: len(word) - len(suffix)] if suffix else word
        for prefix in ("",) + PREFIXES:
            if prefix and not stem.startswith(prefix):
                continue
            candidate = stem[len(prefix):]
            if MIN_ROOT <= len(candidate) < len(best) and candidate in roots:
                best = candidate
    return best


@dataclass(frozen=True)
class Part:
    intent: str
    section: str = ""     # a `more:` section
    topic: str = ""       # or a topic (neither: the general answer)

    @property
    def label(self) -> str:
        return f"{self.intent}/{self.topic}" if self.topic else f"{self.intent}:{self.section}".rstrip(":")

    @classmethod
    def from_label(cls, label: str) -> "Part":
        """`intent`, `intent:section` or `intent/topic`."""
        if "/" in label:
            intent, _, topic = label.partition("/")
            return cls(intent, topic=topic)
        intent, _, section = label.partition(":")
        return cls(intent, section=section)


class PartIndex:
    """Every answer's parts and their words, with each word's rarity across all parts."""

    def __init__(self, answers: dict, lexicon: dict[str, str], aspects: dict | None = None,
                 part_aspects: dict | None = None):
        self.lexicon = lexicon
        aspects, part_aspects = aspects or {}, part_aspects or {}

        def aspect_words(key: str) -> list[str]:
            """The words of the aspects context.yml gives this part (twice: they name what it is about)."""
            found = [w for name in part_aspects.get(key, ()) for w in words(" ".join(aspects[name]), lexicon)]
            return found * 2

        self.parts: dict[str, list[tuple[Part, Counter]]] = {}
        labels: dict[tuple[str, str], list[str]] = {}
        for intent, answer in answers.items():
            for button in answer.all_buttons():
                if button.more:
                    labels.setdefault((intent, button.more), []).append(button.label)
                if button.topic:
                    target, _, topic = button.topic.partition("/")
                    labels.setdefault((target, "topic:" + topic), []).append(button.label)
        raw: dict[str, list[tuple[Part, list[str]]]] = {}
        for intent, answer in answers.items():
            # The general answer is a part too: "cara klaimnya?" after JKK asks for the claim answer.
            general = words(" ".join([answer.text, *(v.text for v in answer.variants)]), lexicon)
            entries = [(Part(intent), general + aspect_words(intent))]
            for name, section in answer.more.items():
                text = " ".join([section.text, *labels.get((intent, name), [])])
                entries.append((Part(intent, section=name), words(text, lexicon) + aspect_words(f"{intent}:{name}")))
            for name, section in answer.topics.items():
                text = " ".join([section.text, *labels.get((intent, "topic:" + name), [])])
                entries.append((Part(intent, topic=name), words(text, lexicon) + aspect_words(f"{intent}/{name}")))
            raw[intent] = entries
        self.roots = frozenset(w for entries in raw.values() for _, found in entries for w in found)
        documents = Counter()
        for intent, entries in raw.items():
            self.parts[intent] = [(part, Counter(root(w, self.roots) for w in found)) for part, found in entries]
            for _, vocabulary in self.parts[intent]:
                documents.update(set(vocabulary))
        total = sum(len(entries) for entries in self.parts.values()) or 1
        self.rarity = {word: math.log(1 + total / count) for word, count in documents.items()}

    def best(self, intents: list[str], text: str, coverage_at_least: float = MIN_COVERAGE,
             exclude: frozenset[str] = frozenset()) -> Part | None:
        """The part of these intents' answers the text asks for, if its words point to one clearly.
        Parts labelled in `exclude` are not candidates (written for another kind of user)."""
        asked = {root(w, self.roots) for w in words(text, self.lexicon)}
        if not asked:
            return None
        # A word no answer has (a typo, a name) weighs little: it cannot point anywhere.
        weight = {w: self.rarity.get(w, UNKNOWN_WEIGHT) for w in asked}
        total = sum(weight.values())
        scored = []
        for intent in intents:
            for part, vocabulary in self.parts.get(intent, ()):
                if part.label in exclude:
                    continue
                present = [w for w in asked if vocabulary[w]]
                coverage = sum(weight[w] for w in present) / total
                # Between parts covering the same words, the one that is about them (says them most).
                strength = sum(weight[w] * math.log(1 + vocabulary[w]) for w in present)
                scored.append((coverage, strength, part))
        if not scored:
            return None
        # Equal words, equally strong: the rest of an answer (a section) before a separate problem
        # (a topic); any other tie is no clear pointer.
        scored.sort(key=lambda s: (-s[0], -s[1], not s[2].section))
        coverage, strength, part = scored[0]
        if coverage < coverage_at_least:
            return None
        tied = [p for c, s, p in scored if (c, s) == (coverage, strength)]
        if len(tied) > 1:
            sections = [p for p in tied if p.section]
            if len(sections) != 1 or not all(p.topic for p in tied if p is not sections[0]):
                return None
            return sections[0]
        return part


@lru_cache(maxsize=4)
def _lexicon() -> dict[str, str]:
    return load_lexicon()


def index_for(answers: dict, aspects: dict | None = None, part_aspects: dict | None = None) -> PartIndex:
    return PartIndex(answers, _lexicon(), aspects, part_aspects)
