"""`make bench` part: simulated users through the stand-in to webhook workers.

Three set-ups: 1 and 2 workers each holding the model, and 2 workers asking one NLU server
(`python -m bot nlu-serve`, NLU_URL). Prints sustained messages/s, p50/p99 from update to first reply
(all, buttons/commands, free text), errors, RSS per process and CPU per message; how soon /start is
answered after launch and when the NLU is ready. Then free-text understanding alone at concurrency
32 on distinct held-out texts: our NLU server (batched, cache off) against a stock
`rasa run --enable-api` on the same model with Rasa's own loading, and the CPU ratios against a bare
in-process Rasa parse. Figures only; nothing is asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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
QUESTIONS = ["brp iuran bpjs tk buat ojol", "cara klaim jht gmn", "jkm itu apa", "kalo kecelakaan di jalan ditanggung ga",
             "daftar bpu dimana", "otp jmo ga masuk", "telat bayar iuran gimana", "berapa iuran kalau gaji 2jt",
             "jht bisa cair kapan", "kena phk dapat jkp ga", "iuran karyawan berapa persen", "makasih min"]
SESSION = [("say", "/start"), ("press", "Saya pekerja"), ("ask", None), ("say", "/belajar"),
           ("press", "Jaminan Kecelakaan Kerja"), ("press", "Lanjut"), ("ask", None), ("ask", None),
           ("say", "/hitung"), ("press", "Saya pekerja mandiri"), ("press", "Pekerjaan lain"), ("say", "2,5jt"),
           ("ask", None)]


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
                 nlu_url: str = "") -> subprocess.Popen:
    env = dict(os.environ, NLU_URL=nlu_url, TELEGRAM_BOT_TOKEN=standin.token, TELEGRAM_API_BASE_URL=standin.base_url,
               DATABASE_URL=db_url, LINDUNGI_MODEL=str(model), LINDUNGI_SECRET_KEY="b" * 44,
               TELEGRAM_WEBHOOK_SECRET="bench-secret", LINDUNGI_WEBHOOK_PORT=str(port), PYTHONWARNINGS="ignore",
               LINDUNGI_CHAT_RATE="5", LINDUNGI_CHAT_BURST="5", LINDUNGI_TODAY="2026-11-23")
    args = [sys.executable, "-m", "bot", "run", "--webhook", f"http://127.0.0.1:{port}/tg"]
    if not register:
        args.append("--no-register")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


async def simulate(standin, users: int, seed: int = 7) -> tuple[list[float], int, float, dict]:
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
                standin.send_text(uid, value if kind == "say" else rng.choice(QUESTIONS))
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


async def free_text_burst(standin, users: int, each: int) -> dict:
    """`users` people typing questions back to back (no pause): free-text answers per second, p99."""
    rng = random.Random(11)
    latencies: list[float] = []

    async def user(uid: int) -> None:
        for _ in range(each):
            mark = standin.activity(uid)
            standin.send_text(uid, rng.choice(QUESTIONS))
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


def run_workers(count: int, users: int, model: Path, nlu_server: bool = False) -> dict:
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
        servers = [start_nlu_server(model, nlu_port, log)]
        nlu_url = f"http://127.0.0.1:{nlu_port}"
    workers = [start_worker(standin, model, db_url, port, n == 0, log, nlu_url) for n, port in enumerate(ports)]
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
        latencies, missing, elapsed, by_kind = asyncio.run(simulate(standin, users))
        cpu = sum(proc_cpu(w.pid) for w in everyone) - cpu_before
        burst = asyncio.run(free_text_burst(standin, 32, 15))
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
            "nlu_rss": nlu_rss, "kinds": kinds, "no_button": no_button,
            "p50": statistics.median(latencies), "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)],
            "rss": rss, "cpu_per_message": cpu / max(1, len(latencies)), "first_answer": first_answer,
            "nlu_ready": ready_at, "schema_errors": len(standin.errors), "burst": burst}


def bare_parse_cpu(model: Path, texts: list[str]) -> float:
    from bot.understanding import Understanding

    nlu = Understanding(model).load()
    for text in texts[:20]:
        nlu.submit(text).result()      # warm up, uncached
    began = time.process_time()
    for text in texts:
        nlu.submit(text).result()      # the model itself, one at a time, no cache
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


def wait_parse(url: str, timeout: float = 300) -> float:
    """Seconds until the server parses (`rasa run` listens only once loaded; ours says 503 till then)."""
    began = time.monotonic()
    while True:
        try:
            post_parse(url, "halo")
            return time.monotonic() - began
        except Exception:
            if time.monotonic() - began > timeout:
                raise
            time.sleep(0.2)


def parse_server(kind: str, model: Path, texts: list[str], concurrency: int = 32, processes: int = 1,
                 cache: bool = False) -> dict:
    """Free-text understanding over HTTP at `concurrency`: stock `rasa run --enable-api` (Rasa's own
    model load and one parse per request) or `python -m bot nlu-serve --no-cache` (batched)."""
    from concurrent.futures import ThreadPoolExecutor

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tempfile.mktemp(suffix=".log"), "wb")
    if kind == "stock":
        args = [sys.executable, "-m", "rasa", "run", "--enable-api", "--port", str(port), "--model", str(model)]
        env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", LINDUNGI_RASA_LOAD="1")
    else:
        args = [sys.executable, "-m", "bot", "nlu-serve", "--port", str(port), "--processes", str(processes)]
        args += [] if cache else ["--no-cache"]
        env = dict(os.environ, LINDUNGI_MODEL=str(model), PYTHONWARNINGS="ignore")
    began = time.monotonic()
    server = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_parse(url)
        load = time.monotonic() - began
        for text in [f"halo {n}" for n in range(50 * processes)]:        # every process answering
            post_parse(url, text)
        family = [server.pid] + children(server.pid)
        cpu_before = sum(proc_cpu(pid) for pid in family)
        times: list[float] = []

        def timed(text: str) -> None:
            start = time.monotonic()
            post_parse(url, text)
            times.append(time.monotonic() - start)

        start = time.monotonic()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(timed, texts))
        elapsed = time.monotonic() - start
        cpu = sum(proc_cpu(pid) for pid in family) - cpu_before
        times.sort()
        return {"load": load, "rps": len(texts) / elapsed, "p50": statistics.median(times),
                "p99": times[int(len(times) * 0.99) - 1], "cpu_per_request": cpu / len(texts),
                "rss": max(proc_rss_mb(pid) for pid in family)}
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--no-stock", action="store_true")
    args = parser.parse_args()
    from bot.understanding.scoring import load_examples
    from bot.understanding.training import find_model

    model = find_model()
    questions = [q for q in QUESTIONS for _ in range(40)]
    print(f"webhook workers, {args.users} simulated users x {len(SESSION)} messages (stand-in Bot API, SQLite):")
    results = [run_workers(1, args.users, model), run_workers(2, args.users, model),
               run_workers(2, args.users, model, nlu_server=True)]
    for r in results:
        where = "+ 1 NLU server (NLU_URL)" if r["nlu_rss"] else "model in each"
        print(f"  {r['workers']} worker(s), {where}: {r['messages']} messages in {r['elapsed']:.0f} s = "
              f"{r['messages'] / r['elapsed']:.1f} msg/s; update→reply p50 {r['p50'] * 1000:.0f} ms, "
              f"p99 {r['p99'] * 1000:.0f} ms; {r['missing']} missing ({r['no_button']} of them a button the user "
              f"pressed before it had arrived), {r['schema_errors']} schema errors")
        kinds = r["kinds"]
        print(f"    buttons/commands p50 {kinds['tap'][0] * 1000:.0f} ms p99 {kinds['tap'][1] * 1000:.0f} ms; "
              f"free text p50 {kinds['ask'][0] * 1000:.0f} ms p99 {kinds['ask'][1] * 1000:.0f} ms")
        print(f"    RSS per worker {', '.join(f'{x:.0f}' for x in r['rss'])} MB"
              + (f", NLU server {r['nlu_rss'][0]:.0f} MB" if r["nlu_rss"] else "")
              + f"; CPU {r['cpu_per_message'] * 1000:.1f} ms/message (all processes); "
              f"/start answered {r['first_answer']:.1f} s after launch, NLU ready at {r['nlu_ready']:.1f} s")
        b = r["burst"]
        print(f"    free text, 32 users typing at once: {b['count']} answers, {b['rps']:.1f}/s, "
              f"p99 {b['p99'] * 1000:.0f} ms")
    bare = bare_parse_cpu(model, questions)
    ours = results[0]["cpu_per_message"]
    print(f"  bare in-process Rasa parse (one at a time): {bare * 1000:.1f} ms CPU per message "
          f"(a worker spends {ours / bare:.2f}x that per message, dialogue, storage and HTTP included)")
    # Free-text understanding alone, same model, same cores, 32 concurrent clients, distinct texts.
    texts = list(dict.fromkeys(e.text for e in load_examples()))
    texts = (texts * 4)[:2000]
    print(f"  free-text understanding alone: {len(texts)} requests ({len(set(texts))} distinct held-out texts), "
          f"32 concurrent clients:")
    runs = {}
    for label, processes, cache in (("1 process, cache off", 1, False), ("2 processes, cache off", 2, False),
                                    ("2 processes, cache on", 2, True)):
        r = runs[label] = parse_server("ours", model, texts, processes=processes, cache=cache)
        print(f"    `nlu-serve` {label}: ready after {r['load']:.1f} s, {r['rps']:.0f} parses/s, "
              f"p50 {r['p50'] * 1000:.0f} ms, p99 {r['p99'] * 1000:.0f} ms, "
              f"{r['cpu_per_request'] * 1000:.1f} ms CPU per request, RSS {r['rss']:.0f} MB per process")
    mine = runs["2 processes, cache off"]
    if not args.no_stock:
        stock = parse_server("stock", model, texts)
        print(f"    stock `rasa run --enable-api` (Rasa's own load): ready after {stock['load']:.1f} s, "
              f"{stock['rps']:.0f} parses/s, p50 {stock['p50'] * 1000:.0f} ms, "
              f"p99 {stock['p99'] * 1000:.0f} ms, {stock['cpu_per_request'] * 1000:.1f} ms CPU per request, "
              f"RSS {stock['rss']:.0f} MB")
        one = runs["1 process, cache off"]
        print(f"  ratios (cache off): throughput {one['rps'] / stock['rps']:.1f}x stock with 1 process, "
              f"{mine['rps'] / stock['rps']:.1f}x with 2 (with the cache: "
              f"{runs['2 processes, cache on']['rps'] / stock['rps']:.1f}x); stock's CPU per parse is "
              f"{stock['cpu_per_request'] / ours:.2f}x a worker's per message and "
              f"{stock['cpu_per_request'] / mine['cpu_per_request']:.1f}x nlu-serve's per parse")


if __name__ == "__main__":
    main()
