"""The real python-telegram-bot Application, polling the stand-in Bot API server over loopback."""
from __future__ import annotations

import asyncio
import time

import pytest
import pytest_asyncio

from tests.telegram_standin import StandIn, buttons_of

TEST_FLOOD_LIMIT = 20       # scripted users type faster than people (the real limit is 8 in 10 s)


@pytest.fixture()
def standin():
    server = StandIn().start()
    yield server
    server.stop()


class Person:
    """One Telegram user talking to the bot through the stand-in."""

    def __init__(self, standin: StandIn, user_id: int, chat_id: int | None = None):
        self.standin, self.user_id = standin, user_id
        self.chat_id = chat_id or user_id

    async def settle(self, mark: int, timeout: float = 60.0, quiet: float = 0.5) -> list[tuple[str, dict]]:
        """Wait until the bot has acted in this chat and then gone quiet; what it did since `mark`."""
        deadline = time.monotonic() + timeout
        seen, last_change = mark, time.monotonic()
        while time.monotonic() < deadline:
            now = self.standin.activity(self.chat_id)
            if now != seen:
                seen, last_change = now, time.monotonic()
            elif now > mark and time.monotonic() - last_change >= quiet:
                break
            await asyncio.sleep(0.02)
        return self.standin.events(self.chat_id, mark)

    async def say(self, text: str) -> list[tuple[str, dict]]:
        mark = self.standin.activity(self.chat_id)
        self.standin.send_text(self.user_id, text, chat_id=self.chat_id,
                               chat_type="private" if self.chat_id == self.user_id else "group")
        return await self.settle(mark)

    async def send(self, push) -> list[tuple[str, dict]]:
        """Push a prepared update (sticker, edit, …) and wait for the reaction."""
        mark = self.standin.activity(self.chat_id)
        push()
        return await self.settle(mark)

    def last(self, with_button: str | None = None) -> dict:
        """The newest bot message (with a button whose label contains `with_button`, if given)."""
        messages = self.standin.bot_messages(self.chat_id)
        if with_button is not None:
            messages = [m for m in messages if any(with_button in label for label, _ in buttons_of(m))]
        assert messages, f"no bot message with a button {with_button!r}"
        return max(messages, key=lambda m: m["message_id"])

    async def press(self, label: str, message: dict | None = None) -> list[tuple[str, dict]]:
        message = message or self.last(with_button=label)
        matches = [data for text, data in buttons_of(message) if label in text]
        assert matches, f"no button {label!r} on: {[t for t, _ in buttons_of(message)]}"
        mark = self.standin.activity(self.chat_id)
        self.standin.press(self.user_id, message, matches[0])
        return await self.settle(mark)


def texts(events) -> str:
    return "\n---\n".join(message["text"] for _, message in events)


@pytest_asyncio.fixture()
async def telegram(standin, dialogue):
    """The bot running: Application initialised, post_init called, polling the stand-in."""
    from telegram import Update

    from bot.channels.telegram import TelegramChannel

    # Test users press buttons faster than people: a wider per-chat pace keeps the scenarios quick
    # (the pacing itself is tested in tests/channels/test_sender.py), and type faster too.
    channel = TelegramChannel(dialogue, outbox_interval=0.2, chat_rate=20, chat_burst=20, flood_limit=TEST_FLOOD_LIMIT)
    app = channel.build(standin.token, standin.base_url)
    await app.initialize()
    await app.post_init(app)      # starting by hand skips post_init (stack notes)
    await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await app.start()
    yield app
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    assert not standin.errors, standin.errors
    assert standin.callbacks == standin.answered_callbacks, "every callback query must be answered"


@pytest.fixture(scope="session")
def nlu_url(model_path, tmp_path_factory):
    """A real `python -m bot nlu-serve` on the test model, shared by the worker processes (NLU_URL)."""
    import os
    import subprocess
    import sys
    import urllib.error
    import urllib.request
    from pathlib import Path

    from tests.e2e.test_webhook import free_port

    port = free_port()
    log_path = tmp_path_factory.mktemp("nlu") / "server.log"
    log = open(log_path, "wb")
    env = dict(os.environ, LINDUNGI_MODEL=str(model_path), RASA_TELEMETRY_ENABLED="false", PYTHONWARNINGS="ignore")
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen([sys.executable, "-m", "bot", "nlu-serve", "--port", str(port)], cwd=root, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError):
            pass
        assert time.monotonic() < deadline, "the NLU server did not become ready"
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(30)
    log.close()
    assert "Traceback" not in log_path.read_text(errors="replace")


class Trace:
    """The phase markers the bot processes append to LINDUNGI_TRACE (bot/trace.py)."""

    BUSY = ("handler", "transaction", "committed", "send")

    def __init__(self, path):
        self.path = path
        path.touch()

    def lines(self) -> list[tuple[int, str, str]]:
        rows = []
        for line in self.path.read_text().splitlines():
            pid, phase, *detail = line.split(" ", 2)
            rows.append((int(pid), phase, detail[0] if detail else ""))
        return rows

    def of(self, pid: int) -> list[tuple[str, str]]:
        return [(phase, detail) for p, phase, detail in self.lines() if p == pid]

    def last(self, pid: int) -> tuple[str, str] | None:
        rows = self.of(pid)
        return rows[-1] if rows else None

    def in_flight(self, pid: int) -> list[int]:
        """The outbox rows `pid` began sending (a Bot API call) and never marked sent: Telegram may
        have shown them, so a dead process's successor may show them again. Any marker may come
        after such a send (the sender runs beside the handlers), so the last marker alone misses some."""
        rows = self.of(pid)
        sent = {int(d) for p, d in rows if p == "sent"}
        return [int(d) for p, d in rows if p == "send" and int(d) not in sent]

    def wait(self, pid: int, phases, since: int = 0, timeout: float = 60.0) -> tuple[str, str] | None:
        """The first marker of `pid` in `phases` after its first `since` markers (None on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.of(pid)[since:]
            found = next((row for row in rows if row[0] in phases), None)
            if found is not None:
                return found
            time.sleep(0.001)
        return None
