"""Dated facts chosen by date everywhere: the answers, the calculator, the lessons and quizzes, with
"today" taken in Asia/Jakarta. Each check runs at the boundaries where a rule changes."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import clock
from bot.engine.quotes import bpu_quote_reply, owner_quote_text, prepay_lines, pu_quote_reply
from bot.knowledge.catalog import due, rows, usage

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc
# The moments the issue names, in WIB; the first two are still 31 December on a UTC clock.
LAST_DISCOUNT_MINUTE = dt.datetime(2026, 12, 31, 23, 59, tzinfo=clock.WIB)
FIRST_NORMAL_MINUTE = dt.datetime(2027, 1, 1, 0, 1, tzinfo=clock.WIB)
CAP_DUE = dt.date(2027, 3, 1)
ALL_DISCOUNTS_OVER = dt.date(2027, 4, 1)
PENSION_AGE_60 = dt.date(2028, 1, 1)


def day(moment) -> dt.date:
    return clock.fixed(moment)()


def test_today_is_the_date_in_jakarta_not_the_servers():
    # 00:01 WIB on 1 January is 17:01 UTC on 31 December: the discount month is over in Indonesia.
    assert FIRST_NORMAL_MINUTE.astimezone(UTC).date() == dt.date(2026, 12, 31)
    assert clock.date_at(FIRST_NORMAL_MINUTE.astimezone(UTC)) == dt.date(2027, 1, 1)
    assert clock.date_at(LAST_DISCOUNT_MINUTE.astimezone(UTC)) == dt.date(2026, 12, 31)
    assert clock.today() == dt.datetime.now(UTC).astimezone(clock.WIB).date()


def test_every_default_clock_is_the_jakarta_one():
    from bot.config import Settings
    from bot.engine.dialogue import Dialogue
    from bot.engine.engine import Engine

    import inspect

    assert inspect.signature(Engine).parameters["today"].default is clock.today
    assert Settings(today=None).clock() is clock.today
    assert Settings(today=dt.date(2027, 4, 1)).clock()() == dt.date(2027, 4, 1)
    assert inspect.signature(Dialogue).parameters["today"].default is None   # falls back to the engine's clock


# The answer ------------------------------------------------------------------------------------
def test_the_bpu_answer_follows_both_discount_periods(knowledge):
    answer = lambda moment: knowledge.answers.reply("contribution_bpu", {}, day(moment)).text
    december = answer(LAST_DISCOUNT_MINUTE)
    assert "Rp8.400" in december and "April–Desember 2026" in december and "PP 50/2025" in december
    january = answer(FIRST_NORMAL_MINUTE)
    assert "April–Desember 2026" not in january and "selesai setelah iuran bulan Desember 2026" in january
    assert "Rp8.400" in january and "Maret 2027" in january           # transport still discounted
    assert "Rp8.400" not in answer(ALL_DISCOUNTS_OVER) and "PP 50/2025" not in answer(ALL_DISCOUNTS_OVER)
    assert "Rp16.800" in answer(ALL_DISCOUNTS_OVER)


def test_every_statement_of_the_minimum_follows_the_same_rule(knowledge):
    for intent in ("calculate_contribution", "start_enrolment", "about_bpjamsostek"):
        december = knowledge.answers.reply(intent, {}, day(LAST_DISCOUNT_MINUTE)).text
        january = knowledge.answers.reply(intent, {}, day(FIRST_NORMAL_MINUTE)).text
        april = knowledge.answers.reply(intent, {}, ALL_DISCOUNTS_OVER).text
        assert "Rp16.800" in december and "Rp8.400" in december and "Desember 2026" in december, intent
        assert "Desember 2026" not in january and "ojol dan kurir" in january and "Rp8.400" in january, intent
        assert "Rp16.800" in april and "Rp8.400" not in april and "potongan" not in april, intent
        assert "pemilik usaha" in december, intent                 # never promised to owners
    for on, shown in ((day(LAST_DISCOUNT_MINUTE), True), (ALL_DISCOUNTS_OVER, False)):
        card = next(c for c in knowledge.lessons.cards("intro", on) if "{bpu_minimum}" in c)
        text = knowledge.lessons.render(card, day=on)
        assert "Rp16.800" in text and ("Rp8.400" in text) == shown


def test_the_non_transport_discount_paragraph_carries_the_owner_caveat(knowledge):
    text = knowledge.answers.reply("contribution_bpu", {}, day(LAST_DISCOUNT_MINUTE)).text
    paragraph = next(p for p in text.split("\n\n") if "April–Desember 2026" in p)
    assert "Pemilik usaha berstatus pemberi kerja" in paragraph


def test_the_jp_cap_is_one_dated_table_and_says_when_it_is_being_updated(knowledge):
    before = knowledge.answers.reply("contribution_pu", {}, dt.date(2027, 2, 28)).text
    after = knowledge.answers.reply("contribution_pu", {}, CAP_DUE).text
    assert "Rp11.086.300" in before and "terakhir diumumkan" not in before
    assert "Rp11.086.300 (terakhir diumumkan; angka baru sedang diperbarui)" in after
    assert "Rp10.547.400" in knowledge.answers.reply("contribution_pu", {}, dt.date(2025, 6, 1)).text
    # The calculator reads the same table.
    assert [c.cap for c in knowledge.rates.pu_jp_caps] == [s.value for s in knowledge.facts["jp_wage_cap"].schedule]
    quote = pu_quote_reply(knowledge, 15_000_000, dt.date(2027, 2, 28)).text
    stale = pu_quote_reply(knowledge, 15_000_000, CAP_DUE).text
    assert "paling tinggi Rp11.086.300." in quote and "terakhir diumumkan" not in quote
    assert "Rp11.086.300 (batas terakhir diumumkan, berlaku sejak 1 Maret 2026)" in stale
    assert "sedang diperbarui" in stale
    owner = owner_quote_text(knowledge, 15_000_000, "rendah", "menengah", CAP_DUE)
    assert "terakhir diumumkan" in owner and "JP: pemberi kerja Rp221.726" in owner   # 2% of the cap
    # And the lessons.
    jp_card = next(c for c in knowledge.lessons.cards("jp", CAP_DUE) if "{jp_wage_cap}" in c)
    assert "terakhir diumumkan" in knowledge.lessons.render(jp_card, day=CAP_DUE)
    assert "terakhir diumumkan" not in knowledge.lessons.render(jp_card, day=dt.date(2027, 2, 28))


def test_the_pension_age_is_59_until_2027_and_60_from_2028(knowledge):
    assert "Usia pensiun sekarang 59 tahun" in knowledge.answers.reply("program_jp", {}, dt.date(2027, 12, 31)).text
    assert "Usia pensiun sekarang 60 tahun" in knowledge.answers.reply("program_jp", {}, PENSION_AGE_60).text
    card = next(c for c in knowledge.lessons.cards("jp", PENSION_AGE_60) if "{jp_pension_age}" in c)
    assert "60 tahun" in knowledge.lessons.render(card, day=PENSION_AGE_60)
    assert "59 tahun" in knowledge.lessons.render(card, day=dt.date(2027, 12, 31))


# The calculator --------------------------------------------------------------------------------
def test_the_calculator_quotes_the_discount_only_inside_its_months(knowledge):
    december = bpu_quote_reply(knowledge, 2_000_000, day(LAST_DISCOUNT_MINUTE), "non_transport").text
    january = bpu_quote_reply(knowledge, 2_000_000, day(FIRST_NORMAL_MINUTE), "non_transport").text
    # Level 6 (base Rp2.000.000): JKK Rp20.000 + JKM Rp6.800, half of each in December.
    assert "Jumlah wajib (JKK + JKM): Rp13.400/bulan, normal Rp26.800" in december
    assert "sampai iuran bulan Desember 2026" in december and "kembali normal: Rp26.800/bulan" in december
    assert "Jumlah wajib (JKK + JKM): Rp26.800/bulan" in january and "potongan" not in january
    transport = bpu_quote_reply(knowledge, 2_000_000, CAP_DUE, "transport").text
    assert "Rp13.400/bulan" in transport and "Maret 2027" in transport
    assert "potongan" not in bpu_quote_reply(knowledge, 2_000_000, ALL_DISCOUNTS_OVER, "transport").text
    # Paying three months ahead from December: one discounted month, then two at the normal rate.
    ahead = "\n".join(prepay_lines(knowledge, 2_000_000, day(LAST_DISCOUNT_MINUTE), "non_transport"))
    assert f"• 3 bulan: Rp{13_400 + 2 * 26_800:,}".replace(",", ".") in ahead


def test_owners_are_quoted_the_normal_rate_with_the_caveat(knowledge):
    text = bpu_quote_reply(knowledge, 2_000_000, day(LAST_DISCOUNT_MINUTE), "non_transport", owner=True).text
    assert "Jumlah wajib (JKK + JKM): Rp26.800/bulan" in text and "Rp13.400" not in text
    assert "belum pasti berlaku untuk pemilik usaha" in text and "175" in text
    ahead = "\n".join(prepay_lines(knowledge, 2_000_000, day(LAST_DISCOUNT_MINUTE), "non_transport", owner=True))
    assert "potongan" not in ahead


def test_income_levels_between_the_confirmed_ones_are_estimates_with_their_source(knowledge):
    middle = bpu_quote_reply(knowledge, 2_000_000, ALL_DISCOUNTS_OVER, "non_transport").text
    lowest = bpu_quote_reply(knowledge, 900_000, ALL_DISCOUNTS_OVER, "non_transport").text
    assert "perkiraan" in middle and "simulator publik" in middle
    assert "simulator publik" not in lowest


# Lessons and quizzes ---------------------------------------------------------------------------
def _rendered_cards(knowledge, lesson_id, on):
    return [knowledge.lessons.render(c, day=on) for c in knowledge.lessons.cards(lesson_id, on)]


def test_the_discount_lesson_and_its_quiz_follow_the_dated_rule(knowledge):
    december = "\n".join(_rendered_cards(knowledge, "iuran", day(LAST_DISCOUNT_MINUTE)))
    january = "\n".join(_rendered_cards(knowledge, "iuran", day(FIRST_NORMAL_MINUTE)))
    april = "\n".join(_rendered_cards(knowledge, "iuran", ALL_DISCOUNTS_OVER))
    assert "pekerja informal lainnya: April–Desember 2026" in december
    assert "masih dapat diskon" in january and "sudah selesai setelah iuran bulan Desember 2026" in january
    assert "Pemerintah memberi diskon" not in january
    assert "sudah selesai" in april and "masih dapat diskon" not in april and "Rp8.400" not in april
    discount_question = "Diskon iuran dari pemerintah"
    assert any(discount_question in q.text for q in knowledge.lessons.quiz("iuran", CAP_DUE))
    assert not any(discount_question in q.text for q in knowledge.lessons.quiz("iuran", ALL_DISCOUNTS_OVER))
    assert len(knowledge.lessons.quiz("iuran", ALL_DISCOUNTS_OVER)) == 2


def test_every_lesson_has_enough_cards_and_questions_on_every_boundary(knowledge):
    for on in (day(LAST_DISCOUNT_MINUTE), day(FIRST_NORMAL_MINUTE), CAP_DUE, ALL_DISCOUNTS_OVER, PENSION_AGE_60):
        for lesson in knowledge.lessons.lessons.values():
            assert 3 <= len(knowledge.lessons.cards(lesson.id, on)) <= 6, (lesson.id, on)
            assert 2 <= len(knowledge.lessons.quiz(lesson.id, on)) <= 3, (lesson.id, on)


# Knowledge files carry the dates ---------------------------------------------------------------
def test_figures_with_a_known_end_carry_it(knowledge):
    facts = knowledge.facts
    assert facts["jp_wage_cap"].until == dt.date(2027, 2, 28)
    assert facts["bpu_discount_non_transport"].period()[1] == dt.date(2026, 12, 31)
    assert facts["bpu_discount_transport"].period()[1] == dt.date(2027, 3, 31)
    assert facts["jmo_jht_limit"].review is not None
    assert [(s.start, s.value) for s in facts["jp_pension_age"].schedule][:2] == [
        (dt.date(2025, 1, 1), 59), (dt.date(2028, 1, 1), 60)]
    assert "kantor pos" not in facts["payment_channels"].value.lower()
    rates_text = (ROOT / "bot/knowledge/data/rates.yml").read_text()
    assert "11086300" not in rates_text and "2027-03" not in rates_text   # no second dated table


def test_the_catalogue_lists_what_changes_soon_and_who_states_it(knowledge):
    soon = {row.id: row for row in due(knowledge, dt.date(2026, 12, 1), 120)}
    assert soon["bpu_discount_non_transport"].next_date == dt.date(2027, 1, 1)
    assert soon["jp_wage_cap"].next_date == dt.date(2027, 3, 1)
    assert "bpu_discount_transport" not in soon                    # 1 April 2027 is 121 days away
    assert "jkm_total" not in soon
    used = usage(knowledge)
    assert "jawaban contribution_pu" in used["jp_wage_cap"] and "materi jp" in used["jp_wage_cap"]
    assert "materi iuran" in used["bpu_min_total_discounted"]      # through the card and the phrase
    assert "jawaban start_enrolment" in used["bpu_min_total_discounted"]
    assert len(rows(knowledge, dt.date(2026, 12, 1))) == len(knowledge.facts)


def test_the_facts_command_lists_the_facts_due(tmp_path):
    env = dict(os.environ, LINDUNGI_TODAY="2026-12-01", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "bot", "facts", "--due", "120"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Fakta yang berubah atau harus dicek ulang dalam 120 hari sejak 2026-12-01")
    assert "jp_wage_cap = Rp11.086.300" in out and "2027-03-01" in out
    assert "bpu_discount_non_transport = April–Desember 2026" in out and "2027-01-01: berakhir" in out
    assert "jkm_total" not in out
    everything = subprocess.run([sys.executable, "-m", "bot", "facts"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120).stdout
    assert "jkm_total = Rp42.000.000" in everything and "dipakai: jawaban" in everything


@pytest.mark.parametrize("on", [LAST_DISCOUNT_MINUTE, FIRST_NORMAL_MINUTE, CAP_DUE, ALL_DISCOUNTS_OVER])
def test_no_discount_figure_is_stated_after_its_period(knowledge, on):
    """Past both periods no answer, topic or lesson states the discounted minimum."""
    on = day(on)
    if not any(knowledge.facts[p].active_on(on) for p in ("bpu_discount_transport", "bpu_discount_non_transport")):
        texts = [knowledge.answers.reply(i, {}, on).text for i in knowledge.answers.answers]
        texts += [knowledge.lessons.render(c, day=on) for l in knowledge.lessons.lessons for c in knowledge.lessons.cards(l, on)]
        assert not [t for t in texts if "Rp8.400" in t or "Rp28.400" in t]


# One table: at each boundary the issue names, what the answer, the calculator and the lessons say.
# (moment, non-transport discount until, transport discount until, JP cap stale, pension age)
BOUNDARIES = [
    (LAST_DISCOUNT_MINUTE, "Desember 2026", "Maret 2027", False, 59),
    (FIRST_NORMAL_MINUTE, None, "Maret 2027", False, 59),
    (CAP_DUE, None, "Maret 2027", True, 59),
    (ALL_DISCOUNTS_OVER, None, None, True, 59),
    (PENSION_AGE_60, None, None, True, 60),
]


@pytest.mark.parametrize("moment, non_transport, transport, cap_stale, pension_age", BOUNDARIES)
def test_at_each_boundary(knowledge, moment, non_transport, transport, cap_stale, pension_age):
    on = day(moment)
    # The answer.
    bpu = knowledge.answers.reply("contribution_bpu", {}, on).text
    assert ("April–Desember 2026" in bpu) == bool(non_transport)
    assert ("Rp8.400" in bpu) == bool(transport)
    pu = knowledge.answers.reply("contribution_pu", {}, on).text
    assert ("terakhir diumumkan" in pu) == cap_stale and "Rp11.086.300" in pu
    assert f"Usia pensiun sekarang {pension_age} tahun" in knowledge.answers.reply("program_jp", {}, on).text
    # The calculator (income 2 juta: normal JKK + JKM Rp26.800, discounted Rp13.400).
    for sector, until in (("non_transport", non_transport), ("transport", transport)):
        text = bpu_quote_reply(knowledge, 2_000_000, on, sector).text
        if until:
            assert "Rp13.400/bulan, normal Rp26.800" in text and f"sampai iuran bulan {until}" in text, sector
        else:
            assert "Jumlah wajib (JKK + JKM): Rp26.800/bulan" in text and "potongan" not in text, sector
    assert ("terakhir diumumkan" in pu_quote_reply(knowledge, 15_000_000, on).text) == cap_stale
    # The lessons and the quiz.
    cards = "\n".join(_rendered_cards(knowledge, "iuran", on))
    assert ("April–Desember 2026" in cards and "Pemerintah memberi diskon" in cards) == bool(non_transport)
    assert ("masih dapat diskon" in cards) == bool(transport and not non_transport)
    assert ("pekerja mandiri sudah selesai" in cards) == (not transport)
    assert len(knowledge.lessons.quiz("iuran", on)) == (3 if transport else 2)
    jp = "\n".join(_rendered_cards(knowledge, "jp", on))
    assert f"{pension_age} tahun" in jp and ("terakhir diumumkan" in jp) == cap_stale
