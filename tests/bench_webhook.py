"""`make bench` part: simulated users through the stand-in to webhook workers, and free-text
understanding alone, like for like.

1. Webhook workers: 1 and 2 workers each holding the model, and 2 workers asking one NLU server
   (`python -m bot nlu-serve`, NLU_URL). Typed questions are distinct held-out texts (both
   validation files) and the parse cache is off (LINDUNGI_NLU_CACHE=0), so the free-text figures
   measure the model, not the cache. Prints sustained messages/s, p50/p99 from update to first
   reply (all, buttons/commands, free text), errors, RSS per process, CPU per message; how soon
   /start is answered after launch and when the NLU is ready; then 32 users typing at once: free
   text answers/s and CPU per typed message end to end (all processes) against a bare in-process
   parse of the same texts. A separately labelled run with the cache on shows what it saves.
2. Free-text understanding alone at concurrency 32 on distinct held-out texts, each sent once:
   one `nlu-serve` process against one stock `rasa run --enable-api`, and N against N (N `rasa run`
   processes, the clients spread over them), on Lindungi's model and, when `make eval` has trained
   it, on the stock `rasa init` model. Cache off, except a separately labelled row.
Figures only; nothing is asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
ROOT = Path(__file__).resolve().parents[1]
QUIET_AFTER = ("human_handoff", "delete_my_data")
SESSION = [("say", "/start"), ("press", "Saya pekerja"), ("ask", None), ("say", "/belajar"),
           ("press", "Jaminan Kecelakaan Kerja"), ("press", "Lanjut"), ("ask", None), ("ask", None),
           ("say", "/hitung"), ("press", "Saya pekerja mandiri"), ("press", "Pekerjaan lain"), ("say", "2,5jt"),
           ("ask", None)]


def held_out_texts(seed: int = 3) -> list[str]:
    """Distinct texts of both validation files, shuffled; none with a long digit run (a NIK)."""
    from bot.understanding.files import REAL_TEST_FILE, TEST_FILE
    from bot.understanding.scoring import load_examples

    # Not the texts that hand the chat to staff or start deleting the user's data: after those the
    # bot rightly stops answering questions (they go to staff, or it waits for a yes).
    texts = [e.text for path in (TEST_FILE, REAL_TEST_FILE) for e in load_examples(path)
             if e.intent not in QUIET_AFTER]
    texts = [t for t in dict.fromkeys(texts) if not re.search(r"\d{8,}", re.sub(r"[\s.-]", "", t))]
    random.Random(seed).shuffle(texts)
    return texts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_ready(port: int, timeout: float = 300) -> float:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read())
            if health.get("nlu") == "ready":
                return time.monotonic() - began
        except Exception:
            pass
        time.sleep(0.5)
    raise RuntimeError("worker not ready")


def start_worker(standin, model: Path, db_url: str, port: int, register: bool, log,
                 nlu_url: str = "", cache: bool = False) -> subprocess.Popen:
    env = dict(os.environ, NLU_URL=nlu_url, LINDUNGI_NLU_CACHE="1" if cache else "0", TELEGRAM_BOT_TOKEN=standin.token, TELEGRAM_API_BASE_URL=standin.base_url,
               DATABASE_URL=db_url, LINDUNGI_MODEL=str(model), LINDUNGI_SECRET_KEY="b" * 44,
               TELEGRAM_WEBHOOK_SECRET="bench-secret", LINDUNGI_WEBHOOK_PORT=str(port), PYTHONWARNINGS="ignore",
               LINDUNGI_CHAT_RATE="5", LINDUNGI_CHAT_BURST="5", LINDUNGI_TODAY="2026-11-23")
    args = [sys.executable, "-m", "bot", "run", "--webhook", f"http://127.0.0.1:{port}/tg"]
    if not register:
        args.append("--no-register")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


async def simulate(standin, users: int, questions, seed: int = 7) -> tuple[list[float], int, float, dict]:
    from tests.telegram_standin import buttons_of

    rng = random.Random(seed)
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {"ask": [], "tap": []}     # free text / buttons and commands
    missing = no_button = 0        # no reply within 60 s, or the button to press had not arrived yet

    async def user(uid: int) -> None:
        nonlocal missing, no_button
        await asyncio.sleep(rng.uniform(0, 3))
        for kind, value in SESSION:
            mark = standin.activity(uid)
            if kind == "press":
                found = [m for m in standin.bot_messages(uid) if any(value in l for l, _ in buttons_of(m))]
                if not found:
                    missing += 1
                    no_button += 1
                    continue
                message = max(found, key=lambda m: m["message_id"])
                standin.press(uid, message, next(d for l, d in buttons_of(message) if value in l))
            else:
                standin.send_text(uid, value if kind == "say" else next(questions))
            queued = time.monotonic()
            while standin.activity(uid) == mark and time.monotonic() - queued < 60:
                await asyncio.sleep(0.005)
            if standin.activity(uid) == mark:
                missing += 1
                continue
            latencies.append(standin.event_time(uid, mark) - queued)
            by_kind["ask" if kind == "ask" else "tap"].append(latencies[-1])
            seen, quiet_since = standin.activity(uid), time.monotonic()
            while time.monotonic() - quiet_since < 1.2:        # the whole answer has arrived
                await asyncio.sleep(0.05)
                if standin.activity(uid) != seen:
                    seen, quiet_since = standin.activity(uid), time.monotonic()
            await asyncio.sleep(rng.uniform(0.5, 1.5))      # a person reading and typing

    began = time.monotonic()
    await asyncio.gather(*(user(50_000 + n) for n in range(users)))
    by_kind["no_button"] = no_button
    return latencies, missing, time.monotonic() - began, by_kind


async def free_text_burst(standin, users: int, each: int, questions) -> dict:
    """`users` people typing questions back to back (no pause): free-text answers per second, p99."""
    latencies: list[float] = []

    async def user(uid: int) -> None:
        for _ in range(each):
            mark = standin.activity(uid)
            standin.send_text(uid, next(questions))
            queued = time.monotonic()
            while standin.activity(uid) == mark and time.monotonic() - queued < 60:
                await asyncio.sleep(0.003)
            if standin.activity(uid) != mark:
                latencies.append(standin.event_time(uid, mark) - queued)
            await asyncio.sleep(1.3)             # a fast typist, under the flood limit (8 in 10 s)
    began = time.monotonic()
    await asyncio.gather(*(user(90_000 + n) for n in range(users)))
    elapsed = time.monotonic() - began
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)],
            "count": len(latencies)}


def start_nlu_server(model: Path, port: int, log, cache: bool = True) -> subprocess.Popen:
    args = [sys.executable, "-m", "bot", "nlu-serve", "--port", str(port)] + ([] if cache else ["--no-cache"])
    return subprocess.Popen(args, cwd=ROOT, env=dict(os.environ, LINDUNGI_MODEL=str(model), PYTHONWARNINGS="ignore"),
                            stdout=log, stderr=subprocess.STDOUT)


def run_workers(count: int, users: int, model: Path, texts: list[str], nlu_server: bool = False,
                cache: bool = False) -> dict:
    from bot.storage.database import Database
    from tests.telegram_standin import StandIn

    folder = Path(tempfile.mkdtemp(prefix="lindungi-bench-"))
    db_url = f"sqlite:///{folder}/bench.db"
    Database(db_url).migrate()
    standin = StandIn().start()
    ports = [free_port() for _ in range(count)]
    log = open(folder / "workers.log", "wb")
    began = time.monotonic()
    servers, nlu_url = [], ""
    if nlu_server:
        nlu_port = free_port()
        servers = [start_nlu_server(model, nlu_port, log, cache=cache)]
        nlu_url = f"http://127.0.0.1:{nlu_port}"
    workers = [start_worker(standin, model, db_url, port, n == 0, log, nlu_url, cache)
               for n, port in enumerate(ports)]
    questions = itertools.cycle(texts)
    try:
        while standin.webhook is None:
            time.sleep(0.05)
        standin.balance = [f"http://127.0.0.1:{port}/tg" for port in ports]
        # How soon /start is answered while the model loads, and when the NLU is ready.
        mark = standin.activity(1)
        standin.send_text(1, "/start")
        while standin.activity(1) == mark and time.monotonic() - began < 120:
            time.sleep(0.01)
        first_answer = time.monotonic() - began
        if servers:
            wait_parse(nlu_url)
        for port in ports:
            wait_ready(port)
        ready_at = time.monotonic() - began
        everyone = workers + servers
        cpu_before = sum(proc_cpu(w.pid) for w in everyone)
        latencies, missing, elapsed, by_kind = asyncio.run(simulate(standin, users, questions))
        cpu = sum(proc_cpu(w.pid) for w in everyone) - cpu_before
        burst_texts = [next(questions) for _ in range(32 * 15)]
        burst_source = iter(burst_texts)
        # Idle: once the session's last replies are out and the workers' busy heartbeat (every second
        # for a few seconds after their last claim) has ended.
        time.sleep(8)
        idle_began, idle_cpu = time.monotonic(), sum(proc_cpu(w.pid) for w in everyone)
        time.sleep(10)
        idle_rate = (sum(proc_cpu(w.pid) for w in everyone) - idle_cpu) / (time.monotonic() - idle_began)
        cpu_before, burst_began = sum(proc_cpu(w.pid) for w in everyone), time.monotonic()
        burst = asyncio.run(free_text_burst(standin, 32, 15, burst_source))
        time.sleep(2)                            # the last answers' bookkeeping
        burst_cpu = sum(proc_cpu(w.pid) for w in everyone) - cpu_before - idle_rate * (time.monotonic() - burst_began)
        burst["cpu_per_typed"] = burst_cpu / max(1, burst["count"])
        burst["texts"] = burst_texts
        rss = [proc_rss_mb(w.pid) for w in workers]
        nlu_rss = [proc_rss_mb(w.pid) for w in servers]
    finally:
        for worker in workers + servers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers + servers:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
        standin.stop()
        log.close()
    latencies.sort()
    no_button = by_kind.pop("no_button")
    kinds = {kind: (statistics.median(values), sorted(values)[max(0, int(len(values) * 0.99) - 1)])
             for kind, values in by_kind.items() if values}
    return {"workers": count, "messages": len(latencies), "elapsed": elapsed, "missing": missing,
            "nlu_rss": nlu_rss, "kinds": kinds, "no_button": no_button, "cache": cache,
            "p50": statistics.median(latencies), "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)],
            "rss": rss, "cpu_per_message": cpu / max(1, len(latencies)), "first_answer": first_answer,
            "nlu_ready": ready_at, "schema_errors": len(standin.errors), "burst": burst, "idle": idle_rate}


def bare_parse_cpu(model: Path, texts: list[str], warm: list[str]) -> float:
    """CPU per text of the model in this process, as the bot reads a message (long ones sentence by
    sentence), one at a time, no cache: the floor a typed message cannot go below."""
    from bot.understanding import Understanding

    nlu = Understanding(model).load()
    nlu.caching = False
    for text in warm:
        nlu.parse(text)
    began = time.process_time()
    for text in texts:
        nlu.parse(text)
    cost = (time.process_time() - began) / len(texts)
    nlu.close()
    return cost


def post_parse(url: str, text: str) -> None:
    request = urllib.request.Request(f"{url}/model/parse", data=json.dumps({"text": text}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).read()


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def wait_parse(url: str, timeout: float = 300, text: str = "halo") -> float:
    """Seconds until the server parses (`rasa run` listens only once loaded; ours says 503 till then)."""
    began = time.monotonic()
    while True:
        try:
            post_parse(url, text)
            return time.monotonic() - began
        except Exception:
            if time.monotonic() - began > timeout:
                raise
            time.sleep(0.2)


def parse_server(kind: str, model: Path, texts: list[str], concurrency: int = 32, processes: int = 1,
                 cache: bool = False) -> dict:
    """Free-text understanding over HTTP at `concurrency`: `processes` stock `rasa run --enable-api`
    servers (Rasa's own model load, one parse per request; the clients spread over their ports) or
    `python -m bot nlu-serve --processes N` (batched; cache off unless asked)."""
    from concurrent.futures import ThreadPoolExecutor

    ports = [free_port() for _ in range(processes if kind == "stock" else 1)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    log = open(tempfile.mktemp(suffix=".log"), "wb")
    servers = []
    began = time.monotonic()
    for port in ports:
        if kind == "stock":
            args = [sys.executable, "-m", "rasa", "run", "--enable-api", "--port", str(port), "--model", str(model)]
            env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", LINDUNGI_RASA_LOAD="1")
        else:
            args = [sys.executable, "-m", "bot", "nlu-serve", "--port", str(port), "--processes", str(processes)]
            args += [] if cache else ["--no-cache"]
            env = dict(os.environ, LINDUNGI_MODEL=str(model), PYTHONWARNINGS="ignore")
        servers.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    try:
        for url in urls:
            wait_parse(url)
        load = time.monotonic() - began
        for n in range(50 * processes):                 # every process answering (503 while loading), warm
            wait_parse(urls[n % len(urls)], text=f"halo {n}")
        family = [pid for server in servers for pid in [server.pid] + children(server.pid)]
        cpu_before = sum(proc_cpu(pid) for pid in family)
        times: list[float] = []

        def timed(job: tuple[int, str]) -> None:
            start = time.monotonic()
            post_parse(urls[job[0] % len(urls)], job[1])
            times.append(time.monotonic() - start)

        start = time.monotonic()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(timed, enumerate(texts)))
        elapsed = time.monotonic() - start
        cpu = sum(proc_cpu(pid) for pid in family) - cpu_before
        times.sort()
        return {"load": load, "rps": len(texts) / elapsed, "p50": statistics.median(times),
                "p99": times[int(len(times) * 0.99) - 1], "cpu_per_request": cpu / len(texts),
                "rss": max(proc_rss_mb(pid) for pid in family), "processes": processes}
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()


def stock_model() -> Path | None:
    """The stock `rasa init` pipeline's model for the current data, if `make eval` trained it."""
    from bot.understanding.training import model_path

    path = model_path(config="nlu/config.stock.yml", prefix="stock")
    return path if path.exists() else None


def print_workers(results: list[dict], bare: float) -> None:
    for r in results:
        where = "+ 1 NLU server (NLU_URL)" if r["nlu_rss"] else "model in each"
        cache = "parse cache ON" if r["cache"] else "cache off"
        print(f"  {r['workers']} worker(s), {where}, {cache}: {r['messages']} messages in {r['elapsed']:.0f} s = "
              f"{r['messages'] / r['elapsed']:.1f} msg/s; update→reply p50 {r['p50'] * 1000:.0f} ms, "
              f"p99 {r['p99'] * 1000:.0f} ms; {r['missing']} missing ({r['no_button']} of them a button the user "
              f"pressed before it had arrived), {r['schema_errors']} schema errors")
        kinds = r["kinds"]
        print(f"    buttons/commands p50 {kinds['tap'][0] * 1000:.0f} ms p99 {kinds['tap'][1] * 1000:.0f} ms; "
              f"free text p50 {kinds['ask'][0] * 1000:.0f} ms p99 {kinds['ask'][1] * 1000:.0f} ms")
        print(f"    RSS per worker {', '.join(f'{x:.0f}' for x in r['rss'])} MB"
              + (f", NLU server {r['nlu_rss'][0]:.0f} MB" if r["nlu_rss"] else "")
              + f"; CPU {r['cpu_per_message'] * 1000:.1f} ms/message (all processes, all kinds); "
              f"idle {r['idle'] * 1000:.0f} ms CPU/s; /start answered {r['first_answer']:.1f} s after launch, "
              f"NLU ready at {r['nlu_ready']:.1f} s")
        b = r["burst"]
        print(f"    free text, 32 users typing at once: {b['count']} answers, {b['rps']:.1f}/s, "
              f"p99 {b['p99'] * 1000:.0f} ms; {b['cpu_per_typed'] * 1000:.1f} ms CPU per typed message end to end "
              f"(idle subtracted) = {b['cpu_per_typed'] / bare:.2f}x a bare parse of the same texts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2, help="N of the N-against-N rows")
    parser.add_argument("--no-workers", action="store_true", help="only the parse servers")
    parser.add_argument("--no-servers", action="store_true", help="only the webhook workers")
    parser.add_argument("--no-stock", action="store_true")
    args = parser.parse_args()
    from bot.understanding.training import find_model

    model = find_model()
    if model is None:
        print("No model: run `make train` first.")
        raise SystemExit(2)
    texts = held_out_texts()
    if not args.no_workers:
        print(f"webhook workers, {args.users} simulated users x {len(SESSION)} messages (stand-in Bot API, SQLite); "
              f"typed questions drawn in turn from {len(texts)} distinct held-out texts:")
        results = [run_workers(1, args.users, model, texts), run_workers(2, args.users, model, texts),
                   run_workers(2, args.users, model, texts, nlu_server=True)]
        burst = results[0]["burst"]["texts"]
        bare = bare_parse_cpu(model, burst, texts[-20:])
        print_workers(results, bare)
        print(f"  bare in-process parse of the burst's texts (one at a time, long ones by sentence, no cache): "
              f"{bare * 1000:.1f} ms CPU per text")
        print("  separately, with the parse cache ON and 12 texts repeated (what the cache saves; not the model):")
        print_workers([run_workers(1, args.users, model, texts[:12], cache=True)], bare)

    if args.no_servers:
        return
    n = args.processes
    print(f"free-text understanding alone: {len(texts)} distinct held-out texts, each sent once, 32 concurrent "
          f"clients; cache off unless said; 1 against 1 and {n} against {n} processes:")
    rows = []

    def row(server: str, model_name: str, r: dict) -> None:
        rows.append((server, model_name, r))
        print(f"  ({server}, {model_name}, {r['processes']} process(es): {r['rps']:.0f} parses/s)", flush=True)

    for processes in (1, n):
        row("`nlu-serve`", "Lindungi", parse_server("ours", model, texts, processes=processes))
        if not args.no_stock:
            row("`rasa run --enable-api`", "Lindungi", parse_server("stock", model, texts, processes=processes))
    stock = stock_model()
    if not args.no_stock:
        if stock is None:
            print("  No stock `rasa init` model for the current data (models/stock/; `make eval` trains it, about "
                  "an hour): the stock-model rows are left out, Lindungi's figures follow.")
        else:
            for processes in (1, n):
                row("`rasa run --enable-api`", "stock `rasa init`", parse_server("stock", stock, texts,
                                                                                 processes=processes))
    cached = parse_server("ours", model, texts * 3, processes=n, cache=True)
    print("  | server | model | processes | parses/s | p50 ms | p99 ms | CPU ms/parse | ready after s | RSS MB/process |")
    print("  |---|---|---|---|---|---|---|---|---|")
    for server, model_name, r in rows:
        print(f"  | {server} | {model_name} | {r['processes']} | {r['rps']:.0f} | {r['p50'] * 1000:.0f} | "
              f"{r['p99'] * 1000:.0f} | {r['cpu_per_request'] * 1000:.1f} | {r['load']:.0f} | {r['rss']:.0f} |")
    r = cached
    print(f"  | `nlu-serve`, parse cache ON (each text 3 times) | Lindungi | {n} | {r['rps']:.0f} | "
          f"{r['p50'] * 1000:.0f} | {r['p99'] * 1000:.0f} | {r['cpu_per_request'] * 1000:.1f} | {r['load']:.0f} | "
          f"{r['rss']:.0f} |")
    by = {(server, model_name, r["processes"]): r for server, model_name, r in rows}
    for processes in (1, n):
        ours = by.get(("`nlu-serve`", "Lindungi", processes))
        theirs = by.get(("`rasa run --enable-api`", "Lindungi", processes))
        if ours and theirs:
            print(f"  {processes} against {processes}, same model: nlu-serve {ours['rps'] / theirs['rps']:.1f}x the "
                  f"parses/s of rasa run, {theirs['cpu_per_request'] / ours['cpu_per_request']:.1f}x less CPU per parse")


if __name__ == "__main__":
    main()
