"""`make bench` part: what a typed message costs the running bot, measured from outside.

The polling bot (`python -m bot run`, the model in the process, SQLite) talks to the stand-in Bot
API. Its CPU time (from /proc) is read while it sits idle, and over distinct typed questions from
several users (held-out texts; each user waits for the whole answer before typing the next); the
idle rate (the quieter of two windows, before and after the questions) is subtracted. The same
texts also go through `python -m bot ask --jsonl` (the engine alone: parse and answer, no
database, no Telegram), one at a time, half just before the bot's round and half just after:
paired rounds, new texts each round. Prints
CPU per typed message both ways for each round, the ratios, and the idle CPU per second.
`--profile` instead drives the same application in this process under cProfile (event loop and
every worker thread) and prints where one typed message's time goes;
`--threads` runs it in this process without a profiler and prints the CPU of each kind of thread
(the model's, the turns', the event loop's). Figures only; nothing is asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
ROOT = Path(__file__).resolve().parents[1]
QUIET_AFTER = ("human_handoff", "delete_my_data")
WARM_USER = 40_000


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def typed_questions(count: int, seed: int = 5) -> list[str]:
    """Distinct held-out texts (both validation files), none with a long digit run (read as a NIK)."""
    from bot.understanding.files import REAL_TEST_FILE, TEST_FILE
    from bot.understanding.scoring import load_examples

    # Not the texts that hand the chat to staff or start deleting the user's data: after those the
    # bot rightly stops answering questions (they go to staff, or it waits for a yes).
    texts = [e.text for path in (TEST_FILE, REAL_TEST_FILE) for e in load_examples(path)
             if e.intent not in QUIET_AFTER]
    texts = [t for t in dict.fromkeys(texts) if not re.search(r"\d{8,}", re.sub(r"[\s.-]", "", t))]
    random.Random(seed).shuffle(texts)
    return texts[:count]


def settle(standin, chat: int, mark: int, quiet: float = 0.8, timeout: float = 60) -> bool:
    """Wait for the bot's first reply after `mark`, then until the chat has been quiet a moment."""
    began = time.monotonic()
    while standin.activity(chat) == mark:
        if time.monotonic() - began > timeout:
            return False
        time.sleep(0.01)
    seen, since = standin.activity(chat), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.02)
        if standin.activity(chat) != seen:
            seen, since = standin.activity(chat), time.monotonic()
    return True


def onboard(standin, users: list[int]) -> None:
    """/start and the role button: the measured messages are questions from known users."""
    from tests.telegram_standin import buttons_of

    for uid in users:
        mark = standin.activity(uid)
        standin.send_text(uid, "/start")
        settle(standin, uid, mark, quiet=0.3)
        message = max((m for m in standin.bot_messages(uid) if any("pekerja" in l.lower() for l, _ in buttons_of(m))),
                      key=lambda m: m["message_id"])
        mark = standin.activity(uid)
        standin.press(uid, message, next(d for l, d in buttons_of(message) if "pekerja" in l.lower()))
        settle(standin, uid, mark, quiet=0.3)


def wait_model(standin, not_ready: str, timeout: float = 300) -> None:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        mark = standin.activity(WARM_USER)
        standin.send_text(WARM_USER, "berapa iuran jkk untuk pedagang")
        settle(standin, WARM_USER, mark, quiet=0.3)
        texts = [m.get("text", "") for kind, m in standin.events(WARM_USER, mark)]
        if texts and not any(not_ready in t for t in texts):
            return
        time.sleep(1)
    raise RuntimeError("the model did not get ready")


def ask_many(standin, users: list[int], texts: list[str]) -> tuple[float, int]:
    """Each user types their share of `texts`, one at a time, reading the whole answer first."""
    per_user = [texts[n::len(users)] for n in range(len(users))]
    missing = 0

    def user(uid: int, mine: list[str]) -> None:
        nonlocal missing
        for text in mine:
            mark = standin.activity(uid)
            standin.send_text(uid, text)
            if not settle(standin, uid, mark):
                missing += 1

    began = time.monotonic()
    with ThreadPoolExecutor(len(users)) as pool:
        list(pool.map(user, users, per_user))
    return time.monotonic() - began, missing


def bot_env(standin, folder: Path, model: Path) -> dict:
    return dict(os.environ, NLU_URL="", TELEGRAM_BOT_TOKEN=standin.token, TELEGRAM_API_BASE_URL=standin.base_url,
                DATABASE_URL=f"sqlite:///{folder}/bench.db", LINDUNGI_MODEL=str(model),
                LINDUNGI_SECRET_KEY="c" * 44, LINDUNGI_TODAY="2026-11-23", PYTHONWARNINGS="ignore",
                LINDUNGI_HEALTH_PORT="0", LINDUNGI_DATA_DIR=str(folder),
                # Telegram's per-chat pace (1 a second) only stretches the run: CPU is what is measured.
                LINDUNGI_CHAT_RATE="20", LINDUNGI_CHAT_BURST="20")


def idle_rate(pid: int, seconds: float) -> float:
    """CPU seconds per second of a process left alone for `seconds`."""
    cpu0, t0 = proc_cpu(pid), time.monotonic()
    time.sleep(seconds)
    return (proc_cpu(pid) - cpu0) / (time.monotonic() - t0)


class AskProcess:
    """`python -m bot ask --jsonl`, model loaded and warmed up once; `cpu_per_text` measures."""

    def __init__(self, model: Path):
        env = dict(os.environ, LINDUNGI_MODEL=str(model), PYTHONWARNINGS="ignore", LINDUNGI_TODAY="2026-11-23")
        self.errors = tempfile.TemporaryFile()
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "ask", "--jsonl"], cwd=ROOT, env=env,
                                        text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors)
        for text in ("berapa iuran jkk untuk pedagang", "halo min"):
            self.answer(text)

    def answer(self, text: str) -> dict:
        self.process.stdin.write(text.replace("\n", " ") + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            self.errors.seek(0)
            raise RuntimeError("`bot ask --jsonl` stopped: " + self.errors.read().decode(errors="replace")[-2000:])
        return json.loads(line)

    def cpu_per_text(self, texts: list[str]) -> float:
        """CPU per text over these texts, one at a time (distinct texts: its cache never answers)."""
        cpu0 = proc_cpu(self.process.pid)
        for text in texts:
            self.answer(text)
        return (proc_cpu(self.process.pid) - cpu0) / len(texts)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(30)


def measure(model: Path, rounds: list[list[str]], users: int, idle_seconds: float) -> dict:
    """Paired rounds: each round's distinct texts go to the running bot and, half just before and
    half just after, to `bot ask`.

    This machine's speed drifts by 20-30% over minutes (other tenants); a round's two figures are
    taken around the same seconds, so their ratio is compared like with like."""
    from bot.channels.telegram import FLOOD_WINDOW
    from bot.knowledge import default_knowledge
    from tests.telegram_standin import StandIn

    folder = Path(tempfile.mkdtemp(prefix="lindungi-overhead-"))
    standin = StandIn().start()
    log = open(folder / "bot.log", "wb")
    bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=bot_env(standin, folder, model),
                           stdout=log, stderr=subprocess.STDOUT)
    ask = None
    try:
        wait_model(standin, default_knowledge().texts["not_ready"])
        people = [60_000 + n for n in range(users)]
        onboard(standin, people)
        ask = AskProcess(model)
        time.sleep(2)                                   # the last replies' bookkeeping is done
        before = idle_rate(bot.pid, idle_seconds)
        measured = []
        for number, texts in enumerate(rounds):
            if number:
                time.sleep(FLOOD_WINDOW)        # or the users' next questions would count as a flood
            # `bot ask` reads half the texts just before the bot's round and half just after, so a
            # drift of the machine's speed during the round weighs on both figures alike.
            early, late = texts[::2], texts[1::2]
            ask_cpu = ask.cpu_per_text(early) * len(early)
            cpu0 = proc_cpu(bot.pid)
            sent0 = sum(standin.activity(uid) for uid in people)
            elapsed, missing = ask_many(standin, people, texts)
            busy = proc_cpu(bot.pid) - cpu0
            replies = sum(standin.activity(uid) for uid in people) - sent0
            ask_cpu += ask.cpu_per_text(late) * len(late)
            measured.append({"busy": busy, "elapsed": elapsed, "missing": missing, "replies": replies,
                             "texts": len(texts), "ask": ask_cpu / len(texts)})
        time.sleep(2)
        after = idle_rate(bot.pid, idle_seconds)
        # The window before can still hold the warm-up's tail (measured: 37-81 ms/s, against 1-2
        # after); subtracting it would flatter the questions' CPU: the quieter window is subtracted.
        idle = min(before, after)
        for one in measured:
            one["per_message"] = (one["busy"] - idle * one["elapsed"]) / one["texts"]
            one["ratio"] = one["per_message"] / one["ask"]
        return {"idle": idle, "idle_windows": (before, after), "rounds": measured,
                "schema_errors": len(standin.errors)}
    finally:
        if ask is not None:
            ask.close()
        bot.send_signal(signal.SIGINT)
        try:
            bot.wait(30)
        except subprocess.TimeoutExpired:
            bot.kill()
        standin.stop()
        log.close()


# Profiling --------------------------------------------------------------------------------------
class _Profiled:
    """One cProfile.Profile per thread; all of them merged at the end."""

    def __init__(self):
        self.local = threading.local()
        self.all: list[cProfile.Profile] = []
        self.lock = threading.Lock()

    def mine(self) -> cProfile.Profile:
        profile = getattr(self.local, "profile", None)
        if profile is None:
            profile = self.local.profile = cProfile.Profile(time.thread_time)      # CPU, not waiting
            with self.lock:
                self.all.append(profile)
        return profile

    def wrap(self, fn):
        def run(*args, **kwargs):
            return self.mine().runcall(fn, *args, **kwargs)
        return run

    def stats(self) -> pstats.Stats:
        out = io.StringIO()
        stats = pstats.Stats(self.all[0], stream=out)
        for profile in self.all[1:]:
            stats.add(profile)
        return stats


class _ProfilingExecutor(ThreadPoolExecutor):
    def __init__(self, profiled: _Profiled, **kwargs):
        super().__init__(**kwargs)
        self.profiled = profiled

    def submit(self, fn, /, *args, **kwargs):
        return super().submit(self.profiled.wrap(fn), *args, **kwargs)


async def _start_polling(channel, standin, driver, users: int, warm: list[str]):
    """The application polling the stand-in, its users onboarded and a few warm-up texts answered
    (not measured); returns the application and the users."""
    from telegram import Update

    loop = asyncio.get_running_loop()
    app = channel.build(standin.token, standin.base_url)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0.0, timeout=10, allowed_updates=Update.ALL_TYPES)
    await app.start()
    people = [60_000 + n for n in range(users)]
    await loop.run_in_executor(driver, onboard, standin, people)
    await loop.run_in_executor(driver, ask_many, standin, people[:4], warm)
    await asyncio.sleep(1)
    return app, people


async def _stop(app) -> None:
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


def profile_messages(texts: list[str], warm: list[str], users: int, top: int, dump: str = "") -> None:
    from bot.channels.telegram import TelegramChannel
    from bot.config import Settings
    from bot.runtime import build_dialogue
    from tests.telegram_standin import StandIn

    folder = Path(tempfile.mkdtemp(prefix="lindungi-profile-"))
    os.environ.update(DATABASE_URL=f"sqlite:///{folder}/bench.db", LINDUNGI_SECRET_KEY="c" * 44,
                      LINDUNGI_TODAY="2026-11-23", LINDUNGI_DATA_DIR=str(folder), NLU_URL="")
    standin = StandIn().start()
    dialogue = build_dialogue(Settings(), background=False, wait_for_model=True, serving=True)
    profiled = _Profiled()
    channel = TelegramChannel(dialogue, chat_rate=20, chat_burst=20)
    channel._pool = _ProfilingExecutor(profiled, max_workers=32, thread_name_prefix="dialogue")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(_ProfilingExecutor(profiled, max_workers=8))      # asyncio.to_thread
        driver = ThreadPoolExecutor(2)               # the simulated users: not profiled
        app, people = await _start_polling(channel, standin, driver, users, warm)
        for profile in profiled.all:
            profile.clear()
        main_profile = profiled.mine()
        main_profile.enable()
        sent0 = sum(standin.activity(uid) for uid in people)
        understanding = dialogue.engine.understanding
        parsed0 = getattr(understanding, "batched_messages", 0)
        elapsed, missing = await loop.run_in_executor(driver, ask_many, standin, people, texts)
        main_profile.disable()
        parsed = getattr(understanding, "batched_messages", 0) - parsed0
        replies = sum(standin.activity(uid) for uid in people) - sent0
        await _stop(app)
        print(f"profile of {len(texts)} typed messages from {users} users ({elapsed:.1f} s, {missing} missing, "
              f"{replies / len(texts):.1f} bot messages per question, {parsed / len(texts):.2f} texts through "
              f"the model per question, its sentences and readings in context included): "
              f"CPU time of the event loop and of every dialogue/database thread, merged; the model's own "
              f"thread (the parse) is not in it; figures per message:")

    cpu0 = time.process_time()
    asyncio.run(main())
    standin.stop()
    stats = profiled.stats()
    if dump:
        stats.dump_stats(dump)                      # for pstats: callers, callees
    stats.sort_stats("tottime")
    total = sum(tt for cc, nc, tt, ct, callers in stats.stats.values()) / len(texts)

    def share(*names: str) -> str:
        found = [ct for (path, line, name), (cc, nc, tt, ct, callers) in stats.stats.items()
                 if any(f"{Path(path).name}:{name}" == n for n in names)]
        return f"{max(found, default=0) / len(texts) * 1000:.1f} ms ({max(found, default=0) / len(texts) / total:.0%})"

    print(f"  in all {total * 1000:.1f} ms CPU per message in the profiled threads (cProfile's own cost included); "
          f"the turn (Dialogue.handle: answer, user, log, outbox rows, one transaction) "
          f"{share('dialogue.py:handle')}, PTB's getUpdates {share('_bot.py:get_updates')}, "
          f"sendMessage {share('telegram.py:send')}, marking it sent {share('sender.py:_finish')}")
    width = 88
    print(f"  {'own ms':>7} {'total ms':>8}  calls/msg  function")
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (path, line, name), (cc, nc, tt, ct, callers) in entries:
        where = f"{Path(path).name}:{line}({name})" if line else name
        print(f"  {tt / len(texts) * 1000:7.2f} {ct / len(texts) * 1000:8.2f}  {nc / len(texts):9.1f}  {where[:width]}")
    print("  by cumulative time (what a message goes through):")
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][3], reverse=True)
    shown = 0
    for (path, line, name), (cc, nc, tt, ct, callers) in entries:
        if "lindungi" not in path and "/bot/" not in path and "telegram" not in path and "sqlalchemy" not in path:
            continue
        where = f"{Path(path).parent.name}/{Path(path).name}:{line}({name})"
        print(f"  {ct / len(texts) * 1000:8.2f} ms  {nc / len(texts):6.1f}/msg  {where[:width]}")
        shown += 1
        if shown >= top:
            break
    print(f"  (this process's CPU over the whole profiled run, model load included: {time.process_time() - cpu0:.0f} s)")


def _thread_cpu() -> dict[int, tuple[float, str]]:
    """CPU seconds of each thread of this process, with its Python name ("native" for threads
    Python did not start: TensorFlow's)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    found = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(task.name)] = ((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"),
                                 names.get(int(task.name), "native"))
    return found


THREAD_GROUPS = (("nlu", "the model (its batches)"), ("native", "TensorFlow's own threads"),
                 ("dialogue", "turns (Dialogue.handle)"), ("MainThread", "event loop: PTB, sender"),
                 ("uvloop", "asyncio.to_thread: marking sent, beats"),
                 ("asyncio", "asyncio.to_thread: marking sent, beats"),
                 ("telegram-standin", "the stand-in (not the bot)"))


def split_by_thread(texts: list[str], warm: list[str], users: int) -> None:
    """The same application in this process, no profiler: CPU per question by thread."""
    from bot.channels.telegram import TelegramChannel
    from bot.config import Settings
    from bot.runtime import build_dialogue
    from tests.telegram_standin import StandIn

    folder = Path(tempfile.mkdtemp(prefix="lindungi-threads-"))
    os.environ.update(DATABASE_URL=f"sqlite:///{folder}/bench.db", LINDUNGI_SECRET_KEY="c" * 44,
                      LINDUNGI_TODAY="2026-11-23", LINDUNGI_DATA_DIR=str(folder), NLU_URL="")
    standin = StandIn().start()
    dialogue = build_dialogue(Settings(), background=False, wait_for_model=True, serving=True)
    channel = TelegramChannel(dialogue, chat_rate=20, chat_burst=20)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        driver = ThreadPoolExecutor(2, thread_name_prefix="telegram-standin-users")
        app, people = await _start_polling(channel, standin, driver, users, warm)
        understanding = dialogue.engine.understanding
        texts0, batches0 = understanding.batched_messages, understanding.batches
        before = _thread_cpu()
        elapsed, missing = await loop.run_in_executor(driver, ask_many, standin, people, texts)
        after = _thread_cpu()
        by_group: dict[str, float] = {}
        for tid, (cpu, name) in after.items():
            group = next((g for g, _ in THREAD_GROUPS if name.startswith(g)), "other")
            by_group[group] = by_group.get(group, 0.0) + cpu - before.get(tid, (0.0, name))[0]
        print(f"CPU by thread, {len(texts)} typed questions from {users} users in this process ({elapsed:.1f} s, "
              f"{missing} missing; {(understanding.batched_messages - texts0) / len(texts):.2f} texts through the "
              f"model per question in {(understanding.batches - batches0) / len(texts):.2f} batches), per question:")
        labels = dict(THREAD_GROUPS)
        for group, cpu in sorted(by_group.items(), key=lambda kv: -kv[1]):
            print(f"  {cpu / len(texts) * 1000:6.1f} ms  {group} ({labels.get(group, 'other threads')})")
        await _stop(app)

    asyncio.run(run())
    standin.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--messages", type=int, default=80, help="distinct questions per round")
    parser.add_argument("--rounds", type=int, default=3, help="paired rounds (bot, then bot ask)")
    parser.add_argument("--idle", type=float, default=15.0, help="seconds of idle measured")
    parser.add_argument("--profile", action="store_true", help="cProfile one run in this process instead")
    parser.add_argument("--threads", action="store_true", help="CPU by thread of one run in this process instead")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--dump", default="", help="with --profile: also write the merged pstats to this file")
    args = parser.parse_args()
    from bot.understanding.training import find_model

    model = find_model()
    if model is None:
        print("No model: run `make train` first.")
        raise SystemExit(2)
    texts = typed_questions(args.messages + 8)
    texts, spare = texts[:args.messages], texts[args.messages:]
    if args.profile:
        profile_messages(texts, spare, args.users, args.top, args.dump)
        return
    if args.threads:
        split_by_thread(texts, spare, args.users)
        return
    distinct = typed_questions(args.messages * args.rounds)
    rounds = [distinct[n * args.messages:(n + 1) * args.messages] for n in range(args.rounds)]
    found = measure(model, rounds, args.users, args.idle)
    print(f"polling bot (`python -m bot run`, model in process, SQLite, stand-in Bot API) against `python -m bot "
          f"ask --jsonl` (the same texts, one at a time), {args.rounds} rounds of {args.messages} distinct typed "
          f"held-out questions from {args.users} users, `bot ask` taking half of each round's texts just before it and half just after:")
    print(f"  idle: {found['idle'] * 1000:.1f} ms CPU per second doing nothing (windows before and after the "
          f"questions: {' and '.join(f'{w * 1000:.1f}' for w in found['idle_windows'])}; the lower is subtracted)")
    print(f"  {'round':<6}{'end to end':>12}{'bot ask':>10}{'ratio':>8}   (CPU per typed message)")
    for number, one in enumerate(found["rounds"], 1):
        print(f"  {number:<6}{one['per_message'] * 1000:>9.1f} ms{one['ask'] * 1000:>7.1f} ms{one['ratio']:>7.2f}x"
              f"   {one['busy']:.2f} s CPU over {one['elapsed']:.1f} s, {one['replies'] / one['texts']:.1f} "
              f"bot messages per question, {one['missing']} missing")
    ratios = sorted(one["ratio"] for one in found["rounds"])
    total = (sum(one["per_message"] * one["texts"] for one in found["rounds"])
             / sum(one["ask"] * one["texts"] for one in found["rounds"]))
    print(f"  ratio end to end / ask: {total:.2f}x over all rounds (median round {ratios[len(ratios) // 2]:.2f}x, "
          f"{ratios[0]:.2f}-{ratios[-1]:.2f}x); {found['schema_errors']} schema errors")

if __name__ == "__main__":
    main()
