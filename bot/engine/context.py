"""Conversation context: what the user is talking about, and what they told about themselves.

Stored per user in the database (`users.context`, `users.context_at`), so a restart or a second
worker loses nothing. Two parts:

- the **subject**: the intent, topic and program of the last answer. A short follow-up
  ("berapa lama?", "dokumennya?", "yang JHT juga?") is read by the model together with it. It expires
  after `SUBJECT_MINUTES` idle; a clear new question replaces it.
- the **profile**: sector (transport or not), employee or self-employed, owner with how many workers
  and which business size, the last income given. Kept until the user changes it or deletes their data.
  It never holds identity data (no NIK, name, phone, birth date).

The words that reveal a profile and the subjects' phrases are data (`bot/knowledge/data/context.yml`).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import yaml

from bot.understanding import Understood
from bot.understanding.reading import is_question

DATA_FILE = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "context.yml"
SUBJECT_MINUTES = 30
# A follow-up is short: longer messages carry their own subject.
FRAGMENT_WORDS = 10
# Readings that are politeness or yes/no, never the subject of a follow-up.
NOT_SUBJECTS = ("nlu_fallback", "greet", "goodbye", "thanks", "affirm", "deny", "out_of_scope",
                "bot_challenge", "human_handoff", "start_learning", "delete_my_data", "start_enrolment",
                "enrolment_status")
# A pleasantry read this confidently, with no question in the text, is not a follow-up ("makasih ya").
PLEASANTRY_CONFIDENCE = 0.4
PROFILE_FIELDS = ("sector", "employment", "role", "workers", "size", "income")


@dataclass(frozen=True)
class Subject:
    intent: str
    topic: str = ""
    program: str = ""
    also: tuple[str, ...] = ()     # the other answers of the same turn (a message with two questions)

    @property
    def label(self) -> str:
        return f"{self.intent}/{self.topic}" if self.topic else self.intent


@dataclass(frozen=True)
class Profile:
    sector: str = ""          # transport | non_transport
    employment: str = ""      # employee | self_employed
    role: str = ""            # owner, when the user said they run a business
    workers: int = 0          # an owner's number of workers
    size: str = ""            # mikro | kecil | menengah | besar
    income: int = 0           # the last income or wage the user gave

    def known(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v}

    @property
    def is_owner(self) -> bool:
        return self.role == "owner" or self.workers > 0

    @property
    def kinds(self) -> tuple[str, ...]:
        """What kind of user this is, as the answers' audiences name it: owner, employee, self_employed."""
        return (("owner",) if self.is_owner else ()) + ((self.employment,) if self.employment else ())


@dataclass(frozen=True)
class Context:
    subject: Subject | None = None
    profile: Profile = field(default_factory=Profile)

    @classmethod
    def load(cls, raw: dict | None, since: dt.datetime | None, moment: dt.datetime) -> "Context":
        """The stored context; the subject only while fresh (`SUBJECT_MINUTES` idle at most)."""
        raw = raw or {}
        subject = None
        stored = raw.get("subject") or {}
        if stored.get("intent") and since is not None:
            since = since if since.tzinfo else since.replace(tzinfo=dt.timezone.utc)
            if moment - since <= dt.timedelta(minutes=SUBJECT_MINUTES):
                subject = Subject(stored["intent"], stored.get("topic") or "", stored.get("program") or "",
                                  tuple(stored.get("also") or ()))
        values = {k: raw.get("profile", {}).get(k) for k in PROFILE_FIELDS if raw.get("profile", {}).get(k)}
        return cls(subject, Profile(**values))

    def dump(self) -> dict:
        data: dict = {"profile": self.profile.known()}
        if self.subject is not None:
            data["subject"] = asdict(self.subject)
        return data


@dataclass(frozen=True)
class Rules:
    """The data of context.yml, compiled."""

    subjects: dict[str, dict]
    families: dict[str, dict]
    words: dict[str, dict[str, re.Pattern]]     # field → value → pattern
    workers: tuple[re.Pattern, ...]
    owner: re.Pattern
    profile_parts: dict[str, dict[str, str]]
    aspects: dict[str, list[str]] = field(default_factory=dict)
    part_aspects: dict[str, list[str]] = field(default_factory=dict)
    audiences: dict[str, tuple[str, ...]] = field(default_factory=dict)
    openers: re.Pattern | None = None
    part_subjects: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: dict) -> "Rules":
        profile = raw["profile"]
        words = {name: {value: _words(items) for value, items in profile[name].items()}
                 for name in ("sector", "employment", "size")}
        return cls(
            subjects=raw["subjects"], families=raw["families"], words=words,
            workers=tuple(re.compile(p, re.IGNORECASE) for p in profile["workers"]),
            owner=_words(profile["owner"]), profile_parts=raw.get("profile_parts") or {},
            aspects=raw.get("aspects") or {}, part_aspects=raw.get("part_aspects") or {},
            audiences={label: tuple(kinds) for label, kinds in (raw.get("audiences") or {}).items()},
            openers=_openers(raw.get("openers") or ()),
            part_subjects=raw.get("part_subjects") or {},
        )

    # Follow-ups ------------------------------------------------------------------------------
    def subject_of(self, understood: Understood) -> Subject | None:
        """What an answer to this reading is about (None for politeness, actions and fallbacks)."""
        if understood.is_fallback or understood.intent in NOT_SUBJECTS or understood.intent not in self.subjects:
            return None
        program = str(understood.entity("program") or self.subjects[understood.intent].get("program") or "")
        return Subject(understood.intent, understood.answered_topic, program)

    def subject_after(self, subject: Subject | None, section: str) -> Subject | None:
        """The subject after an answer's `more:` section: another answer's, when the section hands
        the conversation over to it (part_subjects)."""
        if subject is None or not section:
            return subject
        other = self.part_subjects.get(f"{subject.intent}:{section}")
        if not other or other not in self.subjects:
            return subject
        return Subject(other, "", str(self.subjects[other].get("program") or ""))

    def is_fragment(self, understood: Understood) -> bool:
        """A short message that may lean on the subject before it ("kalo di-PHK?", "dokumennya?")."""
        text = understood.text
        if len(re.findall(r"\w+", text)) > FRAGMENT_WORDS:
            return False
        polite = understood.intent in ("greet", "goodbye", "thanks", "affirm", "deny")
        if polite and understood.confidence >= PLEASANTRY_CONFIDENCE and not is_question(text):
            return False
        return True

    def in_context(self, understood: Understood, subject: Subject) -> str:
        """The follow-up as the model reads it in context: the subject's phrase, then the fragment.
        A fragment naming another program keeps the subject's family ("cara klaim" + "yang JHT?")."""
        spec = self.subjects.get(subject.intent) or {}
        program = str(understood.entity("program") or "")
        if program and program != subject.program:
            family = self.families.get(spec.get("family") or "")
            if family is not None:
                return f"{family['phrase']} {understood.text}"
        return f"{spec.get('phrase', '')} {understood.text}".strip()

    def around(self, subject: Subject) -> list[str]:
        """The neighbours of the subject's answer, then those of the turn's other answers."""
        found = self.neighbours(subject.intent)
        for other in subject.also:
            found += [i for i in self.neighbours(other) if i not in found]
        return found

    def own(self, subject: Subject) -> list[str]:
        """The answers a follow-up's words are matched against first: the subject's own, and — when
        it is about no program of its own but the user named one ("klaim jht di jmo error") — the
        related answers of that program (the JHT claim after the app), as much what the user is about."""
        found = [subject.intent]
        spec = self.subjects.get(subject.intent) or {}
        if subject.program and not spec.get("program"):
            for family in self.families.values():
                other = family["intents"].get(subject.program)
                if other and other in (spec.get("related") or ()) and other not in found:
                    found.append(other)
        return found

    def neighbours(self, intent: str) -> list[str]:
        """The intents a follow-up of `intent` may ask a part of: the intent itself, the other
        intents of its program (program_jkm → claim_jkm), and the ones context.yml relates to it
        (registration_how → registration_requirements)."""
        spec = self.subjects.get(intent) or {}
        found = [intent]
        program = spec.get("program")
        if program:
            for family in self.families.values():
                other = family["intents"].get(program)
                if other and other not in found:
                    found.append(other)
        for other in spec.get("related") or ():
            if other not in found:
                found.append(other)
        return found

    def part_for(self, intent: str, profile: Profile) -> tuple[str, str]:
        """The part of an answer the profile selects (a self-employed member's JHT claim, an
        owner's registration) as its label, and the kind of user that selected it; ("", "") if none."""
        choices = self.profile_parts.get(intent) or {}
        for kind in profile.kinds:
            if choices.get(kind):
                return choices[kind], kind
        return "", ""

    def not_for(self, profile: Profile) -> frozenset[str]:
        """The labels of answer parts written for other kinds of users than this one (none while
        the profile says nothing about the user)."""
        kinds = set(profile.kinds)
        if not kinds:
            return frozenset()
        return frozenset(label for label, audience in self.audiences.items() if not kinds & set(audience))

    def without_workers(self, text: str) -> str:
        """The text without what it says about the number of workers ("ada 4 org"): told about the
        user, it names no part of an answer."""
        for pattern in self.workers:
            text = pattern.sub(" ", text)
        return text

    def without_opener(self, text: str) -> str:
        """The text without a leading "oh iya", "btw", "satu lagi" (they open a new question, they
        do not say yes); the text itself when it has none or is nothing more."""
        if self.openers is None:
            return text
        rest = self.openers.sub("", text, count=1).strip()
        return rest if rest and rest != text and len(rest.split()) >= 2 else text

    # The profile -----------------------------------------------------------------------------
    def learn(self, text: str, profile: Profile, income: int | None = None) -> Profile:
        """The profile updated with what this message tells about the user."""
        changes: dict = {}
        for name in ("sector", "employment", "size"):
            for value, pattern in self.words[name].items():
                if pattern.search(text):
                    changes[name] = value
                    break
        if changes.get("sector") and "employment" not in changes and not profile.employment:
            changes["employment"] = "self_employed"      # an ojol driver or a trader works for themselves
        for pattern in self.workers:
            found = pattern.search(text)
            if found:
                changes["workers"] = int(found.group(1))
                changes["role"] = "owner"
                changes.pop("employment", None)          # "3 karyawan" is about the workers, not the owner
                break
        if self.owner.search(text):
            changes["role"] = "owner"
            changes.pop("employment", None)
        if income:
            changes["income"] = int(income)
        return replace(profile, **changes) if changes else profile


def _openers(items) -> re.Pattern | None:
    if not items:
        return None
    one = "|".join(str(item) for item in items)
    return re.compile(r"^\s*(?:(?:" + one + r")\b[\s,.!:;-]*)+", re.IGNORECASE)


def _words(items) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(str(item) for item in items) + r")\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    return Rules.from_dict(yaml.safe_load(DATA_FILE.read_text(encoding="utf-8")))
