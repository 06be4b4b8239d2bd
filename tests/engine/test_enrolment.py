"""Self-enrolment through the dialogue over real storage (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from bot.calculator import bpu_quote
from bot.engine.dialogue import Dialogue
from bot.engine.events import ButtonEvent, CommandEvent, ContactEvent, TextEvent, UserRef
from bot.engine.outbox import run_housekeeping
from bot.enrolment.status import change_status
from bot.knowledge.facts import rupiah
from bot.storage.models import Application, Business, LessonProgress, MessageLog, Outbox, User
from bot.storage.repository import Repository
from tests.conftest import TODAY

pytestmark = pytest.mark.model

NIK = "3201011708900001"
PHONE = "081234567890"
WORKER = UserRef("test", "w1")


def say(dialogue, event, who=WORKER):
    return dialogue.handle(who, event).replies


def data_of(replies, label):
    for reply in reversed(replies):
        for button in reply.buttons:
            if label in button.label:
                return button.data
    raise AssertionError(f"no button {label!r}: {[b.label for r in replies for b in r.buttons]}")


def press(dialogue, replies, label, who=WORKER):
    return say(dialogue, ButtonEvent(data_of(replies, label)), who)


def enrol_until_summary(dialogue, who=WORKER, nik=NIK, birth="17-08-1990"):
    replies = say(dialogue, CommandEvent("daftar"), who)
    assert "Undang-Undang Pelindungan Data Pribadi" in replies[-1].text
    replies = press(dialogue, replies, "Setuju", who)
    replies = press(dialogue, replies, "Ya, ingatkan", who)
    assert "NIK" in replies[-1].text
    replies = say(dialogue, TextEvent(nik), who)
    replies = say(dialogue, TextEvent("siti aminah"), who)
    replies = say(dialogue, TextEvent(birth), who)
    replies = say(dialogue, TextEvent(PHONE), who)
    assert "Bogor" in replies[-1].text                # the place registered in the NIK, offered
    replies = press(dialogue, replies, "Ya, di sana", who)
    replies = press(dialogue, replies, "Pedagang", who)
    replies = say(dialogue, TextEvent("2,5 juta"), who)
    replies = press(dialogue, replies, "Tambah JHT", who)
    assert "Periksa data Anda" in replies[-1].text
    return replies


def application(database, who=WORKER) -> Application:
    with database.transaction() as session:
        user = Repository(session).find(who.channel, who.user_id)
        return session.query(Application).filter_by(user_id=user.id).one()


def test_the_happy_path_ends_with_a_reference_and_honest_next_steps(dialogue, knowledge, database, vault):
    summary = enrol_until_summary(dialogue)[-1].text
    assert "3201********0001" in summary and NIK not in summary
    assert "SITI AMINAH" in summary and "0812*****890" in summary and "Laki-laki" in summary
    quote = bpu_quote(knowledge.rates, 2_500_000, TODAY, with_jht=True)
    assert rupiah(quote.total) in summary and "potongan" in summary
    replies = press(dialogue, [say(dialogue, ButtonEvent("resume"))[-1]], "Kirim")
    done = replies[-1].text
    app = application(database)
    assert app.reference == f"LDG-{TODAY.year}-{app.id:06d}" and app.reference in done
    assert app.status == "diajukan" and app.monthly_amount == quote.total
    assert "bukan BPJS" in done and "JMO" in done and "175" in done
    # Stored encrypted; found by keyed hash; nothing personal in the conversation state.
    assert app.nik_token != NIK and vault.decrypt(app.nik_token) == NIK
    assert app.nik_hash == vault.lookup_hash(NIK)
    with database.transaction() as session:
        user = Repository(session).find("test", "w1")
        assert user.flow is None and NIK not in str(user.data)


def test_a_birth_date_unlike_the_nik_is_confirmed_not_refused(dialogue, database, vault):
    replies = say(dialogue, CommandEvent("daftar"))
    replies = press(dialogue, replies, "Setuju")
    replies = press(dialogue, replies, "Tidak usah")
    say(dialogue, TextEvent(NIK))
    say(dialogue, TextEvent("Siti Aminah"))
    replies = say(dialogue, TextEvent("18 agt 1990"))
    assert "berbeda" in replies[-1].text and "17 Agustus 1990" in replies[-1].text
    replies = press(dialogue, replies, "Pakai tanggal di NIK")
    assert "Nomor HP" in replies[-1].text
    assert vault.decrypt(application(database).birth_date_token) == "1990-08-17"


def test_a_nik_with_an_active_application_is_refused(dialogue, database):
    enrol_until_summary(dialogue)
    say(dialogue, ButtonEvent("enrol:submit"))
    other = UserRef("test", "w2")
    replies = say(dialogue, CommandEvent("daftar"), other)
    replies = press(dialogue, replies, "Setuju", other)
    replies = press(dialogue, replies, "Tidak usah", other)
    replies = say(dialogue, TextEvent(NIK), other)
    assert "sudah punya pendaftaran" in replies[-1].text


def test_every_answer_survives_a_restart(dialogue, engine, database, vault):
    replies = say(dialogue, CommandEvent("daftar"))
    replies = press(dialogue, replies, "Setuju")
    replies = press(dialogue, replies, "Tidak usah")
    say(dialogue, TextEvent(NIK))
    say(dialogue, TextEvent("siti aminah"))
    restarted = Dialogue(engine, database, vault)
    replies = say(restarted, CommandEvent("daftar"))
    assert "belum selesai" in replies[0].text and "tanggal lahir" in replies[-1].text.lower()
    replies = say(restarted, TextEvent("17/8/90"))
    assert "Nomor HP" in replies[-1].text


def test_edit_from_the_summary_returns_to_the_summary(dialogue):
    replies = enrol_until_summary(dialogue)
    replies = press(dialogue, replies, "Ubah penghasilan")
    assert "penghasilan" in replies[-1].text.lower()
    replies = say(dialogue, TextEvent("4jt"))
    assert "Periksa data Anda" in replies[-1].text and "Rp4.000.000" in replies[-1].text
    replies = press(dialogue, replies, "Ubah domisili")
    replies = press(dialogue, replies, "Tidak, di tempat lain")
    replies = say(dialogue, TextEvent("sleman"))
    assert "Sleman" in replies[-1].text and "Periksa data Anda" in replies[-1].text


def test_bad_input_is_explained_and_nothing_is_lost(dialogue, database, vault):
    replies = say(dialogue, CommandEvent("daftar"))
    replies = press(dialogue, replies, "Setuju")
    replies = press(dialogue, replies, "Tidak usah")
    first = say(dialogue, TextEvent("320101170890000"))
    assert first[-1].text == "NIK harus 16 angka, Anda mengetik 15. Periksa lagi KTP Anda."
    second = say(dialogue, TextEvent("3201a11708900001"))
    assert "hanya berisi angka" in second[0].text
    assert "Nomor Induk Kependudukan" in second[-1].text
    assert {b.data for b in second[-1].buttons} == {"go:handoff", "cancel:ask"}
    say(dialogue, TextEvent(NIK))
    assert vault.decrypt(application(database).nik_token) == NIK
    # A question in the middle is answered, and the step is kept.
    replies = say(dialogue, TextEvent("syarat daftar bpjs tk apa aja?"))
    assert any(b.data == "resume" for b in replies[-1].buttons)
    replies = say(dialogue, ButtonEvent("resume"))
    assert "nama lengkap" in replies[-1].text


def test_cancel_asks_first_and_deletes_the_draft(dialogue, database):
    replies = say(dialogue, CommandEvent("daftar"))
    replies = press(dialogue, replies, "Setuju")
    press(dialogue, replies, "Tidak usah")
    say(dialogue, TextEvent(NIK))
    replies = say(dialogue, CommandEvent("batal"))
    assert "dihapus" in replies[-1].text
    say(dialogue, ButtonEvent("cancel:yes"))
    with database.transaction() as session:
        assert session.query(Application).count() == 0


def test_no_consent_stores_nothing(dialogue, database):
    replies = say(dialogue, CommandEvent("daftar"))
    replies = press(dialogue, replies, "Tidak sekarang")
    assert "Tidak ada data yang kami simpan" in replies[-1].text
    with database.transaction() as session:
        assert session.query(Application).count() == 0


def test_shared_contact_of_someone_else_is_refused(dialogue):
    replies = say(dialogue, CommandEvent("daftar"))
    replies = press(dialogue, replies, "Setuju")
    press(dialogue, replies, "Tidak usah")
    say(dialogue, TextEvent(NIK))
    say(dialogue, TextEvent("siti aminah"))
    replies = say(dialogue, TextEvent("17-08-1990"))
    assert replies[-1].contact_button
    assert "orang lain" in say(dialogue, ContactEvent("+6281299998888", own=False))[-1].text
    replies = say(dialogue, ContactEvent("+6281234567890", own=True))
    assert replies[0].remove_keyboard and "0812*****890" in replies[0].text


def test_owner_invite_links_the_worker_and_shows_masked_status(dialogue, database, knowledge):
    owner = UserRef("test", "owner")
    say(dialogue, CommandEvent("start"), owner)
    replies = say(dialogue, ButtonEvent("role:owner"), owner)
    replies = say(dialogue, CommandEvent("daftar"), owner)
    replies = press(dialogue, replies, "Usaha saya", owner)
    say(dialogue, TextEvent("Warung Bu Sri"), owner)
    replies = say(dialogue, ButtonEvent("biz:sector:makanan"), owner)
    say(dialogue, TextEvent("3"), owner)
    replies = say(dialogue, ButtonEvent("biz:size:kecil"), owner)
    assert "JKK, JKM, JHT" in replies[-1].text
    with database.transaction() as session:
        code = session.query(Business).one().invite_code
    assert code in replies[0].text

    replies = say(dialogue, CommandEvent("start", code))
    assert "Warung Bu Sri" in replies[0].text
    say(dialogue, ButtonEvent("role:worker"))
    enrol_until_summary(dialogue)
    say(dialogue, ButtonEvent("enrol:submit"))

    view = say(dialogue, CommandEvent("pekerjaku"), owner)[-1].text
    assert "SITI A." in view and "diajukan" in view
    assert NIK not in view and "AMINAH" not in view and "0812" not in view


def test_status_changes_reach_the_user_and_show_in_status(dialogue, database, knowledge):
    enrol_until_summary(dialogue)
    say(dialogue, ButtonEvent("enrol:submit"))
    reference = application(database).reference
    with database.transaction() as session:
        repo = Repository(session)
        with pytest.raises(ValueError, match="alasan"):
            change_status(repo, knowledge, reference, "ditolak")
        change_status(repo, knowledge, reference, "ditolak", "Foto KTP buram")
    replies = say(dialogue, CommandEvent("status"))
    assert reference in replies[-1].text and "ditolak" in replies[-1].text and "Foto KTP buram" in replies[-1].text
    with database.transaction() as session:
        with pytest.raises(ValueError, match="final"):         # a rejection is not undone: apply again
            change_status(Repository(session), knowledge, reference, "aktif")
        texts = [m.text for m in session.query(Outbox).order_by(Outbox.id)]
    assert len(texts) == 1 and "Foto KTP buram" in texts[0]


def test_each_allowed_status_change_tells_the_applicant(dialogue, database, knowledge):
    from bot.enrolment.status import STATUSES, TRANSITIONS

    assert set(TRANSITIONS) == set(STATUSES)
    enrol_until_summary(dialogue)
    say(dialogue, ButtonEvent("enrol:submit"))
    reference = application(database).reference
    for status in ("diverifikasi", "diajukan", "diverifikasi", "aktif"):     # sent back once, then activated
        with database.transaction() as session:
            change_status(Repository(session), knowledge, reference, status)
    with database.transaction() as session:
        with pytest.raises(ValueError, match="final"):
            change_status(Repository(session), knowledge, reference, "diajukan")
        texts = [m.text for m in session.query(Outbox).filter_by(kind="status").order_by(Outbox.id)]
    assert len(texts) == 4 and "diverifikasi" in texts[0] and "kembali ke diajukan" in texts[1]
    assert "AKTIF" in texts[3]


def test_an_unfinished_application_gets_one_reminder_after_a_day(dialogue, database):
    replies = say(dialogue, CommandEvent("daftar"))
    replies = press(dialogue, replies, "Setuju")
    press(dialogue, replies, "Ya, ingatkan")
    say(dialogue, TextEvent(NIK))
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=25)
    assert run_housekeeping(dialogue, later)["draft_reminders"] == 1
    assert run_housekeeping(dialogue, later)["draft_reminders"] == 0
    assert run_housekeeping(dialogue)["draft_reminders"] == 0


def test_delete_leaves_no_personal_data_in_any_table(dialogue, database):
    enrol_until_summary(dialogue)
    say(dialogue, ButtonEvent("enrol:submit"))
    say(dialogue, TextEvent(f"nik saya {NIK} hp {PHONE}"))
    say(dialogue, ButtonEvent("l:jkk"))
    say(dialogue, CommandEvent("hapusdata"))
    replies = say(dialogue, ButtonEvent("privacy:delete:yes"))
    assert "sudah dihapus" in replies[-1].text
    with database.transaction() as session:
        assert session.query(User).count() == 0
        assert session.query(MessageLog).count() == session.query(LessonProgress).count() == 0
        (app,) = session.query(Application).all()           # kept only for anonymous counts
        assert app.status == "diajukan" and app.user_id is None
        assert app.nik_token is None and app.name_token is None and app.phone_token is None
        assert app.birth_date_token is None and app.nik_hash is None


def test_no_nik_or_phone_in_clear_text_in_the_database(dialogue, database):
    enrol_until_summary(dialogue)
    say(dialogue, ButtonEvent("enrol:submit"))
    say(dialogue, TextEvent(f"nik saya {NIK}, hp {PHONE}, tolong cek"))
    say(dialogue, CommandEvent("datasaya"))
    needles = (NIK, PHONE, "6281234567890", "SITI AMINAH", "1990-08-17")
    with database.transaction() as session:
        tables = ["users", "applications", "message_log", "businesses", "outbox", "lesson_progress"]
        for table in tables:
            for row in session.execute(text(f"select * from {table}")):
                dump = " ".join(str(value) for value in row)
                assert not any(needle in dump for needle in needles), (table, dump[:300])
    if database.url.startswith("sqlite"):
        path = database.url.split("///", 1)[1]
        database.dispose()
        import pathlib

        for file in pathlib.Path(path).parent.glob(pathlib.Path(path).name + "*"):
            raw = file.read_bytes()
            assert not any(needle.encode() in raw for needle in needles), file
