"""What the bot noted about the user: said back, changeable, shown in /datasaya, deleted with the data."""
from __future__ import annotations

import pytest

from bot.engine.events import ButtonEvent, CommandEvent, TextEvent, UserRef
from bot.knowledge.facts import month_text
from bot.storage.repository import Repository

pytestmark = pytest.mark.model

WHO = UserRef("test", "profile-1")


def say(dialogue, event):
    return dialogue.handle(WHO, event).replies


def press(dialogue, replies, label):
    for reply in reversed(replies):
        for button in reply.buttons:
            if label in button.label:
                return say(dialogue, ButtonEvent(button.data))
    raise AssertionError(f"no button {label!r} in {[b.label for r in replies for b in r.buttons]}")


def text(replies) -> str:
    return "\n".join(r.text for r in replies)


def test_a_driver_is_told_what_was_noted_can_change_it_and_the_quote_follows(dialogue, knowledge):
    labels = knowledge.texts["dialogue"]["context"]["labels"]
    transport = month_text(knowledge.facts["bpu_discount_transport"].period()[1])
    other = month_text(knowledge.facts["bpu_discount_non_transport"].period()[1])
    say(dialogue, CommandEvent("start"))
    say(dialogue, ButtonEvent("role:worker"))
    replies = say(dialogue, TextEvent("saya narik ojol tiap hari, brp iuran bpjs tk sebulan?"))
    assert labels["sector"]["transport"] in text(replies)                 # "Saya catat: pengemudi ojol/kurir"
    quote = say(dialogue, TextEvent("klo dapetnya 2,5jt sebulan brp?"))
    assert transport in text(quote) and other not in text(quote)
    replies = press(dialogue, replies, "Ubah")
    replies = press(dialogue, replies, "Pedagang")
    assert labels["sector"]["non_transport"] in text(replies)
    quote = say(dialogue, TextEvent("iuran bpjs tk kalo penghasilan 2,5 juta brp"))
    assert other in text(quote) and transport not in text(quote)


def test_datasaya_shows_the_notes_and_hapusdata_deletes_them(dialogue, database, knowledge):
    labels = knowledge.texts["dialogue"]["context"]["labels"]
    say(dialogue, CommandEvent("start"))
    say(dialogue, ButtonEvent("role:owner"))
    say(dialogue, TextEvent("saya punya 3 karyawan di warung, wajib daftarin bpjs tk ga?"))
    mine = text(say(dialogue, CommandEvent("datasaya")))
    assert labels["workers"].format(value=3) in mine
    replies = say(dialogue, CommandEvent("hapusdata"))
    say(dialogue, ButtonEvent(next(b.data for r in replies for b in r.buttons if b.data == "privacy:delete:yes")))
    with database.transaction() as session:
        assert Repository(session).find(WHO.channel, WHO.user_id) is None


def test_an_owner_asking_for_a_wage_gets_the_employee_quote(dialogue, knowledge):
    say(dialogue, CommandEvent("start"))
    say(dialogue, ButtonEvent("role:owner"))
    say(dialogue, TextEvent("saya punya 3 karyawan, mereka wajib ikut program apa aja?"))
    quote = text(say(dialogue, TextEvent("kalo upahnya 4,5 juta iurannya brp")))
    employee_title = knowledge.texts["pu_quote"]["title"].split("{")[0]
    assert employee_title in quote
    assert knowledge.texts["bpu_quote"]["title"].split("{")[0] not in quote


def test_the_notes_clear_button_forgets_them(dialogue):
    say(dialogue, CommandEvent("start"))
    say(dialogue, ButtonEvent("role:worker"))
    replies = say(dialogue, TextEvent("aku kurir paket, klo kecelakaan pas antar barang ditanggung ga?"))
    replies = press(dialogue, replies, "Ubah")
    replies = press(dialogue, replies, "Hapus catatan")
    mine = text(say(dialogue, CommandEvent("datasaya")))
    assert "ojol" not in mine and "kurir" not in mine
