"""The staff dashboard: a small Starlette app with server-rendered Jinja2 pages.

Every page needs a logged-in staff member (else 302 to /login); every form carries the session's
CSRF token; every staff action is written to the audit log. Personal data stays masked unless an
admin reveals it, and the reveal is audited.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.dashboard import pages
from bot.dashboard.facts_page import facts_page
from bot.dashboard.staff import ROLES, authenticate
from bot.knowledge import Knowledge
from bot.privacy import Vault
from bot.storage.database import Database
from bot.storage.models import Staff

HERE = Path(__file__).parent
ALL = ROLES
# Who may open what: agents answer people, reviewers teach the bot and process applications.
CAN = {
    "conversations": ALL, "insights": ALL,
    "review": ("admin", "reviewer"), "applications": ("admin", "reviewer"),
    "handoffs": ("admin", "agent"), "reveal": ("admin",), "audit": ("admin",),
    "facts": ("admin", "reviewer"),
}


@dataclass
class Deps:
    database: Database
    vault: Vault
    knowledge: Knowledge
    reviewed_dir: Path
    intents: list[str]

    @property
    def labels(self) -> list[str]:
        """What a reviewer may label a message as: each intent, then the topics under it."""
        answers = self.knowledge.answers.answers
        labels = []
        for intent in self.intents:
            labels.append(intent)
            labels += [f"{intent}/{topic}" for topic in (answers[intent].topics if intent in answers else ())]
        return labels


def create_app(database: Database, vault: Vault, knowledge: Knowledge, intents: list[str],
               reviewed_dir: Path = Path("nlu/data/reviewed"), secret: bytes | None = None,
               https_only: bool = False) -> Starlette:
    deps = Deps(database, vault, knowledge, Path(reviewed_dir), intents)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["can"] = lambda staff, page: staff is not None and staff.role in CAN[page]

    def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        context.update(request=request, staff=request.state.staff, csrf=_csrf(request),
                       flash=request.session.pop("flash", None),
                       query_without_page=urlencode([(k, v) for k, v in request.query_params.multi_items()
                                                     if k != "page"]))
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def page(area: str | None):
        """Only for logged-in staff whose role may see `area`; POSTs must carry the CSRF token."""
        def decorate(handler: Callable):
            @wraps(handler)
            async def endpoint(request: Request) -> Response:
                staff = _staff(request, deps)
                if staff is None:
                    return RedirectResponse(f"/login?next={request.url.path}", status_code=302)
                request.state.staff = staff
                if area is not None and staff.role not in CAN[area]:
                    return render(request, "error.html", 403, message="Peran Anda tidak boleh membuka halaman ini.")
                if request.method == "POST":
                    form = await request.form()
                    if not _csrf_ok(request, form.get("csrf")):
                        return PlainTextResponse("CSRF token salah atau tidak ada.", status_code=403)
                    request.state.form = form
                return await handler(request, deps, render)
            return endpoint
        return decorate

    async def login(request: Request) -> Response:
        request.state.staff = None
        if request.method == "GET":
            return render(request, "login.html", next=request.query_params.get("next", "/"))
        form = await request.form()
        if not _csrf_ok(request, form.get("csrf")):
            return PlainTextResponse("CSRF token salah atau tidak ada.", status_code=403)
        with database.transaction() as session:
            staff, problem = authenticate(session, str(form.get("name", "")), str(form.get("password", "")))
            staff_id = staff.id if staff else None
        if staff_id is None:
            message = ("Akun dikunci sementara karena terlalu banyak salah sandi. Coba lagi nanti."
                       if problem == "locked" else "Nama atau sandi salah.")
            return render(request, "login.html", 401, error=message, next=form.get("next", "/"))
        request.session.clear()
        request.session.update(staff_id=staff_id, csrf=secrets.token_urlsafe(24))
        target = str(form.get("next") or "/")
        return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/", 302)

    @page(None)
    async def logout(request: Request, deps: Deps, render) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=302)

    @page(None)
    async def home(request: Request, deps: Deps, render) -> Response:
        return RedirectResponse("/conversations", status_code=302)

    routes = [
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", home),
        Route("/conversations", page("conversations")(pages.conversations)),
        Route("/conversations/{user_id:int}", page("conversations")(pages.conversation)),
        Route("/review", page("review")(pages.review)),
        Route("/review/group", page("review")(pages.review_group)),
        Route("/review/label", page("review")(pages.review_label), methods=["POST"]),
        Route("/review/export", page("review")(pages.review_export), methods=["POST"]),
        Route("/review/export.yml", page("review")(pages.review_download)),
        Route("/handoffs", page("handoffs")(pages.handoff_list)),
        Route("/handoffs/{handoff_id:int}", page("handoffs")(pages.handoff_detail)),
        Route("/handoffs/{handoff_id:int}/reply", page("handoffs")(pages.handoff_reply), methods=["POST"]),
        Route("/handoffs/{handoff_id:int}/close", page("handoffs")(pages.handoff_close), methods=["POST"]),
        Route("/applications", page("applications")(pages.application_list)),
        Route("/applications/export.csv", page("applications")(pages.application_export)),
        Route("/applications/{app_id:int}", page("applications")(pages.application_detail)),
        Route("/applications/{app_id:int}/reveal", page("reveal")(pages.application_reveal), methods=["POST"]),
        Route("/applications/{app_id:int}/status", page("applications")(pages.application_status),
              methods=["POST"]),
        Route("/insights", page("insights")(pages.insights)),
        Route("/insights/{name}.csv", page("insights")(pages.insights_csv)),
        Route("/audit", page("audit")(pages.audit_page)),
        Route("/facts", page("facts")(facts_page)),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [Middleware(SessionMiddleware, secret_key=(secret or secrets.token_bytes(32)).hex(),
                             session_cookie="lindungi_staff", max_age=8 * 3600, same_site="strict",
                             https_only=https_only)]
    return Starlette(routes=routes, middleware=middleware)


def _staff(request: Request, deps: Deps) -> Staff | None:
    staff_id = request.session.get("staff_id")
    if not staff_id:
        return None
    with deps.database.transaction() as session:
        return session.get(Staff, staff_id)


def _csrf(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return request.session["csrf"]


def _csrf_ok(request: Request, sent) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and sent) and hmac.compare_digest(str(expected), str(sent))
