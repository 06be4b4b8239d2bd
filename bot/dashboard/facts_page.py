"""The read-only "Fakta" page: every figure the bot may state, with its source, confidence, dates,
the day it next changes or must be re-checked, and the answers and lessons that state it."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot import clock
from bot.knowledge.catalog import due, rows

DUE_DAYS = 60


async def facts_page(request: Request, deps, render) -> Response:
    today = clock.today()
    try:
        days = max(0, min(int(request.query_params.get("due", "")), 3650))
    except ValueError:
        days = None
    listed = due(deps.knowledge, today, days) if days is not None else rows(deps.knowledge, today)
    soon = due(deps.knowledge, today, DUE_DAYS)
    return render(request, "facts.html", rows=listed, soon=soon, today=today, days=days, due_days=DUE_DAYS)
