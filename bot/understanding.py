"""Understanding a message: the Rasa NLU model, loaded once, parsing off the event loop.

Loading a Rasa model takes tens of seconds and a parse blocks for ~10-20 ms, so a process loads
the model once (in the background if asked) and runs every parse on one worker thread with its own
event loop; callers either block (`parse`) or await (`aparse`) without stalling their own loop.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import re
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

os.environ["RASA_TELEMETRY_ENABLED"] = "false"
# TensorFlow's C++ start-up chatter and SQLAlchemy 2.0 notices from Rasa are not for users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

log = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
MAX_PARSE_CHARS = 1000   # longer messages are cut for the model (their start carries the question)
CACHE_SIZE = 20_000      # parsed texts kept per process (oldest dropped first)


@dataclass(frozen=True)
class Understood:
    text: str
    intent: str
    confidence: float
    entities: tuple[dict, ...] = ()
    ranking: tuple[tuple[str, float], ...] = ()
    unavailable: bool = False        # no model answered (remote servers down or too slow)

    @property
    def is_fallback(self) -> bool:
        return self.intent == FALLBACK_INTENT

    def entity(self, name: str):
        """The value of the first entity of this type, or None."""
        return next((e["value"] for e in self.entities if e.get("entity") == name), None)

    def entity_values(self) -> dict:
        values: dict = {}
        for e in self.entities:
            values.setdefault(e["entity"], e["value"])
        return values


def _plain_entities(entities: list[dict]) -> tuple[dict, ...]:
    keep = ("entity", "value", "start", "end", "confidence_entity", "extractor")
    return tuple({k: e[k] for k in keep if k in e} for e in entities)


def quiet_rasa() -> None:
    """Rasa's structlog prints every parse to stdout by default: keep warnings only, on stderr.

    Its imports also turn deprecation warnings of its dependencies back on ("once"); those are
    for Rasa's maintainers, not for our users.
    """
    import structlog

    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category)

    logging.getLogger("rasa").setLevel(logging.WARNING)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def for_model(text: str) -> str:
    """What the model reads: Rasa takes a leading "/" as an intent trigger ("/start" → intent
    "start"), so typed slashes are dropped; overly long texts are cut, and so are digit runs no
    amount has (a thousand 1s overflowed the amount reader)."""
    text = re.sub(r"\d{20,}", lambda match: match.group(0)[:19], text.lstrip("/").strip())
    return text[:MAX_PARSE_CHARS] or "?"


def understood_from(text: str, result: dict) -> Understood:
    """An Understood from Rasa's parse result (in-process, or `POST /model/parse` of `rasa run`)."""
    intent = result.get("intent") or {}
    return Understood(
        text=text,
        intent=intent.get("name") or FALLBACK_INTENT,
        confidence=float(intent.get("confidence") or 0.0),
        entities=_plain_entities(result.get("entities") or []),
        ranking=tuple((r["name"], float(r["confidence"])) for r in result.get("intent_ranking") or ()),
    )


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
        import httpx

        with self._lock:
            start = self._turn
            self._turn = (self._turn + 1) % len(self.urls)
        for step in range(len(self.urls)):
            url = self.urls[(start + step) % len(self.urls)]
            try:
                response = self._client.post(f"{url}/model/parse", json={"text": for_model(text)})
                response.raise_for_status()
                return understood_from(text, response.json())
            except (httpx.HTTPError, ValueError) as error:
                log.warning("NLU server %s failed: %s", url, error.__class__.__name__)
        return Understood(text=text, intent=FALLBACK_INTENT, confidence=0.0, unavailable=True)

    async def aparse(self, text: str) -> Understood:
        return await asyncio.to_thread(self.parse, text)

    def start_loading(self):
        return None

    def load(self) -> "RemoteUnderstanding":
        return self

    def close(self) -> None:
        self._client.close()


class Understanding:
    """The Rasa NLU model of one process."""

    def __init__(self, model_path: Path):
        self.model_path = Path(model_path)
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlu")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._agent = None
        self._ready = threading.Event()
        self._loading: concurrent.futures.Future | None = None
        # People ask the same short questions again and again ("brp iuran", "cara klaim jht").
        self._cache: dict[str, Understood] = {}
        self._cache_lock = threading.Lock()

    # Loading -------------------------------------------------------------------------------
    def start_loading(self) -> concurrent.futures.Future:
        """Begin loading in the background (idempotent)."""
        if self._loading is None:
            self._loading = self._executor.submit(self._load)
        return self._loading

    def load(self) -> "Understanding":
        self.start_loading().result()
        return self

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def _load(self) -> None:
        with warnings.catch_warnings():
            # Importing Rasa re-enables deprecation warnings of its dependencies mid-import, so
            # filters cannot hold them; drop whatever is shown until the import is done.
            warnings.showwarning = lambda *args, **kwargs: None
            from rasa.core.agent import Agent  # heavy import, only in the worker thread

        quiet_rasa()
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._agent = Agent.load(str(self.model_path))
        self._ready.set()
        log.info("NLU model loaded from %s", self.model_path)

    # Parsing -------------------------------------------------------------------------------
    def _parse_now(self, text: str) -> Understood:
        result = self._loop.run_until_complete(self._agent.parse_message(for_model(text)))
        return understood_from(text, result)

    def parse(self, text: str) -> Understood:
        """Parse, waiting for the model if it is still loading. Repeated texts come from a cache.
        If the model fails on a text, the result says so instead of raising."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        self.start_loading()
        try:
            return self._remember(text, self._executor.submit(self._parse_now, text).result())
        except Exception:
            log.exception("the NLU model failed on a message")
            return Understood(text=text, intent=FALLBACK_INTENT, confidence=0.0, unavailable=True)

    async def aparse(self, text: str) -> Understood:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        self.start_loading()
        return self._remember(text, await asyncio.wrap_future(self._executor.submit(self._parse_now, text)))

    def _remember(self, text: str, understood: Understood) -> Understood:
        with self._cache_lock:
            self._cache[text] = understood
            if len(self._cache) > CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
        return understood

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
