"""The dialogue over real storage: state survives a restart, flows resume, bad input is explained."""
from __future__ import annotations

import pytest

from bot.engine.dialogue import Dialogue
from bot.engine.events import ButtonEvent, CommandEvent, OtherEvent, TextEvent, UserRef
from bot.storage.repository import Repository
from tests.conftest import TODAY

pytestmark = pytest.mark.model

WHO = UserRef("test", "u1")


def say(dialogue, event, who=WHO):
    return dialogue.handle(who, event).replies


def press(dialogue, replies, label, who=WHO):
    for reply in reversed(replies):
        for button in reply.buttons:
            if label in button.label:
                return say(dialogue, ButtonEvent(button.data), who)
    raise AssertionError(f"no button {label!r} in {[b.label for r in replies for b in r.buttons]}")


def test_a_restart_resumes_on_the_same_card(dialogue, engine, database, knowledge, vault):
    lesson = knowledge.lessons["jht"]
    replies = say(dialogue, ButtonEvent("l:jht"))
    replies = press(dialogue, replies, "Lanjut")
    replies = press(dialogue, replies, "Lanjut")
    assert f"(3/{len(lesson.all_cards)})" in replies[0].text

    restarted = Dialogue(engine, database, vault)          # a new process: nothing kept in memory
    replies = say(restarted, CommandEvent("belajar"))
    replies = press(restarted, replies, "Lanjutkan belajar")
    assert f"(3/{len(lesson.all_cards)})" in replies[0].text
    assert replies[0].text.split("\n\n")[1] in knowledge.lessons.card("jht", 2)


def test_a_question_mid_calculation_is_answered_and_the_step_kept(dialogue):
    say(dialogue, CommandEvent("hitung"))
    say(dialogue, ButtonEvent("calc:type:bpu"))
    say(dialogue, ButtonEvent("calc:sector:transport"))
    replies = say(dialogue, TextEvent("cara klaim jht gimana ya"))
    assert "JHT" in replies[0].text
    assert any(b.data == "resume" for b in replies[-1].buttons)
    replies = say(dialogue, ButtonEvent("resume"))
    assert "penghasilan" in replies[0].text.lower()
    replies = say(dialogue, TextEvent("1,5jt"))
    assert "Rp" in replies[0].text


def test_two_misses_explain_the_field_and_offer_help(dialogue):
    say(dialogue, ButtonEvent("calc:start"))
    say(dialogue, ButtonEvent("calc:type:pu"))
    first = say(dialogue, TextEvent("ga tau"))
    assert len(first) == 1
    second = say(dialogue, TextEvent("nggak ngerti"))
    assert "Contoh cara menulis" in second[-1].text
    assert {b.data for b in second[-1].buttons} == {"go:handoff", "cancel:yes"}


def test_cancel_asks_first_and_keeps_lesson_progress(dialogue, database):
    say(dialogue, ButtonEvent("l:jkk"))
    say(dialogue, ButtonEvent("l:jkk:1"))
    replies = say(dialogue, CommandEvent("batal"))
    assert {b.data for b in replies[0].buttons} == {"cancel:yes", "resume"}
    say(dialogue, ButtonEvent("cancel:yes"))
    with database.transaction() as session:
        repo = Repository(session)
        user = repo.find("test", "u1")
        assert user.flow is None
        assert repo.all_progress(user)["jkk"].card == 1


def test_finishing_every_module_earns_the_completion_message(dialogue, knowledge):
    say(dialogue, CommandEvent("start"))
    say(dialogue, ButtonEvent("role:worker"))
    modules = knowledge.lessons.track("worker")
    for number, lesson in enumerate(modules):
        say(dialogue, ButtonEvent(f"q:{lesson.id}:start"))
        for index, question in enumerate(knowledge.lessons.quiz(lesson.id, TODAY)):
            right = next(i for i, o in enumerate(question.options) if o.correct)
            replies = say(dialogue, ButtonEvent(f"q:{lesson.id}:{index}:{right}"))
        done = any("Selamat" in r.text for r in replies)
        assert done == (number == len(modules) - 1), lesson.id
    menu = say(dialogue, CommandEvent("belajar"))[0]
    assert f"{len(modules)} dari {len(modules)}" in menu.text


def test_an_old_quiz_button_does_not_count_twice(dialogue, database):
    say(dialogue, ButtonEvent("q:jkm:start"))
    say(dialogue, ButtonEvent("q:jkm:0:0"))
    replies = say(dialogue, ButtonEvent("q:jkm:0:1"))
    assert "sudah dijawab" in replies[0].text
    with database.transaction() as session:
        repo = Repository(session)
        assert repo.all_progress(repo.find("test", "u1"))["jkm"].answered == 1


def test_non_text_and_unknown_input_get_friendly_replies(dialogue):
    assert "tulisan" in say(dialogue, OtherEvent("voice"))[0].text
    assert "/bantuan" in say(dialogue, CommandEvent("entahlah"))[0].text
    assert "tidak berlaku" in say(dialogue, ButtonEvent("l:nope:9"))[0].text


def test_users_do_not_share_state(dialogue):
    say(dialogue, ButtonEvent("l:jp"), UserRef("test", "a"))
    say(dialogue, CommandEvent("hitung"), UserRef("test", "b"))
    replies = say(dialogue, ButtonEvent("resume"), UserRef("test", "a"))
    assert "Jaminan Pensiun" in replies[0].text or "(1/" in replies[0].text
