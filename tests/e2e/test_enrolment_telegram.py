"""Enrolment end to end through Telegram: share-contact button, submit, a status change from the CLI
reaching the chat, and a bot killed with SIGKILL after every step losing no answer."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Person, texts
from tests.e2e.test_restart import assert_clean_run, start_bot, stop

pytestmark = [pytest.mark.model, pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]
NIK = "3201011708900001"

# (kind, value, what the bot must say next)
STEPS = [
    ("say", "/daftar", "Pelindungan Data Pribadi"),
    ("press", "Setuju", "ingatkan"),
    ("press", "Tidak usah", "NIK"),
    ("say", NIK, "nama lengkap"),
    ("say", "siti aminah", "tanggal lahir"),
    ("say", "17 agt 1990", "Nomor HP"),
    ("contact", "+6281234567890", "Bogor"),
    ("press", "Ya, di sana", "pekerjaan"),
    ("press", "Pedagang", "penghasilan"),
    ("say", "dua setengah juta", "JHT"),
    ("press", "Cukup JKK + JKM", "Periksa data Anda"),
]


async def act(person: Person, standin, kind: str, value: str):
    if kind == "say":
        return await person.say(value)
    if kind == "contact":
        return await person.send(lambda: standin.send_contact(person.user_id, value))
    return await person.press(value)


@pytest.mark.asyncio
async def test_enrolment_through_telegram_and_a_status_change_from_the_cli(telegram, standin, database):
    siti = Person(standin, 8001)
    for kind, value, expected in STEPS:
        events = await act(siti, standin, kind, value)
        assert expected in texts(events), (value, texts(events))
        if value == "17 agt 1990":
            markup = events[-1][1].get("reply_markup") or {}
            assert markup["keyboard"][0][0]["request_contact"] is True
    summary = siti.last(with_button="Kirim")
    assert "3201********0001" in summary["text"] and "0812*****890" in summary["text"]
    events = await siti.press("Kirim", summary)
    reference = next(word for word in texts(events).split() if word.startswith("LDG-"))

    env = dict(os.environ, DATABASE_URL=database.url, RASA_TELEMETRY_ENABLED="false")
    done = subprocess.run([sys.executable, "-m", "bot", "applications", "set-status", reference, "aktif"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    mark = standin.activity(siti.chat_id)
    events = await siti.settle(mark, timeout=30)
    assert "AKTIF" in texts(events) and reference in texts(events)
    events = await siti.press("Ya, ingatkan tiap bulan")
    assert "mengingatkan" in texts(events)


def test_a_bot_killed_after_every_step_loses_no_answer(standin, tmp_path, model_path):
    log = open(tmp_path / "bot.log", "wb")
    person = Person(standin, 8002)

    def launch():
        return start_bot(standin, tmp_path, model_path, log, LINDUNGI_SECRET_KEY="k" * 44)

    bot = launch()
    try:
        for kind, value, expected in STEPS:
            events = asyncio.run(act(person, standin, kind, value))
            assert expected in texts(events), (value, texts(events))
            stop(bot, signal.SIGKILL)
            bot = launch()
        events = asyncio.run(person.press("Kirim"))
        assert "LDG-" in texts(events)
        summary = [m for m in standin.bot_messages(person.chat_id) if "Periksa data Anda" in m["text"]][-1]
        for piece in ("3201********0001", "SITI AMINAH", "17 Agustus 1990", "0812*****890", "Bogor",
                      "pedagang", "Rp2.500.000"):
            assert piece in summary["text"], piece
    finally:
        stop(bot)
        log.close()
    assert_clean_run(tmp_path, standin, NIK, "81234567890")
