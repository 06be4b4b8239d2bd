"""Understanding through NLU servers over HTTP (`NLU_URL`): `python -m bot nlu-serve` or `rasa run`."""
from __future__ import annotations

import asyncio
import logging
import threading

from bot.understanding import reading
from bot.understanding.result import Understood, understood_from, unavailable

log = logging.getLogger(__name__)


class RemoteUnderstanding:
    """Rasa servers (`rasa run --enable-api`) instead of an in-process model: NLU_URL=url[,url…].

    Requests go round-robin; a server that errs or is slower than the timeout is skipped for the
    next; when none answers, the result says so (`unavailable`) and the bot asks to try again.
    """

    ready = True

    def __init__(self, urls: list[str], timeout: float = 2.0):
        import httpx

        if not urls:
            raise ValueError("NLU_URL names no server")
        self.urls = [url.rstrip("/") for url in urls]
        self._client = httpx.Client(timeout=timeout)
        self._turn = 0
        self._lock = threading.Lock()

    def parse(self, text: str) -> Understood:
        """The whole text and, for a long one, each of its sentences (`reading`), combined."""
        whole, *sentences = reading.pieces(text)
        parsed = [self._parse_one(whole)]
        if not parsed[0].unavailable:          # no server answers: do not wait for each sentence too
            parsed += [self._parse_one(piece) for piece in sentences]
        return reading.combine(text, parsed)

    def parse_many(self, texts: list[str]) -> list[Understood]:
        return [self.parse(text) for text in texts]

    def _parse_one(self, text: str) -> Understood:
        import httpx

        with self._lock:
            start = self._turn
            self._turn = (self._turn + 1) % len(self.urls)
        for step in range(len(self.urls)):
            url = self.urls[(start + step) % len(self.urls)]
            try:
                response = self._client.post(f"{url}/model/parse", json={"text": text})
                response.raise_for_status()
                return understood_from(text, response.json())
            except (httpx.HTTPError, ValueError) as error:
                log.warning("NLU server %s failed: %s", url, error.__class__.__name__)
        return unavailable(text)

    async def aparse(self, text: str) -> Understood:
        return await asyncio.to_thread(self.parse, text)

    def start_loading(self):
        return None

    def load(self) -> "RemoteUnderstanding":
        return self

    def close(self) -> None:
        self._client.close()
