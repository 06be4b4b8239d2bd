"""The dialogue with its clock pinned at the boundaries of the dated rules (WIB): enrolment summary,
confirmation, the stored row and the dashboard's CSV; the calculator for a worker and an owner; the
discount lesson and its quiz. Real model, real storage."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from starlette.testclient import TestClient

from bot import clock
from bot.engine.dialogue import Dialogue
from bot.engine.engine import Engine
from bot.engine.events import ButtonEvent, CommandEvent, TextEvent, UserRef
from bot.storage.models import Application
from bot.storage.repository import Repository
from tests.engine.test_enrolment import NIK, PHONE, data_of, press, say

pytestmark = pytest.mark.model

LAST_DISCOUNT_MINUTE = dt.datetime(2026, 12, 31, 23, 59, tzinfo=clock.WIB)
FIRST_NORMAL_MINUTE = dt.datetime(2027, 1, 1, 0, 1, tzinfo=clock.WIB)   # 17:01 UTC on 31 December


def dialogue_at(understanding, knowledge, database, vault, moment) -> Dialogue:
    engine = Engine(understanding, knowledge, today=clock.fixed(moment))
    return Dialogue(engine, database, vault, wait_for_model=True)


def enrol(dialogue, who, role="worker", job="Pedagang", nik=NIK):
    welcome = say(dialogue, CommandEvent("start"), who)
    assert "Lindungi bukan BPJS Ketenagakerjaan" in welcome[0].text
    say(dialogue, ButtonEvent(f"role:{role}"), who)
    replies = say(dialogue, CommandEvent("daftar"), who)
    if role == "owner":
        replies = press(dialogue, replies, "Diri saya sendiri", who)
    replies = press(dialogue, replies, "Setuju", who)
    replies = press(dialogue, replies, "Tidak usah", who)
    for text in (nik, "siti aminah", "17-08-1990", PHONE):
        replies = say(dialogue, TextEvent(text), who)
    replies = press(dialogue, replies, "Ya, di sana", who)
    replies = press(dialogue, replies, job, who)
    replies = say(dialogue, TextEvent("2,5 juta"), who)
    assert "tambahan sekitar Rp52.000/bulan" in replies[-1].text      # JHT at level 9, an estimate
    summary = press(dialogue, replies, "Cukup JKK", who)[-1]
    assert "Periksa data Anda" in summary.text
    done = say(dialogue, ButtonEvent(data_of([summary], "Kirim")), who)[-1]
    return summary.text, done.text


def stored(database, who) -> Application:
    with database.transaction() as session:
        user = Repository(session).find(who.channel, who.user_id)
        return session.query(Application).filter_by(user_id=user.id).one()


# Income 2,5 juta → level 9 (base Rp2.600.000, a [medium] level): JKK Rp26.000 + JKM Rp6.800.
NORMAL, DISCOUNTED = "Rp32.800", "Rp16.400"


def test_december_enrolment_confirms_the_discounted_month_and_the_normal_amount_after(
        understanding, knowledge, database, vault, tmp_path):
    who = UserRef("test", "dec")
    summary, done = enrol(dialogue_at(understanding, knowledge, database, vault, LAST_DISCOUNT_MINUTE), who)
    expected = (f"Iuran per bulan: {DISCOUNTED} sampai iuran bulan Desember 2026 (potongan dari pemerintah), "
                f"lalu {NORMAL} mulai iuran bulan Januari 2027")
    assert expected in summary and expected in done
    for text in (summary, done):
        assert "perkiraan" in text and "simulator publik" in text        # level 9 is an estimate
    assert "kantor pos" not in done.lower()
    assert "bank (teller, ATM, atau internet banking), LinkAja, Tokopedia, Indomaret, atau Alfamart" in done
    assert "cek kode bayar di JMO atau 175" in done
    app = stored(database, who)
    assert (app.monthly_amount, app.discount_until, app.normal_amount) == (16_400, "2026-12", 32_800)
    # The message announcing the payment code says where to check it.
    from bot.enrolment.status import change_status
    from bot.storage.models import Outbox

    with database.transaction() as session:
        change_status(Repository(session), knowledge, app.reference, "diverifikasi")
    with database.transaction() as session:
        sent = [row.text for row in session.query(Outbox).filter_by(kind="status")]
    assert any("cek kode bayar di JMO atau 175" in text for text in sent)

    # The export carries the same: the amount, until when, and the normal amount after.
    from bot.dashboard.app import create_app
    from bot.dashboard.staff import add_staff
    from tests.dashboard.conftest import PASSWORD, login

    with database.transaction() as session:
        add_staff(session, "rudi", "reviewer", PASSWORD)

    app_ = create_app(database, vault, knowledge, intents=sorted(knowledge.texts["intent_labels"]),
                      reviewed_dir=tmp_path / "reviewed", secret=vault.derive("dashboard session"))
    with TestClient(app_, base_url="http://127.0.0.1") as client:
        login(client, "rudi")
        rows = list(csv.DictReader(io.StringIO(client.get("/applications/export.csv").text)))
        page = client.get(f"/applications/{app.id}").text
    assert (rows[0]["monthly_amount"], rows[0]["discount_until"], rows[0]["normal_amount"]) == ("16400", "2026-12", "32800")
    assert "sampai iuran bulan 2026-12" in page and "Rp32.800/bulan" in page


def test_a_minute_past_midnight_wib_the_non_transport_discount_is_over(understanding, knowledge, database, vault):
    who = UserRef("test", "jan")
    summary, done = enrol(dialogue_at(understanding, knowledge, database, vault, FIRST_NORMAL_MINUTE), who)
    assert f"Iuran per bulan: {NORMAL}" in summary and f"Iuran per bulan: {NORMAL}" in done
    assert "potongan" not in summary and DISCOUNTED not in done
    app = stored(database, who)
    assert (app.monthly_amount, app.discount_until, app.normal_amount) == (32_800, None, 32_800)


def test_an_ojek_driver_keeps_the_discount_until_march(understanding, knowledge, database, vault):
    who = UserRef("test", "ojek")
    summary, done = enrol(dialogue_at(understanding, knowledge, database, vault, dt.date(2027, 3, 1)), who,
                          job="Ojek")
    assert f"{DISCOUNTED} sampai iuran bulan Maret 2027 (potongan dari pemerintah), lalu {NORMAL} mulai iuran bulan April 2027" in done
    assert stored(database, who).discount_until == "2027-03"


def test_an_owner_enrolling_themselves_sees_the_normal_rate_and_the_caveat(understanding, knowledge, database, vault):
    who = UserRef("test", "owner")
    summary, done = enrol(dialogue_at(understanding, knowledge, database, vault, LAST_DISCOUNT_MINUTE), who,
                          role="owner")
    for text in (summary, done):
        assert f"Iuran per bulan: {NORMAL}" in text and DISCOUNTED not in text
        assert "belum pasti berlaku untuk pemilik usaha" in text
    assert stored(database, who).discount_until is None


def calculate(dialogue, who, role, sector="non_transport", income="2 juta"):
    say(dialogue, CommandEvent("start"), who)
    say(dialogue, ButtonEvent(f"role:{role}"), who)
    say(dialogue, ButtonEvent("calc:start"), who)
    say(dialogue, ButtonEvent("calc:type:bpu"), who)
    say(dialogue, ButtonEvent(f"calc:sector:{sector}"), who)
    return "\n".join(r.text for r in say(dialogue, TextEvent(income), who))


def test_the_calculator_at_the_boundaries_for_a_worker_and_an_owner(understanding, knowledge, database, vault):
    december = dialogue_at(understanding, knowledge, database, vault, LAST_DISCOUNT_MINUTE)
    worker = calculate(december, UserRef("test", "c1"), "worker")
    owner = calculate(december, UserRef("test", "c2"), "owner")
    assert "Rp13.400/bulan, normal Rp26.800" in worker and "sampai iuran bulan Desember 2026" in worker
    assert "Rp26.800/bulan" in owner and "Rp13.400" not in owner and "pemilik usaha" in owner
    january = calculate(dialogue_at(understanding, knowledge, database, vault, FIRST_NORMAL_MINUTE),
                        UserRef("test", "c3"), "worker")
    assert "Jumlah wajib (JKK + JKM): Rp26.800/bulan" in january and "Rp13.400" not in january


def test_the_discount_lesson_and_quiz_in_the_chat_follow_the_date(understanding, knowledge, database, vault):
    def lesson_texts(moment, who):
        dialogue = dialogue_at(understanding, knowledge, database, vault, moment)
        say(dialogue, CommandEvent("start"), who)
        say(dialogue, ButtonEvent("role:worker"), who)
        replies = say(dialogue, ButtonEvent("l:iuran"), who)
        cards = [replies[0].text]
        while any("Lanjut" in b.label for b in replies[0].buttons):
            replies = press(dialogue, replies, "Lanjut", who)
            cards.append(replies[0].text)
        quiz = say(dialogue, ButtonEvent("q:iuran:start"), who)[0].text
        return cards, quiz

    cards, quiz = lesson_texts(LAST_DISCOUNT_MINUTE, UserRef("test", "l1"))
    assert any("pekerja informal lainnya: April–Desember 2026" in c for c in cards)
    assert "(1/3)" in quiz
    cards, quiz = lesson_texts(FIRST_NORMAL_MINUTE, UserRef("test", "l2"))
    assert any("masih dapat diskon" in c and "Maret 2027" in c for c in cards)
    assert not any("pekerja informal lainnya: April–Desember 2026" in c for c in cards)
    cards, quiz = lesson_texts(dt.date(2027, 4, 1), UserRef("test", "l3"))
    assert f"(1/{len(cards)})" in cards[0] and any("sudah selesai" in c for c in cards)
    assert not any("masih dapat diskon" in c for c in cards) and "(1/2)" in quiz


# (moment, pedagang's discount until, ojek's discount until); income 2,5 juta, JKK + JKM only.
BOUNDARIES = [
    (LAST_DISCOUNT_MINUTE, "Desember 2026", "Maret 2027"),
    (FIRST_NORMAL_MINUTE, None, "Maret 2027"),
    (dt.date(2027, 3, 1), None, "Maret 2027"),
    (dt.date(2027, 4, 1), None, None),
    (dt.date(2028, 1, 1), None, None),
]
NEXT_MONTH = {"Desember 2026": "Januari 2027", "Maret 2027": "April 2027"}


@pytest.mark.parametrize("moment, pedagang, ojek", BOUNDARIES)
def test_enrolment_summary_and_confirmation_at_each_boundary(understanding, knowledge, database, vault,
                                                             moment, pedagang, ojek):
    dialogue = dialogue_at(understanding, knowledge, database, vault, moment)
    for n, (job, until) in enumerate((("Pedagang", pedagang), ("Ojek", ojek))):
        who = UserRef("test", f"b{n}")
        summary, done = enrol(dialogue, who, job=job, nik=NIK[:-1] + str(n + 1))
        if until:
            line = (f"Iuran per bulan: {DISCOUNTED} sampai iuran bulan {until} (potongan dari pemerintah), "
                    f"lalu {NORMAL} mulai iuran bulan {NEXT_MONTH[until]}")
        else:
            line = f"Iuran per bulan: {NORMAL}\n"
        assert line in summary + "\n" and line in done + "\n", (job, summary)
        app = stored(database, who)
        assert app.monthly_amount == (16_400 if until else 32_800) and app.normal_amount == 32_800
        # The reference year is the WIB year: a minute past midnight on 1 January is already 2027.
        assert app.reference.startswith(f"LDG-{day_of(moment).year}-")


def day_of(moment):
    return clock.fixed(moment)()
