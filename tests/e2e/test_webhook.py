"""`python -m bot run --webhook URL` as a real process: Telegram (the stand-in) posts updates to it."""
from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest

from tests.e2e.conftest import Person, texts
from tests.e2e.test_restart import assert_clean_run, start_bot, stop

pytestmark = [pytest.mark.model, pytest.mark.e2e]
SECRET = "webhook-secret_123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_webhook_mode_checks_the_secret_and_serves_a_lesson(standin, tmp_path, model_path, knowledge):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    log = open(tmp_path / "bot.log", "wb")
    bot = start_bot(standin, tmp_path, model_path, log, TELEGRAM_WEBHOOK_SECRET=SECRET,
                    LINDUNGI_WEBHOOK_PORT=str(port), extra_args=["--webhook", url])
    person = Person(standin, 7001)
    try:
        deadline = time.monotonic() + 60
        while standin.webhook is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert standin.webhook == {"url": url, "secret_token": SECRET}

        async def scenario():
            events = await person.say("/start")
            assert "Saya pekerja" in json.dumps(events[-1][1].get("reply_markup"))
            await person.press("Saya pekerja")
            await person.say("/belajar")
            lesson = knowledge.lessons["jkm"]
            (_, card), = await person.press(lesson.title)
            (kind, edited), = await person.press("Lanjut", card)
            assert kind == "edit" and f"(2/{len(lesson.all_cards)})" in edited["text"]

        asyncio.run(scenario())

        # A redelivered update (same update_id) is not processed twice.
        before = standin.activity(person.chat_id)
        update = {"update_id": 424242, "message": {
            "message_id": 77, "date": 0, "chat": {"id": 7001, "type": "private", "first_name": "X"},
            "from": {"id": 7001, "is_bot": False, "first_name": "X"}, "text": "/bantuan",
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}]}}
        for _ in range(2):
            standin.push_raw(json.dumps(update).encode(), secret=SECRET)
        asyncio.run(person.settle(before, timeout=30))
        time.sleep(1.5)
        answers = [m for _, m in standin.events(person.chat_id, before)]
        assert len(answers) == 1 and "/belajar" in answers[0]["text"]

        # Malformed, oversized and unknown updates are logged and skipped; the bot goes on.
        standin.push_raw(b"{not json", secret=SECRET)
        standin.push_raw(b'{"update_id": 1, "x": "' + b"a" * 1_100_000 + b'"}', secret=SECRET)
        standin.push_raw(json.dumps({"update_id": 515151, "some_future_update": {"id": 1}}).encode(), secret=SECRET)
        time.sleep(1.5)
        assert standin.webhook_responses[-3:] == [200, 200, 200]
        before = standin.activity(person.chat_id)
        events = asyncio.run(person.say("/menu"))
        assert "Apa yang ingin Anda lakukan" in texts(events)

        import urllib.request

        health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read())
        assert health["status"] == "ok" and health["database"] is True
        metrics_text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert "lindungi_messages_total" in metrics_text and 'reason="malformed"' in metrics_text

        before = standin.activity(person.chat_id)
        forged = json.dumps({"update_id": 999999, "message": {
            "message_id": 1, "date": 0, "chat": {"id": 7001, "type": "private"},
            "from": {"id": 7001, "is_bot": False, "first_name": "X"}, "text": "/menu"}}).encode()
        standin.push_raw(forged, secret="wrong-secret")
        time.sleep(2)
        assert standin.webhook_responses[-1] == 403
        assert standin.activity(person.chat_id) == before, "an update with a wrong secret is not processed"
        assert 403 not in standin.webhook_responses[:-1]
    finally:
        stop(bot)
        log.close()
    assert_clean_run(tmp_path, standin)
