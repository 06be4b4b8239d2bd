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
    for fact in knowledge.facts.values():
        assert fact.basis.strip() and fact.source.strip(), fact.id
        dt.date.fromisoformat(fact.effective)
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
    for intent, answer in knowledge.answers.answers.items():
        for template in answer.templates():
            for sentence in re.split(r"(?<=[.!?])\s+|\n", template):
                medium = [m.group(1) for m in PLACEHOLDER.finditer(sentence)
                          if knowledge.facts[m.group(1)].confidence == "medium"]
                if medium:
                    assert any(h in sentence.lower() for h in hedges), (intent, medium, sentence)
