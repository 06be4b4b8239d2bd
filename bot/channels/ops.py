"""Operations endpoints of a bot process: `GET /healthz` and `GET /metrics` (Prometheus).

Webhook workers serve them beside the webhook; a polling process serves them on their own port
(LINDUNGI_HEALTH_PORT) from a background thread.
"""
from __future__ import annotations

import asyncio
import threading

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import metrics


def ops_routes(dialogue) -> list[Route]:
    def ping() -> None:
        with dialogue.database.transaction() as session:
            session.execute(text("SELECT 1"))

    async def health(request: Request) -> Response:
        try:
            await asyncio.to_thread(ping)
            database = True
        except SQLAlchemyError:
            database = False
        understanding = dialogue.engine.understanding
        state = {"database": database, "nlu": "ready" if getattr(understanding, "ready", True) else "loading"}
        return JSONResponse({"status": "ok" if database else "degraded", **state},
                            status_code=200 if database else 503)

    async def prometheus(request: Request) -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    return [Route("/healthz", health), Route("/metrics", prometheus)]


def serve_in_background(dialogue, host: str, port: int) -> threading.Thread:
    """/healthz and /metrics on host:port from a daemon thread (uvicorn leaves signals alone there)."""
    import uvicorn

    # ws="none": no websockets needed, and Rasa pins an old websockets package.
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=ops_routes(dialogue)), host=host, port=port,
                                           ws="none", log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="ops-http", daemon=True)
    thread.start()
    return thread
