"""`python -m bot run` as a real process against the stand-in: a full lesson, killed and restarted."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Person, texts

pytestmark = [pytest.mark.model, pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]


def start_bot(standin, tmp_path, model_path, log, extra_args=(), **extra_env) -> subprocess.Popen:
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=standin.token, TELEGRAM_API_BASE_URL=standin.base_url,
               DATABASE_URL=extra_env.pop("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}"),
               LINDUNGI_MODEL=str(model_path),
               LINDUNGI_DATA_DIR=str(tmp_path), **extra_env,
               LINDUNGI_TODAY="2026-11-23", RASA_TELEMETRY_ENABLED="false", PYTHONWARNINGS="ignore",
               LINDUNGI_LOG_LEVEL="INFO", LINDUNGI_CHAT_RATE="20", LINDUNGI_CHAT_BURST="20")
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--poll-timeout", "1", *extra_args], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def assert_clean_run(tmp_path, standin, *secrets: str) -> None:
    """The bot's log shows no crash and no identity data; the stand-in saw no invalid request."""
    output = (tmp_path / "bot.log").read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]
    for secret in secrets:
        assert secret not in output
    assert not standin.errors, standin.errors


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_a_killed_bot_resumes_the_lesson_on_the_same_card(standin, tmp_path, model_path, knowledge):
    lesson = knowledge.lessons["jkk"]
    total = len(lesson.all_cards)
    log = open(tmp_path / "bot.log", "wb")
    person = Person(standin, 6001)

    async def first_part():
        events = await person.say("/start")
        assert "Saya pekerja" in str(events[-1][1].get("reply_markup")), texts(events)
        await person.press("Saya pekerja")
        await person.say("/belajar")
        await person.press(lesson.title)
        await person.press("Lanjut")
        events = await person.press("Lanjut")
        assert f"(3/{total})" in events[-1][1]["text"]

    async def second_part():
        await person.say("/belajar")
        events = await person.press("Lanjutkan belajar")
        (kind, card), = events
        assert kind == "send" and f"(3/{total})" in card["text"]
        for _ in range(total - 3):
            (_, card), = await person.press("Lanjut", card)
        events = await person.press("Mulai kuis", card)
        for number, question in enumerate(lesson.all_quiz):
            right = next(o for o in question.options if o.correct)
            events = await person.press(right.text, events[-1][1])
        assert f"{len(lesson.all_quiz)} dari {len(lesson.all_quiz)}" in events[-1][1]["text"]

    bot = start_bot(standin, tmp_path, model_path, log)
    try:
        asyncio.run(first_part())
        stop(bot, signal.SIGKILL)                     # no chance to save anything on the way out
        bot = start_bot(standin, tmp_path, model_path, log)
        asyncio.run(second_part())
    finally:
        stop(bot)
        log.close()
    assert_clean_run(tmp_path, standin)


def test_a_polling_bot_serves_health_and_metrics_and_logs_json_without_personal_data(standin, tmp_path, model_path):
    import json
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path / "bot.log", "wb")
    person = Person(standin, 6101)
    bot = start_bot(standin, tmp_path, model_path, log, LINDUNGI_HEALTH_PORT=str(port), LINDUNGI_LOG_FORMAT="json")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read())
                break
            except OSError:
                assert time.monotonic() < deadline and bot.poll() is None, "no /healthz"
                time.sleep(0.2)
        assert health["status"] == "ok" and health["database"] is True
        asyncio.run(person.say("/start"))
        asyncio.run(person.say("nik saya 3201014101900001 mau daftar"))
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert 'lindungi_messages_total{kind="command"}' in metrics
        assert "lindungi_nlu_confidence_bucket" in metrics
    finally:
        stop(bot)
        log.close()
    assert_clean_run(tmp_path, standin, "3201014101900001")
    lines = [line for line in (tmp_path / "bot.log").read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
