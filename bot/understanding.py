"""Understanding a message: the Rasa NLU model, loaded once, parsing off the event loop in batches.

A process loads the model once (in the background if asked) on one worker thread, which then runs
every parse; callers either block (`parse`) or await (`aparse`) without stalling their own loop.
Requests that arrive while a parse runs wait for the next one and go through the model together:
the pipeline's components take a list of messages, and nlu/components/diet.py predicts a whole
list in one TensorFlow call, so a busy process spends ~2 ms per message instead of ~8.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import queue
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
    """The Rasa NLU model of one process, served by one thread that parses in batches."""

    MAX_BATCH = 64

    def __init__(self, model_path: Path):
        self.model_path = Path(model_path)
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        self._loading: concurrent.futures.Future = concurrent.futures.Future()
        self._agent = None
        self._ready = threading.Event()
        # People ask the same short questions again and again ("brp iuran", "cara klaim jht").
        self._cache: dict[str, Understood] = {}
        self._cache_lock = threading.Lock()
        self._closed = False
        self.batches = 0                  # parses run, and messages in them (for `make bench`)
        self.batched_messages = 0

    # Loading -------------------------------------------------------------------------------
    def start_loading(self) -> concurrent.futures.Future:
        """Begin loading in the background (idempotent); the future resolves once loaded."""
        with self._thread_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="nlu", daemon=True)
                self._thread.start()
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
        self._agent = Agent.load(str(self.model_path))
        self._ready.set()
        log.info("NLU model loaded from %s", self.model_path)

    # The worker thread ---------------------------------------------------------------------
    def _serve(self) -> None:
        try:
            self._load()
        except BaseException as error:          # every waiting caller learns it, nobody hangs
            self._loading.set_exception(error)
            self._fail_waiting(error)
            return
        self._loading.set_result(None)
        while True:
            first = self._requests.get()
            if first is None:
                self._closed = True
                self._fail_waiting(RuntimeError("the NLU model was closed"))
                return
            batch = [first]
            while len(batch) < self.MAX_BATCH:
                try:
                    more = self._requests.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._requests.put(None)
                    break
                batch.append(more)
            self._run(batch)

    def _fail_waiting(self, error: BaseException) -> None:
        while True:
            try:
                item = self._requests.get_nowait()
            except queue.Empty:
                return
            if item is not None and not item[1].done():
                item[1].set_exception(error)

    def _run(self, batch: list[tuple[str, concurrent.futures.Future]]) -> None:
        texts = list(dict.fromkeys(for_model(text) for text, _ in batch))
        parsed: dict[str, dict] = {}
        try:
            parsed.update(zip(texts, self._parse_batch(texts)))
        except Exception:
            # One text the model cannot take must not cost the others their answer.
            for text in texts:
                try:
                    parsed[text] = self._parse_batch([text])[0]
                except Exception:
                    log.exception("the NLU model failed on a message")
        self.batches += 1
        self.batched_messages += len(texts)
        for text, future in batch:
            result = parsed.get(for_model(text))
            if result is None:
                future.set_result(Understood(text=text, intent=FALLBACK_INTENT, confidence=0.0,
                                             unavailable=True))
            else:
                future.set_result(understood_from(text, result))

    def _parse_batch(self, texts: list[str]) -> list[dict]:
        """Rasa's parse (`MessageProcessor._parse_message_with_graph`) of many messages at once:
        the same graph, run once with all of them as its input."""
        from rasa.core.channels.channel import UserMessage
        from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
        from rasa.shared.core.trackers import DialogueStateTracker

        processor = self._agent.processor
        target = processor.model_metadata.nlu_target
        results = processor.graph_runner.run(
            inputs={PLACEHOLDER_MESSAGE: [UserMessage(text) for text in texts],
                    PLACEHOLDER_TRACKER: DialogueStateTracker.from_events("lindungi", [])},
            targets=[target],
        )[target]
        return [{"text": text, "intent": {"name": None, "confidence": 0.0}, "entities": [],
                 **message.as_dict(only_output_properties=True)} for text, message in zip(texts, results)]

    # Parsing -------------------------------------------------------------------------------
    def submit(self, text: str) -> concurrent.futures.Future:
        """Queue a text for the next batch (not cached); the future gives its Understood."""
        self.start_loading()
        future: concurrent.futures.Future = concurrent.futures.Future()
        if self._closed:
            future.set_exception(RuntimeError("the NLU model was closed"))
            return future
        self._requests.put((text, future))
        if self._loading.done() and self._loading.exception() is not None:
            self._fail_waiting(self._loading.exception())
        return future

    def parse_many(self, texts: list[str]) -> list[Understood]:
        """Parse a list at once, uncached (evaluation and benchmarks)."""
        return [future.result() for future in [self.submit(text) for text in texts]]

    def parse(self, text: str) -> Understood:
        """Parse, waiting for the model if it is still loading. Repeated texts come from a cache.
        If the model fails on a text, the result says so instead of raising."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        try:
            return self._remember(text, self.submit(text).result())
        except Exception:
            log.exception("the NLU model could not be used")
            return Understood(text=text, intent=FALLBACK_INTENT, confidence=0.0, unavailable=True)

    async def aparse(self, text: str) -> Understood:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        try:
            understood = await asyncio.wrap_future(self.submit(text))
        except Exception:
            log.exception("the NLU model could not be used")
            return Understood(text=text, intent=FALLBACK_INTENT, confidence=0.0, unavailable=True)
        return self._remember(text, understood)

    def _remember(self, text: str, understood: Understood) -> Understood:
        if understood.unavailable:
            return understood
        with self._cache_lock:
            self._cache[text] = understood
            if len(self._cache) > CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
        return understood

    def close(self) -> None:
        self._requests.put(None)
