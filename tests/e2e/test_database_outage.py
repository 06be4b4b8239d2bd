"""The database goes away mid-conversation (a proxy in front of PostgreSQL is cut, then restored):
the user hears a polite "coba lagi sebentar", the worker does not crash, and once the database is
back the message Telegram delivers again is answered with every earlier answer kept."""
from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_ADMIN_URL, missing, postgres_available
from tests.e2e.conftest import Person, texts
from tests.e2e.test_restart import start_bot, stop
from tests.e2e.test_webhook import SECRET, free_port

pytestmark = [pytest.mark.e2e]


class CuttableProxy:
    """TCP proxy on loopback to PostgreSQL that can drop every connection and refuse new ones."""

    def __init__(self, target_port: int = 5432):
        self.target_port, self.port = target_port, free_port()
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.writers: set = set()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    async def _pipe(self, reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def up(self) -> None:
        async def start():
            self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port, reuse_address=True)
        asyncio.run_coroutine_threadsafe(start(), self.loop).result(5)

    def down(self) -> None:
        async def stop_all():
            self.server.close()
            for writer in list(self.writers):
                writer.close()
            self.writers.clear()
        asyncio.run_coroutine_threadsafe(stop_all(), self.loop).result(5)


def test_a_database_outage_is_survived(standin, tmp_path):
    if not postgres_available():
        missing("PostgreSQL not reachable: the outage test is skipped")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    proxy = CuttableProxy()
    proxy.up()
    url = PG_ADMIN_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}") + f"?options=-csearch_path%3D{schema}"
    port = free_port()
    log = open(tmp_path / "bot.log", "wb")
    bot = None
    try:
        from bot.storage.database import Database

        Database(url).migrate()
        bot = start_bot(standin, tmp_path, "unused", log, extra_args=["--webhook", f"http://127.0.0.1:{port}/tg"],
                        TELEGRAM_WEBHOOK_SECRET=SECRET, LINDUNGI_WEBHOOK_PORT=str(port), DATABASE_URL=url,
                        NLU_URL=f"http://127.0.0.1:{free_port()}", LINDUNGI_SECRET_KEY="k" * 44)
        deadline = time.monotonic() + 60
        while standin.webhook is None and time.monotonic() < deadline:
            time.sleep(0.2)
        person = Person(standin, 7301)

        async def before_outage():
            await person.say("/daftar")
            await person.press("Setuju")
            events = await person.press("Tidak usah")
            assert "NIK" in texts(events)

        asyncio.run(before_outage())
        proxy.down()
        mark = standin.activity(person.chat_id)
        standin.send_text(person.user_id, "3201011708900001")
        deadline = time.monotonic() + 30
        while "Coba kirim lagi sebentar" not in texts(standin.events(person.chat_id, mark)):
            assert time.monotonic() < deadline, texts(standin.events(person.chat_id, mark))
            time.sleep(0.05)
        proxy.up()                                   # back: Telegram's redelivery gets through
        events = asyncio.run(person.settle(mark, timeout=40, quiet=1.5))
        assert "nama lengkap" in texts(events), texts(events)
        assert bot.poll() is None, "the worker must not crash"

        async def after_outage():
            events = await person.say("siti aminah")
            assert "tanggal lahir" in texts(events)

        asyncio.run(after_outage())
    finally:
        if bot is not None:
            stop(bot)
        log.close()
        proxy.down()
        with admin.begin() as connection:
            connection.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()
    output = (tmp_path / "bot.log").read_text(errors="replace")
    assert "3201011708900001" not in output
