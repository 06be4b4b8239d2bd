"""The dialogue engine with the real model and knowledge: what a user sees for what they send."""
import datetime as dt

import pytest

from bot.engine.engine import Engine
from bot.engine.events import ButtonEvent, TextEvent
from bot.understanding import Understood


def test_bpu_question_gets_the_minimum_contribution(engine):
    outcome = engine.handle(TextEvent("brp iuran bpjs tk buat pedagang sebulan"))
    assert outcome.understood.intent == "contribution_bpu"
    (reply,) = outcome.replies
    assert "16.800" in reply.text and "36.800" in reply.text
    assert reply.text.splitlines()[-1].startswith("Sumber:")
    assert any(b.data == "intent:calculate_contribution" for b in reply.buttons)


def test_income_given_gets_a_breakdown_with_the_discount(engine):
    (reply,) = engine.handle(TextEvent("brp iuran jkk klo gaji 2jt")).replies
    # Level 6 (Rp1,9–2,099 juta, base Rp2.000.000): JKK Rp20.000 and JKM Rp6.800, halved in Nov 2026.
    assert "Rp2.000.000" in reply.text
    assert "JKK: Rp10.000 (normal Rp20.000)" in reply.text
    assert "JKM: Rp3.400 (normal Rp6.800)" in reply.text
    assert "Rp13.400" in reply.text and "PP 50/2025" in reply.text
    assert "perkiraan" in reply.text.lower()


def test_breakdown_without_discount_after_it_ends(understanding, knowledge):
    later = Engine(understanding, knowledge, today=lambda: dt.date(2027, 6, 1))
    (reply,) = later.handle(TextEvent("hitung iuran penghasilan 1 juta")).replies
    assert "Jumlah wajib (JKK + JKM): Rp16.800/bulan" in reply.text
    assert "PP 50/2025" not in reply.text


def test_transport_workers_get_their_own_discount_period(understanding, knowledge):
    jan = Engine(understanding, knowledge, today=lambda: dt.date(2027, 1, 15))
    ojol = jan.handle(TextEvent("sy driver ojol penghasilan 1 juta brp iurannya")).replies[0].text
    trader = jan.handle(TextEvent("sy pedagang penghasilan 1 juta brp iurannya")).replies[0].text
    assert "Rp8.400" in ojol and "Maret 2027" in ojol
    assert "Rp16.800" in trader and "Rp8.400" not in trader


def test_low_confidence_asks_what_was_meant(knowledge):
    class Unsure:
        def parse(self, text):
            return Understood(text, "nlu_fallback", 0.5, (),
                              (("nlu_fallback", 0.5), ("claim_jht", 0.31), ("program_jht", 0.29),
                               ("greet", 0.2), ("payment_how", 0.1)))

    (reply,) = Engine(Unsure(), knowledge).handle(TextEvent("jht sy gmn")).replies
    assert reply.text.startswith("Maaf")
    assert [b.data for b in reply.buttons] == [
        "intent:claim_jht", "intent:program_jht", "intent:payment_how", "intent:out_of_scope"]


def test_gibberish_never_crashes_and_gets_help(engine):
    for text in ["asdfghjkl", "🙂🙂🙂", "<b>halo</b>", "x" * 10_000, "\x00\x01", "?"]:
        replies = engine.handle(TextEvent(text)).replies
        assert replies and all(0 < len(r.text) <= 4096 for r in replies)


def test_empty_text_asks_for_a_question(engine):
    (reply,) = engine.handle(TextEvent("   ")).replies
    assert "pertanyaan" in reply.text


def test_buttons_lead_to_answers_and_sections(engine, knowledge):
    (reply,) = engine.handle(ButtonEvent("intent:claim_jkk")).replies
    assert reply.text == knowledge.answers.reply("claim_jkk", {}, dt.date(2026, 11, 23)).text
    for intent, answer in knowledge.answers.answers.items():
        for section in answer.more:
            (more,) = engine.handle(ButtonEvent(f"more:{intent}:{section}")).replies
            assert more.text
        for topic in answer.topics:
            (shown,) = engine.handle(ButtonEvent(f"topic:{intent}/{topic}")).replies
            assert shown.text == knowledge.answers.reply(intent, {}, dt.date(2026, 11, 23), topic=topic).text
    (reply,) = engine.handle(ButtonEvent("topic:claim_jht/no_such_topic")).replies
    assert "tidak berlaku" in reply.text


def test_stale_button_gets_a_friendly_reply(engine):
    (reply,) = engine.handle(ButtonEvent("intent:no_such_thing")).replies
    assert "tidak berlaku" in reply.text
    (reply,) = engine.handle(ButtonEvent("garbage")).replies
    assert "tidak berlaku" in reply.text


@pytest.mark.parametrize("text", ["bpjs tk itu apa", "apa itu jht", "jkm dapet berapa"])
def test_knowledge_questions_are_answered_with_sources(engine, text):
    (reply,) = engine.handle(TextEvent(text)).replies
    assert "Maaf, saya kurang yakin" not in reply.text


def test_an_employee_wage_gets_employer_and_worker_shares(engine):
    (reply,) = engine.handle(TextEvent("gaji karyawan saya 4,2 juta, perusahaan bayar iuran brp")).replies
    # JKK 0,24–1,74%, JKM 0,30%, JHT 3,7% + 2%, JP 2% + 1% of Rp4.200.000
    for figure in ("Rp10.080–Rp73.080", "Rp12.600", "Rp155.400", "Rp84.000", "Rp42.000"):
        assert figure in reply.text
    assert "Dipotong dari gaji pekerja" in reply.text
    assert reply.text.splitlines()[-1].startswith("Sumber: PP 44/2015")


def test_a_quoted_contribution_is_not_taken_for_an_income(engine):
    amount = {"entity": "amount", "value": 16_800, "start": 14, "end": 20}
    quoted = Understood("iuran bpjs tk 16.800 itu buat apa aja", "contribution_bpu", 0.9, (amount,))
    (reply,) = engine.replies_for(quoted)
    assert "Perkiraan iuran" not in reply.text and "Rp36.800" in reply.text
    income = Understood("penghasilan 1.500.000 iurannya brp", "contribution_bpu", 0.9,
                        ({**amount, "value": 1_500_000},))
    (reply,) = engine.replies_for(income)
    assert reply.text.startswith("Perkiraan iuran")
