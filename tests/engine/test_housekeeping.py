"""The bot's periodic chores (run_housekeeping, hourly in the running bot) against a pinned clock:
the monthly payment reminder and the deletion of personal data 12 months after the decision."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.engine.dialogue import Dialogue
from bot.engine.events import ButtonEvent, CommandEvent
from bot.engine.outbox import run_housekeeping
from bot.enrolment.status import change_status
from bot.storage.models import Application, Outbox
from bot.storage.repository import PERSONAL_COLUMNS, Repository
from tests.engine.test_enrolment import application, enrol_until_summary, say

pytestmark = pytest.mark.model
WIB = dt.timezone(dt.timedelta(hours=7))


class Clock:
    """The day the dialogue sees (`today=`) and the moment housekeeping runs at, moved by the test."""

    def __init__(self, day: dt.date):
        self.day = day

    def today(self) -> dt.date:
        return self.day

    def moment(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(9, 0), WIB).astimezone(dt.timezone.utc)


@pytest.fixture()
def clock():
    return Clock(dt.date(2026, 11, 1))


@pytest.fixture()
def pinned(engine, database, vault, clock):
    return Dialogue(engine, database, vault, wait_for_model=True, today=clock.today)


def active_member(dialogue, database, knowledge, reference_status="aktif"):
    enrol_until_summary(dialogue)
    say(dialogue, ButtonEvent("enrol:submit"))
    reference = application(database).reference
    with database.transaction() as session:
        change_status(Repository(session), knowledge, reference, reference_status)
    return reference


def test_the_payment_reminder_comes_once_a_month_between_the_10th_and_the_15th(pinned, database, knowledge,
                                                                                clock):
    active_member(pinned, database, knowledge)
    replies = say(pinned, ButtonEvent("pay:remind"))
    assert "mengingatkan setiap bulan" in replies[-1].text
    sent_on = []
    for month, days in ((11, range(1, 31)), (12, range(1, 32)), (1, range(1, 32))):
        for day in days:
            clock.day = dt.date(2027 if month == 1 else 2026, month, day)
            if month == 12 and day < 12:
                continue                      # the bot was down from 1 to 11 December: first run on the 12th
            if run_housekeeping(pinned, clock.moment())["payment_reminders"]:
                sent_on.append(clock.day)
    # facts.md: BPU pay by the 15th of the month; the reminder goes in the five days before it.
    assert sent_on == [dt.date(2026, 11, 10), dt.date(2026, 12, 12), dt.date(2027, 1, 10)]
    with database.transaction() as session:
        reminders = [row.text for row in session.query(Outbox).filter_by(kind="payment_reminder")]
    assert len(reminders) == 3 and all("tanggal 15" in text for text in reminders)


def test_no_payment_reminder_without_asking_for_it(pinned, database, knowledge, clock):
    active_member(pinned, database, knowledge)
    clock.day = dt.date(2026, 11, 12)
    assert run_housekeeping(pinned, clock.moment())["payment_reminders"] == 0


def test_personal_data_is_deleted_12_months_after_the_decision(pinned, database, knowledge, clock):
    replies = say(pinned, CommandEvent("daftar"))
    assert "paling lama 12 bulan" in replies[-1].text          # what the consent promises
    active_member(pinned, database, knowledge)
    decided = dt.datetime(2025, 11, 20, 10, 0, tzinfo=dt.timezone.utc)
    with database.transaction() as session:
        row = session.query(Application).one()
        row.decided_at = decided
    clock.day = dt.date(2026, 11, 19)                          # 364 days later: still kept
    assert run_housekeeping(pinned, clock.moment())["expired"] == 0
    with database.transaction() as session:
        row = session.query(Application).one()
        assert row.nik_token and row.name_token and row.phone_token
    clock.day = dt.date(2026, 11, 21)                          # a year and a day: gone
    assert run_housekeeping(pinned, clock.moment())["expired"] == 1
    with database.transaction() as session:
        row = session.query(Application).one()
        assert all(getattr(row, column) is None for column in PERSONAL_COLUMNS), \
            {c: getattr(row, c) for c in PERSONAL_COLUMNS if getattr(row, c) is not None}
        assert row.status == "aktif" and row.reference          # the anonymous record stays for the counts
    assert run_housekeeping(pinned, clock.moment())["expired"] == 0


def test_an_application_still_in_progress_is_not_expired(pinned, database, knowledge, clock):
    enrol_until_summary(pinned)
    say(pinned, ButtonEvent("enrol:submit"))                   # submitted, never decided
    with database.transaction() as session:
        row = session.query(Application).one()
        row.submitted_at = dt.datetime(2024, 1, 5, tzinfo=dt.timezone.utc)
    clock.day = dt.date(2026, 11, 23)
    assert run_housekeeping(pinned, clock.moment())["expired"] == 0
    with database.transaction() as session:
        assert session.query(Application).one().nik_token is not None
