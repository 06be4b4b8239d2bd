"""`python -m tests.bench_floor`: what the stack's own parts cost per typed message, in place.

A bare python-telegram-bot `Application` (the bot's aiohttp request, concurrent updates) polls
the stand-in Bot API while 16 users type the same distinct held-out questions as
`bench_overhead`; each update gets one reply through `do_api_request`. Three ways:

- `ptb`: nothing else (the floor of receiving and answering through PTB);
- `repository`: plus the database work of a turn through the bot's `Repository` (the update's
  status, the user and its open handoff, the user's change written back, two log rows, the update
  marked done, one reply queued with its lease) and the sender marking the reply sent in a second
  transaction, on SQLite, in the event loop;
- `sqlite3`: plus the same statements written by hand on the sqlite3 driver (the floor).

CPU of this process's threads per message (the stand-in's threads excluded), each way `--runs`
times, interleaved. The sqlite3 way is not the bot: it shows what the bot's database path costs
beside the bare driver in a real loop, where timing a statement alone in a tight loop flatters
SQLAlchemy (measured: through SQLAlchemy Core and the ORM 4.5 ms a message here, against 1.2 ms
for the same turn timed alone).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sqlite3
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
WAYS = ("ptb", "repository", "sqlite3")


def _stamp() -> str:
    """SQLAlchemy's SQLite text for a DateTime."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


class RepositoryTurn:
    def __init__(self, folder: Path):
        from bot.storage.database import Database

        from bot.channels.sender import Sender

        self.database = Database(f"sqlite:///{folder}/floor.db")
        self.database.migrate()
        self.sender = Sender(self.database, deliver=None)

    def turn(self, user_id: int, update_id: int, text: str) -> list[int]:
        from bot.storage.models import now
        from bot.storage.repository import Repository

        with self.database.transaction() as session:
            repo = Repository(session)
            if repo.update_done(update_id):
                return []
            user = repo.user("telegram", str(user_id), str(user_id))
            repo.open_handoff(user)
            user.data = {"context": {"update": update_id}}
            repo.log_many(user, [dict(direction="in", kind="text", text=text, intent="x", confidence=0.9, entities=[]),
                                 dict(direction="out", kind="reply", text="ok " * 100)])
            repo.save_user(user)                  # as Dialogue.handle does
            repo.finish_update(update_id, str(user_id))
            session.flush()                       # as the sender's lease does
            return repo.queue_replies(user, [(f"telegram:{update_id}:0", {"text": "ok"}, None)],
                                      {"next_attempt_at": now(), "claimed_by": "floor"})

    def mark(self, ids: list[int]) -> None:
        for row_id in ids:
            self.sender._finish(row_id, sent=True)           # the sender's own statement


class DriverTurn(RepositoryTurn):
    def __init__(self, folder: Path):
        super().__init__(folder)                        # the same migrated schema
        self.raw = sqlite3.connect(str(folder / "floor.db"), isolation_level=None, check_same_thread=False)
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            self.raw.execute(f"PRAGMA {pragma}")

    def turn(self, user_id: int, update_id: int, text: str) -> list[int]:
        cursor = self.raw.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        if cursor.execute("SELECT status FROM updates WHERE update_id = ?", (update_id,)).fetchone():
            cursor.execute("COMMIT")
            return []
        row = cursor.execute("SELECT id, chat_id, data FROM users WHERE channel = ? AND external_id = ?",
                             ("telegram", str(user_id))).fetchone()
        if row is None:
            cursor.execute("INSERT INTO users (channel, external_id, chat_id, data, created_at, updated_at) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           ("telegram", str(user_id), str(user_id), "{}", _stamp(), _stamp()))
            row = (cursor.lastrowid, str(user_id), "{}")
        data = {**json.loads(row[2]), "context": {"update": update_id}}
        cursor.execute("UPDATE users SET data = ?, updated_at = ? WHERE id = ?", (json.dumps(data), _stamp(), row[0]))
        cursor.executemany("INSERT INTO message_log (created_at, user_id, chat_id, direction, kind, text, intent, "
                           "confidence, entities) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [(_stamp(), row[0], row[1], "in", "text", text, "x", 0.9, "[]"),
                            (_stamp(), row[0], row[1], "out", "reply", "ok " * 100, None, None, None)])
        cursor.execute("INSERT INTO updates (update_id, chat_id, payload, status, attempts, received_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (update_id, row[1], "{}", "done", 1, _stamp()))
        cursor.execute("INSERT INTO outbox (user_id, chat_id, channel, kind, text, buttons, created_at, attempts, "
                       "idempotency_key, reply, next_attempt_at, claimed_by) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (row[0], row[1], "telegram", "reply", "ok", "[]", _stamp(), 0, f"telegram:{update_id}:0",
                        json.dumps({"text": "ok"}), _stamp(), "floor"))
        ids = [cursor.lastrowid]
        cursor.execute("COMMIT")
        return ids

    def mark(self, ids: list[int]) -> None:
        cursor = self.raw.cursor()
        for row_id in ids:
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("UPDATE outbox SET attempts = attempts + 1, last_error = NULL, claimed_by = NULL, "
                           "sent_at = ?, next_attempt_at = NULL WHERE id = ?", (_stamp(), row_id))
            cursor.execute("COMMIT")


def measure(way: str, texts: list[str], users: int) -> float:
    from telegram.ext import Application, MessageHandler, filters

    import bot.channels.telegram  # noqa: F401  (its filter: the bot sends through do_api_request on purpose)
    from bot.channels.http import AiohttpRequest
    from tests.bench_overhead import _thread_cpu, ask_many
    from tests.telegram_standin import StandIn

    folder = Path(tempfile.mkdtemp(prefix="lindungi-floor-"))
    store = {"ptb": None, "repository": RepositoryTurn, "sqlite3": DriverTurn}[way]
    store = store(folder) if store is not None else None
    standin = StandIn().start()

    async def on_text(update, context) -> None:
        chat = update.effective_chat.id
        ids = store.turn(chat, update.update_id, update.effective_message.text) if store is not None else []
        await context.bot.do_api_request("sendMessage", {"chat_id": chat, "text": "ok " * 100, "parse_mode": "HTML"})
        if ids:
            store.mark(ids)

    async def run() -> float:
        loop = asyncio.get_running_loop()
        app = (Application.builder().token(standin.token).base_url(standin.base_url)
               .request(AiohttpRequest(connection_pool_size=16)).get_updates_request(AiohttpRequest(read_timeout=50))
               .concurrent_updates(64).build())
        app.add_handler(MessageHandler(filters.TEXT, on_text))
        await app.initialize()
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        await app.start()
        driver = ThreadPoolExecutor(2, thread_name_prefix="telegram-standin-users")
        people = [60_000 + n for n in range(users)]
        await loop.run_in_executor(driver, ask_many, standin, people[:4], ["halo"] * 8)      # warm-up
        before = _thread_cpu()
        await loop.run_in_executor(driver, ask_many, standin, people, texts)
        after = _thread_cpu()
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        return sum(cpu - before.get(tid, (0.0, name))[0] for tid, (cpu, name) in after.items()
                   if not name.startswith("telegram-standin")) / len(texts)

    try:
        return asyncio.run(run())
    finally:
        standin.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--messages", type=int, default=80)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    from tests.bench_overhead import typed_questions

    texts = typed_questions(args.messages)
    found = {way: [] for way in WAYS}
    for _ in range(args.runs):                         # interleaved: the machine's drift hits each way alike
        for way in WAYS:
            found[way].append(measure(way, texts, args.users))
    print(f"the stack's floor: {args.messages} typed questions from {args.users} users, one reply each, CPU per "
          f"message of this process (stand-in excluded), {args.runs} interleaved runs:")
    for way in WAYS:
        print(f"  {way:<11} {' '.join(f'{cpu * 1000:5.2f}' for cpu in found[way])} ms")


if __name__ == "__main__":
    sys.exit(main())
