"""Asking for a person: the handoff opens, office hours are told honestly, the bot stays quiet."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.engine.dialogue import Dialogue
from bot.engine.events import ButtonEvent, CommandEvent, TextEvent, UserRef
from bot.office_hours import OfficeHours
from bot.storage.models import Handoff, MessageLog

pytestmark = pytest.mark.model
WHO = UserRef("test", "h1")


def test_the_menu_button_opens_a_handoff_and_the_bot_goes_quiet(dialogue, database):
    replies = dialogue.handle(WHO, ButtonEvent("go:handoff")).replies
    assert "petugas" in replies[0].text and "175" in replies[0].text
    assert dialogue.handle(WHO, TextEvent("klaim saya ditolak kenapa")).replies == ()
    assert "diteruskan ke petugas" in dialogue.handle(WHO, CommandEvent("menu")).replies[0].text
    with database.transaction() as session:
        (handoff,) = session.query(Handoff).all()
        assert handoff.reason == "menu" and handoff.status == "open"
        assert session.query(MessageLog).filter_by(text="klaim saya ditolak kenapa").count() == 1


def test_outside_office_hours_the_user_is_told_when_to_expect_an_answer(engine, database, vault):
    never_open_now = OfficeHours.parse("mon-mon 00:00-00:01")
    closed = Dialogue(engine, database, vault, office_hours=never_open_now)
    text = closed.handle(WHO, TextEvent("saya mau bicara dengan petugas")).replies[0].text
    assert "Senin–Senin pukul 00.00–00.01 WIB" in text and "paling cepat Senin, 00.00 WIB" in text


def test_office_hours_know_the_next_opening():
    hours = OfficeHours.parse("mon-fri 08:00-16:00")
    saturday_noon = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.timezone.utc)      # 12:00 WIB
    assert not hours.is_open(saturday_noon)
    opening = hours.next_opening(saturday_noon)
    assert opening.weekday() == 0 and opening.hour == 8
    assert hours.is_open(dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.timezone.utc))    # Monday 09:00 WIB
    with pytest.raises(ValueError):
        OfficeHours.parse("weekdays 8-4")


def test_twice_not_understood_offers_a_person(dialogue):
    # Vague fragments the model cannot place (it asks "Maksud Anda…?" for each).
    first = dialogue.handle(WHO, TextEvent("yang itu lho"))
    second = dialogue.handle(WHO, TextEvent("yang kemarin"))
    assert first.understood.is_fallback and second.understood.is_fallback
    assert not any(b.data.startswith("go:handoff") for r in first.replies for b in r.buttons)
    assert any(b.data == "go:handoff:fallback" for r in second.replies for b in r.buttons)
    dialogue.handle(WHO, ButtonEvent("go:handoff:fallback"))
    assert dialogue.handle(WHO, TextEvent("halo?")).replies == ()
