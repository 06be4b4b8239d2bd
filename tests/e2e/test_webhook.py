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


def wait_for_responses(standin, count: int, timeout: float = 30) -> None:
    """Until the webhook has answered `count` deliveries in all."""
    deadline = time.monotonic() + timeout
    while len(standin.webhook_responses) < count:
        assert time.monotonic() < deadline, standin.webhook_responses[-5:]
        time.sleep(0.02)


def test_webhook_mode_refuses_to_start_without_a_secret(standin, tmp_path):
    log = open(tmp_path / "bot.log", "wb")
    bot = start_bot(standin, tmp_path, "unused", log, LINDUNGI_WEBHOOK_PORT=str(free_port()),
                    NLU_URL="http://127.0.0.1:9", TELEGRAM_WEBHOOK_SECRET="",
                    extra_args=["--webhook", "http://127.0.0.1:1/telegram-hook"])
    try:
        assert bot.wait(120) == 2
    finally:
        stop(bot)
        log.close()
    output = (tmp_path / "bot.log").read_text()
    assert "TELEGRAM_WEBHOOK_SECRET" in output and "Traceback" not in output
    assert standin.webhook is None, "no webhook may be registered without a secret"
    assert not [method for method, _ in standin.calls if method == "setWebhook"]


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
        answered = len(standin.webhook_responses)
        for _ in range(2):
            standin.push_raw(json.dumps(update).encode(), secret=SECRET)
        wait_for_responses(standin, answered + 2)        # both stored (the second as a no-op) and answered
        asyncio.run(person.settle(before, timeout=30))
        answers = [m for _, m in standin.events(person.chat_id, before)]
        assert len(answers) == 1 and "/belajar" in answers[0]["text"]

        # Malformed, oversized and unknown updates are logged and skipped; the bot goes on.
        answered = len(standin.webhook_responses)
        standin.push_raw(b"{not json", secret=SECRET)
        standin.push_raw(b'{"update_id": 1, "x": "' + b"a" * 1_100_000 + b'"}', secret=SECRET)
        standin.push_raw(json.dumps({"update_id": 515151, "some_future_update": {"id": 1}}).encode(), secret=SECRET)
        wait_for_responses(standin, answered + 3)
        assert standin.webhook_responses[-3:] == [200, 200, 200]
        # A delivery cut off mid-body (Telegram's connection dropped) is no error; the bot goes on.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"POST /telegram-hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() +
                         b"\r\nContent-Length: 400\r\n\r\n{\"update_id\": 616161, \"message\": {")
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
        answered = len(standin.webhook_responses)
        standin.push_raw(forged, secret="wrong-secret")
        standin.push_raw(forged.replace(b"999999", b"999998"), secret=None)     # no secret header at all
        wait_for_responses(standin, answered + 2)
        assert standin.webhook_responses[-2:] == [403, 403]
        assert 403 not in standin.webhook_responses[:-2]
        # Refused before anything was stored: nothing can come of them later.
        assert standin.activity(person.chat_id) == before, "an update without the right secret is not processed"
        from sqlalchemy import create_engine, text

        engine = create_engine(f"sqlite:///{tmp_path / 'bot.db'}")
        with engine.connect() as db:
            stored = db.execute(text("select count(*) from updates where update_id in (999998, 999999)")).scalar()
        engine.dispose()
        assert stored == 0
    finally:
        stop(bot)
        log.close()
    assert_clean_run(tmp_path, standin)
