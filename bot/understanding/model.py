"""The Rasa NLU model in this process, loaded once, parsing off the event loop in batches.

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
import sys
import threading
import time
import warnings
from pathlib import Path

from bot.understanding import reading
from bot.understanding.result import Understood, for_model, understood_from, unavailable

os.environ["RASA_TELEMETRY_ENABLED"] = "false"
# TensorFlow's C++ start-up chatter and SQLAlchemy 2.0 notices from Rasa are not for users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

log = logging.getLogger(__name__)

CACHE_SIZE = 20_000      # parsed texts kept per process (oldest dropped first)


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


class Understanding:
    """The Rasa NLU model of one process, served by one thread that parses in batches."""

    MAX_BATCH = 64

    def __init__(self, model_path: Path, linger: float = 0.0):
        self.model_path = Path(model_path)
        # A serving process (many users) lets a lone text wait up to `linger` seconds for others,
        # so they share one run of the pipeline: a run costs about 7 ms of fixed CPU before its
        # first text (12 ms a text alone, 5 ms each more). `bot ask` and the shell have no one to
        # wait for (0).
        self.linger = linger
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        self._loading: concurrent.futures.Future = concurrent.futures.Future()
        self._agent = None
        self._ready = threading.Event()
        # People ask the same short questions again and again ("brp iuran", "cara klaim jht").
        self._cache: dict[str, Understood] = {}
        self._raw_cache: dict[str, Understood] = {}
        self._cache_lock = threading.Lock()
        # LINDUNGI_NLU_CACHE=0 turns the cache off (benchmarks that measure the model itself).
        self.caching = os.environ.get("LINDUNGI_NLU_CACHE", "1") != "0"
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
            end = time.monotonic() + self.linger      # then whatever else has come in, up to MAX_BATCH
            while len(batch) < self.MAX_BATCH:
                try:
                    left = end - time.monotonic()
                    more = self._requests.get(timeout=left) if left > 0 else self._requests.get_nowait()
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
                future.set_result(unavailable(text))
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
        """Queue a text for the next batch as it is (not cached, not read sentence by sentence);
        the future gives its Understood."""
        self.start_loading()
        future: concurrent.futures.Future = concurrent.futures.Future()
        if self._closed:
            future.set_exception(RuntimeError("the NLU model was closed"))
            return future
        self._requests.put((text, future))
        if self._loading.done() and self._loading.exception() is not None:
            self._fail_waiting(self._loading.exception())
        return future

    def _submit_read(self, text: str) -> list[concurrent.futures.Future]:
        """The whole text and, for a long one, its sentences: all in the same batch."""
        return [self.submit(piece) for piece in reading.pieces(text)]

    def parse_many(self, texts: list[str], read: bool = True) -> list[Understood]:
        """Parse a list at once, uncached (evaluation and benchmarks); `read=False` takes each text
        as one piece, the way plain Rasa does (the stock baseline)."""
        if not read:
            return [f.result().with_text(t) for t, f in [(t, self.submit(for_model(t))) for t in texts]]
        submitted = [self._submit_read(text) for text in texts]
        return [reading.combine(text, [f.result() for f in futures]) for text, futures in zip(texts, submitted)]

    def parse(self, text: str) -> Understood:
        """Parse, waiting for the model if it is still loading. Repeated texts come from a cache.
        If the model fails on a text, the result says so instead of raising."""
        cached = self._cache.get(text) if self.caching else None
        if cached is not None:
            return cached
        try:
            futures = self._submit_read(text)
            return self._remember(text, reading.combine(text, [f.result() for f in futures]))
        except Exception:
            log.exception("the NLU model could not be used")
            return unavailable(text)

    async def aparse(self, text: str) -> Understood:
        cached = self._cache.get(text) if self.caching else None
        if cached is not None:
            return cached
        try:
            futures = self._submit_read(text)
            parsed = [await asyncio.wrap_future(f) for f in futures]
        except Exception:
            log.exception("the NLU model could not be used")
            return unavailable(text)
        return self._remember(text, reading.combine(text, parsed))

    async def araw(self, text: str, cache: bool = True) -> Understood:
        """The model's reading of exactly this text (no sentence reading), as Rasa's parse API
        gives it; repeated texts come from a cache unless `cache` is off."""
        cache = cache and self.caching
        cached = self._raw_cache.get(text) if cache else None
        if cached is not None:
            return cached
        try:
            understood = await asyncio.wrap_future(self.submit(text))
        except Exception:
            log.exception("the NLU model could not be used")
            return unavailable(text)
        return self._remember(text, understood, self._raw_cache) if cache else understood

    def _remember(self, text: str, understood: Understood, cache: dict | None = None) -> Understood:
        if understood.unavailable or not self.caching:
            return understood
        cache = self._cache if cache is None else cache
        with self._cache_lock:
            cache[text] = understood
            if len(cache) > CACHE_SIZE:
                cache.pop(next(iter(cache)))
        return understood

    def close(self) -> None:
        self._requests.put(None)
