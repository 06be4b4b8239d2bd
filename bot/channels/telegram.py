"""Telegram adapter (python-telegram-bot 22): updates → dialogue events, replies → messages.

Private chats are the product. In groups Lindungi answers only commands (pointing to a private
chat) and messages that mention it (a plain answer, no flows). Every callback query is answered;
all text is sent as HTML with the engine's plain text escaped; long texts are split at Telegram's
limit; lesson cards are edited in place.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import html
import importlib.util
import logging
import sys
import time
import warnings
from collections import defaultdict, deque

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import MessageEntityType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.warnings import PTBUserWarning
from telegram.ext import (Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, Defaults,
                          MessageHandler, filters)

from bot.engine.dialogue import COMMANDS, Dialogue
from bot.engine.events import ButtonEvent, CommandEvent, ContactEvent, Event, OtherEvent, TextEvent, UserRef
from bot import metrics
from bot.channels.http import AiohttpRequest
from bot.channels.sender import IDLE_BEAT, IDLE_POLL, Sender
from bot.engine.outbox import run_housekeeping
from bot.engine.replies import Reply, split_reply, split_text

log = logging.getLogger(__name__)

# httpcore runs `import sniffio` on every Bot API request; when sniffio is not installed (anyio 4
# no longer needs it), each of those failed imports searched the whole sys.path again (measured:
# about a tenth of a typed message's CPU outside the parse). A None entry makes the import fail at
# once, and httpcore then assumes asyncio, as it did before.
if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None

MAX_TEXT = 4096
# What `Defaults` gives PTB's own methods, for the raw calls of `send`.
SEND_DEFAULTS = {"parse_mode": ParseMode.HTML.value, "link_preview_options": {"is_disabled": True}}
# `send` calls sendMessage and editMessageText through `do_api_request` on purpose.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.(sendMessage|editMessageText)'", category=PTBUserWarning)
# Typed text right after a start waits for the model this long, with a note after the first seconds.
MODEL_WAIT, MODEL_NOTE_AFTER = 30.0, 3.0
FLOOD_WINDOW, FLOOD_LIMIT = 10.0, 8      # more than 8 typed messages in 10 s from one chat is spam
CHUNK = 4000          # split below the limit, at a line break where possible
# Message kinds the bot cannot read, by the attribute Telegram sets.
OTHER_KINDS = ("sticker", "photo", "voice", "audio", "video", "video_note", "animation", "document",
               "location", "venue", "contact", "poll", "dice", "game", "story")


def keyboard_json(reply: Reply) -> dict | None:
    """The reply's keyboard as Bot API JSON: a contact request, removing the keyboard, or buttons."""
    if reply.contact_button:
        return {"keyboard": [[{"text": reply.contact_button, "request_contact": True}]],
                "resize_keyboard": True, "one_time_keyboard": True}
    if reply.remove_keyboard:
        return {"remove_keyboard": True}
    if not reply.buttons:
        return None
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.data} for b in row] for row in reply.rows()]}


def kind_of(message: Message) -> str:
    return next((kind for kind in OTHER_KINDS if getattr(message, kind, None)), "other")


def command_of(text: str) -> CommandEvent:
    """`/start@LindungiBot abc` → CommandEvent("start", "abc")."""
    head, _, payload = text.strip().partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    return CommandEvent(name, payload.strip())


class TelegramChannel:
    """Glue between python-telegram-bot and the dialogue; one per process."""

    def __init__(self, dialogue: Dialogue, outbox_interval: float = IDLE_POLL, housekeeping_interval: float = 60.0,
                 rate: float = 30.0, chat_rate: float = 1.0, chat_burst: float = 3.0,
                 flood_limit: int = FLOOD_LIMIT):
        self.dialogue = dialogue
        self.flood_limit = flood_limit
        self.outbox_interval = outbox_interval
        self.rate, self.chat_rate, self.chat_burst = rate, chat_rate, chat_burst
        self.sender: Sender | None = None
        # Dialogue turns run here, off the event loop; enough threads that buttons and form answers
        # (no model needed) never queue behind texts waiting for the model.
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="dialogue")
        self.housekeeping_interval = housekeeping_interval
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: dict[int, int] = defaultdict(int)
        self._tasks: list[asyncio.Task] = []
        self._recent: dict[int, deque] = defaultdict(deque)
        self._warned: dict[int, float] = {}

    @property
    def texts(self) -> dict:
        return self.dialogue.knowledge.texts["dialogue"]

    # Building -----------------------------------------------------------------------------
    def build(self, token: str, base_url: str, connect_timeout: float = 10.0, read_timeout: float = 20.0,
              polling: bool = True) -> Application:
        builder: ApplicationBuilder = (
            Application.builder()
            .token(token)
            .base_url(base_url)
            # aiohttp under PTB's own request handling (bot/channels/http.py: a quarter of httpx's CPU)
            .request(AiohttpRequest(connection_pool_size=16, connect_timeout=connect_timeout,
                                    read_timeout=read_timeout))
            .get_updates_request(AiohttpRequest(connect_timeout=connect_timeout, read_timeout=read_timeout + 30))
            .defaults(Defaults(parse_mode=ParseMode.HTML,
                               link_preview_options=LinkPreviewOptions(is_disabled=True)))
            .concurrent_updates(64)
            .post_init(self.post_init)
        )
        if not polling:
            builder = builder.updater(None)       # webhook workers take updates from the database
        app = builder.build()
        # Every message leaves through the one sender (rate limits, retries, exactly once).
        self.sender = Sender(self.dialogue.database, lambda chat, reply, edit: self.send(app.bot, chat, reply, edit),
                             rate=self.rate, per_chat_rate=self.chat_rate, per_chat_burst=self.chat_burst,
                             idle_beat=IDLE_BEAT)
        private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
        app.add_handler(CallbackQueryHandler(self.on_callback))
        app.add_handler(MessageHandler(private & filters.COMMAND, self.on_command))
        app.add_handler(MessageHandler(private & filters.CONTACT, self.on_contact))
        app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(MessageHandler(private & ~filters.TEXT, self.on_other))
        mention = filters.Entity(MessageEntityType.MENTION)
        app.add_handler(MessageHandler(groups & (filters.COMMAND | mention), self.on_group))
        app.add_error_handler(self.on_error)
        app.post_stop = self.post_stop
        return app

    async def post_init(self, app: Application) -> None:
        await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS.items()])
        self.dialogue.bot_username = app.bot.username or ""
        # The sender's own round (retries, reminders, agents' answers) and the periodic chores.
        self._tasks = [asyncio.create_task(self.sender.run(self.outbox_interval)),
                       asyncio.create_task(self._housekeeping_loop())]
        self.dialogue.engine.understanding.start_loading()      # if not loading yet (idempotent)

    async def post_stop(self, app: Application) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []

    async def _housekeeping_loop(self) -> None:
        while True:
            try:
                done = await asyncio.to_thread(run_housekeeping, self.dialogue)
                if any(done.values()) and self.sender is not None:
                    self.sender.wake()              # reminders queued: out now, not at the next poll
            except Exception:
                log.exception("housekeeping failed")
            await asyncio.sleep(self.housekeeping_interval)

    # Handlers -----------------------------------------------------------------------------
    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._process(update, context, command_of(update.effective_message.text))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # An edited message is read again as what the user now means (usually a typo fixed).
        await self._process(update, context, TextEvent(update.effective_message.text))

    async def on_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        contact = update.effective_message.contact
        own = contact.user_id is not None and contact.user_id == update.effective_user.id
        await self._process(update, context, ContactEvent(contact.phone_number, own))

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.edited_message is not None:
            return                          # an edited caption or live location: nothing to answer
        await self._process(update, context, OtherEvent(kind_of(update.effective_message)))

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        try:
            await query.answer()            # stop the button's spinner first, whatever follows
        except TelegramError as error:
            log.info("answerCallbackQuery failed: %s", error)
        message = query.message if isinstance(query.message, Message) else None
        if message is None or message.chat.type != "private":
            return
        await self._process(update, context, ButtonEvent(query.data or ""), pressed=message)

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        text = message.text or ""
        if text.startswith("/"):
            link = f"https://t.me/{context.bot.username}" if context.bot.username else None
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(self.texts["group_open"], url=link)]]) if link else None
            await self.sender.bucket.take()
            await message.reply_text(html.escape(self.texts["group_hint"]), reply_markup=markup)
            return
        mention = f"@{context.bot.username}" if context.bot.username else ""
        if not mention or mention.lower() not in text.lower():
            return
        question = text.replace(mention, " ").strip()
        outcome = await asyncio.to_thread(self.dialogue.engine.handle, TextEvent(question))
        for reply in outcome.replies:
            for piece in split_text(reply.text):
                await self.sender.bucket.take()
                await message.reply_text(html.escape(piece))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update failed: %s", context.error.__class__.__name__, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
            try:
                await self.sender.bucket.take()
                await context.bot.send_message(update.effective_chat.id, html.escape(self.texts["error"]))
            except TelegramError:
                log.warning("could not tell the user about the failure")

    # Processing ----------------------------------------------------------------------------
    async def _process(self, update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event,
                       pressed: Message | None = None) -> None:
        chat = update.effective_chat
        # Typed messages are what floods; button presses need no model and are taken in turn.
        if pressed is None and self.flooding(context.bot, chat.id):
            return
        who = UserRef("telegram", str(update.effective_user.id), str(chat.id))
        if isinstance(event, TextEvent):
            await self._wait_for_model(context.bot, chat.id, who)
        # One user's updates are handled in order; different users in parallel.
        self._waiting[chat.id] += 1
        try:
            async with self._locks[chat.id]:
                began = time.monotonic()
                outcome = await asyncio.get_running_loop().run_in_executor(
                    self._pool, self.dialogue.handle, who, event, update.update_id,
                    pressed.message_id if pressed is not None else None, True, self.sender.lease)
                metrics.HANDLE_SECONDS.observe(time.monotonic() - began)
                metrics.MESSAGES.labels(type(event).__name__.replace("Event", "").lower()).inc()
                if outcome.understood is not None:
                    metrics.CONFIDENCE.observe(outcome.understood.confidence)
                    if outcome.understood.is_fallback:
                        metrics.FALLBACKS.inc()
                if outcome.claimed:                 # claimed in the turn's transaction: send them
                    await self.sender.send_claimed(outcome.claimed)
                elif outcome.queued:
                    await self.sender.flush(str(chat.id))
                else:                               # the user was just deleted: nothing to queue for
                    await self.deliver(context.bot, chat.id, outcome.replies, pressed)
        finally:
            self._waiting[chat.id] -= 1
            if not self._waiting[chat.id]:
                self._waiting.pop(chat.id, None)
                self._locks.pop(chat.id, None)

    async def _wait_for_model(self, bot, chat_id: int, who: UserRef) -> None:
        """Typed text right after a start waits for the model instead of being bounced: a short
        "sebentar…" once loading takes longer than `MODEL_NOTE_AFTER`, and an answer once it is
        loaded (up to `MODEL_WAIT`; after that the dialogue's "not ready" reply). Buttons never wait."""
        understanding = self.dialogue.engine.understanding
        if getattr(understanding, "ready", True):
            return
        if await asyncio.to_thread(self.dialogue.answering_a_step, who):
            return                        # a typed answer to a flow step (a NIK, an income) needs no model
        loading = asyncio.wrap_future(understanding.start_loading())
        began = time.monotonic()
        try:
            await asyncio.wait_for(asyncio.shield(loading), MODEL_NOTE_AFTER)
            return
        except asyncio.TimeoutError:
            pass
        except Exception:                 # loading failed: the dialogue says it is not ready
            return
        await self._note(bot, chat_id, self.texts["model_loading"])
        try:
            await asyncio.wait_for(asyncio.shield(loading), max(0.0, MODEL_WAIT - (time.monotonic() - began)))
        except Exception:                 # too slow or failed: the dialogue answers "not ready"
            log.warning("typed message answered before the model was ready")

    def flooding(self, bot, chat_id: int) -> bool:
        """Per-user flood control: past the limit, one polite note, then silence until it calms.
        (Counted per process: a chat's updates reach one process at a time.)"""
        moment = time.monotonic()
        recent = self._recent[chat_id]
        recent.append(moment)
        while recent and moment - recent[0] > FLOOD_WINDOW:
            recent.popleft()
        if len(recent) <= self.flood_limit:
            if not recent:
                self._recent.pop(chat_id, None)
            return False
        metrics.UPDATES_SKIPPED.labels("flood").inc()
        if moment - self._warned.get(chat_id, 0) > FLOOD_WINDOW:
            self._warned[chat_id] = moment
            asyncio.create_task(self._note(bot, chat_id, self.texts["flood"]))
        return True

    async def _note(self, bot, chat_id: int, text: str) -> None:
        try:
            await self.deliver(bot, chat_id, [Reply(text)])
        except TelegramError as error:           # a courtesy note: not worth a retry
            log.info("note to a chat not delivered: %s", error.__class__.__name__)

    async def send(self, bot, chat_id, reply: Reply, edit_message_id: int | None = None) -> None:
        """One Bot API call for one reply (the sender decides when, and retries).

        Through PTB's `do_api_request`: the same request handling and errors as `send_message`,
        without building a `Message` from Telegram's answer, which nothing here reads (measured: a
        fifth of the call's CPU)."""
        fields = {"chat_id": int(chat_id), "text": html.escape(reply.text), **SEND_DEFAULTS}
        markup = keyboard_json(reply)
        if markup is not None:
            fields["reply_markup"] = markup
        if reply.edit and edit_message_id:
            try:
                await bot.do_api_request("editMessageText", {**fields, "message_id": int(edit_message_id)})
                return
            except BadRequest as error:
                if "not modified" in str(error).lower():
                    return
                log.info("edit failed (%s): sending a new message", error)
        await bot.do_api_request("sendMessage", fields)

    async def deliver(self, bot, chat_id: int, replies, pressed: Message | None = None) -> None:
        """Send directly, outside the outbox (errors while the database is away, deleted users)."""
        for reply in replies:
            for piece in split_reply(reply):
                if self.sender is not None:
                    await self.sender.bucket.take()
                await self.send(bot, chat_id, piece, pressed.message_id if pressed is not None else None)


def build_application(dialogue: Dialogue, token: str, base_url: str, rate: float = 30.0, chat_rate: float = 1.0,
                      chat_burst: float = 3.0, **options) -> Application:
    channel = TelegramChannel(dialogue, rate=rate, chat_rate=chat_rate, chat_burst=chat_burst)
    return channel.build(token, base_url, **options)
