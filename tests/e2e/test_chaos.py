"""Webhook workers killed with SIGKILL at random points of an enrolment, again and again: no answer
lost (the summary holds every field), no reply sent twice (every message of the chat is distinct)."""
from __future__ import annotations

import asyncio
import os
import random
import signal
import time

import pytest

from tests.e2e.conftest import Person, texts
from tests.e2e.test_enrolment_telegram import STEPS
from tests.e2e.test_restart import start_bot, stop
from tests.e2e.test_webhook import SECRET, free_port
from tests.telegram_standin import buttons_of

pytestmark = [pytest.mark.e2e]
KILLS = int(os.environ.get("LINDUNGI_CHAOS_KILLS", "100"))


def act(standin, person: Person, kind: str, value: str) -> None:
    if kind == "say":
        standin.send_text(person.user_id, value)
    elif kind == "contact":
        standin.send_contact(person.user_id, value)
    else:
        message = person.last(with_button=value)
        data = next(d for label, d in buttons_of(message) if value in label)
        standin.press(person.user_id, message, data)


def test_random_kills_during_enrolment(standin, tmp_path):
    rng = random.Random(20261124)
    port = free_port()
    log = open(tmp_path / "bot.log", "wb")
    settings = dict(extra_args=["--webhook", f"http://127.0.0.1:{port}/tg"], TELEGRAM_WEBHOOK_SECRET=SECRET,
                    LINDUNGI_WEBHOOK_PORT=str(port), NLU_URL=f"http://127.0.0.1:{free_port()}",
                    LINDUNGI_SECRET_KEY="k" * 44)
    person = Person(standin, 7401)
    steps = STEPS + [("press", "Kirim", "LDG-")]
    per_step = -(-KILLS // len(steps))
    kills, began = 0, time.monotonic()
    bot = start_bot(standin, tmp_path, "unused", log, **settings)
    try:
        deadline = time.monotonic() + 60
        while standin.webhook is None and time.monotonic() < deadline:
            time.sleep(0.1)
        for kind, value, expected in steps:
            mark = standin.activity(person.chat_id)
            act(standin, person, kind, value)
            for _ in range(min(per_step, KILLS - kills)):
                time.sleep(rng.uniform(0.0, 1.2))          # anywhere: receiving, processing, sending
                stop(bot, signal.SIGKILL)
                kills += 1
                bot = start_bot(standin, tmp_path, "unused", log, **settings)
            deadline = time.monotonic() + 60
            while expected not in texts(standin.events(person.chat_id, mark)) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert expected in texts(standin.events(person.chat_id, mark)), (value, kills)
        asyncio.run(person.settle(standin.activity(person.chat_id) - 1, timeout=10, quiet=1.0))
    finally:
        stop(bot)
        log.close()
    sent = [m["text"] for kind, m in standin.events(person.chat_id) if kind == "send"]
    duplicates = {t for t in sent if sent.count(t) > 1}
    assert not duplicates, duplicates
    summary = next(t for t in sent if "Periksa data Anda" in t)
    for piece in ("3201********0001", "SITI AMINAH", "17 Agustus 1990", "0812*****890", "Bogor", "pedagang",
                  "Rp2.500.000"):
        assert piece in summary, piece
    assert kills == KILLS
    print(f"{kills} kills in {time.monotonic() - began:.0f} s")
    assert not standin.errors, standin.errors
