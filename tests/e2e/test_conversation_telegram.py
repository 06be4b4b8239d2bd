"""A conversation through Telegram with a real bot process: typed text right after a start is
answered (not bounced while the model loads), and a follow-up after a restart is read in context."""
from __future__ import annotations

import asyncio
import signal
import time

import pytest

from bot.knowledge.facts import month_text

from tests.e2e.conftest import Person, texts
from tests.e2e.test_restart import assert_clean_run, start_bot, stop

pytestmark = [pytest.mark.model, pytest.mark.e2e]


async def wait_for_any(standin, chat_id: int, fragments, timeout: float = 120.0) -> list[str]:
    """Every bot message text in the chat once one contains one of `fragments` (or the texts so far)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = [m.get("text", "") for m in standin.bot_messages(chat_id)]
        if any(f in text for text in messages for f in fragments):
            return messages
        await asyncio.sleep(0.05)
    return [m.get("text", "") for m in standin.bot_messages(chat_id)]


def first_line(reply) -> str:
    return reply.text.strip().splitlines()[0][:60]


def test_a_question_typed_one_second_after_start_gets_the_real_answer(standin, tmp_path, model_path, knowledge):
    expected = first_line(knowledge.answers.reply("claim_jht"))
    bounced = knowledge.texts["not_ready"]
    person = Person(standin, 7101)
    log = open(tmp_path / "bot.log", "wb")
    bot = start_bot(standin, tmp_path, model_path, log)
    try:
        time.sleep(1.0)          # the scenario: the user types one second after the bot started
        standin.send_text(person.user_id, "min gmn cara klaim jht, aku udah resign 2 bulan")
        messages = asyncio.run(wait_for_any(standin, person.chat_id, [expected]))
    finally:
        stop(bot)
        log.close()
    assert any(expected in text for text in messages), messages
    assert not any(bounced in text for text in messages), messages
    assert_clean_run(tmp_path, standin)


def test_a_follow_up_after_a_restart_is_read_in_context(standin, tmp_path, model_path, knowledge):
    # Who the heirs are: the JKM claim's heirs topic or its heirs section both answer it.
    heirs = (first_line(knowledge.answers.reply("claim_jkm", topic="heirs")),
             first_line(knowledge.answers.reply("claim_jkm", section="heirs")))
    person = Person(standin, 7102)
    log = open(tmp_path / "bot.log", "wb")

    async def before():
        await person.say("/start")
        await person.press("Saya pekerja")
        standin.send_text(person.user_id, "jkm itu apa sih min")     # the model may still be loading
        messages = await wait_for_any(standin, person.chat_id, ["Jaminan Kematian"])
        assert any("Jaminan Kematian" in text for text in messages), messages
        events = await person.say("aku narik ojol tiap hari")
        assert "ojol" in texts(events), texts(events)          # "Saya catat: pengemudi ojol/kurir"
        return events

    async def after():
        before = len(standin.bot_messages(person.chat_id))
        standin.send_text(person.user_id, "trus ahli warisnya siapa aja?")
        messages = await wait_for_any(standin, person.chat_id, heirs)
        return messages[before:]

    bot = start_bot(standin, tmp_path, model_path, log)
    try:
        asyncio.run(before())
        stop(bot, signal.SIGKILL)                     # nothing kept in memory survives
        bot = start_bot(standin, tmp_path, model_path, log)
        answers = asyncio.run(after())
        quote = asyncio.run(person.say("iuran sebulan brp kalo dapetnya 2,5jt"))
    finally:
        stop(bot)
        log.close()
    assert any(line in text for text in answers for line in heirs), answers
    transport, other = knowledge.facts["bpu_discount_transport"], knowledge.facts["bpu_discount_non_transport"]
    assert transport.period()[1] != other.period()[1], "the scenario needs periods that differ"
    # The driver told he drives for ojol before the restart: the quote names the transport period.
    assert month_text(transport.period()[1]) in texts(quote), texts(quote)
    assert month_text(other.period()[1]) not in texts(quote), texts(quote)
    assert_clean_run(tmp_path, standin)

