"""`python -m bot nlu-serve`: the NLU model as a small HTTP server that answers in batches.

It speaks the part of Rasa's HTTP API the bot uses (`POST /model/parse`, `GET /status`), so bot
workers point `NLU_URL` at it exactly as at `rasa run --enable-api`. The difference is inside:
concurrent requests are parsed together (bot/understanding.py), repeated texts come from a cache,
and the model loads without compiling a training step (nlu/components/diet.py). Bot workers that
use it keep no model of their own, so they stay small and start at once.

`GET /healthz` is 200 once the model is loaded, 503 while it loads. With `--processes N` the
server runs N processes, each with its own model (about 0.65 GB each), on one port.
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.config import Settings
from bot.understanding import Understanding, Understood

log = logging.getLogger(__name__)
MAX_TEXT_CHARS = 10_000


def parse_result(understood: Understood) -> dict:
    """Rasa's `POST /model/parse` body for one understood text."""
    return {
        "text": understood.text,
        "intent": {"name": understood.intent, "confidence": understood.confidence},
        "entities": [dict(e) for e in understood.entities],
        "intent_ranking": [{"name": name, "confidence": confidence} for name, confidence in understood.ranking],
        # Rasa's response-selector shape, so that clients read the topic as from `rasa run`.
        "response_selector": {"default": {
            "response": {"intent_response_key": understood.label if understood.topic else "",
                         "confidence": understood.topic_confidence},
            "ranking": [],
        }},
    }


def build_app(understanding: Understanding, cache: bool = True) -> Starlette:
    started = time.monotonic()

    async def parse(request: Request) -> Response:
        try:
            raw = await request.body()
        except ClientDisconnect:
            # The client went away before its body arrived (a bot worker killed or timed out
            # mid-request): nobody is left to answer, and that is no error of the server's.
            log.debug("client disconnected before sending its text")
            return Response(status_code=499)
        try:
            body = json.loads(raw)
            text = body["text"]
            if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'expected JSON {"text": "..."} of at most 10000 characters'},
                                status_code=400)
        if not understanding.ready:          # answer at once: the client may try another server
            return JSONResponse({"error": "the model is still loading"}, status_code=503)
        began = time.perf_counter()
        # The model's own reading of this text, like Rasa's API: a client reading a long message
        # sentence by sentence (bot.understanding.reading) sends each piece itself.
        understood = await understanding.araw(text, cache=cache)
        if understood.unavailable:
            return JSONResponse({"error": "the model could not parse this text"}, status_code=503)
        metrics.NLU_SECONDS.observe(time.perf_counter() - began)
        return JSONResponse(parse_result(understood))

    async def status(request: Request) -> Response:
        return JSONResponse({"model_file": understanding.model_path.name, "ready": understanding.ready,
                             "uptime_seconds": round(time.monotonic() - started, 1),
                             "batches": understanding.batches, "parsed_messages": understanding.batched_messages})

    async def health(request: Request) -> Response:
        if understanding.ready:
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "loading"}, status_code=503)

    async def prometheus(request: Request) -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    return Starlette(routes=[
        Route("/model/parse", parse, methods=["POST"]),
        Route("/status", status),
        Route("/healthz", health),
        Route("/metrics", prometheus),
    ])


def app_from_environment() -> Starlette:
    """The app of one server process (`--processes N` starts N, each with its own model)."""
    understanding = Understanding(Path(os.environ["LINDUNGI_MODEL"]), linger=Settings().nlu_linger_ms / 1000)
    understanding.start_loading()          # the server answers /healthz while the model loads
    return build_app(understanding, cache=os.environ.get("LINDUNGI_NLU_CACHE", "1") == "1")


def serve(model: Path, host: str, port: int, cache: bool = True, processes: int = 1) -> None:
    """Serve on host:port from `processes` processes sharing the socket (each parses in batches on
    its own core; the kernel spreads the connections)."""
    import uvicorn

    os.environ["LINDUNGI_MODEL"] = str(model)
    os.environ["LINDUNGI_NLU_CACHE"] = "1" if cache else "0"
    # ws="none": no websockets needed, and Rasa pins an old websockets package.
    uvicorn.run("bot.understanding.server:app_from_environment", factory=True, workers=processes if processes > 1 else None,
                host=host, port=port, ws="none", log_level="warning")
