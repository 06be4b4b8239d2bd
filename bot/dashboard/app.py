"""The staff dashboard: a small Starlette app with server-rendered Jinja2 pages.

Every page needs a logged-in staff member (else 302 to /login); every form carries the session's
CSRF token; every staff action is written to the audit log. Personal data stays masked unless an
admin reveals it, and the reveal is audited.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.dashboard import pages, params, sessions, times
from bot.dashboard.facts_page import facts_page
from bot.dashboard.security import SecurityMiddleware
from bot.dashboard.staff import ROLES, audit, authenticate, current_address
from bot.knowledge import Knowledge
from bot.privacy import Vault
from bot.storage.database import Database
from bot.storage.models import now

HERE = Path(__file__).parent
STALE_FORM = ("Formulir ini sudah tidak berlaku (halamannya mungkin terlalu lama terbuka). "
              "Muat ulang halamannya, lalu coba lagi.")
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
    clock: Callable[[], dt.datetime] = now

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
               https_only: bool = False, clock: Callable[[], dt.datetime] = now) -> Starlette:
    """`clock` tells the time for session lifetimes, login delays and the insights' last day (tests
    move it)."""
    deps = Deps(database, vault, knowledge, Path(reviewed_dir), intents, clock)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["can"] = lambda staff, page: staff is not None and staff.role in CAN[page]
    templates.env.filters["wib"] = times.wib

    def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        context.update(request=request, staff=getattr(request.state, "staff", None), csrf=_csrf(request),
                       flash=request.session.pop("flash", None),
                       query_without_page=urlencode([(k, v) for k, v in request.query_params.multi_items()
                                                     if k != "page"]))
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def error(request: Request, status: int, message: str) -> HTMLResponse:
        """The friendly error page; works before the session layers ran (no session needed)."""
        staff = getattr(request.state, "staff", None)
        login = getattr(request.state, "login", None)
        context = {"request": request, "staff": staff, "csrf": login.csrf if login else "", "flash": None,
                   "message": message, "query_without_page": ""}
        return templates.TemplateResponse(request, "error.html", context, status_code=status)

    async def middleware_error(scope, status: int, message: str) -> Response:
        return error(Request(scope), status, message)

    def page(area: str | None):
        """Only for logged-in staff whose role may see `area`; POSTs must carry the CSRF token and keep
        every field within its length; bad parameters answer the friendly 400/404 page."""
        def decorate(handler: Callable):
            @wraps(handler)
            async def endpoint(request: Request) -> Response:
                token = request.cookies.get(sessions.COOKIE)
                with database.transaction() as session:
                    found = sessions.find(session, token, clock())
                if found is None:
                    response = RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=302)
                    if token:
                        response.delete_cookie(sessions.COOKIE, path="/")
                    return response
                request.state.login, request.state.staff = found
                address = current_address.set(_address(request))
                try:
                    if area is not None and request.state.staff.role not in CAN[area]:
                        return error(request, 403, "Peran Anda tidak boleh membuka halaman ini.")
                    if any(isinstance(v, int) and v > params.MAX_ID for v in request.path_params.values()):
                        return error(request, 404, "Data ini tidak ada.")
                    params.check_query(request.query_params)
                    if request.method == "POST":
                        form = await request.form(max_files=0, max_fields=params.MAX_FIELDS)
                        if not _same_token(request.state.login.csrf, form.get("csrf")):
                            return error(request, 403, STALE_FORM)
                        params.check_form(form)
                        request.state.form = form
                    return await handler(request, deps, render)
                except params.BadRequest as problem:
                    return error(request, problem.status, problem.message)
                finally:
                    current_address.reset(address)
            return endpoint
        return decorate

    async def login(request: Request) -> Response:
        request.state.staff = None
        if request.method == "GET":
            return render(request, "login.html", next=params.same_site(request.query_params.get("next")))
        form = await request.form(max_files=0, max_fields=params.MAX_FIELDS)
        if not _same_token(request.session.get("csrf"), form.get("csrf")):
            return error(request, 403, STALE_FORM)
        params.check_form(form)
        target = params.same_site(form.get("next"))
        moment, address = clock(), _address(request)
        token = current_address.set(address)
        try:
            with database.transaction() as session:
                result = authenticate(session, str(form.get("name", "")), str(form.get("password", "")),
                                      moment, address)
                if result.staff is not None:
                    cookie, _ = sessions.start(session, result.staff, moment, address,
                                               request.headers.get("user-agent"))
        finally:
            current_address.reset(token)
        if result.staff is None:
            if result.problem == "throttled":
                return render(request, "login.html", 429, next=target,
                              error=f"Terlalu banyak percobaan masuk. Coba lagi dalam {result.wait} detik.")
            return render(request, "login.html", 401, error="Nama atau sandi salah.", next=target)
        request.session.clear()
        response = RedirectResponse(target, 302)
        # No max-age: the cookie ends with the browser; the server ends the session well before that.
        response.set_cookie(sessions.COOKIE, cookie, httponly=True, samesite="strict", secure=https_only, path="/")
        return response

    @page(None)
    async def logout(request: Request, deps: Deps, render) -> Response:
        with database.transaction() as session:
            sessions.end(session, request.cookies.get(sessions.COOKIE))
            audit(session, request.state.staff, "logout", request.state.staff.name)
        request.session.clear()
        response = RedirectResponse("/login", status_code=302)
        response.delete_cookie(sessions.COOKIE, path="/")
        return response

    @page(None)
    async def home(request: Request, deps: Deps, render) -> Response:
        return RedirectResponse("/conversations", status_code=302)

    async def http_error(request: Request, problem: HTTPException) -> Response:
        messages = {404: "Halaman ini tidak ada.", 405: "Halaman ini tidak bisa dibuka dengan cara itu."}
        return error(request, problem.status_code, messages.get(problem.status_code, "Permintaan ini tidak bisa diproses."))

    async def bad_request(request: Request, problem: params.BadRequest) -> Response:
        return error(request, problem.status, problem.message)

    routes = [
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", home),
        Route("/conversations", page("conversations")(pages.conversations)),
        Route("/conversations/{user_id:int}", page("conversations")(pages.conversation)),
        Route("/conversations/{user_id:int}/reviewed", page("review")(pages.conversation_reviewed), methods=["POST"]),
        Route("/review", page("review")(pages.review)),
        Route("/review/group", page("review")(pages.review_group)),
        Route("/review/label", page("review")(pages.review_label), methods=["POST"]),
        Route("/review/undo", page("review")(pages.review_undo), methods=["POST"]),
        Route("/review/export", page("review")(pages.review_export), methods=["POST"]),
        Route("/review/export.yml", page("review")(pages.review_download)),
        Route("/handoffs", page("handoffs")(pages.handoff_list)),
        Route("/handoffs/{handoff_id:int}", page("handoffs")(pages.handoff_detail)),
        Route("/handoffs/{handoff_id:int}/reply", page("handoffs")(pages.handoff_reply), methods=["POST"]),
        Route("/handoffs/{handoff_id:int}/close", page("handoffs")(pages.handoff_close), methods=["POST"]),
        Route("/handoffs/{handoff_id:int}/timeline", page("handoffs")(pages.handoff_timeline)),
        Route("/handoffs/{handoff_id:int}/assign", page("handoffs")(pages.handoff_assign), methods=["POST"]),
        Route("/handoffs/{handoff_id:int}/note", page("handoffs")(pages.handoff_note), methods=["POST"]),
        Route("/handoffs/{handoff_id:int}/status", page("handoffs")(pages.handoff_state), methods=["POST"]),
        Route("/applications", page("applications")(pages.application_list)),
        Route("/applications/export.csv", page("applications")(pages.application_export)),
        Route("/applications/export-full", page("reveal")(pages.application_export_full), methods=["GET", "POST"]),
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
    middleware = [
        Middleware(SecurityMiddleware, error_page=middleware_error, https=https_only),
        # A signed browser-session cookie for the login form's CSRF token and flash messages only:
        # who is logged in is decided by the server-side session (bot/dashboard/sessions.py).
        Middleware(SessionMiddleware, secret_key=(secret or secrets.token_bytes(32)).hex(),
                   session_cookie="lindungi_form", max_age=None, same_site="strict", https_only=https_only),
    ]
    return Starlette(routes=routes, middleware=middleware,
                     exception_handlers={HTTPException: http_error, params.BadRequest: bad_request})


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _csrf(request: Request) -> str:
    """The logged-in session's CSRF token; before login, the login form's own."""
    login = getattr(request.state, "login", None)
    if login is not None:
        return login.csrf
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return request.session["csrf"]


def _same_token(expected, sent) -> bool:
    return bool(expected and sent) and hmac.compare_digest(str(expected), str(sent))
