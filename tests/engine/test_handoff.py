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


SATURDAY_NOON = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.timezone.utc)      # 12:00 WIB
MONDAY_NINE = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.timezone.utc)        # 09:00 WIB


def test_outside_office_hours_the_user_is_told_when_to_expect_an_answer(engine, database, vault):
    hours = OfficeHours.parse("mon-fri 08:00-16:00")
    closed = Dialogue(engine, database, vault, office_hours=hours, clock=lambda: SATURDAY_NOON)
    outcome = closed.handle(WHO, TextEvent("saya mau bicara dengan petugas"))
    assert outcome.understood.intent == "human_handoff"
    text = outcome.replies[0].text
    assert "Senin–Jumat pukul 08.00–16.00 WIB" in text and "paling cepat Senin, 08.00 WIB" in text


def test_inside_office_hours_the_user_is_told_staff_will_answer(engine, database, vault, knowledge):
    hours = OfficeHours.parse("mon-fri 08:00-16:00")
    open_now = Dialogue(engine, database, vault, office_hours=hours, clock=lambda: MONDAY_NINE)
    text = open_now.handle(WHO, TextEvent("saya mau bicara dengan petugas")).replies[0].text
    assert text.startswith(knowledge.texts["handoff"]["opened"].strip()[:40])
    assert "paling cepat" not in text


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
    # Vague fragments a new user sends that say nothing the bot can answer: it asks "Maksud Anda…?".
    # ("kartu" alone is not one of them: the bot answers it as a membership-card question.)
    first = dialogue.handle(WHO, TextEvent("yang kemarin itu gimana"))
    second = dialogue.handle(WHO, TextEvent("terus gimana"))
    assert first.understood.is_fallback and second.understood.is_fallback
    assert not any(b.data.startswith("go:handoff") for r in first.replies for b in r.buttons)
    assert any(b.data == "go:handoff:fallback" for r in second.replies for b in r.buttons)
    dialogue.handle(WHO, ButtonEvent("go:handoff:fallback"))
    assert dialogue.handle(WHO, TextEvent("halo?")).replies == ()
