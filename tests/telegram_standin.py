"""A stand-in Telegram Bot API server on loopback, for end-to-end tests and benchmarks.

It speaks the Bot API over HTTP to the real python-telegram-bot, holds the updates "users" send,
and checks every request the bot makes against the official schema (tests/data/telegram): an
unknown method, a missing required or unknown field, a wrong type, text over 4096 characters or
malformed HTML, callback_data over 64 bytes. Each violation is recorded in `errors` (tests fail on
any) and answered with HTTP 400/404 as Telegram would.

Run alone: `python -m tests.telegram_standin --port 8081` prints the base URL for
TELEGRAM_API_BASE_URL and offers a tiny console to talk to the bot.
"""
from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

SCHEMA = Path(__file__).with_name("data") / "telegram" / "bot-api-schema.json"
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
             "tg-emoji", "code", "pre", "blockquote"}
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^<>]*)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
TEXT_METHODS = {"sendMessage": "text", "editMessageText": "text"}


def parse_html(text: str) -> tuple[str | None, str]:
    """(problem or None, the text as the user sees it) for Telegram's HTML parse mode."""
    plain, stack, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            match = _TAG.match(text, i)
            if not match or match.group(2).lower() not in HTML_TAGS:
                return f"can't parse entities: unsupported start tag at byte offset {i}", ""
            closing, name = match.group(1), match.group(2).lower()
            if closing:
                if not stack or stack[-1] != name:
                    return f"can't parse entities: unmatched end tag {name!r}", ""
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
        elif ch == "&":
            match = _ENTITY.match(text, i)
            if not match:
                return f"can't parse entities: unescaped '&' at offset {i}", ""
            plain.append(html.unescape(match.group(0)))
            i = match.end()
        elif ch == ">":
            return f"can't parse entities: unescaped '>' at offset {i}", ""
        else:
            plain.append(ch)
            i += 1
    if stack:
        return f"can't parse entities: unclosed tag {stack[-1]!r}", ""
    return None, "".join(plain)


class Schema:
    def __init__(self, path: Path = SCHEMA):
        raw = json.loads(path.read_text(encoding="utf-8"))
        self.methods = {name: {f["name"]: f for f in m.get("fields", [])} for name, m in raw["methods"].items()}
        self.types = {name: {f["name"]: f for f in t.get("fields", [])} for name, t in raw["types"].items()}
        self.subtypes = {name: t.get("subtypes") or [] for name, t in raw["types"].items()}

    def check_value(self, value: Any, types: list[str], where: str) -> list[str]:
        """Problems with `value` against any of the schema type names (empty when one fits)."""
        attempts = [self._check_one(value, t, where) for t in types]
        if any(not problems for problems in attempts):
            return []
        return min(attempts, key=len)

    def _check_one(self, value: Any, type_name: str, where: str) -> list[str]:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{where}: expected {type_name}"]
            inner = type_name[len("Array of "):]
            problems = []
            for n, item in enumerate(value):
                problems += self._check_one(item, inner, f"{where}[{n}]")
            return problems
        simple = {"Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
                  "String": lambda v: isinstance(v, str),
                  "Boolean": lambda v: isinstance(v, bool),
                  "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                  "True": lambda v: v is True}
        if type_name in simple:
            return [] if simple[type_name](value) else [f"{where}: expected {type_name}, got {value!r:.40}"]
        if type_name in ("InputFile",):
            return []
        if self.subtypes.get(type_name):
            return self.check_value(value, self.subtypes[type_name], where)
        if type_name not in self.types:
            return []
        if not isinstance(value, dict):
            return [f"{where}: expected {type_name} object"]
        fields, problems = self.types[type_name], []
        for name, spec in fields.items():
            if spec.get("required") and name not in value:
                problems.append(f"{where}: {type_name} misses required field {name!r}")
        for name, item in value.items():
            if name not in fields:
                problems.append(f"{where}: {type_name} has unknown field {name!r}")
            else:
                problems += self.check_value(item, fields[name]["types"], f"{where}.{name}")
        if type_name == "InlineKeyboardButton":
            data = value.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                problems.append(f"{where}: callback_data must be 1-{MAX_CALLBACK_DATA} bytes, "
                                f"is {len(data.encode('utf-8'))}")
            optional = [k for k in value if k != "text"]
            if len(optional) != 1:
                problems.append(f"{where}: InlineKeyboardButton needs exactly one action field")
        return problems


def _decode(raw: str, types: list[str]) -> Any:
    """PTB sends form fields: strings as they are, everything else JSON-encoded."""
    if types == ["String"]:
        return raw
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw


@dataclass
class Fault:
    """An injected failure: the next `times` calls of `method` get this HTTP status."""

    method: str
    status: int
    times: int = 1
    retry_after: int | None = None
    delay: float = 0.0


@dataclass
class Chat:
    id: int
    type: str = "private"
    messages: dict[int, dict] = field(default_factory=dict)   # message_id -> current message
    events: list[tuple[str, dict]] = field(default_factory=list)  # ("send"|"edit", message) in order
    times: list[float] = field(default_factory=list)              # time.monotonic() of each event


class StandIn:
    def __init__(self, token: str = "123456:TEST-TOKEN", username: str = "LindungiTestBot",
                 schema: Path = SCHEMA, host: str = "127.0.0.1", port: int = 0):
        self.token, self.username = token, username
        self.schema = Schema(schema)
        self.host, self.port = host, port
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Lindungi",
                         "username": username, "can_join_groups": True,
                         "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.errors: list[str] = []
        self.calls: list[tuple[str, dict]] = []
        self.faults: list[Fault] = []
        # Seconds a method's call takes, as over the internet (half before Telegram accepts it, half
        # for the answer's way back); loopback answers in about a millisecond.
        self.latency: dict[str, float] = {}
        self.chats: dict[int, Chat] = {}
        self.answered_callbacks: set[str] = set()
        self.callbacks: set[str] = set()
        self.commands: list[dict] = []
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        # Webhook mode (after setWebhook): updates are POSTed to the bot, in order, retried on errors.
        self.webhook: dict | None = None
        self.webhook_responses: list[int] = []
        self.balance: list[str] = []
        self._balanced = 0
        self._webhook_queue: asyncio.Queue | None = None

    # Lifecycle -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    def start(self) -> "StandIn":
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._new_update = asyncio.Event()
            self._webhook_queue = asyncio.Queue()
            self._loop.create_task(self._webhook_sender())
            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_route("*", "/bot{token}/{method}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, self.host, self.port)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            pending = [t for t in asyncio.all_tasks(self._loop) if not t.done()]
            if pending:
                self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="telegram-standin", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            def halt() -> None:
                for task in asyncio.all_tasks(self._loop):
                    task.cancel()
                self._loop.stop()

            self._loop.call_soon_threadsafe(halt)
            self._thread.join(10)

    # What users do ---------------------------------------------------------------------------
    def _user(self, user_id: int, first_name: str = "Tester") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "id"}

    def _chat(self, chat_id: int, chat_type: str = "private") -> Chat:
        with self._lock:
            return self.chats.setdefault(chat_id, Chat(chat_id, chat_type))

    def _chat_object(self, chat: Chat, user: dict) -> dict:
        if chat.type == "private":
            return {"id": chat.id, "type": "private", "first_name": user["first_name"]}
        return {"id": chat.id, "type": chat.type, "title": "Grup Pedagang"}

    def _push(self, update: dict) -> dict:
        with self._lock:
            update["update_id"] = next(self._update_ids)
            if self.webhook is not None:
                self._loop.call_soon_threadsafe(self._webhook_queue.put_nowait, update)
                return update
            self._updates.append(update)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)
        return update

    def redeliver(self, update: dict) -> None:
        """Deliver an update again (same update_id), as Telegram does when it missed the answer."""
        self._loop.call_soon_threadsafe(self._webhook_queue.put_nowait, update)

    def push_raw(self, payload: bytes, secret: str | None = None) -> None:
        """Deliver arbitrary bytes to the webhook (malformed or oversized updates)."""
        self._loop.call_soon_threadsafe(self._webhook_queue.put_nowait, {"_raw": payload, "_secret": secret})

    async def _webhook_sender(self) -> None:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            while True:
                update = await self._webhook_queue.get()
                hook = self.webhook
                if hook is None:
                    continue
                raw = update.get("_raw")
                body = raw if raw is not None else json.dumps(update).encode()
                secret = update.get("_secret", hook.get("secret_token"))
                headers = {"Content-Type": "application/json"}
                if secret:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = secret
                for attempt in range(80):         # Telegram keeps retrying failed deliveries
                    url = hook["url"]
                    if self.balance:               # stand in for a load balancer over several workers
                        url = self.balance[self._balanced % len(self.balance)]
                        self._balanced += 1        # (a retry goes to the next one)
                    try:
                        async with session.post(url, data=body, headers=headers,
                                                timeout=aiohttp.ClientTimeout(total=10)) as response:
                            self.webhook_responses.append(response.status)
                            if response.status < 500 or raw is not None:
                                break
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        self.webhook_responses.append(0)
                    await asyncio.sleep(min(2.0, 0.25 * (attempt + 1)))

    def user_message(self, user_id: int, chat_id: int | None = None, chat_type: str = "private", **content) -> dict:
        chat = self._chat(chat_id or user_id, chat_type)
        user = self._user(user_id)
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self._chat_object(chat, user), "from": user, **content}
        return self._push({"message": message})

    def send_text(self, user_id: int, text: str, chat_id: int | None = None, chat_type: str = "private") -> dict:
        content: dict = {"text": text}
        entities = []
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        for match in re.finditer(r"@\w+", text):
            entities.append({"type": "mention", "offset": match.start(), "length": len(match.group(0))})
        if entities:
            content["entities"] = entities
        return self.user_message(user_id, chat_id, chat_type, **content)

    def send_sticker(self, user_id: int) -> dict:
        sticker = {"file_id": "CAACAgIAAxk", "file_unique_id": "AgAD", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}
        return self.user_message(user_id, sticker=sticker)

    def send_contact(self, user_id: int, phone: str, own: bool = True) -> dict:
        contact = {"phone_number": phone, "first_name": "Tester"}
        if own:
            contact["user_id"] = user_id
        return self.user_message(user_id, contact=contact)

    def send_location(self, user_id: int) -> dict:
        return self.user_message(user_id, location={"latitude": -6.2, "longitude": 106.8})

    def edit_text(self, user_id: int, original: dict, text: str) -> dict:
        message = dict(original["message"], text=text, edit_date=int(time.time()))
        return self._push({"edited_message": message})

    def press(self, user_id: int, message: dict, data: str) -> dict:
        query_id = str(next(self._callback_ids))
        with self._lock:
            self.callbacks.add(query_id)
        return self._push({"callback_query": {"id": query_id, "from": self._user(user_id), "message": message,
                                              "chat_instance": str(message["chat"]["id"]), "data": data}})

    # What the bot did ------------------------------------------------------------------------
    def activity(self, chat_id: int) -> int:
        with self._lock:
            chat = self.chats.get(chat_id)
            return len(chat.events) if chat else 0

    def events(self, chat_id: int, since: int = 0) -> list[tuple[str, dict]]:
        with self._lock:
            chat = self.chats.get(chat_id)
            return [(kind, dict(message)) for kind, message in (chat.events[since:] if chat else [])]

    def event_time(self, chat_id: int, index: int) -> float:
        with self._lock:
            return self.chats[chat_id].times[index]

    def bot_messages(self, chat_id: int) -> list[dict]:
        """The bot's messages in this chat as the user now sees them (edits applied)."""
        with self._lock:
            chat = self.chats.get(chat_id)
            return [dict(m) for m in chat.messages.values() if m["from"]["is_bot"]] if chat else []

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    def fail(self, method: str, status: int, times: int = 1, retry_after: int | None = None,
             delay: float = 0.0) -> None:
        with self._lock:
            self.faults.append(Fault(method, status, times, retry_after, delay))

    # Serving ---------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            return dict(body or {})
        form = await request.post()
        return {k: v for k, v in form.items() if isinstance(v, str)}

    def _error(self, status: int, description: str, record: bool = True, **parameters) -> web.Response:
        if record:
            with self._lock:
                self.errors.append(description)
        body = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if token != self.token:
            return self._error(401, "Unauthorized", record=False)
        raw = await self._params(request)
        fields = self.schema.methods.get(method)
        if fields is None:
            return self._error(404, f"Not Found: unknown method {method!r}")
        params, problems = {}, []
        for name, value in raw.items():
            if name not in fields:
                problems.append(f"{method}: unknown field {name!r}")
                continue
            params[name] = _decode(value, fields[name]["types"]) if isinstance(value, str) else value
            problems += self.schema.check_value(params[name], fields[name]["types"], f"{method}.{name}")
        for name, spec in fields.items():
            if spec.get("required") and name not in params:
                problems.append(f"{method}: missing required field {name!r}")
        if method in TEXT_METHODS and isinstance(params.get("text"), str):
            problem, plain = (parse_html(params["text"]) if params.get("parse_mode") == "HTML"
                              else (None, params["text"]))
            if problem:
                problems.append(f"{method}: {problem}")
            elif not 1 <= len(plain.strip()) <= MAX_TEXT:
                problems.append(f"{method}: text must be 1-{MAX_TEXT} characters, is {len(plain)}")
            params["_plain"] = plain
        with self._lock:
            self.calls.append((method, params))
        if problems:
            return self._error(400, "Bad Request: " + "; ".join(problems))
        latency = self.latency.get(method, 0.0)
        if latency:
            await asyncio.sleep(latency / 2)
        fault = self._take_fault(method)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status == 429:
                return self._error(429, f"Too Many Requests: retry after {fault.retry_after or 1}", record=False,
                                   retry_after=fault.retry_after or 1)
            return self._error(fault.status, "Injected failure", record=False)
        handler: Callable = getattr(self, f"_m_{method}", self._m_default)
        result = await handler(params)
        if latency:
            await asyncio.sleep(latency / 2)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method in (method, "*") and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    async def _m_default(self, params: dict) -> Any:
        return True

    async def _m_getMe(self, params: dict) -> dict:
        return self.bot_user

    async def _m_getMyCommands(self, params: dict) -> list:
        return self.commands

    async def _m_setMyCommands(self, params: dict) -> bool:
        self.commands = params.get("commands") or []
        return True

    async def _m_setWebhook(self, params: dict) -> Any:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    async def _m_deleteWebhook(self, params: dict) -> Any:
        self.webhook = None
        return True

    async def _m_getWebhookInfo(self, params: dict) -> dict:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _m_getUpdates(self, params: dict) -> list:
        if self.webhook is not None:
            return self._error(409, "Conflict: can't use getUpdates method while webhook is active", record=False)
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            with self._lock:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = self._updates[:limit]
                if ready or time.monotonic() >= deadline:
                    return ready
                self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass

    def _bot_message(self, chat_id: int, params: dict) -> dict:
        chat = self.chats.get(chat_id) or Chat(chat_id)
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": chat.type, "first_name": "Tester"}
                   if chat.type == "private" else {"id": chat_id, "type": chat.type, "title": "Grup"},
                   "from": self.bot_user, "text": params.get("_plain", params.get("text", ""))}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    @staticmethod
    def _as_sent(message: dict) -> dict:
        """What Telegram returns: a message carries only an inline keyboard, never a reply keyboard."""
        markup = message.get("reply_markup")
        if markup and "inline_keyboard" not in markup:
            message = {k: v for k, v in message.items() if k != "reply_markup"}
        return message

    async def _m_sendMessage(self, params: dict) -> Any:
        chat_id = int(params["chat_id"])
        message = self._bot_message(chat_id, params)
        with self._lock:
            chat = self.chats.setdefault(chat_id, Chat(chat_id))
            chat.messages[message["message_id"]] = message
            chat.events.append(("send", message))
            chat.times.append(time.monotonic())
        return self._as_sent(message)

    async def _m_editMessageText(self, params: dict) -> Any:
        chat_id, message_id = int(params.get("chat_id", 0)), int(params.get("message_id", 0))
        with self._lock:
            chat = self.chats.get(chat_id)
            old = chat.messages.get(message_id) if chat else None
            if old is None or not old["from"]["is_bot"]:
                return self._error(400, "Bad Request: message to edit not found", record=False)
            new = dict(old, text=params.get("_plain", params["text"]), edit_date=int(time.time()))
            new.pop("reply_markup", None)
            if params.get("reply_markup"):
                new["reply_markup"] = params["reply_markup"]
            if new.get("text") == old.get("text") and new.get("reply_markup") == old.get("reply_markup"):
                return self._error(400, "Bad Request: message is not modified", record=False)
            chat.messages[message_id] = new
            chat.events.append(("edit", new))
            chat.times.append(time.monotonic())
        return self._as_sent(new)

    async def _m_answerCallbackQuery(self, params: dict) -> Any:
        query_id = params["callback_query_id"]
        with self._lock:
            if query_id not in self.callbacks:
                return self._error(400, "Bad Request: query is too old or query ID is invalid")
            self.answered_callbacks.add(query_id)
        return True


def buttons_of(message: dict) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button on a bot message."""
    markup = message.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


def main() -> None:   # pragma: no cover - manual use
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    args = parser.parse_args()
    standin = StandIn(token=args.token, port=args.port).start()
    print(f"TELEGRAM_API_BASE_URL={standin.base_url}  TELEGRAM_BOT_TOKEN={args.token}")
    print("Type a message for the bot, or 'press N' to press button N of its last message. Ctrl-D quits.")
    user = 1001
    seen = 0
    try:
        while True:
            line = input("> ").strip()
            if line.startswith("press "):
                last = standin.bot_messages(user)[-1]
                label, data = buttons_of(last)[int(line.split()[1]) - 1]
                standin.press(user, last, data)
            elif line:
                standin.send_text(user, line)
            time.sleep(1.5)
            for kind, message in standin.events(user, seen):
                print(f"[{kind}] {message['text']}")
                for n, (label, _) in enumerate(buttons_of(message), 1):
                    print(f"   ({n}) {label}")
            seen = standin.activity(user)
            if standin.errors:
                print("SCHEMA ERRORS:", standin.errors)
    except (EOFError, KeyboardInterrupt):
        standin.stop()


if __name__ == "__main__":
    main()
