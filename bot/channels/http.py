"""python-telegram-bot's HTTP requests over aiohttp instead of httpx.

PTB's `BaseRequest` keeps everything that matters to the sender: the Bot API's answer parsed,
and its status codes turned into `RetryAfter`, `BadRequest`, `Forbidden`, `InvalidToken`,
`Conflict`, `ChatMigrated` or `NetworkError`. Only the transport is swapped: measured on loopback,
an httpx request cost about 0.7 ms CPU on the client side, an aiohttp one about 0.15 ms (aiohttp's
URL, header and HTTP parsing are in C), and a typed message makes two (its getUpdates and its
sendMessage). Parameters are sent as JSON (uploads as multipart form data). As with PTB's own
HTTPXRequest: a timeout raises `TimedOut`, including waiting for a free connection of the pool;
any other transport failure raises `NetworkError`; the system's proxy
settings (HTTPS_PROXY) are honoured; TLS is checked against certifi's certificates.
"""
from __future__ import annotations

import asyncio
import json
import ssl
import urllib.request

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


def _certificates() -> ssl.SSLContext:
    try:
        import certifi
    except ImportError:                    # pragma: no cover - httpx brings certifi
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


# Parameters go as one JSON body (the Bot API takes application/json for everything but uploads):
# encoded in C, where a form body percent-encodes every byte of a reply's text in Python.
_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A pool of keep-alive connections to the Bot API (one `aiohttp.ClientSession`)."""

    def __init__(self, connection_pool_size: int = 1, connect_timeout: float | None = 5.0,
                 read_timeout: float | None = 5.0, write_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0):
        self._pool_size = connection_pool_size
        self._connect_timeout, self._read_timeout = connect_timeout, read_timeout
        # aiohttp has no write timeout of its own: a request is bounded by the others (and, when
        # it uploads a file, by this total).
        self._write_timeout, self._media_write_timeout = write_timeout, media_write_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}       # by scheme://host: the proxy, read once

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=_certificates())
            # Proxies from the environment are read once per host (`_proxy`), as httpx reads them
            # once per client; aiohttp's trust_env would read them (and ~/.netrc) every request.
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})
            self._proxies = {}

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE,
                         pool_timeout=BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if request_data is not None and request_data.parameters and not files:
            body, headers = json.dumps(request_data.parameters).encode(), _JSON
        total = None
        if files:
            body = aiohttp.FormData(request_data.json_parameters)
            for name, value in files.items():
                filename, content, mimetype = value if isinstance(value, tuple) else (name, value, None)
                body.add_field(name, content, filename=filename, content_type=mimetype)
            media = self._media_write_timeout if isinstance(write_timeout, DefaultValue) else write_timeout
            total = None if media is None or read is None else media + read
        # `connect` in aiohttp includes waiting for a free connection of the pool: pool + connect.
        waiting = None if connect is None and pool is None else (connect or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(total=total, connect=waiting, sock_connect=connect, sock_read=read)
        try:
            async with self._session.request(method, url, data=body, headers=headers, timeout=timeout,
                                             proxy=self._proxy(url)) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error

    def _proxy(self, url: str) -> str | None:
        """HTTPS_PROXY / HTTP_PROXY / ALL_PROXY for this host unless NO_PROXY excludes it."""
        scheme, _, rest = url.partition("://")
        origin = f"{scheme}://{rest.split('/', 1)[0]}"
        if origin not in self._proxies:
            proxies = urllib.request.getproxies()
            host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
            bypass = proxies.get("no") is not None and urllib.request.proxy_bypass_environment(host, proxies)
            self._proxies[origin] = None if bypass else proxies.get(scheme) or proxies.get("all")
        return self._proxies[origin]
