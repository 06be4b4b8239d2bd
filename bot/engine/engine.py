"""The dialogue engine: one user's event in, replies out. No transport, no Telegram.

Typed text goes to understanding (intent, confidence, entities) and then to knowledge (the answer
for that intent and entities, or a calculation when an income was given); a pressed button names
what to show. Telegram, the terminal chat and the tests are thin adapters around `handle`.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, replace
from typing import Callable, Protocol

from bot import clock
from bot.engine.context import FRAGMENT_WORDS, Context, Profile, Rules, default_rules
from bot.engine.events import ButtonEvent, Event
from bot.engine.quotes import bpu_quote_reply, is_employee_wage, is_own_income, pu_quote_reply, sector_of
from bot.engine.replies import Button, Reply
from bot.engine.sections import MIN_COVERAGE, Part, index_for
from bot.knowledge import Knowledge
from bot.understanding import Understood
from bot.understanding.result import for_model
from bot.understanding.reading import is_question, sentences

log = logging.getLogger(__name__)

CALCULATING_INTENTS = ("contribution_bpu", "contribution_pu", "calculate_contribution")
# The programs a contribution quote shows: a follow-up naming one asks for the quote again.
QUOTED_PROGRAMS = ("jkk", "jkm", "jht", "jp")
# Intents never offered as a guess in "Maksud Anda…?".
NOT_SUGGESTED = ("nlu_fallback", "affirm", "deny", "greet", "goodbye", "thanks", "out_of_scope")
# Smaller sums are contribution figures people quote ("iuran 16.800 itu apa aja"), not incomes.
MIN_INCOME = 100_000
# Larger "amounts" are identity or phone numbers read as figures, never an income.
MAX_INCOME = 1_000_000_000
MAX_SUGGESTIONS = 3
MIN_SUGGESTION_CONFIDENCE = 0.05
# A second question in one message is answered too when read at least this confidently.
SECOND_QUESTION_CONFIDENCE = 0.6
# …or, read in the light of the first question, at least as confidently as any answer is given.
FALLBACK_CONFIDENCE = 0.4
MAX_QUESTIONS = 2
# Two related answers (one program's answer and its claim) together this likely, the first at least
# this likely: answer the first rather than ask back.
SIBLINGS_TOGETHER = 0.65
SIBLING_CONFIDENCE = 0.3
# A follow-up read alone this confidently keeps its own reading; below it the context may decide.
CONFIDENT_ALONE = 0.7
# Read alone this confidently as another subject: a clear new question, not a follow-up.
SELF_STANDING = 0.9
# The context supports a reading when the text in context ranks it at least this high.
CONTEXT_SUPPORT = 0.3
# A fragment whose words name a part of the answer before this clearly (share of its words' weight)
# is answered with that part, whatever the model reads alone; such a reading counts this confident.
PART_CLEAR = 0.75
PART_CONFIDENCE = 0.8
# A topic the model picks less confidently than this is a guess: a follow-up's words decide instead.
UNSURE_TOPIC = 0.3


class Parser(Protocol):
    def parse(self, text: str) -> Understood: ...


@dataclass(frozen=True)
class Reading:
    """How one typed message was read in its conversation: the reading answered, whether it was a
    follow-up of the subject before it (and as what text), and further questions in the same message."""

    understood: Understood
    followup: bool = False
    read_in_context: str = ""          # the text the model read for a follow-up
    after: str = ""                    # the subject it followed ("claim_jht/claim_status")
    more: tuple[Understood, ...] = ()  # other questions of the message, each answered too
    profile_topic: str = ""            # a topic chosen by the user's profile
    section: str = ""                  # the part of the answer a follow-up asks for (`more:` section)
    income: int = 0                    # a quote follow-up without a figure: the income given before
    profile_kind: str = ""             # the kind of user (owner, self_employed…) whose part was chosen

    def log(self, profile_used: dict | None = None) -> dict | None:
        """What the dashboard shows per turn, so a reviewer tells a context error from an NLU one."""
        data: dict = {}
        if self.followup:
            data.update(followup=True, after=self.after, read_as=self.read_in_context)
        if self.more:
            data["more"] = [m.label for m in self.more]
        if self.profile_topic:
            data["profile_topic"] = self.profile_topic
        if self.section:
            data["section"] = self.section
        if self.income:
            data["income_from_profile"] = True
        if self.profile_kind:
            data["profile_part"] = self.profile_kind
        if profile_used:
            data["profile"] = profile_used
        return data or None


@dataclass(frozen=True)
class Outcome:
    """What the engine did with one event: the replies, and what it understood (for logs/CLI)."""

    replies: tuple[Reply, ...]
    understood: Understood | None = None
    queued: bool = False        # the replies wait in the outbox for the sender (else: send them now)
    claimed: tuple = ()         # outbox rows claimed in the turn's transaction, for the sender to send


class Engine:
    def __init__(self, understanding: Parser, knowledge: Knowledge,
                 today: Callable[[], dt.date] = clock.today, rules: Rules | None = None):
        self.understanding = understanding
        self.knowledge = knowledge
        self.today = today
        self.rules = rules or default_rules()
        self.parts = index_for(knowledge.answers.answers, self.rules.aspects, self.rules.part_aspects)

    def handle(self, event: Event) -> Outcome:
        if isinstance(event, ButtonEvent):
            return Outcome(self._on_button(event.data))
        return self._on_text(event.text)

    # Text ----------------------------------------------------------------------------------
    def _on_text(self, text: str) -> Outcome:
        text = (text or "").strip()
        if not text:
            return Outcome((Reply(self.knowledge.texts["empty_text"]),))
        understood = self.settle(self.understanding.parse(text))
        return Outcome(self.replies_for(understood), understood)

    def settle(self, understood: Understood) -> Understood:
        """Torn only between two views of one subject ("suami sy meninggal, ahli waris dapet apa":
        the JKM program or its claim), the message is answered with the likelier one — whose
        answer leads to the other — instead of asking "Maksud Anda…?"."""
        if not understood.is_fallback or understood.unavailable:
            return understood
        guesses = [(n, c) for n, c in understood.ranking if n != understood.intent][:2]
        if len(guesses) < 2:
            return understood
        (first, one), (second, other) = guesses
        related = second in self.rules.neighbours(first) or first in self.rules.neighbours(second)
        if related and one >= SIBLING_CONFIDENCE and one + other >= SIBLINGS_TOGETHER:
            return replace(understood, intent=first, confidence=one)
        return understood

    # Reading in context --------------------------------------------------------------------
    def read(self, understood: Understood, context: Context) -> Reading:
        """Read a typed message in its conversation. For a short fragment after an answer, in order:

        1. its words name a part of that answer or of a neighbouring one clearly ("beasiswa anaknya?"
           after JKM → the scholarship section): that part;
        2. it names a program of the quote before ("kalo sama JHT?"): the quote again, for the
           income given before; it names another program after an answer about several: that answer;
        3. otherwise the model reads it with the subject's phrase ("klaim jkm berapa lama?"), taken
           when the fragment alone is not understood, is only politeness, or is read unsurely and
           less confidently than in context.
        Then a message with more than one question gets the others read (and answered) too, and a
        follow-up picks the part of its answer its words ask for.
        """
        understood = self.settle(understood)
        if not self._answerable(understood) and not understood.unavailable:
            # "oh iya klo mau daftar lewat hp bisa?" is a new question, not a yes.
            rest = self.rules.without_opener(understood.text)
            if rest != understood.text:
                again = self.settle(self._parse_all([rest])[0].with_text(understood.text))
                if self._answerable(again):
                    understood = again
        reading = Reading(understood)
        subject = context.subject
        not_for = self.rules.not_for(context.profile)
        asked = self.rules.without_workers(understood.text)      # the words that may name a part
        fragment = subject is not None and not understood.unavailable and self.rules.is_fragment(understood)
        part = None
        confident = self._answerable(understood) and understood.confidence >= CONFIDENT_ALONE
        if fragment and self._names_another_program(understood, subject):
            # "bedanya sm jht apa?" after JP: only a part of the answer before itself can say it.
            part = self._part_of([subject.intent], asked, PART_CLEAR, not_for)
        elif fragment:
            # The fragment's words name a part of the answer before, or of its neighbours, clearly.
            part = self._part_of(self.rules.around(subject), asked, PART_CLEAR, not_for, self.rules.own(subject))
            if (part is not None and confident and part.intent != understood.intent
                    and not (part.section or part.topic)):
                # Read confidently alone as another answer: a general answer's words do not outweigh it.
                part = None
        elif subject is not None and not understood.unavailable:
            # "dokumennya apa aja? trus klo saldo 5jt bisa lewat hp kan?": a first question that is a
            # fragment may ask a part of the answer before; the other questions are read after.
            first = self._first_fragment(understood.text)
            if first:
                part = self._part_of(self.rules.around(subject), self.rules.without_workers(first), PART_CLEAR,
                                     not_for)
                if part is not None and not (part.section or part.topic):
                    part = None           # only a named part of it, not the general answer again
        requote = (fragment and subject.intent in CALCULATING_INTENTS and context.profile.income
                   and understood.entity("amount") is None
                   and str(understood.entity("program") or "") in QUOTED_PROGRAMS
                   and (understood.confidence < SELF_STANDING or understood.intent in CALCULATING_INTENTS))
        if part is None and requote:
            # "klo pake jht totalnya?" after a quote: the same quote, for the income given before.
            chosen = replace(understood, intent=subject.intent, topic="",
                             confidence=max(understood.confidence, PART_CONFIDENCE))
            return Reading(chosen, followup=True, read_in_context=f"[{subject.label}]", after=subject.label,
                           income=context.profile.income)
        if (part is None and fragment and not subject.program and not confident
                and self._names_another_program(understood, subject)):
            # "yang JHT juga?" after an answer about several programs: that answer, about this one.
            part = Part(subject.intent)
        if part is not None:
            topic = part.topic
            if not (part.section or part.topic) and understood.intent == part.intent:
                topic = understood.topic          # the general answer's part: the model's topic stands
            chosen = replace(understood, intent=part.intent, topic=topic,
                             confidence=max(understood.confidence, PART_CONFIDENCE))
            reading = Reading(chosen, followup=True, read_in_context=f"[{part.label}]", after=subject.label,
                              section=part.section)
        elif fragment:
            text = self.rules.in_context(understood, subject)
            standing = understood.confidence >= SELF_STANDING and understood.intent != subject.intent
            near = understood.intent in self.rules.around(subject) or understood.intent in self._linked(subject)
            if text and confident and (near or standing):
                # Read confidently alone: the reading in context could not change the answer (only
                # say whether it follows up, which `near` and `standing` decide already); not parsed.
                if near:
                    reading = Reading(understood, followup=True, read_in_context=text, after=subject.label)
            elif text:
                alternative = self._parse_all([text])[0].with_text(understood.text)
                if self._use_context(alternative, understood):
                    reading = Reading(alternative, followup=True, read_in_context=text, after=subject.label)
                elif self._answerable(understood):
                    # Read alone it stands; it still follows up when the context supports the same
                    # reading and it is not a clear new question of its own.
                    support = dict(alternative.ranking).get(understood.intent, 0.0)
                    if near or (support >= CONTEXT_SUPPORT and not standing):
                        reading = Reading(understood, followup=True, read_in_context=text, after=subject.label)
        more = self._more_questions(reading.understood, context, not_for, reading.section)
        if more and not self._answerable(reading.understood):
            # "makasih min. oh iya klo mau daftar lewat hp bisa?": the question is what is answered.
            reading = Reading(more[0], reading.followup, reading.read_in_context, reading.after)
            more = more[1:]
        chosen = reading.understood
        topic, section, income, kind = "", reading.section, 0, ""
        if not chosen.is_fallback and not self.quotable(chosen):
            if chosen.answered_topic and f"{chosen.intent}/{chosen.answered_topic}" in not_for:
                chosen = replace(chosen, topic="")    # a topic for another kind of user than this one
            leaning = reading.followup or (subject is not None and chosen.intent == subject.intent)
            found = None
            if leaning and part is None:
                # The answer's own program ("yg jht juga?" read as the JHT claim) names no part of it.
                own = str((self.rules.subjects.get(chosen.intent) or {}).get("program") or "")
                about = re.sub(rf"\b{re.escape(own)}\b", " ", asked, flags=re.IGNORECASE) if own else asked
                found = self._part_of([chosen.intent], about, MIN_COVERAGE, not_for)
            # A topic the model picked only unsurely gives way to the part the words point to.
            unsure = bool(chosen.answered_topic) and chosen.topic_confidence < UNSURE_TOPIC
            if found is not None and found.section:
                section = found.section
                if unsure:
                    chosen = replace(chosen, topic="")
            elif found is not None and found.topic and (not chosen.answered_topic or unsure):
                chosen = replace(chosen, topic=found.topic)
            elif not chosen.answered_topic and not section:
                label, kind = self.rules.part_for(chosen.intent, context.profile)
                chosen_part = Part.from_label(label) if label else None
                if chosen_part is not None and chosen_part.intent == chosen.intent:
                    topic, section = chosen_part.topic, chosen_part.section
                    if section and section not in self.knowledge.answers.answers[chosen.intent].more:
                        section = ""
                else:
                    kind = ""
            if topic and not self.knowledge.answers.has_topic(chosen.intent, topic):
                topic = ""
            if not (topic or section):
                kind = ""
            after_quote = subject is not None and subject.intent in CALCULATING_INTENTS
            if ((reading.followup or after_quote) and chosen.intent in CALCULATING_INTENTS
                    and context.profile.income and chosen.entity("amount") is None):
                income = context.profile.income       # "kalo sama JHT totalnya?" after a quote
        if chosen is not reading.understood or topic or more or section or income:
            reading = Reading(chosen, reading.followup, reading.read_in_context, reading.after, more, topic,
                              section, income, kind)
        return reading

    def _linked(self, subject) -> set[str]:
        """The intents the buttons of the subject's answer and its parts lead to ("Pensiun janda
        atau anak" under the heirs' claim): asking about one of them goes on with the conversation."""
        answer = self.knowledge.answers.answers.get(subject.intent)
        if answer is None:
            return set()
        targets = {b.intent or b.topic.partition("/")[0] for b in answer.all_buttons() if b.intent or b.topic}
        return targets - set(NOT_SUGGESTED) - {"human_handoff"}

    def _answerable(self, understood: Understood) -> bool:
        """A reading with a knowledge answer (not a fallback, politeness or yes/no)."""
        return (not understood.is_fallback and understood.intent in self.knowledge.answers
                and understood.intent not in NOT_SUGGESTED)

    def _part_of(self, intents: list[str], text: str, coverage: float, not_for: frozenset[str] = frozenset(),
                 own: list[str] | None = None):
        """The best part among these intents' answers: the first intent's own parts first (or those
        of `own`); never a part for another kind of user (`not_for`)."""
        first = own or intents[:1]
        for group in (first, [i for i in intents if i not in first]):
            found = self.parts.best(group, text, coverage, not_for) if group else None
            if found is not None:
                return found
        return None

    @staticmethod
    def _names_another_program(understood: Understood, subject) -> bool:
        program = str(understood.entity("program") or "")
        return bool(program) and program != subject.program

    def _use_context(self, alternative: Understood, alone: Understood) -> bool:
        """Take the reading in context only when the message alone is not understood, is only
        politeness, or is read unsurely and less confidently than in context."""
        if not self._answerable(alternative):
            return False
        if not self._answerable(alone):
            return True
        return alone.confidence < CONFIDENT_ALONE and alternative.confidence > alone.confidence

    def _first_fragment(self, text: str) -> str:
        """The first question of a message of several, when it is a short fragment ("dokumennya?")."""
        questions = [self.rules.without_opener(s) for s in sentences(text) if is_question(s)]
        if len(questions) < 2 or len(re.findall(r"\w+", questions[0])) > FRAGMENT_WORDS // 2:
            return ""
        return questions[0]

    def _more_questions(self, main: Understood, context: Context, not_for: frozenset[str] = frozenset(),
                        main_section: str = "") -> tuple[Understood, ...]:
        """The other questions of a message that asks more than one ("harus ikut jht? trus bayarnya
        tiap tanggal brp?"): each read alone, a fragment in the light of the first question."""
        if main.unavailable:
            return ()
        parts = sentences(main.text)
        questions = [self.rules.without_opener(s) for s in parts if is_question(s)]
        if len(questions) < (2 if self._answerable(main) else 1) or len(parts) < 2:
            return ()
        answered = {(main.intent, main.answered_topic, main_section)}
        subject = self.rules.subject_of(main) or context.subject
        found = []
        for part in self._parse_all(questions[:4], main.pieces):
            needed = SECOND_QUESTION_CONFIDENCE
            unsure = not self._answerable(part) or part.confidence < SECOND_QUESTION_CONFIDENCE
            if subject is not None and self.rules.is_fragment(part) and unsure:
                # "…dimana aja? syarat2nya apa?": the fragment is read in the light of the first question.
                named = self._part_of(self.rules.neighbours(subject.intent), part.text, PART_CLEAR, not_for)
                text = self.rules.in_context(part, subject)
                alternative = self._parse_all([text])[0].with_text(part.text) if text else part
                if named is not None and named.intent != main.intent:
                    part = replace(part, intent=named.intent, topic=named.topic,
                                   confidence=max(part.confidence, PART_CONFIDENCE))
                elif self._use_context(alternative, part) or (self._answerable(alternative)
                                                              and alternative.intent == part.intent):
                    part, needed = alternative, FALLBACK_CONFIDENCE
            key = (part.intent, part.answered_topic, "")
            if (part.is_fallback or part.intent not in self.knowledge.answers or part.intent in NOT_SUGGESTED
                    or part.confidence < needed or key in answered
                    or (part.intent == main.intent and not main_section
                        and not (part.answered_topic and main.answered_topic))):
                continue
            answered.add(key)
            found.append(part)
            if subject is None:
                subject = self.rules.subject_of(part)     # "…dimana aja? syarat2nya apa?": of that one
        return tuple(found[:MAX_QUESTIONS - (1 if self._answerable(main) else 0)])

    def _parse_all(self, texts: list[str], known: tuple[Understood, ...] = ()) -> list[Understood]:
        """The model's readings of these texts; a sentence the model read already as part of the
        message (`known`: the message's `pieces`) is not parsed again."""
        ready = {piece.text: piece for piece in known}
        found = {t: ready[for_model(t)].with_text(t) for t in texts if for_model(t) in ready}
        rest = [t for t in texts if t not in found]
        if rest:
            many = getattr(self.understanding, "parse_many", None)
            parsed = list(many(rest)) if many is not None else [self.understanding.parse(t) for t in rest]
            found.update(zip(rest, parsed))
        return [found[t] for t in texts]

    @staticmethod
    def quotable(understood: Understood) -> bool:
        amount = understood.entity("amount")
        return (understood.intent in CALCULATING_INTENTS and isinstance(amount, int)
                and MIN_INCOME <= amount <= MAX_INCOME)

    # Answers ---------------------------------------------------------------------------------
    def replies_for(self, understood: Understood, profile: Profile | None = None,
                    topic: str = "", section: str = "", income: int = 0) -> tuple[Reply, ...]:
        profile = profile or Profile()
        if understood.unavailable:
            return (Reply(self.knowledge.texts["not_ready"]),)
        if understood.is_fallback or understood.intent not in self.knowledge.answers:
            return (self._clarify(understood),)
        if self.quotable(understood):
            return (self._quote(understood, understood.entity("amount"), profile),)
        if income and understood.intent in CALCULATING_INTENTS:
            return (self._quote(understood, income, profile),)
        if section and section in self.knowledge.answers.answers[understood.intent].more:
            return (self.answer(understood.intent, section=section),)
        topic = understood.topic or topic
        if topic and self.knowledge.answers.has_topic(understood.intent, topic):
            return (self.answer(understood.intent, topic=topic),)
        return (self.answer(understood.intent, understood.entity_values()),)

    def replies_for_reading(self, reading: Reading, profile: Profile | None = None) -> tuple[Reply, ...]:
        """Every question of the message answered: the main one, then each further one."""
        replies = list(self.replies_for(reading.understood, profile, reading.profile_topic, reading.section,
                                        reading.income))
        for part in reading.more:
            replies += self.replies_for(part, profile)
        return tuple(replies)

    def answer(self, intent: str, entities: dict | None = None, section: str = "", topic: str = "") -> Reply:
        return self.knowledge.answers.reply(intent, entities, self.today(), section, topic)

    def _quote(self, understood: Understood, income: int, profile: Profile | None = None) -> Reply:
        """A contribution quote: an employee's wage (said so, or asked by a business owner) or a
        self-employed income, in the sector the message names or the user told before."""
        profile = profile or Profile()
        text = understood.text
        employee = (understood.intent == "contribution_pu" or is_employee_wage(text)
                    or profile.employment == "employee")
        # An owner's wage figure is an employee's wage, unless she says it is her own income.
        if employee or (profile.is_owner and not is_own_income(text)):
            return pu_quote_reply(self.knowledge, income, self.today(), size=profile.size or None)
        sector = sector_of(text)
        if sector != "transport" and profile.sector == "transport":
            sector = "transport"
        # A business owner is not promised the BPU discount (facts: unclear for employers).
        return bpu_quote_reply(self.knowledge, income, self.today(), sector, owner=profile.is_owner)

    def _clarify(self, understood: Understood) -> Reply:
        labels = self.knowledge.texts["intent_labels"]
        guesses = [
            name for name, confidence in understood.ranking
            if name not in NOT_SUGGESTED and name in labels and confidence >= MIN_SUGGESTION_CONFIDENCE
        ][:MAX_SUGGESTIONS]
        if not guesses:
            # Nothing close: say what Lindungi can help with, and offer a person.
            return self.answer("out_of_scope")
        buttons = [Button(labels[name], f"intent:{name}") for name in guesses]
        buttons.append(Button(self.knowledge.texts["clarify_none"], "intent:out_of_scope"))
        return Reply(self.knowledge.texts["clarify"], tuple(buttons))

    # Buttons -------------------------------------------------------------------------------
    def _on_button(self, data: str) -> tuple[Reply, ...]:
        kind, _, rest = (data or "").partition(":")
        answers = self.knowledge.answers
        if kind == "intent" and rest in answers:
            return (self.answer(rest),)
        if kind == "more":
            intent, _, section = rest.partition(":")
            if intent in answers and section in answers.answers[intent].more:
                return (self.answer(intent, section=section),)
        if kind == "topic":
            intent, _, topic = rest.partition("/")
            if answers.has_topic(intent, topic):
                return (self.answer(intent, topic=topic),)
        log.info("unknown button data %r", data)
        return (Reply(self.knowledge.texts["expired_button"]),)
