"""`make bench` part: simulated users talking to the real bot through the stand-in Bot API.

Each user runs a short realistic session (start, role, a lesson card or two, free questions, the
calculator) and waits for the bot's answer before the next message. Prints messages per second,
p50/p99 from update queued to first reply received, errors, and the process RSS.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

SESSION = [
    ("say", "/start"), ("press", "Saya pekerja"), ("say", "brp iuran bpjs tk buat ojol"),
    ("say", "/belajar"), ("press", "Jaminan Kecelakaan Kerja"), ("press", "Lanjut"),
    ("say", "kalo kecelakaan di jalan pulang kerja ditanggung ga"), ("press", "Lanjut belajar"),
    ("say", "/hitung"), ("press", "Saya pekerja mandiri"), ("press", "Pekerjaan lain"), ("say", "2,5jt"),
    ("say", "cara cairin jht gmn"), ("say", "makasih min"),
]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def run(users: int) -> None:
    from telegram import Update

    from bot.channels.telegram import TelegramChannel
    from bot.engine.dialogue import Dialogue
    from bot.privacy import Vault
    from bot.runtime import build_engine
    from bot.storage.database import Database
    from tests.telegram_standin import StandIn, buttons_of

    started = time.perf_counter()
    engine = build_engine()
    print(f"model loaded in {time.perf_counter() - started:.1f} s")
    workdir = tempfile.mkdtemp(prefix="lindungi-bench-")
    database = Database(f"sqlite:///{workdir}/bench.db")
    database.migrate()
    standin = StandIn().start()
    channel = TelegramChannel(Dialogue(engine, database, Vault(os.urandom(32))))
    app = channel.build(standin.token, standin.base_url)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await app.start()

    latencies: list[float] = []
    failures = 0

    async def one_user(user_id: int) -> None:
        nonlocal failures
        for action, value in SESSION:
            mark = standin.activity(user_id)
            if action == "say":
                standin.send_text(user_id, value)
            else:
                messages = [m for m in standin.bot_messages(user_id)
                            if any(value in label for label, _ in buttons_of(m))]
                if not messages:
                    failures += 1
                    continue
                message = max(messages, key=lambda m: m["message_id"])
                data = next(d for label, d in buttons_of(message) if value in label)
                standin.press(user_id, message, data)
            queued = time.monotonic()
            deadline = queued + 60
            while standin.activity(user_id) == mark and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            if standin.activity(user_id) == mark:
                failures += 1
                continue
            latencies.append(standin.event_time(user_id, mark) - queued)
            # Read the whole answer first: wait until the chat has been quiet for a moment (replies of
            # one turn arrive about a second apart under Telegram's per-chat pace).
            seen, quiet_since = standin.activity(user_id), time.monotonic()
            while time.monotonic() - quiet_since < 1.2:
                await asyncio.sleep(0.05)
                if standin.activity(user_id) != seen:
                    seen, quiet_since = standin.activity(user_id), time.monotonic()

    began = time.perf_counter()
    await asyncio.gather(*(one_user(7000 + n) for n in range(users)))
    elapsed = time.perf_counter() - began
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    standin.stop()

    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"telegram stand-in, {users} users x {len(SESSION)} messages, one process, polling:")
    print(f"  messages handled      {len(latencies)} in {elapsed:.1f} s "
          f"({len(latencies) / elapsed:.1f} messages/s; each user reads the whole answer before the next)")
    print(f"  update → reply        p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    print(f"  errors                {failures} missing replies, {len(standin.errors)} schema violations")
    print(f"  RSS                   {rss_mb():.0f} MB now, peak {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.users))


if __name__ == "__main__":
    main()
