"""NLU_URL: the bot asks Rasa servers over HTTP; errors and timeouts fall back gracefully."""
from __future__ import annotations

import asyncio
import threading

import pytest
from aiohttp import web

from bot.engine.engine import Engine
from bot.engine.events import TextEvent
from bot.understanding import RemoteUnderstanding

pytestmark = pytest.mark.model


class RasaApi:
    """Rasa's `POST /model/parse` on loopback, answered by the real model; can fail or stall."""

    def __init__(self, understanding, mode: str = "ok"):
        self.understanding, self.mode, self.calls = understanding, mode, 0

    async def parse(self, request: web.Request) -> web.Response:
        self.calls += 1
        body = await request.json()
        if self.mode == "error":
            return web.json_response({"error": "boom"}, status=500)
        if self.mode == "slow":
            await asyncio.sleep(3600)             # stalls: never answers while the test runs
        u = await asyncio.to_thread(self.understanding.parse, body["text"])
        return web.json_response({"text": body["text"], "intent": {"name": u.intent, "confidence": u.confidence},
                                  "entities": list(u.entities),
                                  "intent_ranking": [{"name": n, "confidence": c} for n, c in u.ranking]})

    def start(self) -> str:
        ready = threading.Event()

        def serve():
            self.loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_post("/model/parse", self.parse)
            runner = web.AppRunner(app, shutdown_timeout=1)
            self.loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            self.loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
            ready.set()
            self.loop.run_forever()
            # Stopped: the stalled requests' handlers end here, not as pending tasks at exit.
            self.loop.run_until_complete(runner.cleanup())
            pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.close()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        ready.wait(10)
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_answers_come_from_the_remote_server(understanding, knowledge):
    server = RasaApi(understanding)
    url = server.start()
    try:
        remote = RemoteUnderstanding([url])
        reply = Engine(remote, knowledge).handle(TextEvent("brp iuran bpjs tk buat pedagang sebulan"))
        assert reply.understood.intent == "contribution_bpu" and "16.800" in reply.replies[0].text
    finally:
        server.stop()


def test_a_failing_or_slow_server_is_skipped_and_none_left_means_try_again(understanding, knowledge):
    broken, slow, good = RasaApi(understanding, "error"), RasaApi(understanding, "slow"), RasaApi(understanding)
    urls = [broken.start(), slow.start(), good.start()]
    try:
        remote = RemoteUnderstanding(urls, timeout=0.5)
        understood = remote.parse("cara klaim jht gimana")       # answered although one server never does
        assert understood.intent == "claim_jht"
        assert broken.calls and slow.calls and good.calls
        alone = RemoteUnderstanding(urls[:2], timeout=0.5)
        outcome = Engine(alone, knowledge).handle(TextEvent("cara klaim jht gimana"))
        assert outcome.understood.unavailable
        assert "Coba kirim lagi" in outcome.replies[0].text
    finally:
        for server in (broken, slow, good):
            server.stop()
