"""Knowledge completeness: every intent answered, every figure sourced, nothing superseded."""
import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from bot.knowledge.answers import PLACEHOLDER, MAX_FIRST_MESSAGE

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_INTENTS = yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]
TODAY = dt.date(2026, 11, 23)

# Superseded or wrong figures the fact sheet says must never be repeated.
FORBIDDEN = [
    r"Rp\s?24(\.000\.000| juta)",        # pre-2019 JKM total
    r"45\s?%", r"25\s?%",                # pre-2025 JKP cash benefit
    r"1500910",                          # old call centre
    r"0,3\s?%.*JHT|JHT.*0,3\s?%",        # wrong BPU JHT rate
    r"lapakasik\.org",                   # look-alike site
]


def rendered_replies(knowledge, day=TODAY):
    """Every reply the answer book can produce: each intent, its variants and its sections."""
    book = knowledge.answers
    for intent, answer in book.answers.items():
        yield intent, "", book.reply(intent, {}, day)
        for variant in answer.variants:
            yield intent, f"variant {variant.when}", book.reply(intent, variant.when, day)
        for section in answer.more:
            yield intent, section, book.reply(intent, {}, day, section=section)
        for topic in answer.topics:
            yield intent, f"topic {topic}", book.reply(intent, {}, day, topic=topic)


def test_every_domain_intent_has_an_answer(knowledge):
    missing = [i for i in DOMAIN_INTENTS if i not in knowledge.answers]
    assert not missing, f"intents without an answer file: {missing}"


def test_no_answer_for_an_unknown_intent(knowledge):
    assert set(knowledge.answers.answers) <= set(DOMAIN_INTENTS)


def test_no_digit_outside_a_fact_placeholder(knowledge):
    offenders = []
    for intent, answer in knowledge.answers.answers.items():
        for template in answer.templates():
            bare = PLACEHOLDER.sub("", template)
            if re.search(r"\d", bare):
                offenders.append((intent, re.findall(r".{0,20}\d.{0,20}", bare)))
    assert not offenders, offenders


def test_every_fact_is_sourced_and_dated(knowledge):
    """Each fact names its basis and source and is dated: the rule's own date (`effective`), or, where
    only the confirming article's date is known, that date as `as_of` (never passed off as the rule's)."""
    for fact in knowledge.facts.values():
        assert fact.basis.strip() and fact.source.strip(), fact.id
        dt.date.fromisoformat(fact.effective or fact.as_of)
        assert "effective = date of the" not in fact.note.lower(), fact.id
        assert fact.confidence in ("high", "medium")


def test_replies_that_state_a_figure_end_with_sources(knowledge):
    for intent, part, reply in rendered_replies(knowledge):
        if re.search(r"\d", reply.text.split("Sumber:")[0]):
            last = reply.text.strip().splitlines()[-1]
            assert last.startswith("Sumber: ") and len(last) > len("Sumber: "), (intent, part)


@pytest.mark.parametrize("day", [TODAY, dt.date(2027, 6, 1)])
def test_first_messages_fit_a_phone_screen(knowledge, day):
    for intent, part, reply in rendered_replies(knowledge, day):
        body = reply.text.split("\n\nSumber:")[0]
        assert len(body) <= MAX_FIRST_MESSAGE, (intent, part, len(body))
        assert len(reply.text) <= 4096


def test_buttons_are_short_and_fit_telegram(knowledge):
    for intent, part, reply in rendered_replies(knowledge):
        assert len(reply.buttons) <= 4, (intent, part)
        for button in reply.buttons:
            assert 0 < len(button.label) <= 30, (intent, button.label)
            assert len(button.data.encode()) <= 64


def test_no_superseded_or_wrong_figures(knowledge):
    for intent, part, reply in rendered_replies(knowledge):
        for pattern in FORBIDDEN:
            assert not re.search(pattern, reply.text), (intent, part, pattern)


def test_bpu_contribution_answer_states_the_minimum(knowledge):
    text = knowledge.answers.reply("contribution_bpu", {}, TODAY).text
    assert "Rp16.800" in text and "Rp36.800" in text
    assert "PP 44/2015" in text.splitlines()[-1]


def test_discount_note_only_while_the_rule_is_in_force(knowledge):
    during = knowledge.answers.reply("contribution_bpu", {}, TODAY).text
    after = knowledge.answers.reply("contribution_bpu", {}, dt.date(2027, 6, 1)).text
    before = knowledge.answers.reply("contribution_bpu", {}, dt.date(2025, 6, 1)).text
    assert "Rp8.400" in during and "PP 50/2025" in during
    assert "Rp8.400" not in after and "PP 50/2025" not in after
    assert "Rp8.400" not in before


def test_current_rules_are_stated(knowledge):
    jkm = knowledge.answers.reply("program_jkm", {}, TODAY).text
    assert "Rp42 juta" in jkm or "Rp42.000.000" in jkm
    jkp = knowledge.answers.reply("program_jkp", {}, TODAY).text
    assert "60%" in jkp
    everything = "\n".join(r.text for _, _, r in rendered_replies(knowledge))
    assert "Rp174 juta" in everything or "Rp174.000.000" in everything
    assert "175" in knowledge.answers.reply("out_of_scope", {}, TODAY).text


def test_medium_facts_are_worded_as_estimates(knowledge):
    hedges = ("sekitar", "perkiraan", "kira-kira", "menurut", "disebut")
    sources = [(intent, answer.templates()) for intent, answer in knowledge.answers.answers.items()]
    # A lesson card's bullet list is one statement with the line that introduces it.
    sources += [(f"lesson {lesson.id}", [re.sub(r"\n(?=•)", " ", t) for t in lesson.templates()])
                for lesson in knowledge.lessons.lessons.values()]
    sources += [(f"phrase {p.id}", [a.text for a in p.alternatives]) for p in knowledge.phrases.values()]
    for intent, templates in sources:
        for template in templates:
            for sentence in re.split(r"(?<=[.!?])\s+|\n", template):
                medium = [m.group(1) for m in PLACEHOLDER.finditer(sentence)
                          if m.group(1) in knowledge.facts and knowledge.facts[m.group(1)].confidence == "medium"]
                if medium:
                    assert any(h in sentence.lower() for h in hedges), (intent, medium, sentence)


def test_rate_tables_agree_with_the_fact_sheet(knowledge):
    """rates.yml (for the calculator) and facts.yml (for answers) must state the same figures."""
    from decimal import Decimal

    facts, rates = knowledge.facts, knowledge.rates
    assert rates.bpu_jkm_flat == facts["bpu_jkm"].value
    assert rates.bpu_jkk_percent == Decimal(str(facts["bpu_jkk_rate"].value))
    assert rates.bpu_jht_percent == Decimal(str(facts["bpu_jht_rate"].value))
    assert rates.bpu_levels[0].base == facts["bpu_min_income_base"].value
    assert rates.bpu_levels[-1].base == facts["bpu_max_income_base"].value
    assert max(rates.bpu_prepay_months) == facts["bpu_prepay_max_months"].value
    classes = dict(zip(("very_low", "low", "medium", "high", "very_high"), rates.pu_jkk_classes.values()))
    for name, value in classes.items():
        assert value == Decimal(str(facts[f"pu_jkk_rate_{name}"].value)), name
    assert rates.pu_shares["jht"] == (Decimal(str(facts["pu_jht_rate_employer"].value)),
                                      Decimal(str(facts["pu_jht_rate_worker"].value)))
    assert rates.pu_shares["jp"] == (Decimal(str(facts["pu_jp_rate_employer"].value)),
                                     Decimal(str(facts["pu_jp_rate_worker"].value)))
    assert rates.pu_shares["jkm"][0] == Decimal(str(facts["pu_jkm_rate"].value))
    assert rates.pu_jp_caps[-1].cap == facts["jp_wage_cap"].value
    assert [c.cap for c in rates.pu_jp_caps] == [s.value for s in facts["jp_wage_cap"].schedule]
    for discount in rates.bpu_discounts:
        period = facts[f"bpu_discount_{discount.sector}"].period()
        assert (discount.first_month, discount.last_month.month) == (period[0], period[1].month)
        assert discount.percent_off == Decimal(str(facts["bpu_discount_rate"].value))


def test_calculator_buttons_lead_to_answers(knowledge):
    for quote in ("bpu_quote", "pu_quote"):
        for button in knowledge.texts[quote]["buttons"]:
            assert button["intent"] in knowledge.answers, (quote, button)
            assert len(button["label"]) <= 30


def test_clarify_labels_cover_every_intent(knowledge):
    assert set(knowledge.texts["intent_labels"]) == set(DOMAIN_INTENTS)
