"""End to end: the real python-telegram-bot Application against the stand-in Bot API server."""
from __future__ import annotations

import pytest

from bot.storage.models import MessageLog, User
from tests.e2e.conftest import Person, texts
from tests.telegram_standin import buttons_of

pytestmark = [pytest.mark.asyncio, pytest.mark.model, pytest.mark.e2e]


def labels(message: dict) -> list[str]:
    return [label for label, _ in buttons_of(message)]


async def test_commands_are_registered(telegram, standin):
    names = [c["command"] for c in standin.commands]
    assert names[:8] == ["start", "menu", "belajar", "hitung", "daftar", "status", "bantuan", "batal"]
    assert set(names[8:]) == {"pekerjaku", "datasaya", "hapusdata"}


async def test_lesson_journey_with_a_question_in_the_middle(telegram, standin, knowledge, database):
    budi = Person(standin, 5001)
    events = await budi.say("/start")
    assert "Lindungi" in texts(events)
    assert labels(budi.last()) == ["Saya pekerja", "Saya pemilik usaha"]

    events = await budi.press("Saya pekerja")
    menu = budi.last()
    assert {"📘 Belajar", "💬 Tanya", "🧮 Hitung iuran", "📝 Daftar", "🔎 Status", "🙋 Hubungi petugas",
            "🔒 Privasi"} <= set(labels(menu))

    await budi.press("Belajar", menu)
    intro = knowledge.lessons["intro"]
    events = await budi.press(intro.title)
    (kind, card), = events
    assert kind == "send" and f"(1/{len(intro.all_cards)})" in card["text"]

    # Lanjut edits the same message into the next card.
    events = await budi.press("Lanjut", card)
    (kind, edited), = events
    assert kind == "edit" and edited["message_id"] == card["message_id"]
    assert f"(2/{len(intro.all_cards)})" in edited["text"]
    await budi.press("Kembali", edited)
    await budi.press("Lanjut", budi.last())

    # A free question mid-lesson gets its answer and the offer to continue where Budi was.
    events = await budi.say("brp iuran jkk klo gaji 2jt")
    answer = events[-1][1]
    assert "Rp" in answer["text"]
    assert "↩ Lanjut belajar" in labels(answer)
    events = await budi.press("Lanjut belajar", answer)
    (kind, again), = events
    assert kind == "send" and f"(2/{len(intro.all_cards)})" in again["text"]

    message = again
    for _ in range(len(intro.all_cards) - 2):
        (_, message), = await budi.press("Lanjut", message)
    assert "Mulai kuis" in " ".join(labels(message))
    assert "Hitung iuran saya" in labels(message) or "Daftar sekarang" in labels(message)

    # The quiz: one wrong answer, then right ones; feedback on each.
    events = await budi.press("Mulai kuis", message)
    question = events[-1][1]
    wrong = next(o for o in intro.all_quiz[0].options if not o.correct)
    events = await budi.press(wrong.text, question)
    assert events[0][0] == "edit" and "Belum tepat" in events[0][1]["text"]
    for number in range(1, len(intro.all_quiz)):
        question = events[-1][1]
        right = next(o for o in intro.all_quiz[number].options if o.correct)
        events = await budi.press(right.text, question)
        assert "Benar" in events[0][1]["text"]
    result = events[-1][1]["text"]
    assert "selesai" in result and f"{len(intro.all_quiz) - 1} dari {len(intro.all_quiz)}" in result

    # Everything was logged, with the NLU's reading of the free question.
    with database.transaction() as session:
        rows = session.query(MessageLog).order_by(MessageLog.id).all()
    question_row = next(r for r in rows if r.text == "brp iuran jkk klo gaji 2jt")
    assert question_row.intent and question_row.confidence is not None and question_row.flow == "lesson"
    assert sum(r.direction == "out" for r in rows) >= 10


async def test_calculator_for_a_self_employed_worker(telegram, standin, knowledge):
    siti = Person(standin, 5002)
    await siti.say("/hitung")
    await siti.press("Saya pekerja mandiri")
    await siti.press("Pekerjaan lain")
    events = await siti.say("penghasilan sy ga tentu")
    assert "angka" in texts(events).lower()
    events = await siti.say("50rb")
    assert "terlalu kecil" in texts(events)
    events = await siti.say("dua setengah juta")
    reply = texts(events)
    # From facts.md, by hand (not the calculator): Rp2.500.000 is income level 9 (§3b), base
    # Rp2.600.000: JKK 1% = Rp26.000, JKM Rp6.800; November 2026 is inside the 50% discount for
    # non-transport workers (April–December 2026, §3): Rp13.000 + Rp3.400 = Rp16.400 a month, and
    # Rp32.800 a month from January 2027.
    assert "Rp16.400" in reply
    for months, total in ((1, "Rp16.400"), (3, "Rp65.600"),               # 2 × 16.400 + 32.800
                          (6, "Rp164.000"), (12, "Rp360.800")):            # 2 × 16.400 + 4 (10) × 32.800
        assert f"{months} bulan: {total}" in reply
    assert "potongan" in reply and "Sumber:" in reply
    assert "Daftar sekarang" in labels(siti.last())


async def test_calculator_for_an_owner(telegram, standin, knowledge):
    owner = Person(standin, 5003)
    await owner.say("/start")
    await owner.press("Saya pemilik usaha")
    await owner.say("/hitung")
    await owner.press("Karyawan saya")
    await owner.say("Rp 3.000.000")
    await owner.press("Sedang")
    events = await owner.press("Kecil")
    reply = texts(events)
    # From facts.md §2, by hand: wage Rp3.000.000, medium risk, small business (JKK + JKM + JHT):
    # JKK 0,89% = Rp26.700, JKM 0,30% = Rp9.000, JHT 3,7% = Rp111.000 from the employer (Rp146.700),
    # JHT 2% = Rp60.000 from the worker.
    assert "pemberi kerja Rp26.700" in reply
    assert "Rp146.700" in reply and "Rp60.000" in reply
    assert "JP" not in reply.split("Sumber:")[0].replace("JP dihitung", "")   # small businesses: no JP


async def test_a_sticker_gets_a_friendly_nudge(telegram, standin):
    ani = Person(standin, 5004)
    events = await ani.send(lambda: standin.send_sticker(ani.user_id))
    assert "pesan tulisan" in texts(events)
    events = await ani.send(lambda: standin.send_location(ani.user_id))
    assert "pesan tulisan" in texts(events)


async def test_an_edited_message_is_answered_again(telegram, standin):
    joko = Person(standin, 5005)
    original = standin.send_text(joko.user_id, "apa itu jkm")
    await joko.settle(0)
    mark = standin.activity(joko.user_id)
    standin.edit_text(joko.user_id, original, "gimana cara klaim jht")
    events = await joko.settle(mark)
    assert "JHT" in texts(events)


async def test_a_flood_of_messages_gets_one_polite_note_and_no_answers_past_the_limit(telegram, standin, knowledge):
    from tests.e2e.conftest import TEST_FLOOD_LIMIT as FLOOD_LIMIT

    note = knowledge.texts["dialogue"]["flood"]
    sari = Person(standin, 5010)
    mark = standin.activity(sari.user_id)
    sent = FLOOD_LIMIT + 6
    for number in range(sent):
        standin.send_text(sari.user_id, f"halo min {number}")
    events = await sari.settle(mark, quiet=1.5)
    notes = [m for _, m in events if m["text"] == note]
    assert len(notes) == 1, texts(events)
    answers = [m for _, m in events if m["text"] != note]
    assert 0 < len(answers) < sent
    other = Person(standin, 5011)                   # one person's flood does not silence others
    assert "iuran" in texts(await other.say("brp iuran bpjs tk buat pedagang sebulan")).lower()


async def test_groups_only_hear_commands_and_mentions(telegram, standin):
    group = Person(standin, 5006, chat_id=-100777)
    standin.send_text(5006, "halo semua, ada yang tau iuran bpjs?", chat_id=-100777, chat_type="group")
    events = await group.say("/start")
    assert len(events) == 1 and "chat pribadi" in events[0][1]["text"]
    events = await group.say(f"@{standin.username} berapa iuran bpjs tk buat pedagang")
    assert "Rp" in texts(events)


async def test_long_replies_are_split_and_html_is_escaped(telegram, standin):
    from bot.engine.replies import Reply

    channel_bot = telegram.bot
    from bot.channels.telegram import TelegramChannel

    channel = TelegramChannel(None)
    tricky = "Iuran <b>palsu</b> & \"kode\" <script>alert(1)</script> 5 > 3"
    await channel.deliver(channel_bot, 5007, [Reply(tricky)])
    long_text = "\n".join(f"Baris {n}: " + "kata " * 30 for n in range(120))
    await channel.deliver(channel_bot, 5007, [Reply(long_text)])
    sent = standin.bot_messages(5007)
    assert sent[0]["text"] == tricky
    assert len(sent) >= 3 and all(len(m["text"]) <= 4096 for m in sent[1:])
    assert " ".join(m["text"] for m in sent[1:]).split() == long_text.split()


async def test_privacy_deletes_everything_on_request(telegram, standin, database):
    rina = Person(standin, 5008)
    await rina.say("/start")
    await rina.press("Saya pekerja")
    await rina.say("nik saya 3201234567890001 bisa daftar?")
    with database.transaction() as session:
        logged = [r.text for r in session.query(MessageLog).all()]
    assert any("3201********0001" in text for text in logged)
    assert not any("3201234567890001" in text for text in logged)

    await rina.say("/menu")
    await rina.press("Privasi")
    await rina.press("Hapus data saya")
    events = await rina.press("Ya, hapus semua")
    assert "sudah dihapus" in texts(events)
    with database.transaction() as session:
        assert session.query(User).count() == 0
        assert session.query(MessageLog).count() == 0
