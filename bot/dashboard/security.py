"""One ASGI middleware around the whole dashboard: security headers on every response, a cap on
request bodies, and the friendly error page instead of a bare 500.

Headers: a strict Content-Security-Policy (only the dashboard's own files: no inline script, no
CDN, no framing, forms post only here), X-Frame-Options DENY, nosniff, no Referer, HSTS when the
dashboard is served over HTTPS, and `Cache-Control: no-store` on everything but /static, so pages
and downloads with personal data never stay in the browser's cache (Back after logout shows
nothing).
"""
from __future__ import annotations

import logging
from typing import Awaitable, Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.dashboard.params import MAX_BODY

CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
HSTS = "max-age=31536000; includeSubDomains"
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
log = logging.getLogger(__name__)


class _TooLarge(Exception):
    pass


class SecurityMiddleware:
    """`error_page(scope, status, message)` renders the dashboard's own error page."""

    def __init__(self, app: ASGIApp, error_page: Callable[[Scope, int, str], Awaitable[Response]],
                 https: bool = False, max_body: int = MAX_BODY):
        self.app, self.error_page, self.https, self.max_body = app, error_page, https, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        cacheable = scope.get("path", "").startswith("/static/")
        received = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {b"cache-control", b"pragma", b"strict-transport-security"} | {n for n, _ in HEADERS}
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() not in names]
                headers += HEADERS
                if not cacheable:
                    headers.append((b"cache-control", b"no-store"))
                if self.https:
                    headers.append((b"strict-transport-security", HSTS.encode()))
                message = {**message, "headers": headers}
            await send(message)

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _TooLarge()
            return message

        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        try:
            if declared.isdigit() and int(declared) > self.max_body:
                raise _TooLarge()
            await self.app(scope, counted_receive, send_with_headers)
        except _TooLarge:
            if started:
                raise
            response = await self.error_page(scope, 413, "Isian yang dikirim terlalu besar. Perpendek teksnya lalu "
                                                         "kirim lagi (tombol Kembali di browser menyimpan isian Anda).")
            await response(scope, receive, send_with_headers)
        except Exception:
            log.exception("dashboard request failed: %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = await self.error_page(scope, 500, "Maaf, terjadi kesalahan di server. Coba lagi sebentar "
                                                         "lagi; kalau terus terjadi, hubungi admin.")
            await response(scope, receive, send_with_headers)
